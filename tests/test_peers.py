"""--convention: what torch.utils.flop_counter, torchvision, fvcore and thop report for a model."""

from __future__ import annotations

import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import nncost  # noqa: E402
from nncost.cli import main  # noqa: E402
from nncost.errors import InputError  # noqa: E402
from nncost.peers import apply_convention  # noqa: E402


def small():
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
                         nn.Linear(32, 10), nn.LayerNorm(10)).eval()


CONV = 8 * 3 * 3 * 3 * 14 * 14 * 2  # C_out·C_in·k·k·H_out·W_out·N (16 → 14, no padding), batch 2
BN = 2 * 8 * 14 * 14  # numel of the batch norm's input
POOL_IN, POOL_OUT = BN, 2 * 8 * 2 * 2
LIN = 32 * 10 * 2  # in_features · out numel
LN = 2 * 10


@pytest.fixture(scope="module")
def report():
    return nncost.analyze(small(), (2, 3, 16, 16))


def test_torch_counts_2_macs_of_matmuls_and_convolutions(report):
    assert apply_convention(report, "torch")["value"] == 2 * (CONV + LIN)


def test_torchvision_is_the_macs(report):
    assert apply_convention(report, "torchvision")["value"] == CONV + LIN == report.total.macs


def test_fvcore_rules(report):
    # MACs of conv and linear; eval batch norm with affine 2·numel; adaptive pool the input's numel; layer norm 5·numel
    assert apply_convention(report, "fvcore")["value"] == CONV + LIN + 2 * BN + POOL_IN + 5 * LN


def test_thop_rules(report):
    # conv MACs; norms 2·numel doubled with affine; adaptive pool (kernel 7·7 + 1) per output; Linear in·out numel; ReLU 0
    assert apply_convention(report, "thop")["value"] == CONV + 4 * BN + (7 * 7 + 1) * POOL_OUT + LIN + 4 * LN


@pytest.mark.parametrize("kind, gates", [("LSTM", 4), ("GRU", 3)])
def test_thop_reads_an_rnns_configuration_back(kind, gates):
    rnn = getattr(nn, kind)(16, 32, num_layers=2, bidirectional=True, bias=False)
    r = nncost.analyze(rnn, (7, 3, 16))
    i, h = 16, 32

    def cell(i, h):  # thop's per-step formulas, no bias
        if kind == "LSTM":
            return 4 * ((i + h) * h + h) + 3 * h + h
        state = (h + i) * h + h
        return 2 * state + (h + i) * h + h + h + 3 * h

    per_step = 2 * cell(i, h) + 2 * cell(2 * h, h)  # two directions; layer 2 reads both directions' outputs
    assert apply_convention(r, "thop")["value"] == per_step * 7 * 3  # × steps × batch


def test_unknown_convention_and_non_torch_reports_are_refused(report):
    with pytest.raises(InputError, match="--convention must be one of torch, torchvision, fvcore, thop"):
        apply_convention(report, "ptflops")
    layer = nncost.analyze_layer("nn.Linear(4, 4)", [(1, 4)])
    with pytest.raises(InputError, match="reproduces tools that run PyTorch modules"):
        apply_convention(layer, "fvcore")


def test_cli(golden, capsys):
    assert main(["nncost:seednet", "--convention", "fvcore", "-f", "markdown", "--depth", "1"]) == 0
    golden("seednet_fvcore.md", capsys.readouterr().out)
    p = subprocess.run([sys.executable, "-m", "nncost", "nncost:seednet", "--convention", "deepspeed"],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "--convention must be one of" in p.stderr and "Traceback" not in p.stderr


# -- against the tools themselves (real CPU forward passes: the zoo run) ------------------------
def _models():
    import torchvision
    import transformers as tf

    tf.logging.set_verbosity_error()
    yield "resnet50", torchvision.models.resnet50().eval(), (torch.randn(1, 3, 224, 224),), {}
    yield "vit_b_16", torchvision.models.vit_b_16().eval(), (torch.randn(1, 3, 224, 224),), {}
    yield "bert", tf.BertModel(tf.BertConfig()).eval(), (), {"input_ids": torch.zeros(1, 128, dtype=torch.long)}
    yield "lstm2", nn.LSTM(128, 256, num_layers=2), (torch.randn(100, 1, 128),), {}


@pytest.mark.zoo
def test_each_preset_equals_the_tool_itself():
    pytest.importorskip("torchvision")
    pytest.importorskip("transformers")
    fvcore = pytest.importorskip("fvcore.nn")
    thop = pytest.importorskip("thop")
    from torch.utils.flop_counter import FlopCounterMode

    for name, model, args, kwargs in _models():
        r = nncost.analyze(model, *[tuple(a.shape) for a in args],
                           **{k: v for k, v in kwargs.items()})
        # each tool as its documentation runs it: fvcore and flop_counter with grad enabled, thop (no_grad inside)
        fa = fvcore.FlopCountAnalysis(model, args or (kwargs["input_ids"],))
        fa.unsupported_ops_warnings(False)
        fa.uncalled_modules_warnings(False)
        with FlopCounterMode(display=False) as fc:
            model(*args, **kwargs)
        thop_macs, _ = thop.profile(model, inputs=args or (kwargs["input_ids"],), verbose=False)
        assert apply_convention(r, "fvcore")["value"] == fa.total(), name
        assert apply_convention(r, "torch")["value"] == fc.get_total_flops(), name
        assert apply_convention(r, "thop")["value"] == int(thop_macs), name


@pytest.mark.zoo
def test_torchvision_preset_is_the_published_ops():
    tv = pytest.importorskip("torchvision")
    for name, weights in (("resnet50", "ResNet50_Weights"), ("vit_b_16", "ViT_B_16_Weights")):
        published = getattr(tv.models, weights).IMAGENET1K_V1.meta["_ops"]  # GMACs, named GFLOPS
        r = nncost.analyze(f"torchvision:{name}")
        assert round(apply_convention(r, "torchvision")["value"] / 1e9, 3) == published
