"""ONNX op -> formula bindings. Thin: read shapes and attributes of a node, call a formula.

Keys are op types of the default domain, or ``"com.microsoft:OpType"``. A node whose
shapes are not fully known (a symbol left unbound, inference that gave up) raises
:class:`UnknownShape`; the frontend reports it instead of counting zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ... import formulas as fm
from ...cost import ZERO, Cost
from ...registry import Registry
from .shapes import Shape

__all__ = ["ONNX", "NodeView", "UnknownShape", "ValueUnknown"]

ONNX: Registry[str] = Registry("onnx ops")


_INTEGER_TYPES = frozenset({2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 21, 22})  # (u)int8..64, string, bool, (u)int4


class UnknownShape(Exception):
    """A shape this node's formula needs is unknown or symbolic; ``what`` says so in the
    report's unsupported list (``MatMul (shape unknown)``)."""

    what = "shape unknown"


class ValueUnknown(UnknownShape):
    """The cost depends on the value of an input that is not a constant (an axis, k, a
    size given as data): ``CumSum (axis is an input value)``."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is an input value")
        self.what = f"{name} is an input value"


@dataclass
class NodeView:
    op_type: str
    inputs: list[Shape | None]  # "" inputs (optional, absent) are None
    outputs: list[Shape | None]
    attrs: dict[str, Any]
    present: list[bool]  # whether each optional input was given
    in_types: list[int | None]  # ONNX element types (TensorProto.DataType), None when unknown
    out_types: list[int | None]
    static: bool = False  # every input is known before the model runs (initializers, constants, shapes)
    lookup: Callable[[int], Any] | None = None  # reads input i's value when it is a small inline constant

    def value(self, i: int) -> Any:
        """Input i's value (a scalar, or a small 1-D array) when it is a constant, else None."""
        return self.lookup(i) if self.lookup is not None and i < len(self.present) and self.present[i] else None

    def shape_arithmetic(self) -> bool:
        """Integer arithmetic on values known before the model runs: computing sizes from
        sizes (``Shape → Gather → Div → Concat``), which PyTorch does with Python ints. It is
        metadata and free; integer arithmetic on the model's data counts like any other."""
        known = [t for t in [*self.in_types, *self.out_types] if t is not None]
        return self.static and bool(known) and all(t in _INTEGER_TYPES for t in known)

    def shape(self, i: int, output: bool = False) -> tuple[int, ...]:
        seq = self.outputs if output else self.inputs
        s = seq[i] if i < len(seq) else None
        if s is None or any(not isinstance(d, int) for d in s):
            raise UnknownShape(f"{'output' if output else 'input'} {i} of {self.op_type} has shape {s}")
        return s  # type: ignore[return-value]

    def has(self, i: int) -> bool:
        return i < len(self.present) and self.present[i]

    def out_numel(self, i: int = 0) -> int:
        return fm.prod(self.shape(i, output=True))


Binding = Callable[[NodeView], Cost]


def _axis(axis: int, rank: int) -> int:
    return axis + rank if axis < 0 else axis


# -- dot products --------------------------------------------------------------------------
@ONNX.register("MatMul", "MatMulInteger", "com.microsoft:FusedMatMul")
def _matmul(n: NodeView) -> Cost:
    a, b = n.shape(0), n.shape(1)
    if n.attrs.get("transA"):
        a = a[:-2] + (a[-1], a[-2])
    if n.attrs.get("transB"):
        b = b[:-2] + (b[-1], b[-2])
    return fm.matmul(a, b)


@ONNX.register("QLinearMatMul")
def _qlinear_matmul(n: NodeView) -> Cost:
    return fm.matmul(n.shape(0), n.shape(3))


@ONNX.register("Gemm")
def _gemm(n: NodeView) -> Cost:
    """alpha·A'·B' + beta·C = a linear layer (alpha, beta scalings not counted, NB)."""
    a, b = n.shape(0), n.shape(1)
    m, k = (a[1], a[0]) if n.attrs.get("transA") else (a[0], a[1])
    nn = b[0] if n.attrs.get("transB") else b[1]
    return fm.linear(m, k, nn, bias=n.has(2))


