"""nncost sweep: globs and spec files, shards, worker processes that survive crashes and
hangs, rows streamed in three formats, and --resume."""

from __future__ import annotations

import csv
import io
import json
import textwrap

import pytest

pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")

from nncost import sweep as sw  # noqa: E402
from nncost.cli import main  # noqa: E402
from nncost.errors import InputError  # noqa: E402

MODELS = textwrap.dedent('''
    import os, signal, time
    import torch
    from torch import nn

    def linear():
        return nn.Sequential(nn.Flatten(), nn.Linear(300, 100))

    class Svd(nn.Module):
        def forward(self, x):
            return torch.linalg.svd(x)[0]

    def svd():
        return Svd()

    def broken():
        raise RuntimeError("the constructor fails")

    def crash():
        os.kill(os.getpid(), signal.SIGKILL)

    def hang():
        time.sleep(600)

    def chatty():
        print("a model that prints")
        return linear()
''')

LINEAR_MACS = 300 * 100  # I·O
LINEAR_FLOPS = 2 * 300 * 100  # the seed's FC: I products, I-1 adds and the bias add per output


@pytest.fixture
def models(tmp_path, monkeypatch):
    (tmp_path / "models.py").write_text(MODELS)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- which models ---------------------------------------------------------------------------

def test_expand_globs_over_zoos_files_and_spec_files(tmp_path):
    assert sw.expand(["torchvision:resnet1*"]) == ["torchvision:resnet101", "torchvision:resnet152", "torchvision:resnet18"]
    assert sw.expand(["nncost:*"]) == ["nncost:seednet"]
    assert len(sw.expand(["torchvision:*"])) == len(torchvision.models.list_models())
    for name in ("b.onnx", "a.onnx", "c.txt"):
        (tmp_path / name).write_bytes(b"")
    assert sw.expand([str(tmp_path / "*.onnx")]) == [str(tmp_path / "a.onnx"), str(tmp_path / "b.onnx")]
    (tmp_path / "inner.txt").write_text("torchvision:vgg11\n")
    (tmp_path / "specs.txt").write_text(
        "# my models\n"
        "torchvision:resnet18   # the baseline\n"
        "\n"
        "torchvision:alexnet\n"
        "torchvision:resnet1*\n"  # resnet18 again: once
        f"@{tmp_path / 'inner.txt'}\n"
    )
    assert sw.expand([f"@{tmp_path / 'specs.txt'}", "torchvision:alexnet"]) == [
        "torchvision:resnet18", "torchvision:alexnet", "torchvision:resnet101", "torchvision:resnet152", "torchvision:vgg11"]


def test_expand_errors_are_one_line(tmp_path):
    with pytest.raises(InputError, match=r"'torchvision:nosuch\*' matches no models \(the torchvision zoo has \d+\)"):
        sw.expand(["torchvision:nosuch*"])
    with pytest.raises(InputError, match="cannot read the spec file"):
        sw.expand([f"@{tmp_path / 'missing.txt'}"])
    with pytest.raises(InputError, match="matches no models"):
        sw.expand([str(tmp_path / "*.onnx")])


def test_shards_are_strided_disjoint_and_complete():
    specs = [f"m{i}" for i in range(10)]
    assert sw.shard(specs, "0/3") == ["m0", "m3", "m6", "m9"]
    assert sw.shard(specs, "2/3") == ["m2", "m5", "m8"]
    parts = [sw.shard(specs, f"{i}/4") for i in range(4)]
    assert sorted(s for p in parts for s in p) == sorted(specs)  # every model in exactly one shard
    assert sw.shard(specs, None) == specs
    for bad in ("3/3", "1", "a/b", "-1/3", "1/0"):
        with pytest.raises(InputError, match="expected --shard I/N with 0 <= I < N"):
            sw.shard(specs, bad)


# --- rows ----------------------------------------------------------------------------------

ROWS = [
    {"spec": "a|b", "status": "ok", "params": 30100, "macs": LINEAR_MACS, "flops": LINEAR_FLOPS, "input": "1x300", "seconds": 0.5},
    {"spec": "c", "status": "error", "error": "ShapeError: no input", "seconds": 0.1},
]


@pytest.mark.parametrize("fmt", sw.FORMATS)
def test_rows_stream_and_resume_reads_them_back(tmp_path, fmt):
    path = tmp_path / f"out.{fmt}"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        write = sw.RowWriter(fh, fmt, sw.COLUMNS)
        for row in ROWS:
            write(row)
    text = path.read_text()
    if fmt == "csv":
        got = list(csv.DictReader(io.StringIO(text)))
        assert got[0]["macs"] == str(LINEAR_MACS) and got[1]["error"] == "ShapeError: no input" and got[1]["macs"] == ""
    elif fmt == "json":
        got = [json.loads(line) for line in text.splitlines()]
        assert got[0]["flops"] == LINEAR_FLOPS and got[1]["macs"] is None  # JSON Lines: one object per model
    else:
        assert text.splitlines()[0] == "| " + " | ".join(sw.COLUMNS) + " |"
        assert "| a\\|b | ok | 30100 |" in text  # a pipe in a cell is escaped
    assert sw.done_specs(str(path), fmt, sw.COLUMNS) == ["a|b", "c"]
    path.write_text(text + text.splitlines()[-1][:7])  # a row cut off by a kill mid-write
    assert sw.done_specs(str(path), fmt, sw.COLUMNS) == ["a|b", "c"]
    assert path.read_text() == text  # the partial row is gone; its model runs again
    if fmt != "json":
        with pytest.raises(InputError, match="not those of this sweep"):
            sw.done_specs(str(path), fmt, (*sw.COLUMNS, "backward_macs"))
    assert sw.done_specs(str(tmp_path / "new.csv"), fmt, sw.COLUMNS) == []


