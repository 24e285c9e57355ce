"""Every registered ONNX op key has a case here: a one-node model and its MACs and FLOPs,
written out (formulas.* stands in only where the formula is long and tested on its own in
test_formulas.py). A key added to the registry without a case fails
test_every_registered_op_has_a_case."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from nncost import Cost, analyze_onnx  # noqa: E402
from nncost import formulas as fm  # noqa: E402
from nncost.frontends.onnx.bindings import ONNX  # noqa: E402

F, I64, U8, I8, I32, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.UINT8, TensorProto.INT8, TensorProto.INT32, TensorProto.BOOL


def node(op, ins, outs=((None, F),), *, domain="", opset=17, **attrs):
    """A one-node model. ``ins``: (name, shape, kind[, dtype or values]) with kind "x" (a graph
    input, float unless a dtype is given), "w" (a float initializer), "v" (an initializer
    holding ``values``) or None for an absent optional input. ``outs``: (shape or None, dtype)."""
    names, inputs, inits = [], [], []
    for name, shape, kind, *extra in ins:
        if kind is None:
            names.append("")
            continue
        names.append(name)
        if kind == "x":
            inputs.append(helper.make_tensor_value_info(name, extra[0] if extra else F, list(shape)))
        elif kind == "w":
            inits.append(numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name))
        else:
            inits.append(numpy_helper.from_array(np.asarray(extra[0]).reshape(shape), name))
    out_names = [f"Y{i}" for i in range(len(outs))]
    n = helper.make_node(op, names, out_names, name=f"/{op.lower()}/{op}", domain=domain, **attrs)
    outputs = [helper.make_tensor_value_info(o, t, list(s) if s is not None else None) for o, (s, t) in zip(out_names, outs)]
    g = helper.make_graph([n], op, inputs, outputs, inits)
    imports = [helper.make_opsetid("", opset)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    return helper.make_model(g, opset_imports=imports)


X24 = (2, 3, 4)  # 24 elements
N = 24

# per-element FLOPs of the element-wise ops, from docs/formulas.md's table
UNARY = {
    "Abs": 1, "Sign": 1, "Neg": 1, "Floor": 1, "Ceil": 1, "Round": 1, "Exp": 1, "Log": 1, "Sqrt": 1, "Reciprocal": 1, "Erf": 1,
    "Sin": 1, "Asin": 1, "Sinh": 1, "Atan": 1, "Asinh": 1, "Atanh": 1, "Cos": 1, "Acos": 1, "Cosh": 1, "Tan": 1, "Acosh": 1,
    "Relu": 1, "ThresholdedRelu": 1,  # one comparison
    "Clip": 2,  # min, then max
    "LeakyRelu": 2,  # compare, multiply
    "Elu": 4,  # compare, exp, subtract, multiply
    "Celu": 5, "Selu": 5,  # elu plus a divide / a multiply
    "Sigmoid": 4,  # negate, exp, add, divide (the seed)
    "Tanh": 6,  # negate, 2 exp, subtract, add, divide
    "Softplus": 3, "Softsign": 3, "Mish": 10, "HardSwish": 5, "HardSigmoid": 4,
    "Gelu": 5,  # x·½·(1 + erf(x/√2))
    "com.microsoft:Gelu": 5, "com.microsoft:FastGelu": 14,  # the tanh approximation
    "com.microsoft:QuickGelu": 5,  # x·sigmoid(1.702·x): SiLU's 5
    "Swish": 5,  # x·sigmoid(x), α = 1
}
BOOL_OUT = {"IsNaN": 1, "IsInf": 1}  # one comparison, a boolean out
BINARY = {"Add": 1, "Sub": 1, "Mul": 1, "Div": 1, "Mod": 1, "Pow": 1, "PRelu": 2}
COMPARE = {"Equal": 1, "Less": 1, "Greater": 1, "LessOrEqual": 1, "GreaterOrEqual": 1}

CASES: dict[str, tuple[object, Cost]] = {}


def case(key, model, cost):
    assert key not in CASES, key
    CASES[key] = (model, cost)


for key, per in UNARY.items():
    domain, _, op = key.rpartition(":")
    opset = {"Gelu": 20, "Swish": 24, "Mish": 18}.get(op, 17)
    case(key, node(op, [("X", X24, "x")], ((X24, F),), domain=domain, opset=opset), Cost(0, N * per))
for key, per in BOOL_OUT.items():
    case(key, node(key, [("X", X24, "x")], ((X24, B),)), Cost(0, N * per))
for key, per in BINARY.items():
    case(key, node(key, [("A", X24, "x"), ("B", X24, "x")], ((X24, F),), **({"fmod": 1} if key == "Mod" else {})), Cost(0, N * per))
for key, per in COMPARE.items():
    case(key, node(key, [("A", X24, "x"), ("B", X24, "x")], ((X24, B),)), Cost(0, N * per))
case("Where", node("Where", [("C", X24, "x", B), ("A", X24, "x"), ("B", X24, "x")], ((X24, F),)), Cost(0, N))  # one select
case("com.microsoft:BiasAdd", node("BiasAdd", [("X", X24, "x"), ("b", (4,), "w"), ("S", X24, "x")], ((X24, F),),
                                   domain="com.microsoft"), Cost(0, 2 * N))  # x + bias + skip: two adds
for key, per in {"Sum": 2, "Max": 2, "Min": 2, "Mean": 3}.items():  # three inputs: 2 adds or comparisons (+1 divide)
    case(key, node(key, [("A", X24, "x"), ("B", X24, "x"), ("C", X24, "x")], ((X24, F),)), Cost(0, N * per))
case("com.microsoft:BiasGelu", node("BiasGelu", [("X", X24, "x"), ("b", (4,), "w")], ((X24, F),), domain="com.microsoft"),
     Cost(0, N * (1 + 5)))  # add the bias, then GELU
case("SwiGLU", node("SwiGLU", [("A", X24, "x"), ("B", X24, "x")], ((X24, F),), opset=28), Cost(0, N * (5 + 1)))  # Swish, ·B
case("Dropout", node("Dropout", [("X", X24, "x")], ((X24, F),)), Cost())  # inference: the identity
case("DequantizeLinear", node("DequantizeLinear", [("X", X24, "x", I8), ("s", (), "v", np.float32(0.1)),
                                                   ("z", (), "v", np.int8(0))], ((X24, F),)), Cost(0, N * 2))  # (x − z)·s
case("QuantizeLinear", node("QuantizeLinear", [("X", X24, "x"), ("s", (), "v", np.float32(0.1)), ("z", (), "v", np.uint8(0))],
                            ((X24, U8),)), Cost(0, N * 5))  # divide, round, add, clamp (2)
case("DynamicQuantizeLinear", node("DynamicQuantizeLinear", [("X", X24, "x")], ((X24, U8), ((), F), ((), U8)), opset=17),
     Cost(0, N * 5))

# -- dot products
case("MatMul", node("MatMul", [("A", (3, 4, 6), "x"), ("B", (6, 5), "w")], (((3, 4, 5), F),)),
     Cost(3 * 4 * 5 * 6, 3 * 4 * 5 * (2 * 6 - 1)))  # |out|·K MACs; K products, K − 1 adds per output
case("MatMulInteger", node("MatMulInteger", [("A", (4, 6), "x", U8), ("B", (6, 5), "v", np.zeros((6, 5), np.uint8))],
                           (((4, 5), I32),)), Cost(4 * 5 * 6, 4 * 5 * 11))
case("com.microsoft:FusedMatMul", node("FusedMatMul", [("A", (4, 6), "x"), ("B", (5, 6), "w")], (((4, 5), F),),
                                       domain="com.microsoft", transB=1), Cost(4 * 5 * 6, 4 * 5 * 11))  # B transposed
_q = [("s", (), "v", np.float32(0.1)), ("z", (), "v", np.uint8(0))]
case("QLinearMatMul", node("QLinearMatMul", [("A", (4, 6), "x", U8), *_q, ("B", (6, 5), "v", np.zeros((6, 5), np.uint8)),
                                             ("s2", (), "v", np.float32(0.1)), ("z2", (), "v", np.uint8(0)),
                                             ("s3", (), "v", np.float32(0.1)), ("z3", (), "v", np.uint8(0))], (((4, 5), U8),)),
     Cost(4 * 5 * 6, 4 * 5 * 11))
case("Gemm", node("Gemm", [("A", (4, 6), "x"), ("B", (6, 5), "w"), ("C", (5,), "w")], (((4, 5), F),)),
     Cost(4 * 5 * 6, 4 * 5 * 2 * 6))  # with the bias: 2·K per output
case("com.microsoft:MatMulNBits", node("MatMulNBits", [("A", (2, 64), "x"), ("B", (32, 2, 16), "v", np.zeros((32, 2, 16), np.uint8)),
                                                       ("S", (64,), "w")], (((2, 32), F),), domain="com.microsoft",
                                       K=64, N=32, bits=4, block_size=32), Cost(2 * 64 * 32, 2 * 32 * (2 * 64 - 1)))
case("Einsum", node("Einsum", [("A", (2, 4, 6), "x"), ("B", (2, 6, 5), "x")], (((2, 4, 5), F),), equation="bij,bjk->bik"),
     Cost(2 * 4 * 5 * 6, 2 * 4 * 5 * 11))

# -- convolutions: 3 → 4 channels, 3×3, padding 1, on 8×8: 4·8·8 outputs of 3·3·3 products
CONV_MACS = 4 * 8 * 8 * 3 * 3 * 3
case("Conv", node("Conv", [("X", (1, 3, 8, 8), "x"), ("W", (4, 3, 3, 3), "w"), ("B", (4,), "w")], (((1, 4, 8, 8), F),),
                  pads=[1, 1, 1, 1]), Cost(CONV_MACS, 2 * CONV_MACS))  # 27 products, 26 adds, the bias add
case("ConvInteger", node("ConvInteger", [("X", (1, 3, 8, 8), "x", U8), ("W", (4, 3, 3, 3), "v", np.zeros((4, 3, 3, 3), np.uint8))],
                         (((1, 4, 8, 8), I32),), pads=[1, 1, 1, 1]), Cost(CONV_MACS, 4 * 8 * 8 * (2 * 27 - 1)))  # no bias
case("QLinearConv", node("QLinearConv", [("X", (1, 3, 8, 8), "x", U8), *_q, ("W", (4, 3, 3, 3), "v", np.zeros((4, 3, 3, 3), np.uint8)),
                                         ("s2", (), "v", np.float32(0.1)), ("z2", (), "v", np.uint8(0)),
                                         ("s3", (), "v", np.float32(0.1)), ("z3", (), "v", np.uint8(0)),
                                         ("B", (4,), "v", np.zeros(4, np.int32))], (((1, 4, 8, 8), U8),), pads=[1, 1, 1, 1]),
     Cost(CONV_MACS, 2 * CONV_MACS))
case("ConvTranspose", node("ConvTranspose", [("X", (1, 1, 2, 2), "x"), ("W", (1, 1, 1, 1), "w")], (((1, 1, 4, 4), F),),
                           strides=[3, 3]), Cost(4, 4))  # stride 3 > kernel 1: 4 products land on 4 of 16 outputs
case("CausalConvWithState", node("CausalConvWithState", [("X", (1, 4, 6), "x"), ("W", (4, 1, 3), "w"), ("B", (4,), "w")],
                                 (((1, 4, 6), F), ((1, 4, 2), F)), opset=27, activation="silu"),
     Cost(4 * 6 * 3, 2 * 4 * 6 * 3 + 4 * 6 * 5))  # depthwise: 3 taps per output, the bias, then SiLU (5)
case("DeformConv", node("DeformConv", [("X", (1, 2, 5, 5), "x"), ("W", (3, 2, 3, 3), "w"), ("O", (1, 18, 3, 3), "x")],
                        (((1, 3, 3, 3), F),), opset=22),
     # the conv: 3·3·3 outputs of 2·3·3 products; 81 sample points (9 positions × 9 taps), each placed with
     # 2·(3 + 3) + 4 operations (aligned coordinates, floor/fraction, corner weights), then 7 per channel (4 ·, 3 +)
     Cost(3 * 9 * 18, 3 * 9 * (2 * 18 - 1) + 81 * (2 * 6 + 4) + 81 * 2 * 7))

# -- normalisation
case("BatchNormalization", node("BatchNormalization", [("X", (2, 4, 5, 5), "x"), ("s", (4,), "w"), ("b", (4,), "w"),
                                                       ("m", (4,), "w"), ("v", (4,), "w")], (((2, 4, 5, 5), F),)),
     fm.batch_norm(200, 4, True, False))
case("LayerNormalization", node("LayerNormalization", [("X", (2, 5, 8), "x"), ("s", (8,), "w"), ("b", (8,), "w")],
                                (((2, 5, 8), F),)), fm.layer_norm(80, 8))
case("RMSNormalization", node("RMSNormalization", [("X", (2, 5, 8), "x"), ("s", (8,), "w")], (((2, 5, 8), F),), opset=23),
     fm.rms_norm(80, 8, True))
case("com.microsoft:SimplifiedLayerNormalization", node("SimplifiedLayerNormalization", [("X", (2, 5, 8), "x"), ("s", (8,), "w")],
                                                        (((2, 5, 8), F),), domain="com.microsoft"), fm.rms_norm(80, 8, True))
case("com.microsoft:SkipLayerNormalization",
     node("SkipLayerNormalization", [("X", (2, 5, 8), "x"), ("S", (2, 5, 8), "x"), ("g", (8,), "w"), ("b", (8,), "w")],
          (((2, 5, 8), F),), domain="com.microsoft"), Cost(0, 80) + fm.layer_norm(80, 8))  # the skip add, then LayerNorm
case("com.microsoft:SkipSimplifiedLayerNormalization",
     node("SkipSimplifiedLayerNormalization", [("X", (2, 5, 8), "x"), ("S", (2, 5, 8), "x"), ("g", (8,), "w")],
          (((2, 5, 8), F),), domain="com.microsoft"), Cost(0, 80) + fm.rms_norm(80, 8, True))
case("GroupNormalization", node("GroupNormalization", [("X", (2, 4, 3, 3), "x"), ("s", (4,), "w"), ("b", (4,), "w")],
                                (((2, 4, 3, 3), F),), opset=21, num_groups=2), fm.group_norm(72, 2, 2, True))
case("InstanceNormalization", node("InstanceNormalization", [("X", (2, 4, 3, 3), "x"), ("s", (4,), "w"), ("b", (4,), "w")],
                                   (((2, 4, 3, 3), F),)), fm.group_norm(72, 2, 4, True))  # one group per channel
case("LRN", node("LRN", [("X", (1, 8, 6, 6), "x")], (((1, 8, 6, 6), F),), size=5),
     Cost(0, 8 * 36 * (5 + 4)))  # square, 4 adds over the 5-channel window, ·α/n, +k, ^β, divide
case("LpNormalization", node("LpNormalization", [("X", X24, "x")], ((X24, F),)), Cost(0, N * 3))  # square, add, (root), divide
case("MeanVarianceNormalization", node("MeanVarianceNormalization", [("X", (2, 3, 4, 4), "x")], (((2, 3, 4, 4), F),)),
     Cost(0, 4 * 96 + 3 + 96))  # variance 4 per element, 3 per-channel square roots, a divide per element

# -- pooling (seed: every window element once per output)
case("MaxPool", node("MaxPool", [("X", (1, 2, 8, 8), "x")], (((1, 2, 4, 4), F),), kernel_shape=[2, 2], strides=[2, 2]),
     Cost(0, 2 * 4 * 4 * 2 * 2))
case("AveragePool", node("AveragePool", [("X", (1, 2, 8, 8), "x")], (((1, 2, 4, 4), F),), kernel_shape=[2, 2], strides=[2, 2]),
     Cost(0, 2 * 4 * 4 * 2 * 2))
case("LpPool", node("LpPool", [("X", (1, 2, 8, 8), "x")], (((1, 2, 4, 4), F),), kernel_shape=[2, 2], strides=[2, 2]),
     Cost(0, 2 * 4 * 4 * 2 * 2))
for key in ("GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"):
    case(key, node(key, [("X", (1, 3, 4, 4), "x")], (((1, 3, 1, 1), F),)), fm.adaptive_pool((1, 3, 4, 4), (1, 1)))
case("com.microsoft:QLinearAveragePool",
     node("QLinearAveragePool", [("X", (1, 2, 8, 8), "x", U8), *_q, ("s2", (), "v", np.float32(0.1)), ("z2", (), "v", np.uint8(0))],
          (((1, 2, 4, 4), U8),), domain="com.microsoft", kernel_shape=[2, 2], strides=[2, 2]), Cost(0, 2 * 4 * 4 * 2 * 2))
case("com.microsoft:QLinearGlobalAveragePool",
     node("QLinearGlobalAveragePool", [("X", (1, 3, 4, 4), "x", U8), *_q, ("s2", (), "v", np.float32(0.1)),
                                       ("z2", (), "v", np.uint8(0))], (((1, 3, 1, 1), U8),), domain="com.microsoft"),
     fm.adaptive_pool((1, 3, 4, 4), (1, 1)))

# -- softmax, reductions, selection
case("Softmax", node("Softmax", [("X", (2, 10), "x")], (((2, 10), F),)), Cost(0, 2 * (5 * 10 - 2)))  # 5n − 2 per row
case("LogSoftmax", node("LogSoftmax", [("X", (2, 10), "x")], (((2, 10), F),)), Cost(0, 2 * (5 * 10 - 1)))  # 5n − 1 per row
case("Shrink", node("Shrink", [("X", X24, "x")], ((X24, F),), lambd=0.5), Cost(0, N * 3))  # compare with ±λ (2), add the bias
case("Hardmax", node("Hardmax", [("X", X24, "x")], ((X24, F),)), Cost(0, N - 6))  # n − 1 comparisons in each of 6 rows
_axes1 = ("axes", (1,), "v", np.array([1], np.int64))
for key in ("ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd"):
    case(key, node(key, [("X", (4, 10), "x"), _axes1], (((4, 1), F),), opset=18), Cost(0, 4 * 9))  # n − 1 per output
case("ReduceMean", node("ReduceMean", [("X", (4, 10), "x"), _axes1], (((4, 1), F),), opset=18), Cost(0, 4 * 10))  # +1 divide
for key in ("ReduceSumSquare", "ReduceL2", "ReduceL1", "ReduceLogSum"):
    case(key, node(key, [("X", (4, 10), "x"), _axes1], (((4, 1), F),), opset=18), Cost(0, 2 * 40))  # square (|x|) and add each
case("ReduceLogSumExp", node("ReduceLogSumExp", [("X", (4, 10), "x"), _axes1], (((4, 1), F),), opset=18), Cost(0, 4 * 4 * 10))
for key in ("ArgMax", "ArgMin"):
    case(key, node(key, [("X", (4, 10), "x")], (((4, 1), I64),), axis=1), Cost(0, 4 * 9))  # n − 1 comparisons per row
case("CumSum", node("CumSum", [("X", (3, 5), "x"), ("a", (), "v", np.int64(1))], (((3, 5), F),)), Cost(0, 3 * 4))
case("CumProd", node("CumProd", [("X", (3, 5), "x"), ("a", (), "v", np.int64(1))], (((3, 5), F),), opset=26), Cost(0, 3 * 4))
case("TopK", node("TopK", [("X", (3, 10), "x"), ("k", (1,), "v", np.array([4], np.int64))], (((3, 4), F), ((3, 4), I64))),
     fm.topk(30, 10, 4))
case("Unique", node("Unique", [("X", (10,), "x")], ((("u",), F),)), Cost(0, 10 * 4 + 9))  # sort 10·⌈log₂ 10⌉, 9 comparisons
case("NonMaxSuppression", node("NonMaxSuppression", [("b", (1, 6, 4), "x"), ("s", (1, 2, 6), "x")], ((("k", 3), I64),)),
     Cost(0, 2 * (6 * 3 + 3 * 6 + 15 * (12 + 1))))  # per class: sort 6·⌈log₂ 6⌉, 6 areas (3), all 15 pairs' IoU (12) + compare

# -- interpolation, sampling, detection
case("Resize", node("Resize", [("X", (1, 3, 8, 8), "x"), ("roi", (0,), None), ("sc", (4,), "v", np.array([1, 1, 2, 2], np.float32))],
                    (((1, 3, 16, 16), F),), mode="linear"), Cost(0, 3 * 16 * 16 * 9))  # bilinear: three lerps (3 each)
case("Upsample", node("Upsample", [("X", (1, 3, 8, 8), "x"), ("sc", (4,), "v", np.array([1, 1, 2, 2], np.float32))],
                      (((1, 3, 16, 16), F),), opset=9, mode="linear"), Cost(0, 3 * 16 * 16 * 9))
case("GridSample", node("GridSample", [("X", (1, 3, 8, 8), "x"), ("G", (1, 5, 5, 2), "x")], (((1, 3, 5, 5), F),), opset=20),
     # 25 points: per dim ((x + 1)·W − 1)/2 (4) and floor/fraction/complement (3), 4 corner weights (1 multiply each);
     # per point and channel 4 multiplies and 3 adds
     Cost(0, 25 * (2 * 7 + 4) + 25 * 3 * 7))
case("AffineGrid", node("AffineGrid", [("T", (1, 2, 3), "x"), ("size", (4,), "v", np.array([1, 3, 4, 5], np.int64))],
                        (((1, 4, 5, 2), F),), opset=20), Cost(20 * 2 * 3, 20 * 2 * 5))  # θ (2×3) · (x, y, 1) per point
case("RoiAlign", node("RoiAlign", [("X", (1, 4, 8, 8), "x"), ("r", (3, 4), "x"), ("i", (3,), "x", I64)], (((3, 4, 2, 2), F),),
                      output_height=2, output_width=2, sampling_ratio=2),
     Cost(0, 8 * 4 * 48 + 14 * 48))  # 3 regions × 4 bins × 2² samples: 8 per sample and channel, 14 to place each
case("Col2Im", node("Col2Im", [("X", (1, 8, 9), "x"), ("i", (2,), "v", np.array([4, 4], np.int64)),
                               ("b", (2,), "v", np.array([2, 2], np.int64))], (((1, 2, 4, 4), F),), opset=18),
     Cost(0, 8 * 9))  # each of the 72 block elements added into its pixel

# -- losses
case("NegativeLogLikelihoodLoss", node("NegativeLogLikelihoodLoss", [("X", (3, 5), "x"), ("t", (3,), "x", I64)], (((), F),),
                                       opset=13), Cost(0, 3 * 1 + 2 + 1))  # 3 negations; mean: 2 adds, ÷ 3 (no weights, none ignored)
case("SoftmaxCrossEntropyLoss", node("SoftmaxCrossEntropyLoss", [("X", (3, 5), "x"), ("t", (3,), "x", I64)], (((), F),),
                                     opset=13), Cost(0, 3 * (5 * 5 - 1) + 3 + 2 + 1))  # log-softmax rows, then the NLL

# -- recurrent, attention, positions
case("LSTM", node("LSTM", [("X", (5, 1, 8), "x"), ("W", (1, 64, 8), "w"), ("R", (1, 64, 16), "w"), ("B", (1, 128), "w")],
                  (((5, 1, 1, 16), F),), hidden_size=16), fm.rnn(fm.RnnSpec("lstm", 8, 16, 1, True, False, 0, 2), 5, 1))
case("GRU", node("GRU", [("X", (5, 1, 8), "x"), ("W", (1, 48, 8), "w"), ("R", (1, 48, 16), "w"), ("B", (1, 96), "w")],
                 (((5, 1, 1, 16), F),), hidden_size=16), fm.rnn(fm.RnnSpec("gru", 8, 16, 1, True, False, 0, 2), 5, 1))
case("RNN", node("RNN", [("X", (5, 1, 8), "x"), ("W", (1, 16, 8), "w"), ("R", (1, 16, 16), "w")], (((5, 1, 1, 16), F),), hidden_size=16),
     fm.rnn(fm.RnnSpec("rnn_tanh", 8, 16, 1, False, False, 0, 2), 5, 1))
_sdpa = fm.sdpa((1, 8, 16, 64), (1, 8, 16, 64), (1, 8, 16, 64), True)
case("Attention", node("Attention", [("Q", (1, 8, 16, 64), "x"), ("K", (1, 2, 16, 64), "x"), ("V", (1, 2, 16, 64), "x")],
                       (((1, 8, 16, 64), F),), opset=23, is_causal=1), _sdpa)  # grouped: arithmetic per query head
case("com.microsoft:GroupQueryAttention",
     node("GroupQueryAttention", [("Q", (1, 16, 512), "x"), ("K", (1, 16, 128), "x"), ("V", (1, 16, 128), "x")],
          (((1, 16, 512), F),), domain="com.microsoft", num_heads=8, kv_num_heads=2), _sdpa)
case("com.microsoft:Attention", node("Attention", [("X", (1, 16, 64), "x"), ("W", (64, 192), "w"), ("B", (192,), "w")],
                                     (((1, 16, 64), F),), domain="com.microsoft", num_heads=4),
     Cost(16 * 64 * 192, 16 * 192 * 2 * 64) + fm.sdpa((1, 4, 16, 16), (1, 4, 16, 16), (1, 4, 16, 16), False))  # QKV, then SDPA
case("RotaryEmbedding", node("RotaryEmbedding", [("X", (1, 2, 4, 8), "x"), ("c", (4, 4), "w"), ("s", (4, 4), "w"),
                                                 ("p", (1, 4), "x", I64)], (((1, 2, 4, 8), F),), opset=23),
     Cost(0, 64 * 3))  # every element of [B, H, S, D] rotated: 2 multiplies, 1 add
case("com.microsoft:RotaryEmbedding", node("RotaryEmbedding", [("X", (1, 4, 16), "x"), ("p", (1, 4), "x", I64),
                                                               ("c", (4, 4), "w"), ("s", (4, 4), "w")], (((1, 4, 16), F),),
                                           domain="com.microsoft", num_heads=2, rotary_embedding_dim=4),
     Cost(0, 32 * 3))  # 2 heads of 8, the first 4 of each rotated: half the 64 elements
case("LinearAttention", node("LinearAttention", [("q", (1, 3, 8), "x"), ("k", (1, 3, 8), "x"), ("v", (1, 3, 8), "x")],
                             (((1, 3, 8), F), ((1, 2, 4, 4), F)), opset=27, q_num_heads=2, kv_num_heads=2, update_rule="linear"),
     # 3 tokens; per head a 4×4 state: the update k ⊗ v (16 products added into S), the read Sᵀq (4 dot products of
     # length 4: 16 MACs, 4·7 FLOPs) and its scaling (4)
     Cost(3 * (2 * 16 + 2 * 16), 3 * (2 * 32 + 2 * (4 * 7 + 4))))

# -- signal processing, linear algebra
case("DFT", node("DFT", [("X", (1, 16, 1), "x")], (((1, 16, 2), F),), opset=20), Cost(0, 5 * 16 * 4 // 2))  # real: half of 5n·log₂n
case("STFT", node("STFT", [("X", (1, 64, 1), "x"), ("st", (), "v", np.int64(16)), ("w", (16,), "w")], (((1, 4, 9, 2), F),),
                  opset=17), Cost(0, 4 * (5 * 16 * 4 // 2 + 16)))  # 4 frames: a windowing multiply per sample, a real FFT
for key, terms in {"HannWindow": 1, "HammingWindow": 1, "BlackmanWindow": 2}.items():
    case(key, node(key, [("n", (), "v", np.int64(10))], (((10,), F),)),
         Cost(0, 10 * terms * 4))  # per cosine term: angle, cos, coefficient, add
case("Det", node("Det", [("X", (2, 4, 4), "x")], (((2,), F),)),
     # LU of a 4×4: 9 + 4 + 1 = 14 multiply-adds, 6 divides, 6 + 3 pivot comparisons, then 3 multiplies of the diagonal
     Cost(2 * 14, 2 * (2 * 14 + 6 + 9 + 3)))


@pytest.mark.parametrize("key", sorted(CASES))
def test_op(key):
    model, cost = CASES[key]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the checker does not know every com.microsoft schema
        r = analyze_onnx(model)
    assert r.unsupported == {}, r.unsupported
    assert (r.total.macs, r.total.flops) == (cost.macs, cost.flops)


def test_every_registered_op_has_a_case():
    missing = sorted(set(ONNX.keys()) - set(CASES))
    assert missing == [], f"registered ONNX ops with no case in this file: {missing}"
