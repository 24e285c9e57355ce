"""--convention: what torch.utils.flop_counter, torchvision, fvcore, thop, ptflops and DeepSpeed report for a model."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

import nncost  # noqa: E402
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
    with pytest.raises(InputError, match="--convention must be one of torch, torchvision, fvcore, thop, ptflops, deepspeed"):
        apply_convention(report, "calflops")
    layer = nncost.analyze_layer("nn.Linear(4, 4)", [(1, 4)])
    with pytest.raises(InputError, match="reproduces tools that run PyTorch modules"):
        apply_convention(layer, "fvcore")


# -- ptflops and DeepSpeed count by how the code spells an op --------------------------------------
class Spelled(nn.Module):
    """The same arithmetic spelled the ways those tools tell apart."""

    def __init__(self):
        super().__init__()
        self.conv, self.bn, self.relu = nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU()
        self.ln, self.fc = nn.LayerNorm(8), nn.Linear(8, 6)

    def forward(self, x):  # x [2, 3, 8, 8]
        y = self.relu(self.bn(self.conv(x)))  # [2, 4, 8, 8]: 512 elements
        y = torch.add(y, y) + y  # torch.add is patched by both tools, `+` by neither
        y = y.mul(2.0)  # Tensor.mul with a number
        z = F.gelu(self.ln(y))
        w = self.fc(z)  # [2, 4, 8, 6]
        s = torch.matmul(w, w.transpose(-1, -2))  # [2, 4, 8, 8]
        s = s @ s  # Tensor.__matmul__: DeepSpeed patches it, ptflops does not
        s = F.softmax(s, dim=-1)
        return F.interpolate(s, scale_factor=2)  # [2, 4, 16, 16]


N = 2 * 4 * 8 * 8  # elements of every [2, 4, 8, 8] activation


@pytest.fixture(scope="module")
def spelled():
    return Spelled().eval()


def test_ptflops_rules(spelled):
    r = nncost.analyze(spelled, (2, 3, 8, 8), convention="ptflops")
    modules = (2 * 4 * 8 * 8 * 3 * 3 * 3 + N  # conv: N·C_out·H·W·C_in·k·k MACs + one bias add per output
               + 2 * N  # BatchNorm2d with affine: 2·numel
               + N  # nn.ReLU's hook: output numel
               + N  # LayerNorm: 1·numel (ptflops looks for `affine`, which LayerNorm does not have)
               + (8 * 6 + 6) * 2 * 4 * 8)  # Linear: (in·out + bias) per row
    functional = (N  # F.relu, which nn.ReLU calls: counted a second time
                  + N + N  # torch.add (same shapes), Tensor.mul by a number: numel each; `+` is not seen
                  + N  # F.gelu
                  + (2 * 4 * 8 * 6) * 8  # torch.matmul: numel(a) · b's last dim; `@` is not seen
                  + N  # F.softmax
                  + N * 2 ** 2)  # F.interpolate, scale 2 in two spatial dims: the output's numel
    assert r.extra["convention"]["value"] == modules // 2 + functional  # module hooks are divided by the batch, 2


def test_deepspeed_rules(spelled):
    r = nncost.analyze(spelled, (2, 3, 8, 8), convention="deepspeed")
    conv = 3 * 3 * 3 * 4 * 2 * 8 * 8  # k·k·C_in·C_out·N·H·W MACs
    lin, mm, at = N * 6, (2 * 4 * 8 * 6) * 8, N * 8  # F.linear numel(x)·out; torch.matmul; `s @ s`
    flops = (2 * conv + 4 * 2 * 8 * 8  # F.conv2d: 2·MACs + the bias per output
             + 2 * N  # F.batch_norm in eval with a weight: 2·numel
             + N + N + N  # F.relu, torch.add, Tensor.mul: numel; `+` is not seen
             + 5 * N  # F.layer_norm with a weight: 5·numel (its estimate)
             + N  # F.gelu
             + 2 * lin + 2 * mm + 2 * at  # F.linear, torch.matmul, Tensor.__matmul__: 2·MACs
             + N  # F.softmax
             + N * 2 ** 2)  # F.interpolate: the output's numel
    c = r.extra["convention"]
    assert (c["value"], c["macs"]) == (flops, conv + lin + mm + at)


def test_the_call_log_leaves_torch_as_it_was(spelled):
    before = (F.relu, F.linear, torch.add, torch.Tensor.__matmul__, F.multi_head_attention_forward)
    nncost.analyze(spelled, (2, 3, 8, 8), convention="deepspeed")
    nncost.analyze(nn.MultiheadAttention(8, 2), (5, 1, 8), (5, 1, 8), (5, 1, 8), convention="ptflops")
    assert (F.relu, F.linear, torch.add, torch.Tensor.__matmul__, F.multi_head_attention_forward) == before
    assert "add" not in torch.Tensor.__dict__ and "mul" not in torch.Tensor.__dict__  # inherited again, not shadowed


def test_ptflops_attention_hook_and_rnn_cells():
    mha = nn.MultiheadAttention(8, 2)
    r = nncost.analyze(mha, (5, 1, 8), (5, 1, 8), (5, 1, 8), convention="ptflops")
    L, E, H = 5, 8, 2
    hook = (L * E  # scaling q
            + 3 * L * E * E + 3 * L * E  # q, k, v projections and their bias
            + H * (L * L * (E // H) + L * L + L * L * (E // H))  # per head: q·kᵀ, softmax, ·v
            + L * E * (E + 1))  # output projection with its bias
    weights = 2 * L * (E // H) * L + H * L * L + 2 * L * L * (E // H)  # need_weights: torch.bmm, F.softmax, torch.bmm
    # module hooks are divided by its batch counter, len(input[0]): 5 for a sequence-first input
    assert r.extra["convention"]["value"] == hook // L + weights
    cell = nn.LSTMCell(4, 6)
    r = nncost.analyze(cell, (3, 4), convention="deepspeed")
    h = 6
    per = (2 * 4 * h * 4 - 4 * h) + (2 * 4 * h * h - 4 * h) + 10 * h + 2 * 4 * h  # 2·numel − gates·h per weight; extras; biases
    assert r.extra["convention"]["value"] == per * 3  # × batch


def test_ptflops_needs_the_call_log(report):
    with pytest.raises(InputError, match=r"convention='ptflops'"):
        apply_convention(report, "ptflops")


def test_ptflops_equals_the_tool_on_the_spelled_model(spelled):
    ptflops = pytest.importorskip("ptflops")
    import io

    x = torch.randn(2, 3, 8, 8)
    macs, _ = ptflops.get_model_complexity_info(spelled, (3, 8, 8), input_constructor=lambda _: x, as_strings=False,
                                                print_per_layer_stat=False, ost=io.StringIO())
    assert nncost.analyze(spelled, (2, 3, 8, 8), convention="ptflops").extra["convention"]["value"] == macs


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


class More(nn.Module):
    """Rules beyond the spelled model: transposed conv, group norm, pools, nn.Upsample, F.interpolate
    with size=, einsum, a bidirectional GRU, a GRU cell."""

    def __init__(self):
        super().__init__()
        self.up, self.gn, self.pool = nn.ConvTranspose2d(4, 3, 2, stride=2), nn.GroupNorm(1, 3), nn.MaxPool2d(2)
        self.gru, self.cell = nn.GRU(12, 5, batch_first=True, bidirectional=True), nn.GRUCell(10, 7)
        self.act, self.us = nn.GELU(), nn.Upsample(scale_factor=2)

    def forward(self, x):  # [2, 4, 4, 4]
        y = self.us(self.pool(self.gn(self.up(x))))  # [2, 3, 8, 8]
        y = torch.einsum("bchw,bcgw->bhg", F.interpolate(y, size=(6, 6)), y[..., :6, :6])  # [2, 6, 6]
        out, _ = self.gru(F.silu(torch.cat([y, y], -1)))  # [2, 6, 10]
        return self.act(self.cell(out[:, -1])).mul(out[:, :1, :7].sum(1))


@pytest.mark.zoo
def test_ptflops_and_deepspeed_presets_equal_the_tools_themselves():
    pytest.importorskip("torchvision")
    pytest.importorskip("transformers")
    ptflops = pytest.importorskip("ptflops")
    profiler = pytest.importorskip("deepspeed.profiling.flops_profiler")
    import io

    models = [*_models(), ("spelled", Spelled().eval(), (torch.randn(2, 3, 8, 8),), {}),
              ("more", More().eval(), (torch.randn(2, 4, 4, 4),), {})]
    for name, model, args, kwargs in models:
        shapes = [tuple(a.shape) for a in args]
        # ptflops: its default (pytorch) backend, the inputs given through input_constructor
        macs, _ = ptflops.get_model_complexity_info(
            model, (1,), input_constructor=(lambda _, a=args, k=kwargs: dict(k) if k else a[0]),
            as_strings=False, print_per_layer_stat=False, ost=io.StringIO())
        flops, ds_macs, _ = profiler.get_model_profile(model, args=list(args), kwargs=dict(kwargs), print_profile=False,
                                                       as_string=False)
        p = nncost.analyze(model, *shapes, **kwargs, convention="ptflops").extra["convention"]
        d = nncost.analyze(model, *shapes, **kwargs, convention="deepspeed").extra["convention"]
        assert p["value"] == macs, name
        assert (d["value"], d["macs"]) == (flops, ds_macs), name


@pytest.mark.zoo
def test_torchvision_preset_is_the_published_ops():
    tv = pytest.importorskip("torchvision")
    for name, weights in (("resnet50", "ResNet50_Weights"), ("vit_b_16", "ViT_B_16_Weights")):
        published = getattr(tv.models, weights).IMAGENET1K_V1.meta["_ops"]  # GMACs, named GFLOPS
        r = nncost.analyze(f"torchvision:{name}")
        assert round(apply_convention(r, "torchvision")["value"] / 1e9, 3) == published


def test_broadcast_add_is_lined_up_from_the_left_by_ptflops_and_from_the_right_by_deepspeed():
    class AddBias(nn.Module):
        def __init__(self):
            super().__init__()
            self.bias = nn.Parameter(torch.zeros(4))

        def forward(self, x):  # x [2, 3, 4]
            return torch.add(x, self.bias)

    p = nncost.analyze(AddBias(), (2, 3, 4), convention="ptflops").extra["convention"]["value"]
    d = nncost.analyze(AddBias(), (2, 3, 4), convention="deepspeed").extra["convention"]["value"]
    assert p == 4 * 3 * 4  # ptflops pairs [2, 3, 4] with [4, 1, 1]: max per dim → [4, 3, 4]
    assert d == 2 * 3 * 4  # PyTorch's broadcast: [2, 3, 4]


def test_ptflops_reads_a_shared_convs_bias_from_its_calls():
    """A conv called at two sizes (a shared head over two scales): its bias is read from the F.conv2d
    calls it made, not guessed from its MACs per position, which differ between the calls."""
    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)

        def forward(self, x):  # x [2, 3, 8, 8]
            return self.conv(x).sum() + self.conv(F.avg_pool2d(x, 2)).sum()

    r = nncost.analyze(Shared(), (2, 3, 8, 8), convention="ptflops")
    conv = 2 * 4 * 3 * 3 * 3 * (8 * 8 + 4 * 4)  # N·C_out·C_in·k·k over both calls' output positions, no bias
    assert r.extra["convention"]["value"] == conv // 2 + 2 * 3 * 8 * 8  # hooks ÷ batch 2; F.avg_pool2d: input numel
