"""The PyTorch frontend: one model, one count (CPU, meta, grad on/off); right where peers are not."""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

import nncost  # noqa: E402
from nncost import formulas as fm  # noqa: E402
from nncost.errors import InputError, ShapeError, UnsupportedError  # noqa: E402


def totals(model, *inputs, **kw):
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=nncost.NncostWarning)
        t = nncost.analyze(model, *inputs, **kw).total
    return t.params, t.macs, t.flops


class Attn(nn.Module):
    def __init__(self, causal: bool = False) -> None:
        super().__init__()
        self.causal = causal

    def forward(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)


def _cases():
    enc = nn.TransformerEncoderLayer(64, 4, 128, batch_first=True)
    return {
        "lstm": (nn.LSTM(32, 16, num_layers=2), [(12, 2, 32)]),
        "lstm_bidir_proj": (nn.LSTM(8, 16, bidirectional=True, proj_size=4, batch_first=True), [(2, 7, 8)]),
        "gru": (nn.GRU(8, 16, num_layers=2, batch_first=True), [(3, 5, 8)]),
        "rnn": (nn.RNN(8, 16, nonlinearity="relu"), [(5, 3, 8)]),
        "mha": (nn.MultiheadAttention(64, 4, batch_first=True), [(2, 10, 64)] * 3),
        "sdpa": (Attn(), [(2, 4, 16, 32)] * 3),
        "sdpa_causal": (Attn(True), [(2, 4, 16, 32)] * 3),
        "encoder_layer": (enc, [(2, 10, 64)]),
        "encoder": (nn.TransformerEncoder(nn.TransformerEncoderLayer(64, 4, 128, batch_first=True), 2,
                                          enable_nested_tensor=False), [(2, 10, 64)]),
        "conv_transpose": (nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1), [(1, 8, 9, 9)]),
        "depthwise_dilated": (nn.Conv2d(16, 16, 3, padding=2, dilation=2, groups=16), [(1, 16, 20, 20)]),
        "conv1d": (nn.Conv1d(4, 8, 5, stride=2), [(2, 4, 40)]),
        "conv3d": (nn.Conv3d(2, 4, 3, padding=1), [(1, 2, 6, 8, 8)]),
        "instance_norm": (nn.InstanceNorm2d(4, affine=True), [(2, 4, 8, 8)]),
        "rms_norm": (nn.RMSNorm(32), [(2, 5, 32)]),
    }


@pytest.mark.parametrize("name", sorted(_cases()))
def test_same_count_on_cpu_and_meta_with_and_without_grad(name):
    model, inputs = _cases()[name]
    model.eval()
    seen = set()
    for device in ("cpu", "meta"):
        for grad in (True, False):
            with torch.set_grad_enabled(grad):
                seen.add(totals(model, *inputs, device=device))
    assert len(seen) == 1, f"{name}: counts differ across device/grad: {seen}"


def test_lstm_on_cpu_is_not_zero():
    # torch.utils.flop_counter reports 0 for nn.LSTM on CPU tensors (mkldnn_rnn_layer)
    spec = fm.RnnSpec("lstm", 32, 16, num_layers=2)
    expected = fm.rnn(spec, 12, 2)
    with torch.no_grad():
        assert totals(nn.LSTM(32, 16, num_layers=2), (12, 2, 32), device="cpu")[1:] == (expected.macs, expected.flops)


def test_packed_sequence_lstm_counts_real_tokens():
    lstm = nn.LSTM(8, 16)
    x = torch.randn(5, 3, 8)
    packed = nn.utils.rnn.pack_padded_sequence(x, [5, 3, 2], enforce_sorted=True)
    r = nncost.analyze(lstm, packed, device="cpu")
    assert r.total.macs == fm.rnn(fm.RnnSpec("lstm", 8, 16), 5 + 3 + 2, 1).macs  # 10 real tokens, not 15


def test_fused_attention_is_counted():
    q = (2, 4, 16, 32)
    expected = fm.sdpa(q, q, q)
    with torch.no_grad():
        assert totals(Attn(), q, q, q, device="cpu")[1:] == (expected.macs, expected.flops)


