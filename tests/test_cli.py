"""The command line: outputs (golden files), formats, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nncost.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nncost", *args], capture_output=True, text=True)


def test_layer_table_golden(golden, capsys):
    assert main(["layer", "nn.Conv2d(3, 64, kernel_size=3, padding=1)", "--input-shape", "1,3,224,224"]) == 0
    golden("layer_conv2d.txt", capsys.readouterr().out)


def test_layer_explain_golden(golden, capsys):
    assert main(["layer", "nn.LSTM(128, 64)", "-i", "100,1,128", "--explain"]) == 0
    golden("layer_lstm_explain.txt", capsys.readouterr().out)
    assert main(["layer", "nn.LSTM(128, 64)", "-i", "100,1,128", "--explain", "--rnn-bias", "single"]) == 0
    out = capsys.readouterr().out
    assert "params = [(D + R)·H + 1·H]·G = [(128 + 64)·64 + 1·64]·4 = 49,408" in out  # the seed's number


def test_layer_seed_explain_line(capsys):
    main(["layer", "nn.Conv2d(3, 64, kernel_size=3, padding=1)", "-i", "1,3,224,224", "--explain"])
    assert "params = (k_w·k_h·C_in + 1)·C_out = (3·3·3 + 1)·64 = 1,792" in capsys.readouterr().out


def test_layer_json_schema(capsys):
    assert main(["layer", "nn.Linear(300, 100)", "-i", "1,300", "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["schema"] == 1 and d["frontend"] == "layer"
    assert d["total"]["params"] == 30_100 and d["total"]["macs"] == 30_000 and d["total"]["flops"] == 60_000
    assert d["layers"][0]["output_shapes"] == [[1, 100]]
    assert d["conventions"]["flops"] == "seed"
    assert {"schema", "model", "frontend", "conventions", "inputs", "total", "unsupported", "layers"} <= set(d)


def test_layer_2mac_and_op_cost(capsys):
    main(["layer", "nn.Tanh()", "-i", "10", "--format", "json", "--op-cost", "tanh=8"])
    assert json.loads(capsys.readouterr().out)["total"]["flops"] == 10 * 8  # the seed's "eight"
    main(["layer", "nn.Linear(300, 100)", "-i", "1,300", "--format", "json", "--flops", "2mac"])
    assert json.loads(capsys.readouterr().out)["total"]["flops"] == 2 * 30_000


def test_layer_list(capsys):
    assert main(["layer", "--list"]) == 0
    assert "Conv2d" in capsys.readouterr().out.split()


def test_layer_output_file(tmp_path):
    out = tmp_path / "r.csv"
    assert main(["layer", "nn.ReLU()", "-i", "4,5", "-f", "csv", "-o", str(out)]) == 0
    rows = out.read_text().splitlines()
    assert rows[0].startswith("path,type,depth,params") and rows[1].split(",")[8] == str(4 * 5)  # flops column


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["layer", "nn.Conv3x(3)", "-i", "1,2"], "unknown layer 'Conv3x'"),
        (["layer", "nn.Conv2d(3,", "-i", "1,2"], "malformed layer expression"),
        (["layer", "nn.Linear(3, 4)"], "needs an input shape"),
        (["layer", "nn.Linear(3, 4)", "-i", "2,5"], "last input dim to be 3"),
        (["layer", "nn.Linear(3, 4)", "-i", "2,a"], "expected a shape such as 1,3,224,224"),
        (["layer", "nn.Linear(3, 4)", "-i", "2,3", "--op-cost", "tanhh=3"], "unknown op-cost entry"),
        (["layer", "nn.Linear(3, 4)", "-i", "2,3", "--flops", "3mac"], "invalid choice"),
        (["nosuch:thing"], "cannot import module 'nosuch'"),
        (["torchvision:resnet5"], "torchvision has no model 'resnet5'"),
        (["weights.pt"], "no such file"),
        (["model.onnx"], "model.onnx: no such file"),
        (["nncost:seednet", "-i", "1,4,224,224"], "SeedNet failed to run on meta in module 'stem.0'"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, message):
    if args[0].startswith("torchvision"):
        pytest.importorskip("torchvision")
    if not args[0] == "layer":
        pytest.importorskip("torch")
    r = run(*args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert message in lines[0] and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_pickle_needs_trust(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "m.pt"
    torch.save(torch.nn.Linear(3, 2), path)
    r = run(str(path), "-i", "1,3")
    assert r.returncode == 2 and "--trust-pickle" in r.stderr
    r = run(str(path), "-i", "1,3", "--trust-pickle", "-f", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["total"]["macs"] == 3 * 2


def test_default_model_golden(golden, capsys):
    pytest.importorskip("torch")
    assert main([]) == 0  # the quick start: nncost with no arguments
    golden("seednet.txt", capsys.readouterr().out)


def test_model_formats_and_depth(capsys):
    pytest.importorskip("torch")
    main(["nncost:seednet", "-f", "json", "--backward"])
    d = json.loads(capsys.readouterr().out)
    assert d["total"]["backward_flops"] > 0 and d["conventions"]["backward"] is True
    assert d["layers"][0]["path"] == "" and d["layers"][1]["path"] == "stem"
    main(["nncost:seednet", "-f", "markdown", "--depth", "1"])
    md = capsys.readouterr().out
    assert "| module | type |" in md and "stem.0" not in md
    main(["nncost:seednet", "--fold-bn", "-f", "json"])
    assert json.loads(capsys.readouterr().out)["total"]["buffers"] == 0


def test_file_factory_spec(tmp_path, capsys):
    pytest.importorskip("torch")
    f = tmp_path / "net.py"
    f.write_text("import torch\ndef build():\n    return torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU())\n")
    assert main([f"{f}:build", "-i", "2,8", "-f", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["total"]["macs"] == 2 * 8 * 4 and d["total"]["flops"] == 2 * 4 * (2 * 8) + 2 * 4  # linear + relu


def test_torchvision_spec_default_input(capsys):
    pytest.importorskip("torchvision")
    assert main(["torchvision:resnet18", "-f", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["inputs"][0]["shape"] == [1, 3, 224, 224] and d["total"]["params"] == 11_689_512


def test_package_module_factory_and_device_cpu(capsys):
    pytest.importorskip("torch")
    assert main(["nncost.frontends.torch.zoo:SeedNet", "-i", "1,3,224,224", "-f", "json", "--device", "cpu"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["conventions"]["device"] == "cpu"
    assert d["layers"][0]["type"] == "SeedNet" and d["total"]["params"] == 251_826
    assert main(["nncost:seednet", "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == d["total"]  # meta and CPU agree


def test_timm_spec(capsys):
    pytest.importorskip("timm")
    assert main(["timm:resnet18", "-f", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["inputs"][0]["shape"] == [1, 3, 224, 224]
    assert d["total"]["params"] == 11_689_512 and round(d["total"]["macs"] / 1e9, 3) == 1.814  # as torchvision's resnet18


@pytest.mark.parametrize(("fmt", "extra", "name"), [
    ("json", [], "seednet.json"), ("csv", [], "seednet.csv"), ("markdown", [], "seednet.md"),
    ("csv", ["--backward"], "seednet_backward.csv"), ("markdown", ["--backward", "--depth", "1"], "seednet_backward.md"),
    # the time view on a catalogue device: every format
    ("table", ["--hardware", "h100-sxm", "--backward", "--width", "160"], "seednet_h100.txt"),
    ("json", ["--hardware", "h100-sxm", "--depth", "1"], "seednet_h100.json"),
    ("csv", ["--hardware", "h100-sxm", "--depth", "1"], "seednet_h100.csv"),
    ("markdown", ["--hardware", "h100-sxm", "--depth", "1"], "seednet_h100.md"),
])
def test_model_format_goldens(golden, capsys, fmt, extra, name):
    pytest.importorskip("torch")
    assert main(["nncost:seednet", "-f", fmt, *extra]) == 0
    golden(name, capsys.readouterr().out)
