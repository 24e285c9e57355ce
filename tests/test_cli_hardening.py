"""The command line never shows a traceback: every bad input is one line and exit 2.

Runs ``main()`` in-process (an escaping exception fails the test) for the cases that once
ended in a traceback, the options that once printed nothing, and a fuzz over options and
shapes. Also: every format honours --depth and shows the backward pass.
"""

from __future__ import annotations

import csv
import io
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nncost.cli import main

torch = pytest.importorskip("torch")

FACTORIES = '''
import torch
from torch import nn


def raises():
    raise ValueError("boom")


def needs(a, b):
    return nn.Linear(a, b)


class KeyErr(nn.Module):
    def __init__(self):
        super().__init__()
        self.l = nn.Linear(8, 2)

    def forward(self, x):
        return self.l({}["missing"])


class TypeErr(KeyErr):
    def forward(self, x):
        return self.l(x) + "a"


class AttrErr(KeyErr):
    def forward(self, x):
        return self.l.nothing(x)


def keyerr():
    return KeyErr()


def typeerr():
    return TypeErr()


def attrerr():
    return AttrErr()


def lin():
    return nn.Linear(8, 2)


class Attn(nn.Module):
    def forward(self, q, k, v):
        return torch.nn.functional.scaled_dot_product_attention(query=q, key=k, value=v)


def attn():
    return Attn()


def scripted():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.jit.script(nn.Linear(8, 2))
'''


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    d = tmp_path_factory.mktemp("specs")
    (d / "facts.py").write_text(FACTORIES)
    (d / "badimport.py").write_text("import nonexistent_package_for_nncost_tests\n")
    (d / "badsyntax.py").write_text("def f(:\n")
    (d / "corrupt.pt").write_bytes(b"not a pickle at all")
    return d