def test_vit_attention_macs_match_published():
    torchvision = pytest.importorskip("torchvision")
    r = nncost.analyze(torchvision.models.vit_b_16(), (1, 3, 224, 224))
    assert round(r.total.macs / 1e9, 3) == 17.564  # fvcore/ptflops miss attention and report 16.85


def test_linear_backward_is_2x_or_1x_forward():
    lin = nn.Linear(10, 20)
    x = torch.randn(4, 10, requires_grad=True)
    r = nncost.analyze(lin, x, backward=True)
    assert r.total.macs == 4 * 10 * 20
    assert r.total.backward_macs == 2 * 4 * 10 * 20  # grad input + grad weight
    r = nncost.analyze(lin, torch.randn(4, 10), backward=True)
    assert r.total.backward_macs == 4 * 10 * 20  # grad weight only


def test_backward_is_attributed_to_modules():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 4))
    r = nncost.analyze(model, (2, 3, 8, 8), backward=True)
    conv, lin = r.layer("0"), r.layer("3")
    assert conv.backward_macs == conv.macs  # the input needs no grad: only the weight gradient
    assert lin.backward_macs == 2 * lin.macs
    assert r.total.backward_flops == sum(n.backward_flops for n in r.layers if n.depth == 1)


def test_conv_backward_counts_both_gradients_inside_a_network():
    model = nn.Sequential(nn.Linear(4, 4), nn.Unflatten(1, (1, 2, 2)), nn.Conv2d(1, 2, 1))
    r = nncost.analyze(model, (3, 4), backward=True)
    assert r.layer("2").backward_macs == 2 * r.layer("2").macs  # its input comes from a trainable layer


def test_fold_bn():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())
    plain = nncost.analyze(model, (1, 3, 10, 10))
    folded = nncost.analyze(model, (1, 3, 10, 10), fold_bn=True)
    bn = fm.batch_norm(8 * 8 * 8, 8)
    assert plain.total.flops - folded.total.flops == bn.flops
    assert folded.total.params == plain.total.params - 2 * 8 + 8  # γ, β gone; the conv gains a bias
    assert folded.total.buffers == 0
    assert folded.layer("1").flops == 0


def test_tied_weights_counted_once():
    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(100, 16)
            self.head = nn.Linear(16, 100, bias=False)
            self.head.weight = self.emb.weight

        def forward(self, ids):
            return self.head(self.emb(ids))

    r = nncost.analyze(Tied(), torch.zeros(2, 5, dtype=torch.long))
    assert r.total.params == 100 * 16
    assert r.total.macs == 2 * 5 * 16 * 100


def test_module_reused_twice():
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(8, 8)

        def forward(self, x):
            return self.fc(self.fc(x))

    r = nncost.analyze(Twice(), (3, 8))
    assert r.layer("fc").calls == 2
    assert r.total.params == 8 * 8 + 8  # once
    assert r.total.macs == 2 * 3 * 8 * 8  # per call, summed


def test_functional_code_is_counted():
    class Functional(nn.Module):
        def forward(self, a, b):
            x = a @ b  # [2, 4, 6] @ [6, 5]
            y = torch.einsum("bij,bjk->bik", x, x.transpose(1, 2))
            return F.gelu(y) + torch.matmul(y, y)

    macs = 2 * 4 * 5 * 6 + 2 * 4 * 4 * 5 + 2 * 4 * 4 * 4
    assert totals(Functional(), (2, 4, 6), (6, 5))[1] == macs


def test_inplace_tuple_and_dict_outputs():
    class Outs(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            y = self.fc(x)
            y.relu_()
            return {"y": y, "pair": (y * 2, y + 1)}

    r = nncost.analyze(Outs(), (3, 4))
    assert r.total.flops == fm.linear(3, 4, 4).flops + 3 * 4 * 3  # relu_, mul, add: one FLOP each
    assert r.root.output_shapes == [[3, 4], [3, 4], [3, 4]]


def test_train_vs_eval_mode_and_mode_restored():
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Dropout(0.5))
    model.train()
    model[0].eval()  # a mixed state must come back exactly
    ev = nncost.analyze(model, (8, 4))
    tr = nncost.analyze(model, (8, 4), train=True)
    # batch statistics + dropout mask + num_batches_tracked += 1 (an integer add: integer arithmetic counts)
    assert tr.total.flops - ev.total.flops == (4 * 8 * 4 + 7 * 4) + 8 * 4 * 2 + 1
    assert model.training and not model[0].training and model[1].training


