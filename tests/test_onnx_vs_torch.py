"""ONNX exports count the same as the PyTorch frontend.

Models are exported with ``torch.onnx.export(..., dynamo=False)`` in eval mode. That
exporter folds each BatchNorm into the convolution before it, so the ONNX graph is
compared with ``nncost.analyze(model, fold_bn=True)`` — the same folded view, where BN's
2·C parameters and its FLOPs are gone and each conv gains a C-element bias. With that,
parameters and MACs are equal exactly; FLOPs within 1 % (the exporter rewrites a few
element-wise ops, e.g. hardswish as HardSigmoid·x, whose table costs differ slightly).

swin_t computes its window reshapes and paddings inside the graph; ONNX's own shape
inference stops there, nncost evaluates that integer arithmetic (frontends/onnx/fold.py)
and counts every node (checked below). Not here: GPT-2 from transformers 5 — the
TorchScript exporter cannot export ``aten::diff``.
"""

from __future__ import annotations

import io
import warnings

import pytest

torch = pytest.importorskip("torch")
tv = pytest.importorskip("torchvision")
onnx = pytest.importorskip("onnx")
from torch import nn  # noqa: E402

import nncost  # noqa: E402


def export(model, *inputs):
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), tuple(inputs), buf, dynamo=False, opset_version=17)
    return onnx.load_from_string(buf.getvalue())


def _model(name):
    image = (torch.randn(1, 3, 224, 224),)
    if name == "lstm2":
        return nn.LSTM(32, 64, num_layers=2), (torch.randn(10, 2, 32),)
    if name == "gru_bidir":
        return nn.GRU(16, 32, bidirectional=True), (torch.randn(7, 3, 16),)
    if name == "transformer_encoder":
        layer = nn.TransformerEncoderLayer(64, 4, 128, batch_first=True)
        return nn.TransformerEncoder(layer, 2, enable_nested_tensor=False), (torch.randn(2, 10, 64),)
    return tv.models.get_model(name, weights=None), image


MODELS = ["resnet50", "mobilenet_v3_large", "efficientnet_b0", "vit_b_16", "convnext_tiny", "lstm2", "gru_bidir",
          "transformer_encoder"]


@pytest.mark.parametrize("name", MODELS)
def test_onnx_equals_torch(name):
    model, inputs = _model(name)
    model.eval()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=nncost.NncostWarning)
        o = nncost.analyze_onnx(export(model, *inputs)).total
    t = nncost.analyze(model, *inputs, fold_bn=True).total
    assert o.params == t.params
    assert o.macs == t.macs  # 0.1 % allowed; equal in fact
    assert abs(o.flops - t.flops) <= 0.01 * t.flops


def test_resnet_scopes_match_modules():
    model = tv.models.resnet18()
    o = nncost.analyze_onnx(export(model, torch.randn(1, 3, 224, 224)))
    t = nncost.analyze(model, (1, 3, 224, 224), fold_bn=True)
    for path in ("conv1", "layer1.0.conv1", "layer3.1.conv2", "fc", "layer4"):
        assert o.layer(path).macs == t.layer(path).macs, path
    assert o.layer("layer1.0.conv1").type == "Conv"


def test_swin_shapes_computed_in_the_graph_are_evaluated():
    model = tv.models.swin_t()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=nncost.NncostWarning)  # every node reached
        o = nncost.analyze_onnx(export(model, torch.randn(1, 3, 224, 224))).total
    t = nncost.analyze(model, (1, 3, 224, 224)).total
    assert o.macs == t.macs
    assert abs(o.flops - t.flops) <= 0.01 * t.flops
    # the exporter folds the gathered relative-position biases and the shift masks into float
    # constants, which an ONNX file cannot tell apart from weights: more "parameters" than the module
    assert o.params > t.params


def test_dynamic_axes_become_formulas():
    class Attention(nn.Module):
        def forward(self, x):
            return torch.softmax(x @ x.transpose(1, 2), -1) @ x

    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Attention(), (torch.randn(2, 10, 16),), buf, dynamo=False, opset_version=17, input_names=["x"],
                          dynamic_axes={"x": {0: "N", 1: "S"}})
    m = onnx.load_from_string(buf.getvalue())
    r = nncost.analyze_onnx(m)
    s = r.extra["symbolic"]
    assert s["symbols"] == ["N", "S"]
    assert s["total"]["macs"] == "32·N·S²"  # scores S·S·16 + values S·S·16 per sample
    # softmax 5S − 2 per row, S rows; matmuls S·S·(2·16 − 1) twice: 62S² + 5S² − 2S ... plus exp/div per element
    bound = nncost.analyze_onnx(m, {"x": (2, 10, 16)}).total
    assert bound.macs == 32 * 2 * 10 * 10 == nncost.analyze(Attention(), (2, 10, 16)).total.macs


def test_gpt2_through_the_dynamo_exporter():
    """GPT-2 (transformers 5) only exports with the dynamo exporter (onnxscript). Its
    optimiser merges initializers with equal values, so the weights are randomised first
    (a fresh model has many all-zero biases). The one difference left is the 16×16 causal
    mask, folded into a float constant that a file cannot tell apart from a weight."""
    tf = pytest.importorskip("transformers")
    pytest.importorskip("onnxscript")
    torch.manual_seed(0)
    gpt2 = tf.GPT2LMHeadModel(tf.GPT2Config(n_layer=2)).eval()
    with torch.no_grad():
        for p in gpt2.parameters():
            p.normal_()

    class LM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gpt2 = gpt2

        def forward(self, ids):
            return self.gpt2(input_ids=ids, use_cache=False).logits

    ids = torch.zeros(1, 16, dtype=torch.long)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proto = torch.onnx.export(LM(), (ids,), dynamo=True, opset_version=18, verbose=False).model_proto
        o = nncost.analyze_onnx(proto).total
    t = nncost.analyze(LM(), ids).total
    assert o.params == t.params + 16 * 16
    assert o.macs == t.macs
    assert abs(o.flops - t.flops) <= 0.01 * t.flops


@pytest.mark.parametrize("name", ["resnet50", "mobilenet_v3_large"])
def test_onnx_moves_the_bytes_torch_moves(name):
    """One traffic model (formulas/memory.py) in both frontends. With BatchNorm folded, both
    graphs run the same ops, so the bytes are equal, with one difference that is PyTorch's:
    its max-pool kernel (meta, CUDA) also writes int64 argmax indices, which ONNX's MaxPool
    with one output does not. Models whose exports differ in structure move different
    bytes, and the docs say why (vit_b_16: PyTorch's fused attention never writes the
    S×S scores that ONNX's MatMul → Softmax → MatMul does; convnext: ONNX materialises
    the permutes PyTorch keeps as views)."""
    model, inputs = _model(name)
    model.eval()
    o = nncost.analyze_onnx(export(model, *inputs)).total
    t = nncost.analyze(model, *inputs, fold_bn=True).total
    indices = 8 * 64 * 56 * 56 if name == "resnet50" else 0  # resnet50's one max pool: [1, 64, 56, 56] int64 indices
    assert o.read_bytes == t.read_bytes
    assert o.write_bytes + indices == t.write_bytes
    assert o.by_dtype.keys() == t.by_dtype.keys() == {"float32"}