def one_line_error(capsys, args, message):
    rc = main(args)
    out, err = capsys.readouterr()
    assert rc == 2, (args, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nncost"), err
    assert message in lines[0], lines[0]
    assert out == ""
    return lines[0]


CASES = [
    (["{d}/facts.py:raises"], "calling raises() failed: ValueError: boom"),
    (["{d}/facts.py:needs"], "missing 2 required positional arguments"),
    (["torch.nn:Linear"], "a spec names a class that builds the model with no arguments"),
    (["{d}/badimport.py:f"], "ModuleNotFoundError: No module named 'nonexistent_package_for_nncost_tests'"),
    (["{d}/badsyntax.py:f"], "SyntaxError: invalid syntax (badsyntax.py, line 1)"),
    (["{d}/facts.py:keyerr", "-i", "1,8"], "KeyErr failed to run on meta: KeyError: 'missing'"),
    (["{d}/facts.py:typeerr", "-i", "1,8"], "TypeErr failed to run on meta: TypeError"),
    (["{d}/facts.py:attrerr", "-i", "1,8"], "AttributeError: 'Linear' object has no attribute"),
    (["{d}/facts.py:lin", "-i", "x=2,8"], "unexpected keyword argument 'x'"),
    (["{d}/facts.py:lin", "-i", "2,8", "-i", "3,8"], "takes 2 positional arguments but 3 were given"),
    (["{d}/facts.py:lin", "-i", "99999999999999999999999,8"], "more than a tensor can hold"),
    (["{d}/facts.py:lin", "-i", "1,8", "--depth", "-1", "-f", "markdown"], "--depth"),
    (["{d}/facts.py:lin", "-i", "1,8", "--width", "0"], "--width"),
    (["{d}/corrupt.pt", "--trust-pickle"], "could not be loaded as a pickled model"),
    (["{d}/facts.py:scripted", "-i", "1,8"], "TorchScript"),
    (["{d}/facts.py:lin", "-i", "1,8", "--seq", "5"], "only hf: models take --seq"),
    (["{d}/facts.py:lin", "-i", "1,8", "--gen", "5", "--batch", "2"], "only hf: models take --batch, --gen"),
    (["{d}/facts.py:lin", "-i", "1,8", "-o", "{d}/no/such/dir/out.txt"], "cannot write"),
    (["layer", "nn.Conv2d(3,64,3,stride=0)", "-i", "1,3,8,8"], "stride must be positive"),
    (["layer", "nn.MaxPool2d(0)", "-i", "1,3,8,8"], "kernel size must be positive"),
    (["layer", "nn.MaxPool2d(2,stride=0)", "-i", "1,3,8,8"], "stride must be positive"),
    (["layer", "nn.Conv2d(3,64,3,dilation=0)", "-i", "1,3,8,8"], "dilation must be positive"),
    (["layer", "nn.Conv2d(3,64,3,padding=-1)", "-i", "1,3,8,8"], "padding must be non-negative"),
    (["layer", "nn.Flatten(5)", "-i", "1,3,8,8"], "start_dim must be an int in [-4, 3]"),
]


@pytest.mark.parametrize(("args", "message"), CASES, ids=[" ".join(a)[:60] for a, _ in CASES])
def test_every_bad_input_is_one_line_exit_2(capsys, specs, args, message):
    one_line_error(capsys, [a.format(d=specs) for a in args], message)


def test_inception_train_at_batch_1_says_what_to_do(capsys):
    pytest.importorskip("torchvision")
    line = one_line_error(capsys, ["torchvision:inception_v3", "--train"], "batch norm in train mode needs a batch of at least 2")
    assert "AuxLogits" in line  # the module that failed


def test_hf_length_past_its_positions(capsys):
    pytest.importorskip("transformers")
    one_line_error(capsys, ["hf:gpt2", "--seq", "2000"], "hf:gpt2 takes at most 1,024 positions (n_positions")
    one_line_error(capsys, ["hf:gpt2", "--seq", "1000", "--gen", "25"], "--seq 1000 + --gen 25 = 1025")


def test_sdpa_called_by_keyword(capsys, specs):
    assert main([f"{specs}/facts.py:attn", "-i", "q=1,2,4,8", "-i", "k=1,2,4,8", "-i", "v=1,2,4,8", "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"]["macs"] == 2 * 4 * 4 * 8 * 2  # scores + values


def test_failed_write_leaves_no_file(tmp_path, capsys, monkeypatch):
    target = tmp_path / "report.json"

    def broken(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    assert main(["nncost:seednet", "-f", "json", "-o", str(target)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert not target.exists() and list(tmp_path.iterdir()) == []  # no empty file, no temporary left behind


def test_output_file_is_written_whole(tmp_path, capsys):
    target = tmp_path / "r.json"
    assert main(["nncost:seednet", "-f", "json", "-o", str(target)]) == 0
    assert json.loads(target.read_text())["total"]["params"] == 251_826


# -- one rule for --depth, and the backward pass in every format ------------------------
def test_every_format_honours_depth(capsys):
    main(["nncost:seednet", "-f", "json", "--depth", "1"])
    d = json.loads(capsys.readouterr().out)
    assert max(layer["depth"] for layer in d["layers"]) == 1 and d["total"]["params"] == 251_826
    main(["nncost:seednet", "-f", "csv", "--depth", "1"])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["path"] for r in rows] == [layer["path"] for layer in d["layers"]]
    main(["nncost:seednet", "-f", "markdown", "--depth", "0"])
    assert capsys.readouterr().out.count("\n| ") == 1 + 1  # header and the root row (the separator starts '|---')


def test_csv_and_markdown_show_the_backward_pass(capsys):
    main(["nncost:seednet", "-f", "json", "--backward"])
    total = json.loads(capsys.readouterr().out)["total"]
    main(["nncost:seednet", "-f", "csv", "--backward"])
    root = next(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert int(root["backward_macs"]) == total["backward_macs"] and int(root["backward_flops"]) == total["backward_flops"]
    assert int(root["train_flops"]) == total["flops"] + total["backward_flops"]
    main(["nncost:seednet", "-f", "markdown", "--backward"])
    md = capsys.readouterr().out
    assert "| backward MACs | backward FLOPs |" in md
    assert f"training step MACs {total['train_macs']:,}" in md


def test_markdown_escapes_names_and_keeps_the_notes(capsys):
    from nncost.render.tabular import to_markdown

    torch_nn = torch.nn

    class Odd(torch_nn.Module):
        def __init__(self):
            super().__init__()
            self.add_module("a|b", torch_nn.Linear(4, 4))

        def forward(self, x):
            return getattr(self, "a|b")(x)

    import nncost

    r = nncost.analyze(Odd(), (2, 4), name="odd|name\nline two")
    r.notes.append("a note | with a pipe")
    md = to_markdown(r)
    assert "a\\|b" in md and "odd\\|name line two" in md
    assert "- a note \\| with a pipe" in md
    assert all(line.count("|") - line.count("\\|") in (0, 7) for line in md.splitlines())  # every table row keeps 7 bars


# -- a fuzz over options and shapes: never a traceback -------------------------------------
OPTIONS = st.lists(st.sampled_from([
    ["--depth", "0"], ["--depth", "2"], ["--depth", "-3"], ["--width", "10"], ["--width", "60"], ["-f", "json"],
    ["-f", "csv"], ["-f", "markdown"], ["-f", "html"], ["--backward"], ["--fold-bn"], ["--train"], ["--flops", "2mac"],
    ["--op-cost", "relu=2"], ["--op-cost", "relu=-1"], ["--op-cost", "nosuch=1"], ["--dtype", "bf16"], ["--dtype", "int3"],
    ["--device", "cpu"], ["--device", "tpu"], ["--strict"], ["--seq", "4"], ["--gen", "x"], ["--batch", "0"],
]), max_size=4)
SHAPES = st.lists(st.integers(-2, 40), min_size=0, max_size=5).map(lambda s: ",".join(map(str, s)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(options=OPTIONS, shape=SHAPES, spec=st.sampled_from(["nncost:seednet", "torch.nn:Identity", "nncost:nothing"]))
def test_cli_fuzz_never_a_traceback(capsys, options, shape, spec):
    args = [spec] + [a for o in options for a in o] + (["-i", shape] if shape else [])
    try:
        rc = main(args)
    except SystemExit as exc:  # argparse's own exit for a bad option
        rc = exc.code
    out, err = capsys.readouterr()
    assert rc in (0, 2), (args, err)
    if rc == 2:
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, (args, err)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layer=st.sampled_from(["nn.Conv2d(3, 8, {a}, stride={b}, padding={c}, dilation={b})",
                              "nn.ConvTranspose2d(3, 8, {a}, stride={b}, padding={c}, output_padding={c})",
                              "nn.MaxPool2d({a}, stride={b}, padding={c})", "nn.AvgPool2d({a}, {b}, {c})",
                              "nn.Flatten({c}, {a})", "nn.Upsample(scale_factor={b})", "nn.Linear({a}, {b})"]),
       a=st.integers(-1, 5), b=st.integers(-1, 4), c=st.integers(-2, 3), shape=SHAPES)
def test_calculator_fuzz_never_a_traceback(capsys, layer, a, b, c, shape):
    args = ["layer", layer.format(a=a, b=b, c=c), "-f", "json"] + (["-i", shape] if shape else [])
    try:
        rc = main(args)
    except SystemExit as exc:
        rc = exc.code
    out, err = capsys.readouterr()
    assert rc in (0, 2), (args, err)
    if rc == 0:
        total = json.loads(out)["total"]
        assert total["macs"] >= 0 and total["flops"] >= 0 and total["params"] >= 0  # never a negative count
    else:
        assert len(err.strip().splitlines()) == 1, (args, err)