def test_model_is_not_moved_or_modified():
    model = nn.Linear(4, 3)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    weight = model.weight
    nncost.analyze(model, (2, 4), backward=True)
    assert model.weight is weight and model.weight.device.type == "cpu" and model.weight.grad is None
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_meta_model_of_any_size_needs_no_memory():
    with torch.device("meta"):
        big = nn.Sequential(*[nn.Linear(8192, 8192) for _ in range(8)])
    r = nncost.analyze(big, (1, 8192))
    assert r.total.params == 8 * (8192 * 8192 + 8192)


def test_falls_back_to_cpu_when_meta_cannot_run():
    class DataDependent(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            y = self.fc(x)
            return y * 2 if y.sum().item() > -1e9 else y

    r = nncost.analyze(DataDependent(), (2, 4))
    assert any("cannot run on the meta device" in n for n in r.notes)
    assert r.conventions["device"] == "cpu"
    assert r.total.macs == 2 * 4 * 4


def test_unsupported_op_is_reported_not_zero(monkeypatch):
    from nncost.frontends.torch import capture

    monkeypatch.setattr(capture, "_DECOMP", {})
    monkeypatch.setattr(capture.ATEN, "_bindings", {k: v for k, v in capture.ATEN._bindings.items()
                                                   if k is not torch.ops.aten.sigmoid})

    class M(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return torch.sigmoid(self.fc(x))

    with pytest.warns(nncost.NncostWarning, match="sigmoid x1"):
        r = nncost.analyze(M(), (2, 4))
    assert r.unsupported == {"sigmoid": 1}
    assert r.root.unsupported == {"sigmoid": 1}
    with pytest.raises(UnsupportedError, match="sigmoid"):
        nncost.analyze(M(), (2, 4), strict=True)


def test_op_without_binding_is_decomposed_into_counted_parts():
    from nncost.frontends.torch.bindings import ATEN
    from nncost.frontends.torch.capture import _DECOMP

    op = torch.ops.aten.hardshrink.default  # no binding; a decomposition exists
    assert ATEN.binding(op.overloadpacket) is None and op in _DECOMP
    r = nncost.analyze(nn.Hardshrink(), (3, 5))
    assert r.unsupported == {}
    assert r.total.flops > 0


def test_two_mac_convention():
    p, macs, flops = totals(nn.Sequential(nn.Linear(8, 8), nn.ReLU()), (2, 8), flops="2mac")
    assert flops == 2 * macs == 2 * 2 * 8 * 8


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(), ShapeError, "no input given"),
        (dict(input_shape="abc"), ShapeError, "input_shape must be"),
        (dict(input_shape=(2, 4), device="tpu"), InputError, "device must be"),
        (dict(input_shape=(2, 4), dtype="float8"), InputError, "dtype must be one of"),
        (dict(input_shape=(2, 5)), InputError, "Linear failed to run on meta: .*cannot be multiplied"),
        (dict(inputs=((2, 4),)), InputError, r"^inputs must map the forward's argument names to shapes or tensors, such "
                                             r"as inputs=\{'x': \(1, 3, 224, 224\)\}, got a tuple"),
    ],
)
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        nncost.analyze(nn.Linear(4, 3), **kwargs)


def test_in_place_ops_on_meta_refuse_what_torch_refuses():
    """The fast meta path of ``a += b`` checks what torch checks: b must broadcast to a's shape
    (a longer sequence added to a shorter one is an error, never a count at a's shape)."""

    class AddInPlace(nn.Module):
        def forward(self, x, y):
            x += y
            return x

    r = nncost.analyze(AddInPlace(), inputs={"x": (1, 8, 48), "y": (48,)})  # a bias row broadcasts
    assert r.total.flops == 8 * 48
    with pytest.raises(InputError, match=r"shapes \(1, 8, 48\) and \(1, 375, 48\) do not broadcast"):
        nncost.analyze(AddInPlace(), inputs={"x": (1, 8, 48), "y": (1, 375, 48)})
    with pytest.raises(InputError, match=r"output with shape \(1, 8, 48\) doesn't match the broadcast shape \(2, 8, 48\)"):
        nncost.analyze(AddInPlace(), inputs={"x": (1, 8, 48), "y": (2, 8, 48)})