# --- the sweep, end to end -------------------------------------------------------------------

def _csv(path):
    return {r["spec"]: r for r in csv.DictReader(open(path, encoding="utf-8"))}


def test_one_model_crashing_or_hanging_is_a_row_not_the_end(models, capsys):
    specs = ["models.py:linear", "models.py:svd", "models.py:broken", "models.py:crash", "models.py:hang", "models.py:chatty"]
    rc = main(["sweep", *specs, "-i", "1,300", "-j", "2", "--timeout", "8", "-o", "out.csv", "--progress", "off"])
    assert rc == 0
    rows = _csv(models / "out.csv")
    assert list(rows) != [] and sorted(rows) == sorted(specs)
    ok = rows["models.py:linear"]
    assert (ok["status"], int(ok["params"]), int(ok["macs"]), int(ok["flops"]), ok["input"]) == (
        "ok", 300 * 100 + 100, LINEAR_MACS, LINEAR_FLOPS, "1x300")  # params (I + 1)·O
    # memory: the fp32 weights, and the inference peak: weights + the [1, 300] input + the [1, 100] output
    assert int(ok["weights"]) == 4 * (300 * 100 + 100)
    assert int(ok["inference_peak"]) == 4 * (300 * 100 + 100) + 4 * 300 + 4 * 100
    assert rows["models.py:chatty"]["macs"] == str(LINEAR_MACS)  # its print went nowhere near the rows
    assert (rows["models.py:svd"]["status"], rows["models.py:svd"]["unsupported"]) == ("unsupported", "_linalg_svd")
    assert rows["models.py:broken"]["status"] == "error"
    assert "calling broken() failed: RuntimeError: the constructor fails" in rows["models.py:broken"]["error"]
    assert rows["models.py:crash"]["status"] == "error"
    assert rows["models.py:crash"]["error"].startswith("the worker process died from SIGKILL")
    assert rows["models.py:hang"]["status"] == "timeout" and 8 <= float(rows["models.py:hang"]["seconds"]) < 60
    err = capsys.readouterr().err
    assert "swept 6 of 6 models" in err and "2 ok, 1 unsupported, 2 error, 1 timeout" in err


def test_resume_runs_only_what_is_missing(models, capsys):
    out = models / "out.json"
    base = ["sweep", "models.py:linear", "models.py:chatty", "nncost:seednet", "-i", "1,300", "-j", "1", "-f", "json",
            "-o", str(out), "--progress", "off"]
    assert main(base[:3] + base[4:]) == 0  # seednet left out
    first = out.read_text().splitlines()
    assert [json.loads(r)["spec"] for r in first] == ["models.py:linear", "models.py:chatty"]
    out.write_text(first[0] + "\n" + first[1][:20])  # killed while writing the second row
    capsys.readouterr()
    assert main([*base, "--resume"]) == 0
    rows = [json.loads(r) for r in out.read_text().splitlines()]
    assert sorted(r["spec"] for r in rows) == ["models.py:chatty", "models.py:linear", "nncost:seednet"]  # each once
    assert rows[0] == json.loads(first[0])  # what was there stays
    assert "1 already in the output" in capsys.readouterr().err


def test_sweep_cli_input_errors_exit_2(models, capsys):
    assert main(["sweep", "models.py:linear", "--resume"]) == 2
    assert "--resume needs --output FILE" in capsys.readouterr().err
    assert main(["sweep", "torchvision:nosuch*"]) == 2
    assert "matches no models" in capsys.readouterr().err
    assert main(["sweep", "nncost:seednet", "--shard", "4/4"]) == 2
    assert main(["sweep", "nncost:seednet", "--timeout", "soon"]) == 2
    assert "expected seconds" in capsys.readouterr().err
    assert main(["sweep", "torchvision:resnet1*", "--shard", "1/2", "--list"]) == 0
    assert capsys.readouterr().out.split() == ["torchvision:resnet152"]


def raises(spec, options):
    """A sweep worker that fails as a model's own code can (any exception, not nncost's)."""
    raise ValueError(f"no {spec} here")


def test_any_exception_in_a_worker_is_a_row_named_once():
    rows = []
    result = sw.sweep(["m1", "m2"], rows.append, jobs=1, work=raises)
    assert result.statuses["error"] == 2
    assert sorted(r["error"] for r in rows) == ["ValueError: no m1 here", "ValueError: no m2 here"]  # the type once, the message
