"""Memory traffic (bytes read and written per op, formulas/memory.py) and the dtype each op
runs in, in the torch frontend and the layer calculator; the ONNX side is in test_onnx.py
and test_onnx_vs_torch.py."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import nncost  # noqa: E402
from nncost.layers import analyze_layer  # noqa: E402


def test_linear_reads_input_weight_bias_and_writes_its_output():
    t = nncost.analyze(nn.Linear(4, 3), (2, 4)).total
    assert t.read_bytes == 4 * (2 * 4 + 3 * 4 + 3)  # fp32: input N·d_in + weight d_out·d_in + bias d_out
    assert t.write_bytes == 4 * 2 * 3  # output N·d_out
    assert t.arithmetic_intensity == t.flops / (t.read_bytes + t.write_bytes)
    assert nncost.analyze(nn.Linear(4, 3), (2, 4)).to_dict()["total"]["read_bytes"] == t.read_bytes  # never null now


def test_bf16_halves_float_tensors_and_integer_tensors_keep_their_size():
    class Lookup(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(1000, 16)
            self.fc = nn.Linear(16, 16, bias=False)

        def forward(self, ids):
            return self.fc(self.emb(ids))

    ids = {"ids": torch.zeros(2, 5, dtype=torch.long)}
    for dtype, item in ((None, 4), ("bf16", 2)):
        r = nncost.analyze(Lookup(), inputs=ids, dtype=dtype)
        rows = 2 * 5 * 16
        # the lookup reads its int64 ids and only the 10 rows it copies, not the 1000-row table
        assert (r.layer("emb").read_bytes, r.layer("emb").write_bytes) == (8 * 2 * 5 + item * rows, item * rows)
        assert r.layer("fc").read_bytes == item * (rows + 16 * 16)
        assert list(r.total.by_dtype) == ["bfloat16" if dtype else "float32"]


def test_views_move_nothing_and_a_broadcast_operand_is_read_once():
    class Ops(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bias = nn.Parameter(torch.zeros(8))

        def forward(self, x):
            y = x.view(4, 2, 8).transpose(0, 1)  # views: no traffic
            return y + self.bias.expand(2, 4, 8)  # the expanded bias is 8 distinct elements

    t = nncost.analyze(Ops(), (8, 8)).total
    assert t.read_bytes == 4 * (64 + 8) and t.write_bytes == 4 * 64


def test_a_copy_reads_its_source_and_concatenation_reads_every_part():
    class Copies(nn.Module):
        def forward(self, x):
            return torch.cat([x, x.transpose(0, 1).contiguous()], 0)

    t = nncost.analyze(Copies(), (4, 4)).total
    # contiguous (read 16, write 16) then cat (read 16 + 16, write 32), 4 bytes each
    assert (t.read_bytes, t.write_bytes) == (4 * (16 + 32), 4 * (16 + 32))


def test_each_op_runs_in_the_dtype_of_its_first_operand():
    class Mixed(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.low = nn.Linear(8, 8).to(torch.bfloat16)
            self.high = nn.Linear(8, 8)

        def forward(self, x):
            return self.high(self.low(x).float())

    r = nncost.analyze(Mixed(), torch.zeros(2, 8, dtype=torch.bfloat16))
    assert r.layer("low").by_dtype == {"bfloat16": {"macs": 2 * 8 * 8, "flops": r.layer("low").flops}}
    assert r.layer("high").by_dtype == {"float32": {"macs": 2 * 8 * 8, "flops": r.layer("high").flops}}
    assert r.total.by_dtype["bfloat16"]["macs"] == r.total.by_dtype["float32"]["macs"] == 2 * 8 * 8


def test_fp8_and_int8_matmuls_state_their_dtype():
    fp8 = torch.float8_e4m3fn

    class Fp8(nn.Module):
        def forward(self, a, b):
            one = torch.ones((), device=a.device)
            return torch._scaled_mm(a, b.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16)

    r = nncost.analyze(Fp8(), torch.empty(16, 32, dtype=fp8), torch.empty(64, 32, dtype=fp8))
    assert r.total.by_dtype == {"float8_e4m3fn": {"macs": 16 * 32 * 64, "flops": r.total.flops}}
    # fp8 operands are 1 byte each, the two fp32 scales 4 (one tensor, read twice); written: the bf16 result and
    # the fp32 scale that torch.ones allocates
    assert r.total.read_bytes == 16 * 32 + 64 * 32 + 4 + 4 and r.total.write_bytes == 2 * 16 * 64 + 4

    class Int8(nn.Module):
        def forward(self, a, b):
            return torch._int_mm(a, b)

    r = nncost.analyze(Int8(), torch.empty(32, 64, dtype=torch.int8), torch.empty(64, 32, dtype=torch.int8))
    assert list(r.total.by_dtype) == ["int8"] and r.total.by_dtype["int8"]["macs"] == 32 * 64 * 32


def test_folded_batch_norm_moves_nothing_and_the_conv_reads_its_new_bias():
    m = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8)).eval()
    r = nncost.analyze(m, (1, 3, 10, 10), fold_bn=True)
    assert (r.layer("1").read_bytes, r.layer("1").write_bytes) == (0, 0)
    assert r.layer("0").read_bytes == 4 * (3 * 10 * 10 + 8 * 3 * 3 * 3 + 8)  # input, weight, the folded bias


def test_bytes_are_the_same_on_meta_and_cpu():
    from nncost.frontends.torch.zoo import SeedNet

    meta = nncost.analyze(SeedNet(), (1, 3, 224, 224)).total
    cpu = nncost.analyze(SeedNet(), (1, 3, 224, 224), device="cpu").total
    assert (meta.read_bytes, meta.write_bytes, meta.by_dtype) == (cpu.read_bytes, cpu.write_bytes, cpu.by_dtype)


# a layer in the calculator moves the bytes the same layer moves in a model
LAYERS = [
    ("nn.Linear(300, 100)", (8, 300)), ("nn.Conv2d(3, 64, kernel_size=3, padding=1)", (1, 3, 32, 32)),
    ("nn.BatchNorm2d(16)", (2, 16, 8, 8)), ("nn.ReLU()", (2, 16, 8, 8)), ("nn.MaxPool2d(2)", (1, 4, 8, 8)),
    ("nn.AvgPool2d(2)", (1, 4, 8, 8)), ("nn.LayerNorm(64)", (2, 10, 64)), ("nn.Embedding(1000, 32)", (2, 7)),
    ("nn.EmbeddingBag(1000, 32, mode='sum')", (2, 7)), ("nn.EmbeddingBag(1000, 32, mode='max')", (2, 7)),
    ("nn.LSTM(32, 64)", (10, 2, 32)), ("nn.GRU(16, 32, num_layers=2)", (7, 3, 16)), ("nn.Flatten()", (2, 3, 4)),
    ("nn.Dropout(0.1)", (2, 3)), ("nn.GELU()", (4, 5)), ("nn.Softmax(dim=-1)", (4, 5)), ("nn.AdaptiveAvgPool2d(1)", (1, 8, 7, 7)),
    ("nn.ConvTranspose2d(8, 4, 3, stride=2)", (1, 8, 5, 5)), ("nn.GroupNorm(4, 16)", (2, 16, 5, 5)),
    ("nn.RMSNorm(64)", (2, 10, 64)), ("nn.Upsample(scale_factor=2)", (1, 3, 4, 4)), ("nn.PReLU()", (2, 3, 4)),
    ("nn.InstanceNorm2d(3)", (2, 3, 4, 4)), ("nn.SiLU()", (2, 8)),
]


@pytest.mark.parametrize("dtype", ["float32", "bf16"])
@pytest.mark.parametrize("expr,shape", LAYERS, ids=[e for e, _ in LAYERS])
def test_calculator_moves_the_bytes_the_layer_moves_in_a_model(expr, shape, dtype):
    calc = analyze_layer(expr, shape, dtype=dtype).total
    module = eval(expr, {"nn": nn}).eval()
    x = torch.zeros(shape, dtype=torch.long) if "Embedding" in expr else shape
    model = nncost.analyze(module, x, dtype=None if dtype == "float32" else dtype).total
    assert (calc.read_bytes, calc.write_bytes) == (model.read_bytes, model.write_bytes)
    assert calc.by_dtype == model.by_dtype


def test_calculator_bytes_by_formula():
    t = analyze_layer("nn.Conv2d(3, 64, kernel_size=3, padding=1)", (1, 3, 224, 224)).total
    assert t.read_bytes == 4 * (3 * 224 * 224 + 64 * 3 * 3 * 3 + 64)  # input + weight + bias, fp32
    assert t.write_bytes == 4 * 64 * 224 * 224
    t = analyze_layer("nn.MaxPool2d(2)", (1, 8, 16, 16), dtype="fp16").total
    assert t.write_bytes == 2 * 8 * 8 * 8 + 8 * 8 * 8 * 8  # the fp16 output and PyTorch's int64 argmax indices
    t = analyze_layer("nn.LayerNorm(64)", (2, 10, 64), dtype="bf16").total
    assert t.write_bytes == 2 * 2 * 10 * 64 + 4 * 2 * 2 * 10  # bf16 output, fp32 mean and 1/std per row


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_an_embedding_bag_reads_the_rows_it_reduces_not_its_table(device):
    # 10 ids in 2 bags with per-sample weights, rows of 16 from a 1000-row table
    r = nncost.analyze(nn.EmbeddingBag(1000, 16, mode="sum"), torch.zeros(10, dtype=torch.long),
                       offsets=torch.tensor([0, 4]), per_sample_weights=torch.rand(10), device=device).total
    assert r.read_bytes == 8 * (10 + 2) + 4 * 10 * 16 + 4 * 10  # int64 ids and offsets, the 10 rows, the weights
    assert r.write_bytes == 4 * 2 * 16  # the bags' rows (not the kernel's bookkeeping outputs, which differ by device)
    c = analyze_layer("nn.EmbeddingBag(1000, 16)", (2, 5)).total  # a 2-D input: nn.EmbeddingBag makes one offset per bag
    assert (c.read_bytes, c.write_bytes) == (8 * (10 + 2) + 4 * 10 * 16, 4 * 2 * 16 + 8 * 2)


def test_a_dynamically_quantized_linear_runs_in_int8_and_reads_its_packed_weights():
    import warnings

    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao's deprecation notice
        q = torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
    r = nncost.analyze(q, (4, 16))
    assert r.total.by_dtype["int8"]["macs"] == 4 * 16 * 32 + 4 * 32 * 8  # both GEMMs, in int8
    assert r.layer("0").read_bytes == 4 * 4 * 16 + 1 * 32 * 16 + 4 * 32  # fp32 input, int8 weight, fp32 bias
    assert r.layer("2").read_bytes == 4 * 4 * 32 + 1 * 8 * 32 + 4 * 8


def test_calculator_memory_holds_weights_inputs_and_what_the_layer_writes():
    m = analyze_layer("nn.Conv2d(3, 64, kernel_size=3, padding=1)", (1, 3, 224, 224), dtype="bf16").memory
    assert m.weights == 2 * (64 * 3 * 3 * 3 + 64)
    assert m.inputs == 2 * 3 * 224 * 224
    assert m.activation_peak == 2 * 64 * 224 * 224
    assert m.inference_peak == m.weights + m.inputs + m.activation_peak and m.inference_peak_module == "Conv2d"
    ids = analyze_layer("nn.Embedding(1000, 32)", (2, 7)).memory
    assert (ids.weights, ids.inputs, ids.activation_peak) == (4 * 1000 * 32, 8 * 2 * 7, 4 * 2 * 7 * 32)  # int64 ids


def test_every_frontend_names_a_float_dtype_alike():
    from nncost.formulas import float_dtype

    assert [float_dtype(n) for n in ("bf16", "half", "torch.float32", "FP64")] == [
        ("bfloat16", 2), ("float16", 2), ("float32", 4), ("float64", 8)]
    with pytest.raises(nncost.NncostError, match="dtype must be one of"):
        float_dtype("int4")  # a weight format, not a dtype a layer runs in