def test_not_a_module():
    with pytest.raises(InputError, match="cannot read model spec 'resnet50'; expected torchvision:NAME"):
        nncost.analyze("resnet50", (1, 3, 224, 224))  # a string is a spec: this one names nothing
    with pytest.raises(InputError, match="torch.nn.Module"):
        nncost.analyze(object(), (1, 3, 224, 224))


def test_keyword_inputs_and_int_ids():
    class Emb(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(10, 4)

        def forward(self, input_ids, attention_mask=None):
            return self.emb(input_ids)

    r = nncost.analyze(Emb(), input_ids=(2, 7))
    assert r.inputs == [{"name": "input_ids", "shape": [2, 7], "dtype": "int64"}]
    assert r.root.output_shapes == [[2, 7, 4]]


def test_rows_add_up_to_parents():
    torchvision = pytest.importorskip("torchvision")
    r = nncost.analyze(torchvision.models.resnet18(), (1, 3, 224, 224))
    by_path = {n.path: n for n in r.layers}
    for node in r.layers:
        kids = [n for n in r.layers if n.depth == node.depth + 1 and n.path.startswith(node.path + ".") or
                (node.path == "" and n.depth == 1)]
        if kids:
            assert sum(k.macs for k in kids) <= node.macs
            assert sum(k.params.total for k in kids) <= node.params.total
    assert by_path[""].macs == r.total.macs
    leaves = [n for n in r.layers[1:] if not any(m.path.startswith(n.path + ".") for m in r.layers)]
    assert sum(n.params.total for n in leaves) == r.total.params


def test_children_add_up_to_the_root_and_dataframe():
    pd = pytest.importorskip("pandas")
    from nncost.frontends.torch.zoo import SeedNet

    r = nncost.analyze(SeedNet(), (1, 3, 224, 224))
    top = [n for n in r.layers if n.depth == 1]
    assert sum(n.macs for n in top) == r.total.macs  # seednet's own forward does only free reshapes
    assert sum(n.flops for n in top) == r.total.flops
    assert sum(n.params.total for n in top) == r.total.params
    assert r.layer("stem.3").flops == 128 * 56 * 56 * 2 * 2 == 1_605_632  # the seed's max-pool example
    assert r.layer("lstm").params.total == 49_664 and r.layer("fc2").params.total == 30_100
    df = r.to_dataframe()
    assert isinstance(df, pd.DataFrame) and list(df["path"])[:2] == ["", "stem"]
    assert int(df.loc[df["path"] == "fc2", "macs"].iloc[0]) == 300 * 100


def test_fused_attention_kernels_read_is_causal_by_name():
    # _scaled_dot_product_efficient_attention(q, k, v, attn_bias, compute_log_sumexp, dropout_p, is_causal, ...):
    # compute_log_sumexp=True at position 4 must not be taken for is_causal
    from nncost.frontends.torch.bindings import ATEN

    aten = torch.ops.aten
    q = torch.empty(1, 2, 8, 16, device="meta")
    bind = ATEN.binding(aten._scaled_dot_product_efficient_attention)
    shape = (1, 2, 8, 16)
    assert bind((q, q, q, None, True, 0.0, False), {}, None) == fm.sdpa(shape, shape, shape, masked=False)
    assert bind((q, q, q, None, True, 0.0, True), {}, None) == fm.sdpa(shape, shape, shape, masked=True)
    cpu = ATEN.binding(aten._scaled_dot_product_flash_attention_for_cpu)
    assert cpu((q, q, q, 0.0, True), {}, None) == fm.sdpa(shape, shape, shape, masked=True)  # is_causal at 4 here
