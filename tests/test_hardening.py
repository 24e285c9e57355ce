"""Wrong numbers and changed state found by adversarial use, each with its right number.

Every case here once gave a wrong count, changed the user's model or RNG, or depended on
the device. The numbers are written out as arithmetic with the reason.
"""

from __future__ import annotations

import dataclasses
import warnings

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import nncost  # noqa: E402
from nncost import formulas as fm  # noqa: E402
from nncost.errors import InputError  # noqa: E402

DEVICES = ("meta", "cpu")


# -- 1. fold-BN only folds a BatchNorm that reads a conv's output directly ----------------
@pytest.mark.parametrize("relus", [1, 2, 3])
@pytest.mark.parametrize("device", DEVICES)
def test_fold_bn_never_folds_across_activations(relus, device):
    m = nn.Sequential(nn.Conv2d(3, 8, 3), *[nn.ReLU() for _ in range(relus)], nn.BatchNorm2d(8))
    r = nncost.analyze(m, (2, 3, 8, 8), fold_bn=True, device=device)
    conv = 2 * 8 * 6 * 6 * (2 * 27 - 1 + 1)  # N·C_out·H·W·(2·C_in·k·k − 1 + bias) = 31,104
    relu = 2 * 8 * 6 * 6  # one comparison per element = 576 each
    bn = 2 * 8 * 6 * 6 * 4 + 2 * 8  # eval BN: − μ, ÷ σ, ·γ, +β per element; var + ε, sqrt per channel
    assert r.total.flops == conv + relus * relu + bn
    assert "0 BatchNorm layers folded" in r.notes[0]
    assert conv + 2 * relu + bn == 31_104 + 2 * 576 + 2_320  # the number for two ReLUs


@pytest.mark.parametrize("device", DEVICES)
def test_fold_bn_folds_a_bn_right_after_a_conv(device):
    m = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())
    r = nncost.analyze(m, (2, 3, 8, 8), fold_bn=True, device=device)
    assert "1 BatchNorm layer folded" in r.notes[0]
    assert r.layer("1").flops == 0 and r.layer("0").params.total == 8 * 27 + 8  # the folded bias joins the conv