@ONNX.register("com.microsoft:MatMulNBits")
def _matmul_nbits(n: NodeView) -> Cost:
    """A [..., K] @ dequantised B [K, N] (weights packed in blocks; attributes K and N)."""
    a = n.shape(0)
    k, nn = int(n.attrs["K"]), int(n.attrs["N"])
    return fm.linear(fm.prod(a[:-1]), k, nn, bias=n.has(5))


@ONNX.register("Einsum")
def _einsum(n: NodeView) -> Cost:
    eq = n.attrs["equation"]
    eq = eq.decode() if isinstance(eq, bytes) else eq
    return fm.einsum(eq, *[n.shape(i) for i in range(len(n.inputs))])


@ONNX.register("Conv", "ConvInteger", "QLinearConv")
def _conv(n: NodeView) -> Cost:
    w = 3 if n.op_type == "QLinearConv" else 1
    bias = n.has(8) if n.op_type == "QLinearConv" else n.has(2) and n.op_type == "Conv"
    return fm.conv(n.shape(0), n.shape(w), n.shape(0, output=True), bias)


@ONNX.register("ConvTranspose")
def _conv_transpose(n: NodeView) -> Cost:
    x, w, out = n.shape(0), n.shape(1), n.shape(0, output=True)
    nd = len(w) - 2
    strides = list(n.attrs.get("strides") or [1] * nd)
    dilations = list(n.attrs.get("dilations") or [1] * nd)
    pads = n.attrs.get("pads")
    if pads:
        begin = list(pads[:nd])
    else:  # auto_pad: the total padding is what makes the output its size (ONNX ConvTranspose spec)
        op = list(n.attrs.get("output_padding") or [0] * nd)
        total = [strides[i] * (x[2 + i] - 1) + op[i] + (w[2 + i] - 1) * dilations[i] + 1 - out[2 + i] for i in range(nd)]
        upper = n.attrs.get("auto_pad", b"NOTSET") in (b"SAME_UPPER", "SAME_UPPER")
        begin = [t // 2 if upper else t - t // 2 for t in total]
    return fm.conv(x, w, out, n.has(2), transposed=True, stride=strides, padding=begin, dilation=dilations)


# -- normalisation ---------------------------------------------------------------------------
@ONNX.register("BatchNormalization")
def _batch_norm(n: NodeView) -> Cost:
    x = n.shape(0)
    return fm.batch_norm(fm.prod(x), x[1] if len(x) > 1 else 1, True, bool(n.attrs.get("training_mode", 0)))


@ONNX.register("LayerNormalization", "com.microsoft:SimplifiedLayerNormalization", "RMSNormalization")
def _layer_norm(n: NodeView) -> Cost:
    x = n.shape(0)
    axis = _axis(int(n.attrs.get("axis", -1)), len(x))
    size = fm.prod(x[axis:])
    if n.op_type in ("RMSNormalization", "com.microsoft:SimplifiedLayerNormalization"):
        return fm.rms_norm(fm.prod(x), size, n.has(1))
    return fm.layer_norm(fm.prod(x), size, n.has(1), n.has(2))


@ONNX.register("com.microsoft:SkipLayerNormalization", "com.microsoft:SkipSimplifiedLayerNormalization")
def _skip_layer_norm(n: NodeView) -> Cost:
    """x + skip (+ bias), then LayerNorm/RMSNorm over the last dim."""
    x = n.shape(0)
    numel, size = fm.prod(x), x[-1]
    add = fm.elementwise("add", numel) * (2 if n.has(4 if "Simplified" not in n.op_type else 3) else 1)
    if "Simplified" in n.op_type:
        return add + fm.rms_norm(numel, size, True)
    return add + fm.layer_norm(numel, size, True, n.has(3))


@ONNX.register("GroupNormalization")
def _group_norm(n: NodeView) -> Cost:
    x = n.shape(0)
    return fm.group_norm(fm.prod(x), x[0], int(n.attrs["num_groups"]), True)


@ONNX.register("InstanceNormalization")
def _instance_norm(n: NodeView) -> Cost:
    x = n.shape(0)
    return fm.group_norm(fm.prod(x), x[0], x[1], True)


# -- pooling -------------------------------------------------------------------------------
@ONNX.register("MaxPool", "AveragePool", "LpPool", "com.microsoft:QLinearAveragePool")
def _pool(n: NodeView) -> Cost:
    return fm.pool(n.shape(0, output=True), tuple(n.attrs["kernel_shape"]))


@ONNX.register("GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "com.microsoft:QLinearGlobalAveragePool")
def _global_pool(n: NodeView) -> Cost:
    x = n.shape(0)
    return fm.adaptive_pool(x, (1,) * (len(x) - 2))


# -- softmax, reductions ------------------------------------------------------------------------
def _softmax_len(n: NodeView, opset_default: int = -1) -> tuple[int, int]:
    x = n.shape(0)
    axis = _axis(int(n.attrs.get("axis", opset_default)), len(x))
    return fm.prod(x), x[axis] if x else 1


@ONNX.register("Softmax")
def _softmax(n: NodeView) -> Cost:
    return fm.softmax(*_softmax_len(n))


@ONNX.register("LogSoftmax")
def _log_softmax(n: NodeView) -> Cost:
    return fm.log_softmax(*_softmax_len(n))


@ONNX.register("TopK")
def _topk(n: NodeView) -> Cost:
    """TopK(X, K): the k largest along ``axis`` (default −1), the formula torch.topk uses."""
    x = n.shape(0)
    k = n.value(1)
    if k is None:
        raise ValueUnknown("k")
    axis = _axis(int(n.attrs.get("axis", -1)), len(x))
    return fm.topk(fm.prod(x), x[axis] if x else 1, int(k))


def _reduced_numel(n: NodeView) -> int:
    """Elements a Reduce* node outputs: its output shape, which the walker fills in from the
    axes where ONNX's inference left it unknown (:func:`.shapes.propagate`: empty axes,
    constant axes, the attribute). Axes given as data at run time decide the count, which is
    then reported, not guessed."""
    try:
        return n.out_numel()
    except UnknownShape:
        if n.op_type.startswith("Reduce") and n.has(1) and n.inputs[1] != (0,) and n.value(1) is None:
            raise ValueUnknown("axes") from None
        raise


@ONNX.register("ReduceLogSumExp")
def _reduce_logsumexp(n: NodeView) -> Cost:
    """log Σ exp over the reduced dims: the stable form of formulas.logsumexp, n = in / out per output."""
    numel, out = fm.prod(n.shape(0)), _reduced_numel(n)
    return fm.logsumexp(numel, numel // out if out else 0)


@ONNX.register("ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ArgMax", "ArgMin")
def _reduce(n: NodeView) -> Cost:
    return fm.reduction(fm.prod(n.shape(0)), _reduced_numel(n))


@ONNX.register("ReduceMean")
def _reduce_mean(n: NodeView) -> Cost:
    return fm.mean_reduction(fm.prod(n.shape(0)), _reduced_numel(n))


@ONNX.register("ReduceSumSquare", "ReduceL2", "ReduceL1", "ReduceLogSum")
def _reduce_norm(n: NodeView) -> Cost:
    return fm.norm_reduction(fm.prod(n.shape(0)))


@ONNX.register("CumSum")
def _cumsum(n: NodeView) -> Cost:
    """CumSum(x, axis): the axis is input 1, a scalar tensor (not an attribute)."""
    x = n.shape(0)
    if not x:
        return ZERO
    axis_value = n.value(1)
    if axis_value is None:
        if len(set(x)) > 1:  # the axis decides the cost; with all dims equal (or one dim), any axis costs the same
            raise ValueUnknown("axis")
        axis_value = 0
    axis = _axis(int(axis_value), len(x))
    return fm.cumulative(fm.prod(x), x[axis])


# -- interpolation -------------------------------------------------------------------------------
@ONNX.register("Resize", "Upsample")
def _resize(n: NodeView) -> Cost:
    mode = n.attrs.get("mode", "nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    spatial = len(n.shape(0, output=True)) - 2
    name = {"nearest": "nearest", "linear": {1: "linear", 2: "bilinear", 3: "trilinear"}.get(spatial, "bilinear"),
            "cubic": "bicubic"}[mode]
    return fm.interpolate(n.out_numel(), name)


# -- recurrent -------------------------------------------------------------------------------------
def _rnn(mode: str) -> Binding:
    def bind(n: NodeView) -> Cost:
        x, w = n.shape(0), n.shape(1)
        hidden = int(n.attrs["hidden_size"])
        layout = int(n.attrs.get("layout", 0))
        seq, batch = (x[1], x[0]) if layout else (x[0], x[1])
        bidir = (n.attrs.get("direction", b"forward") in (b"bidirectional", "bidirectional"))
        rnn_mode = mode
        if mode == "rnn":
            acts = n.attrs.get("activations", [b"Tanh"])
            rnn_mode = "rnn_relu" if acts and acts[0] in (b"Relu", "Relu") else "rnn_tanh"
        spec = fm.RnnSpec(rnn_mode, w[2], hidden, 1, n.has(3), bidir, 0, 2)
        return fm.rnn(spec, seq, batch)

    return bind


ONNX.register("LSTM")(_rnn("lstm"))
ONNX.register("GRU")(_rnn("gru"))
ONNX.register("RNN")(_rnn("rnn"))


# -- attention ------------------------------------------------------------------------------------
@ONNX.register("Attention")
def _attention(n: NodeView) -> Cost:
    """Opset 23 Attention: Q, K, V as [B, H, S, E] or [B, S, H·E] with q/kv_num_heads."""
    q, k, v = n.shape(0), n.shape(1), n.shape(2)
    if len(q) == 3:
        hq, hkv = int(n.attrs["q_num_heads"]), int(n.attrs["kv_num_heads"])
        q = (q[0], hq, q[1], q[2] // hq)
        k = (k[0], hkv, k[1], k[2] // hkv)
        v = (v[0], hkv, v[1], v[2] // hkv)
    if n.has(4):  # past_key: the keys grow by the cached length
        past = n.shape(4)
        k = k[:-2] + (k[-2] + past[-2], k[-1])
        v = v[:-2] + (v[-2] + past[-2], v[-1])
    hq = q[-3]
    k = k[:-3] + (hq,) + k[-2:]  # grouped-query: arithmetic per query head
    v = v[:-3] + (hq,) + v[-2:]
    return fm.sdpa(q, k, v, masked=n.has(3) or bool(n.attrs.get("is_causal", 0)))


@ONNX.register("com.microsoft:Attention")
def _ms_attention(n: NodeView) -> Cost:
    """input [B, S, hidden] · weights [hidden, 3·hidden] (+ bias), then SDPA over num_heads."""
    x, w = n.shape(0), n.shape(1)
    b, s, hid = x
    heads = int(n.attrs["num_heads"])
    out = w[1] // 3
    hd = out // heads
    proj = fm.linear(b * s, hid, w[1], n.has(2))
    return proj + fm.sdpa((b, heads, s, hd), (b, heads, s, hd), (b, heads, s, hd), n.has(3))


@ONNX.register("com.microsoft:GroupQueryAttention")
def _gqa(n: NodeView) -> Cost:
    q = n.shape(0)
    heads, kv_heads = int(n.attrs["num_heads"]), int(n.attrs["kv_num_heads"])
    b, s = q[0], q[1]
    hd = q[2] // heads if n.has(1) else q[2] // (heads + 2 * kv_heads)
    total = s + (n.shape(3)[2] if n.has(3) else 0)
    return fm.sdpa((b, heads, s, hd), (b, heads, total, hd), (b, heads, total, hd), True)


def _text(n: NodeView, key: str, default: str) -> str:
    v = n.attrs.get(key, default)
    return v.decode() if isinstance(v, bytes) else str(v)


@ONNX.register("RotaryEmbedding", "com.microsoft:RotaryEmbedding")
def _rotary(n: NodeView) -> Cost:
    """X [B, S, H·D] or [B, H, S, D]; ``rotary_embedding_dim`` (0: all of D) of each head rotated."""
    x = n.shape(0)
    if len(x) == 4:
        head = x[-1]
    else:
        heads = int(n.attrs.get("num_heads", 0))
        if not heads:
            raise UnknownShape("RotaryEmbedding on [B, S, H·D] needs num_heads")
        head = x[-1] // heads
    part = int(n.attrs.get("rotary_embedding_dim", 0)) or head
    return fm.rotary(fm.prod(x) // head * part)


@ONNX.register("LinearAttention")
def _linear_attention(n: NodeView) -> Cost:
    """query/key [B, T, H·d_k], value [B, T, H_kv·d_v] (3-D packed; 4-D [B, H, T, d] too); the
    update rule defaults to ``gated_delta``, as in the operator's definition."""
    q, k, v = n.shape(0), n.shape(1), n.shape(2)
    hq, hkv = int(n.attrs["q_num_heads"]), int(n.attrs["kv_num_heads"])
    if len(q) == 4:
        tokens, d_k, d_v = q[0] * q[2], q[-1], v[-1]
    else:
        tokens, d_k, d_v = q[0] * q[1], k[-1] // hkv, v[-1] // hkv
    return fm.linear_attention(tokens, hq, hkv, d_k, d_v, _text(n, "update_rule", "gated_delta"))


@ONNX.register("CausalConvWithState")
def _causal_conv(n: NodeView) -> Cost:
    """Depthwise causal conv: input [B, C, L], weight [C, 1, k]: L outputs per channel, k taps
    each (the past state supplies the first k − 1); fused SiLU when ``activation`` says so."""
    x, w = n.shape(0), n.shape(1)
    out = x
    cost = fm.conv(x, w, out, bias=n.has(2))
    if _text(n, "activation", "none").lower() in ("silu", "swish"):
        cost += fm.elementwise("silu", fm.prod(out))
    return cost


@ONNX.register("Swish")
def _swish(n: NodeView) -> Cost:
    """x · sigmoid(α·x): SiLU (sigmoid 4 + multiply 1), and the multiply by α when α ≠ 1."""
    alpha = float(n.attrs.get("alpha", 1.0))
    return fm.elementwise("silu", n.out_numel()) + (fm.elementwise("mul", n.out_numel()) if alpha != 1.0 else ZERO)


@ONNX.register("SwiGLU")
def _swiglu(n: NodeView) -> Cost:
    """Swish(A) · B: Swish, then one multiply per element."""
    return _swish(n) + fm.elementwise("mul", n.out_numel())


# -- losses, sampling, signal processing, linear algebra ------------------------------------------------
@ONNX.register("NegativeLogLikelihoodLoss")
def _nll(n: NodeView) -> Cost:
    """input [N, C, d₁, …], target [N, d₁, …], optional weight [C]; ``ignore_index`` optional."""
    return fm.nll_loss(fm.prod(n.shape(1)), n.has(2), _text(n, "reduction", "mean"), "ignore_index" in n.attrs)


@ONNX.register("SoftmaxCrossEntropyLoss")
def _softmax_ce(n: NodeView) -> Cost:
    """scores [N, C, d₁, …], labels [N, d₁, …]: log-softmax over C, then the NLL loss."""
    scores = n.shape(0)
    return fm.cross_entropy(fm.prod(n.shape(1)), scores[1], n.has(2), _text(n, "reduction", "mean"), "ignore_index" in n.attrs)


@ONNX.register("GridSample")
def _grid_sample(n: NodeView) -> Cost:
    """X [N, C, *in], grid [N, *out, d]; modes nearest/linear(bilinear)/cubic, paddings zeros/border/reflection."""
    x, grid = n.shape(0), n.shape(1)
    mode = {"linear": "bilinear", "cubic": "bicubic"}.get(_text(n, "mode", "linear"), _text(n, "mode", "linear"))
    return fm.grid_sample(fm.prod(grid[:-1]), x[1], grid[-1], mode, _text(n, "padding_mode", "zeros"),
                          bool(n.attrs.get("align_corners", 0)))


@ONNX.register("AffineGrid")
def _affine_grid(n: NodeView) -> Cost:
    """theta [N, d, d + 1] → grid [N, *spatial, d]."""
    grid = n.shape(0, output=True)
    return fm.affine_grid(grid[0], fm.prod(grid[1:-1]), grid[-1])


@ONNX.register("LRN")
def _lrn(n: NodeView) -> Cost:
    return fm.lrn(n.out_numel(), int(n.attrs["size"]))


@ONNX.register("Shrink")
def _shrink(n: NodeView) -> Cost:
    return fm.shrink(n.out_numel())


@ONNX.register("LpNormalization")
def _lp_normalization(n: NodeView) -> Cost:
    return fm.lp_normalize(n.out_numel())


@ONNX.register("MeanVarianceNormalization")
def _mvn(n: NodeView) -> Cost:
    """Statistics over ``axes`` (default 0, 2, 3: per channel)."""
    x = n.shape(0)
    axes = {_axis(int(a), len(x)) for a in (n.attrs.get("axes") or [0, 2, 3])}
    return fm.mean_variance_normalize(fm.prod(x), fm.prod(d for i, d in enumerate(x) if i not in axes))


@ONNX.register("Hardmax")
def _hardmax(n: NodeView) -> Cost:
    """A one-hot of the first maximum along ``axis``: n − 1 comparisons per row (writing the one-hot is data movement)."""
    x = n.shape(0)
    if not x:
        return ZERO
    axis = _axis(int(n.attrs.get("axis", -1)), len(x))
    return fm.reduction(fm.prod(x), fm.prod(x) // x[axis] if x[axis] else 0)


@ONNX.register("CumProd")
def _cumprod(n: NodeView) -> Cost:
    return _cumsum(n)


@ONNX.register("Det")
def _det(n: NodeView) -> Cost:
    x = n.shape(0)
    return fm.det(x[-1], fm.prod(x[:-2]))


@ONNX.register("DFT")
def _dft(n: NodeView) -> Cost:
    """input [..., L, 1 or 2] (real or complex); the axis (an attribute before opset 20, input 2
    since) and dft_length (input 1) pick the transform; a real input, or a one-sided output, is
    the half-cost real transform."""
    x = n.shape(0)
    if not n.has(2):  # opset 17's attribute (default 1), or opset 20's default −2: the same axis for [B, L, 1|2]
        axis = int(n.attrs.get("axis", -2))
    else:
        value = n.value(2)
        if value is None:
            raise ValueUnknown("axis")
        axis = int(value)
    axis = _axis(axis, len(x))
    length = x[axis]
    if n.has(1):
        value = n.value(1)
        if value is None:
            raise ValueUnknown("dft_length")
        length = int(value)
    real = x[-1] == 1 or bool(n.attrs.get("onesided", 0))
    lines = fm.prod(x[:-1]) // x[axis] if x[axis] else 0
    return fm.fft(length, lines, real) + (fm.elementwise("mul", n.out_numel()) if n.attrs.get("inverse") else ZERO)


@ONNX.register("STFT")
def _stft(n: NodeView) -> Cost:
    """signal [B, L, 1 or 2], frame_step (input 1), window (input 2), frame_length (input 3)."""
    sig, out = n.shape(0), n.shape(0, output=True)  # out: [B, frames, bins, 2]
    frame_length = n.shape(2)[0] if n.has(2) else n.value(3)
    if frame_length is None:
        raise ValueUnknown("frame_length")
    fl = int(frame_length)
    return fm.stft(out[0] * out[1], fl, fl, sig[-1] == 1, n.has(2), bool(n.attrs.get("onesided", 1)))


def _window(kind: str) -> Binding:
    def bind(n: NodeView) -> Cost:
        return fm.window(n.out_numel(), kind)

    return bind


for _op, _kind in {"HannWindow": "hann", "HammingWindow": "hamming", "BlackmanWindow": "blackman"}.items():
    ONNX.register(_op)(_window(_kind))


@ONNX.register("RoiAlign")
def _roi_align(n: NodeView) -> Cost:
    """X [N, C, H, W], rois [R, 4]: R·out_h·out_w bins of sampling_ratio² samples each; with
    sampling_ratio 0 each region's own size sets its samples, a run-time value."""
    x, rois = n.shape(0), n.shape(1)
    ratio = int(n.attrs.get("sampling_ratio", 0))
    if ratio <= 0:
        raise ValueUnknown("the regions (sampling_ratio 0)")
    bins = rois[0] * int(n.attrs.get("output_height", 1)) * int(n.attrs.get("output_width", 1))
    return fm.roi_align(x[1], bins * ratio * ratio)


@ONNX.register("Col2Im")
def _col2im(n: NodeView) -> Cost:
    """Blocks [N, C·∏block, L] summed into the image: every block element is added to its
    pixel (the first add into a zeroed image included): one add per input element."""
    return fm.accumulate(fm.prod(n.shape(0)))


@ONNX.register("DeformConv")
def _deform_conv(n: NodeView) -> Cost:
    """A convolution whose taps are bilinear samples at learned offsets: the convolution's
    cost, plus per (output position, tap, input channel) one bilinear sample (its weights are
    shared by the channels of an offset group: placed once per group), times the mask when given."""
    x, w, out = n.shape(0), n.shape(1), n.shape(0, output=True)
    cost = fm.conv(x, w, out, bias=n.has(3))
    taps = fm.prod(w[2:])
    positions = out[0] * fm.prod(out[2:])
    groups = int(n.attrs.get("offset_group", 1))
    samples = positions * taps * x[1]
    sampling = fm.grid_sample(positions * taps * groups, x[1] // groups, len(w) - 2, "bilinear", "zeros", True)
    return cost + sampling + (fm.elementwise("mul", samples) if n.has(4) else ZERO)


@ONNX.register("NonMaxSuppression")
def _nms(n: NodeView) -> Cost:
    """boxes [B, N, 4], scores [B, C, N]: one greedy NMS per batch and class. How many boxes
    survive is data: counted as if every box survived, so every pair is compared
    (N·(N − 1)/2 pairs) — the upper bound (docs/onnx.md)."""
    scores = n.shape(1)
    b, c, boxes = scores
    return fm.nms(boxes, boxes * (boxes - 1) // 2) * (b * c)


@ONNX.register("Unique")
def _unique(n: NodeView) -> Cost:
    """Sorted unique values (formulas.unique, as torch.unique)."""
    return fm.unique(fm.prod(n.shape(0)))


# -- element-wise -----------------------------------------------------------------------------
def _ew(name: str) -> Binding:
    def bind(n: NodeView) -> Cost:
        if n.shape_arithmetic():
            return ZERO  # sizes computed from sizes: metadata (docs/conventions.md)
        return fm.elementwise(name, n.out_numel())

    return bind


_ELEMENTWISE: dict[str, Sequence[str]] = {
    "add": ("Add",), "sub": ("Sub",), "mul": ("Mul",), "div": ("Div", "Mod"),
    "neg": ("Neg",), "abs": ("Abs", "Sign"), "round": ("Floor", "Ceil", "Round"), "exp": ("Exp",), "log": ("Log",),
    "sqrt": ("Sqrt",), "pow": ("Pow",), "reciprocal": ("Reciprocal",), "erf": ("Erf",),
    "sin": ("Sin", "Asin", "Sinh", "Atan", "Asinh", "Atanh"),
    "cos": ("Cos", "Acos", "Cosh", "Tan", "Acosh"), "clamp": ("Clip",), "where": ("Where",),
    "compare": ("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "IsNaN", "IsInf"),
    "relu": ("Relu", "ThresholdedRelu"), "leaky_relu": ("LeakyRelu",), "prelu": ("PRelu",), "elu": ("Elu",),
    "celu": ("Celu",), "selu": ("Selu",), "sigmoid": ("Sigmoid",), "tanh": ("Tanh",), "softplus": ("Softplus",),
    "softsign": ("Softsign",), "mish": ("Mish",), "hardswish": ("HardSwish",), "hardsigmoid": ("HardSigmoid",),
    "gelu": ("com.microsoft:Gelu",), "gelu_tanh": ("com.microsoft:FastGelu",), "silu": ("com.microsoft:QuickGelu",),
}
for _name, _ops in _ELEMENTWISE.items():
    ONNX.register(*_ops)(_ew(_name))


@ONNX.register("com.microsoft:BiasAdd")
def _bias_add(n: NodeView) -> Cost:
    """X + bias + skip: two adds per element."""
    return fm.elementwise("add", n.out_numel()) * 2


@ONNX.register("Sum", "Mean", "Max", "Min")
def _variadic(n: NodeView) -> Cost:
    """k inputs combined element-wise: k − 1 adds (or comparisons) per output; Mean also divides once."""
    if n.shape_arithmetic():
        return ZERO
    k = sum(n.present)
    per = max(k - 1, 0) * fm.unit("add" if n.op_type in ("Sum", "Mean") else "max") + (fm.unit("div") if n.op_type == "Mean" else 0)
    return Cost(0, n.out_numel() * per)


@ONNX.register("Gelu")
def _gelu(n: NodeView) -> Cost:
    approx = n.attrs.get("approximate", b"none")
    return fm.elementwise("gelu_tanh" if approx in (b"tanh", "tanh") else "gelu", n.out_numel())


@ONNX.register("com.microsoft:BiasGelu")
def _bias_gelu(n: NodeView) -> Cost:
    return fm.elementwise("add", n.out_numel()) + fm.elementwise("gelu", n.out_numel())


@ONNX.register("DequantizeLinear")
def _dequantize(n: NodeView) -> Cost:
    """(x − zero_point) · scale: subtract, multiply per element."""
    return fm.elementwise("sub", n.out_numel()) + fm.elementwise("mul", n.out_numel())


@ONNX.register("QuantizeLinear", "DynamicQuantizeLinear")
def _quantize(n: NodeView) -> Cost:
    """saturate(round(x / scale) + zero_point): divide, round, add, clamp (2) per element."""
    numel = fm.prod(n.shape(0))
    return fm.elementwise("div", numel) + fm.elementwise("abs", numel) + fm.elementwise("add", numel) + fm.elementwise("clamp", numel)


@ONNX.register("Dropout")
def _dropout(n: NodeView) -> Cost:
    return ZERO  # inference: the identity (training_mode is an input; not counted, NB)


ONNX.ignore(
    ["Identity", "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze", "Concat", "Split", "Slice", "Gather",
     "GatherElements", "GatherND", "Shape", "Size", "Constant", "ConstantOfShape", "Expand", "Tile", "Pad", "Cast",
     "CastLike", "Range", "NonZero", "ScatterND", "ScatterElements", "Scatter", "Trilu", "DepthToSpace", "SpaceToDepth",
     "OneHot", "EyeLike", "Compress", "ReverseSequence", "SequenceConstruct", "SequenceAt", "SplitToSequence",
     "ConcatFromSequence"],
    "data movement, shapes or type conversion (no floating-point arithmetic on values)",
)
ONNX.ignore(["BitCast", "CenterCropPad", "MaxUnpool", "TensorScatter"],
            "data movement: reinterpreting bits, cropping or padding, scattering values to indices, writing a KV cache")
ONNX.ignore(["Optional", "OptionalGetElement", "OptionalHasElement", "SequenceEmpty", "SequenceErase", "SequenceInsert",
             "SequenceLength", "SequenceMap"],
            "sequence and optional containers: structure, no arithmetic (SequenceMap's body is not walked, NB)")
ONNX.ignore(["StringConcat", "StringNormalizer", "StringSplit", "RegexFullMatch"],
            "string processing: no arithmetic on numbers")
ONNX.ignore(["Not", "And", "Or", "Xor", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot"],
            "boolean or integer logic (not floating-point)")
ONNX.ignore(["RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Bernoulli", "Multinomial"],
            "random numbers (sampling, not model arithmetic)")
