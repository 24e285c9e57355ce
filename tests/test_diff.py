"""nncost diff: two versions of a model, side by side, and the budgets that gate a pull request."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("torchvision")

from nncost.cli import main  # noqa: E402
from nncost.diff import diff_reports, load_side, parse_budget  # noqa: E402
from nncost.errors import InputError  # noqa: E402

_ANALYSED: dict[str, dict] = {}


def _cached_side(spec, options):
    """Each spec analysed once in this module (the CLI tests below run the same two models)."""
    key = spec + repr(sorted(options.items()))
    if key not in _ANALYSED:
        _ANALYSED[key] = load_side(spec, options)
    return _ANALYSED[key]


@pytest.fixture(autouse=True)
def analyse_once(monkeypatch):
    import nncost.diff

    monkeypatch.setattr(nncost.diff, "load_side", _cached_side)


@pytest.fixture(scope="module")
def resnets():
    return load_side("torchvision:resnet18", {}), load_side("torchvision:resnet34", {})


def test_totals_and_modules_of_resnet18_to_resnet34(resnets):
    d = diff_reports(*resnets)
    # torchvision's model cards: resnet18 11,689,512 parameters and 1.814 GMACs (meta["_ops"]); resnet34 21,797,672 and 3.664
    assert d["totals"]["params"]["delta"] == 21_797_672 - 11_689_512
    assert round(d["totals"]["macs"]["a"] / 1e9, 3) == 1.814 and round(d["totals"]["macs"]["b"] / 1e9, 3) == 3.664
    assert d["totals"]["macs"]["pct"] == pytest.approx(100 * (d["totals"]["macs"]["b"] / d["totals"]["macs"]["a"] - 1))
    # blocks per stage [2, 2, 2, 2] -> [3, 4, 6, 3]: 8 BasicBlocks added, each with conv1, bn1, relu, conv2, bn2
    assert len(d["added"]) == 8 * 6 and not d["removed"]
    assert {"layer1.2", "layer2.3", "layer3.5", "layer4.2", "layer3.5.conv2"} <= set(d["added"])
    rows = {r["path"]: r for r in d["layers"]}
    assert rows["layer3.5"]["macs"]["delta"] == rows["layer3.5"]["macs"]["b"] > 0  # an added module counts 0 in A
    assert rows["conv1"]["status"] == "same" and rows["layer3"]["status"] == "changed"
    assert rows["layer4.2"]["params"]["delta"] == 2 * 512 * 512 * 9 + 2 * 2 * 512  # two 3×3 convs and two BNs


def test_a_saved_json_report_is_the_same_side(tmp_path, resnets):
    path = tmp_path / "a.json"
    path.write_text(json.dumps(resnets[0]))
    assert diff_reports(load_side(str(path), {}), resnets[1]) == diff_reports(*resnets)


@pytest.mark.parametrize("text, metric, op, value, kind", [
    ("macs>+5%", "macs", ">", 5.0, "pct"),
    ("params>+1M", "params", ">", 1e6, "delta"),
    ("flops>4G", "flops", ">", 4e9, "absolute"),
    ("training_peak>=20GiB", "training_peak", ">=", 20 * 2**30, "absolute"),
    ("latency_s > 2ms", "latency_s", ">", 2e-3, "absolute"),
    ("params<-10%", "params", "<", -10.0, "pct"),
])
def test_budgets_parse(text, metric, op, value, kind):
    b = parse_budget(text)
    assert (b.metric, b.op, b.kind) == (metric, op, kind) and b.value == pytest.approx(value)


@pytest.mark.parametrize("text, message", [
    ("macs>5%", "a percentage is a change from A"),
    ("speed>+5%", "metric 'speed' is not one of"),
    ("macs=+5%", "--fail-if takes METRIC OP VALUE"),
    ("params>+1Q", "unknown unit 'Q'"),
])
def test_budgets_refuse(text, message):
    with pytest.raises(InputError, match=message):
        parse_budget(text)


def test_budgets_decide_the_exit_status(capsys):
    assert main(["diff", "torchvision:resnet18", "torchvision:resnet34", "--fail-if", "params>+100M"]) == 0
    assert main(["diff", "torchvision:resnet18", "torchvision:resnet34", "--fail-if", "macs>+5%",
                 "--fail-if", "params>+100M"]) == 1
    captured = capsys.readouterr()
    assert "budget macs>+5%: FAILED (macs +102.0%)" in captured.out and "budget params>+100M: ok" in captured.out
    assert "budget exceeded: macs>+5%" in captured.err


@pytest.mark.parametrize("fmt, name", [("table", "diff_resnet18_34.txt"), ("markdown", "diff_resnet18_34.md"),
                                       ("json", "diff_resnet18_34.json")])
def test_diff_goldens(golden, capsys, fmt, name):
    args = ["diff", "torchvision:resnet18", "torchvision:resnet34", "-f", fmt, "--fail-if", "macs>+5%"]
    assert main([*args, *(["--top", "12"] if fmt != "json" else ["--depth", "1"])]) == 1
    golden(name, capsys.readouterr().out)


@pytest.mark.parametrize("argv, message", [
    (["diff", "nncost:seednet", "nncost:seednet", "--fail-if", "macs>5%"], "a percentage is a change from A"),
    (["diff", "nncost:seednet", "nosuch:model"], "nosuch"),
    (["diff", "nncost:seednet"], "the following arguments are required: B"),
])
def test_cli_bad_input_is_one_line_and_exit_2(argv, message, tmp_path):
    p = subprocess.run([sys.executable, "-m", "nncost", *argv], capture_output=True, text=True)
    assert p.returncode == 2, p.stderr
    assert message in p.stderr and "Traceback" not in p.stderr


def test_a_json_that_is_not_a_report_is_refused(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(InputError, match="is not an nncost JSON report"):
        load_side(str(path), {})