# -- 2. nothing the user gave changes ---------------------------------------------------
class Counter_(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("cnt", torch.zeros(()))
        self.bn = nn.BatchNorm2d(3)

    def forward(self, x):
        self.cnt.add_(1)
        return self.bn(x)


@pytest.mark.parametrize("device", DEVICES)
def test_real_device_runs_write_only_to_copies(device):
    m = Counter_()
    x = torch.randn(2, 3, 4, 4)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    x_before = x.clone()
    nncost.analyze(m, x, device=device, train=True, backward=True)
    for k, v in m.state_dict().items():
        assert torch.equal(v, before[k]), k  # running_mean, num_batches_tracked 0, cnt 0
    assert torch.equal(x, x_before) and m.cnt.item() == 0 and m.bn.num_batches_tracked.item() == 0


# -- 3. integer inputs: the same count and dtype on meta and CPU --------------------------
class IntMath(nn.Module):
    def forward(self, x):
        return torch.sigmoid(x / 2) + torch.sqrt(x) + torch.exp(x)


def test_int_to_float_ops_agree_on_meta_and_cpu():
    x = torch.arange(32).reshape(4, 8)
    # x / 2 (32 divides), sigmoid (4 each), sqrt (1), exp (1), two adds (1 each): all 32 elements
    want = 32 * (1 + 4 + 1 + 1 + 2)
    for device in DEVICES:
        r = nncost.analyze(IntMath(), x, device=device)
        assert r.total.flops == want == 288, device


def test_meta_output_dtype_follows_promotion():
    from nncost.frontends.torch.capture import run_capture

    x = torch.empty(4, 8, dtype=torch.long, device="meta")
    cap = run_capture(IntMath(), lambda: IntMath()(x), {}, backward=False, fast=True)
    assert cap.output.dtype == torch.float32  # int / int is a float, as on the CPU


def test_masked_fill_with_a_cpu_scalar_value_runs_on_meta_as_on_cuda():
    """CUDA takes a 0-d CPU tensor as masked_fill's value (SEW-D fills with torch.tensor(min)); the
    meta kernel refused it, so the capture moves that scalar to meta: the same count on both."""

    class Fill(torch.nn.Module):
        def forward(self, x):
            return x.masked_fill(x > 0, torch.tensor(torch.finfo(x.dtype).min))

    for device in DEVICES:
        r = nncost.analyze(Fill(), (4, 8), device=device)
        assert r.total.flops == 32, device  # a comparison per element; the fill moves data (docs/torch.md)


def test_an_attention_mask_given_as_a_shape_is_all_ones_on_a_real_device():
    """A mask built from a shape marks every position real (an unpadded input), so a model that
    reads lengths from it counts its whole input; ids stay zeros."""

    class Lengths(torch.nn.Module):
        def forward(self, x, attention_mask, input_ids):
            n = int(attention_mask.sum()) + int(input_ids.sum())  # 8 real positions, ids of 0
            return x[:, :n] * 2

    r = nncost.analyze(Lengths(), x=(1, 8, 4), attention_mask=(1, 8), input_ids=(1, 8), device="cpu")
    assert r.total.flops == 7 + 7 + 8 * 4  # two sums of 8 (7 adds each; Python adds the ints), 8 · 4 multiplies


# -- 4. transposed and strided convolutions never go negative -----------------------------
def test_conv_transpose_stride_over_kernel_in_the_frontend():
    for bias, want in ((False, 4), (True, 4 + 16)):  # 4 products, no sums; bias adds on all 16 outputs
        m = nn.ConvTranspose2d(1, 1, 1, stride=3, bias=bias)
        for device in DEVICES:
            assert nncost.analyze(m, (1, 1, 2, 2), device=device).total.flops == want
        assert nncost.analyze_layer(f"nn.ConvTranspose2d(1,1,1,stride=3,bias={bias})", (1, 1, 2, 2)).total.flops == want


def test_conv_backward_stride_over_kernel_in_the_frontend():
    m = nn.Conv2d(1, 1, 1, stride=3, bias=False)
    x = torch.randn(1, 1, 6, 6, requires_grad=True)
    r = nncost.analyze(m, x, backward=True)
    # grad_input: 4 products on 4 of 36 inputs (4); grad_weight: 4 products summed into 1 (4 + 3)
    assert r.total.backward_flops == 4 + (4 + 3) == 11


def test_resnet18_downsample_backward():
    tv = pytest.importorskip("torchvision")
    r = nncost.analyze(tv.models.resnet18(), torch.randn(1, 3, 224, 224, requires_grad=True), backward=True)
    macs = 128 * 28 * 28 * 64  # 1×1 conv, 64 -> 128, 56×56 -> 28×28
    # grad_input touches only the 64·28·28 = 50,176 inputs a stride-2 1×1 window reads
    assert r.layer("layer2.0.downsample.0").backward_flops == (2 * macs - 64 * 28 * 28) + (2 * macs - 128 * 64) == 25_631_744


# -- 5. logsumexp: one formula, equal to its decomposition ------------------------------
class Lse(nn.Module):
    def forward(self, x):
        return torch.logsumexp(x, 1)


class LseByHand(nn.Module):
    def forward(self, x):
        m = x.amax(1, keepdim=True)
        return (x - m).exp().sum(1).log() + m.squeeze(1)


@pytest.mark.parametrize("device", DEVICES)
def test_logsumexp_equals_its_decomposition(device):
    want = 4 * (7 + 8 + 8 + 7 + 1 + 1)  # per row of 8: max 7, subtract 8, exp 8, sum 7, log 1, add 1
    assert nncost.analyze(Lse(), (4, 8), device=device).total.flops == want == 128
    assert nncost.analyze(LseByHand(), (4, 8), device=device).total.flops == want
    assert fm.logsumexp(32, 8).flops == want


# -- 6. causal attention's useful part: PyTorch's top-left alignment ---------------------
def test_causal_useful_part_is_top_left():
    # q of 4, k of 6, 2 heads of 8: query i sees keys 0..i -> 1 + 2 + 3 + 4 = 10 pairs per head
    assert fm.sdpa_causal_useful_macs((2, 4, 8), (2, 6, 8), (2, 6, 8)) == 2 * 10 * (8 + 8) == 320
    # more queries than keys: rows past S see all S keys
    assert fm.sdpa_causal_useful_macs((1, 5, 1), (1, 3, 1), (1, 3, 1)) == (1 + 2 + 3 + 3 + 3) * 2


# -- 7. backward through any output structure, and inside inference_mode ----------------
@dataclasses.dataclass
class Out:
    y: torch.Tensor
    extra: str = "x"


class DataclassOut(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.l = nn.Linear(8, 4)

    def forward(self, x):
        return Out(self.l(x))


def test_backward_through_a_dataclass_output():
    x = torch.randn(1, 8, requires_grad=True)
    # grad_input 1·8·4 + grad_weight 1·8·4 MACs (an input that needs no grad: grad_weight only)
    assert nncost.analyze(DataclassOut(), x, backward=True).total.backward_macs == 8 * 4 + 8 * 4 == 64
    assert nncost.analyze(DataclassOut(), (1, 8), backward=True).total.backward_macs == 8 * 4


def test_backward_inside_inference_mode():
    x = torch.randn(1, 8, requires_grad=True)
    with torch.inference_mode():
        r = nncost.analyze(DataclassOut(), x, backward=True)
    assert r.total.backward_macs == 64


def test_backward_with_nothing_to_differentiate_is_refused():
    m = nn.Linear(8, 4).requires_grad_(False)
    with pytest.raises(InputError, match="no output of Linear needs a gradient"):
        nncost.analyze(m, (1, 8), backward=True)


# -- 8. data-dependent models: same input, same number, RNG untouched ---------------------
class Filter(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.l = nn.Linear(8, 4)

    def forward(self, x):
        return self.l(x[x[:, 0] > 0])


def test_data_dependent_count_is_reproducible_and_leaves_the_rng_alone():
    m = Filter()
    torch.manual_seed(123)
    state = torch.get_rng_state()
    counts = {nncost.analyze(m, (1000, 8)).total.macs for _ in range(4)}
    assert torch.equal(torch.get_rng_state(), state)
    assert len(counts) == 1
    from nncost.frontends.torch.analyze import SEED

    g = torch.Generator().manual_seed(SEED)
    rows = int((torch.randn(1000, 8, generator=g)[:, 0] > 0).sum())
    assert counts == {rows * 8 * 4}  # the rows that pass the filter, × in·out
    notes = " ".join(nncost.analyze(m, (1000, 8)).notes)
    assert "depends on the input's values" in notes and "index (boolean mask)" in notes


# -- 9. dynamic quantization ------------------------------------------------------------
def _quantize(model: nn.Module) -> nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, dtype=torch.qint8)


def test_dynamic_quantized_linear_params_and_macs():
    q = _quantize(nn.Sequential(nn.Linear(64, 32), nn.Linear(32, 8)))
    r = nncost.analyze(q, (2, 64))
    assert r.total.params == (64 * 32 + 32) + (32 * 8 + 8) == 2_344  # packed weights are (frozen) parameters
    assert r.total.non_trainable_params == 2_344
    assert r.total.macs == 2 * (64 * 32 + 32 * 8)  # rows·in·out per layer
    assert not r.unsupported


class Rnn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.l = nn.LSTM(16, 32, 2)

    def forward(self, x):
        return self.l(x)


def test_dynamic_quantized_lstm_equals_the_float_lstm():
    f = Rnn()
    q = _quantize(Rnn())
    rq, rf = nncost.analyze(q, (5, 1, 16)), nncost.analyze(f, (5, 1, 16))
    # layer 0: 4·32·(16 + 32) + 2·4·32; layer 1: 4·32·(32 + 32) + 2·4·32
    assert rq.total.params == rf.total.params == (6_144 + 256) + (8_192 + 256)
    assert (rq.total.macs, rq.total.flops) == (rf.total.macs, rf.total.flops)
    assert rq.total.macs == 5 * (4 * 32 * (16 + 32) + 4 * 32 * (32 + 32))  # steps·G·H·(D + H) per layer
    assert not rq.unsupported


# -- 10. integer arithmetic: one rule ---------------------------------------------------
class IntOps(nn.Module):
    def forward(self, a, b, c):
        return (a @ b).sum(), c.cumsum(0), a + 1


def test_integer_arithmetic_counts_like_float_arithmetic():
    a, b, c = torch.ones(4, 5, dtype=torch.long), torch.ones(5, 8, dtype=torch.long), torch.ones(10, 3, dtype=torch.long)
    for device in DEVICES:
        ri = nncost.analyze(IntOps(), a, b, c, device=device)
        rf = nncost.analyze(IntOps(), a.float(), b.float(), c.float(), device=device)
        assert (ri.total.macs, ri.total.flops) == (rf.total.macs, rf.total.flops)
        # mm 4·5·8 MACs, 4·8·(2·5 − 1) FLOPs; sum 32 − 1; cumsum (10 − 1)·3; add 20
        assert ri.total.flops == 4 * 8 * 9 + 31 + 27 + 20


# -- 11. einsum: calculator = frontend ---------------------------------------------------
class Ein(nn.Module):
    def __init__(self, eq: str) -> None:
        super().__init__()
        self.eq = eq

    def forward(self, a, b):
        return torch.einsum(self.eq, a, b)


@pytest.mark.parametrize(("eq", "shapes"), [("i,j->ij", [(5,), (6,)]), ("ij,ij->ij", [(5, 6), (5, 6)]),
                                            ("ij,jk->ik", [(5, 3), (3, 6)])])
def test_einsum_one_formula(eq, shapes):
    calc = nncost.analyze_layer(f"torch.einsum('{eq}')", shapes).total
    for device in DEVICES:
        fr = nncost.analyze(Ein(eq), *shapes, device=device).total
        assert (fr.macs, fr.flops) == (calc.macs, calc.flops)
    if "j->" in eq or eq == "ij,ij->ij":
        assert (calc.macs, calc.flops) == (0, 5 * 6)  # one multiply per output, nothing summed


# -- 12. sparse tensors by their non-zeros ----------------------------------------------
class SpMM(nn.Module):
    def forward(self, a, b):
        return a @ b


def test_sparse_matmul_costs_its_non_zeros():
    a = torch.sparse_coo_tensor(torch.tensor([[0, 1, 2], [3, 4, 5]]), torch.ones(3), (10, 10))
    r = nncost.analyze(SpMM(), a, torch.randn(10, 4))
    assert r.total.macs == 3 * 4  # nnz · columns, not 10·10·4
    assert r.total.flops == 2 * 12 - 3 * 4  # 12 multiplies; each of the 3·4 outputs holds one product: no adds
    assert "sparse" in " ".join(r.notes)


class SpRelu(nn.Module):
    def forward(self, a):
        return torch.relu(a)


def test_other_sparse_ops_are_unsupported_not_dense():
    a = torch.sparse_coo_tensor(torch.tensor([[0, 1], [3, 4]]), torch.ones(2), (10, 10))
    with pytest.warns(nncost.NncostWarning, match="sparse"):
        r = nncost.analyze(SpRelu(), a)
    assert r.total.flops == 0 and any("(sparse)" in k for k in r.unsupported)


# -- 13. the calculator refuses what PyTorch refuses -------------------------------------
@pytest.mark.parametrize("expr", ["nn.Conv2d(3,64,3,dilation=0)", "nn.Conv2d(3,64,3,padding=-1)", "nn.Flatten(5)",
                                  "nn.Conv2d(3,64,3,stride=0)", "nn.MaxPool2d(0)", "nn.MaxPool2d(2,stride=0)",
                                  "nn.ConvTranspose2d(3,4,3,output_padding=1)", "nn.Conv2d(3,4,3,padding_mode='foo')",
                                  "nn.Upsample(scale_factor=0)", "nn.Flatten(2,1)"])
def test_calculator_refuses_what_pytorch_refuses(expr):
    with pytest.raises(InputError):
        nncost.analyze_layer(expr, (1, 3, 8, 8))
    with pytest.raises((ValueError, RuntimeError, IndexError, TypeError)):  # PyTorch refuses it too
        eval(expr, {"nn": nn})(torch.randn(1, 3, 8, 8))  # noqa: S307 - a fixed test expression


# -- activation checkpointing: the recomputed forward is counted ---------------------------
class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(8, 8), nn.Linear(8, 8)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


class Ckpt(nn.Module):
    def __init__(self, checkpoint: bool) -> None:
        super().__init__()
        self.blk, self.head, self.checkpoint = Block(), nn.Linear(8, 2), checkpoint

    def forward(self, x):
        from torch.utils.checkpoint import checkpoint

        h = checkpoint(self.blk, x, use_reentrant=False) if self.checkpoint else self.blk(x)
        return self.head(h)


@pytest.mark.parametrize("device", DEVICES)
def test_checkpointing_counts_the_recomputed_forward(device):
    plain = nncost.analyze(Ckpt(False), (4, 8), backward=True, device=device)
    ck = nncost.analyze(Ckpt(True), (4, 8), backward=True, device=device)
    # PyTorch re-runs blk.a's forward (4·8·8 MACs) to get the input blk.b's gradient needs; blk.b's
    # own output is not needed, so recomputation stops there
    assert ck.total.backward_macs == plain.total.backward_macs + 4 * 8 * 8
    assert ck.layer("blk.a").backward_macs == plain.layer("blk.a").backward_macs + 4 * 8 * 8
    assert ck.layer("blk.b").backward_macs == plain.layer("blk.b").backward_macs
    assert any("activation checkpointing" in n for n in ck.notes)


# -- models with no inputs, TorchScript --------------------------------------------------
class NoInput(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.p = nn.Parameter(torch.randn(4, 4))

    def forward(self):
        return self.p @ self.p


def test_a_model_without_inputs():
    assert nncost.analyze(NoInput()).total.macs == 4 * 4 * 4


def test_torchscript_is_refused_with_what_to_do():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scripted = torch.jit.script(nn.Linear(8, 2))
    with pytest.raises(InputError, match="TorchScript.*nn.Module it was made from"):
        nncost.analyze(scripted, (1, 8))


def test_sdpa_by_keyword():
    class S(nn.Module):
        def forward(self, q, k, v):
            return torch.nn.functional.scaled_dot_product_attention(query=q, key=k, value=v)

    r = nncost.analyze(S(), (1, 2, 4, 8), (1, 2, 6, 8), (1, 2, 6, 8))
    assert r.total.macs == 2 * 4 * 6 * 8 * 2  # heads·L·S·E for the scores, the same for the values


def test_lazy_modules_are_initialised_on_a_copy():
    model = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))
    r = nncost.analyze(model, (1, 3, 32, 32))
    # conv: 16·3·3·3·30·30 MACs, (27 + 1)·16 params; the lazy linear learns 16·30·30 = 14,400 inputs
    assert r.total.macs == 16 * 27 * 30 * 30 + 14_400 * 10
    assert r.total.params == 28 * 16 + (14_400 + 1) * 10
    assert type(model[3]) is nn.LazyLinear and torch.nn.parameter.is_lazy(model[3].weight)  # the user's stays lazy
    assert "lazy modules" in r.notes[0]


class Gru(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.g = nn.GRU(16, 32)

    def forward(self, x):
        return self.g(x)


def test_dynamic_quantized_gru_equals_the_float_gru():
    q, f = _quantize(Gru()), Gru()
    rq, rf = nncost.analyze(q, (5, 1, 16)), nncost.analyze(f, (5, 1, 16))
    assert type(q.g).__module__.startswith("torch.ao.nn.quantized.dynamic")  # really the quantized module
    assert rq.total.params == rf.total.params == 3 * 32 * (16 + 32) + 2 * 3 * 32  # G·H·(D + H) + two biases
    assert (rq.total.macs, rq.total.flops) == (rf.total.macs, rf.total.flops) and not rq.unsupported


def test_quantized_linear_relu():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = torch.quantize_per_tensor(torch.randn(8, 16), 0.1, 0, torch.qint8)
        packed = torch.ops.quantized.linear_prepack(w, torch.randn(8))

    class LinearRelu(nn.Module):
        def forward(self, x):
            return torch.ops.quantized.linear_relu_dynamic(x, packed)

    r = nncost.analyze(LinearRelu(), (4, 16))
    # rows·in·out MACs; FLOPs: rows·out·(2·in − 1 + 1 bias) + one ReLU comparison per output
    assert (r.total.macs, r.total.flops) == (4 * 16 * 8, 4 * 8 * (2 * 16) + 4 * 8)
