"""Calculator entries for element-wise layers, normalisations and interpolation."""

from __future__ import annotations

from typing import Any

from .. import formulas as fm
from ..errors import LayerSpecError, ShapeError
from ..formulas.shapes import prod
from ..formulas.table import REASONS, unit
from ..report import ParamCount
from .base import Ctx, LayerResult, W, dims, layer, need_bool, need_int


def _act(ctx: Ctx, name: str, params: int = 0) -> LayerResult:
    x = ctx.shape(0)
    n = prod(x)
    cost = fm.elementwise(name, n)
    w = [W("flops", f"elements·{name} ({REASONS[name]})", f"{dims(x)}·{unit(name)}", cost.flops)]
    if params:
        w.insert(0, W("params", "num_parameters", str(params), params))
    return LayerResult(ParamCount(trainable=params), cost, [x], w)


def _simple(torch_name: str, fn_name: str, table: str) -> None:
    def entry(ctx: Ctx, inplace: bool = False) -> LayerResult:
        return _act(ctx, table)

    entry.__doc__ = f"FLOPs = elements · {unit(table)} ({REASONS[table]})"
    layer(torch_name, fn_name)(entry)


for _t, _f, _k in [
    ("ReLU", "relu", "relu"), ("ReLU6", "relu6", "relu6"), ("SELU", "selu", "selu"),
    ("SiLU", "silu", "silu"), ("Mish", "mish", "mish"), ("Hardswish", "hardswish", "hardswish"),
    ("Hardsigmoid", "hardsigmoid", "hardsigmoid"),
]:
    _simple(_t, _f, _k)


@layer("Sigmoid", "sigmoid")
def sigmoid(ctx: Ctx) -> LayerResult:
    """FLOPs = 4·elements (seed §6)."""
    return _act(ctx, "sigmoid")


@layer("Tanh", "tanh")
def tanh(ctx: Ctx) -> LayerResult:
    """FLOPs = 6·elements (see the table's reason)."""
    return _act(ctx, "tanh")


@layer("LogSigmoid", "logsigmoid")
def logsigmoid(ctx: Ctx) -> LayerResult:
    """log(sigmoid(x))."""
    return _act(ctx, "logsigmoid")


@layer("Softsign", "softsign")
def softsign(ctx: Ctx) -> LayerResult:
    """x / (1 + |x|)."""
    return _act(ctx, "softsign")


@layer("LeakyReLU", "leaky_relu")
def leaky_relu(ctx: Ctx, negative_slope: float = 0.01, inplace: bool = False) -> LayerResult:
    """compare + multiply."""
    return _act(ctx, "leaky_relu")


@layer("ELU", "elu")
def elu(ctx: Ctx, alpha: float = 1.0, inplace: bool = False) -> LayerResult:
    """x if x > 0 else α·(exp(x) − 1)."""
    return _act(ctx, "elu")


@layer("CELU", "celu")
def celu(ctx: Ctx, alpha: float = 1.0, inplace: bool = False) -> LayerResult:
    """elu with exp(x/α)."""
    return _act(ctx, "celu")


@layer("GELU", "gelu")
def gelu(ctx: Ctx, approximate: str = "none") -> LayerResult:
    """erf form (5) or tanh approximation (14)."""
    if approximate not in ("none", "tanh"):
        raise LayerSpecError(f"{ctx.name}: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _act(ctx, "gelu" if approximate == "none" else "gelu_tanh")


@layer("Softplus", "softplus")
def softplus(ctx: Ctx, beta: float = 1.0, threshold: float = 20.0) -> LayerResult:
    """log(1 + exp(x))."""
    return _act(ctx, "softplus")


@layer("Hardtanh", "hardtanh")
def hardtanh(ctx: Ctx, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> LayerResult:
    """clamp: two comparisons."""
    return _act(ctx, "hardtanh")


@layer("PReLU")
def prelu(ctx: Ctx, num_parameters: int = 1, init: float = 0.25, device: Any = None, dtype: Any = None) -> LayerResult:
    """params = num_parameters; compare + multiply per element."""
    return _act(ctx, "prelu", need_int("num_parameters", num_parameters, ctx.name))


def _softmax_dim(ctx: Ctx, dim: Any) -> tuple[tuple[int, ...], int]:
    x = ctx.shape(0)
    if dim is None:  # PyTorch's legacy implicit dim
        dim = 0 if len(x) in (0, 1, 3) else 1
    if not isinstance(dim, int) or not -len(x) <= dim < max(len(x), 1):
        raise ShapeError(f"{ctx.name}: dim {dim!r} is out of range for a {len(x)}-D input {list(x)}")
    return x, x[dim] if x else 1


@layer("Softmax", "softmax")
def softmax(ctx: Ctx, dim: Any = None) -> LayerResult:
    """Per row of n: 5n − 2 (max, subtract, exp, sum, divide)."""
    x, n = _softmax_dim(ctx, dim)
    cost = fm.softmax(prod(x), n)
    rows = prod(x) // n
    return LayerResult(ParamCount(), cost, [x], [W("flops", "rows·(5·n − 2)", f"{rows}·(5·{n} − 2)", cost.flops)])


@layer("LogSoftmax", "log_softmax")
def log_softmax(ctx: Ctx, dim: Any = None) -> LayerResult:
    """Per row of n: 5n − 1."""
    x, n = _softmax_dim(ctx, dim)
    cost = fm.log_softmax(prod(x), n)
    rows = prod(x) // n
    return LayerResult(ParamCount(), cost, [x], [W("flops", "rows·(5·n − 1)", f"{rows}·(5·{n} − 1)", cost.flops)])


def _bn(nd: int) -> None:
    @layer(f"BatchNorm{nd}d")
    def batch_norm(ctx: Ctx, num_features: int, eps: float = 1e-5, momentum: Any = 0.1, affine: bool = True,
                   track_running_stats: bool = True, device: Any = None, dtype: Any = None) -> LayerResult:
        """Inference: FLOPs = elements·(2 + 2·affine) + 2·C; params 2·C + 2·C running stats (seed §4)."""
        c = need_int("num_features", num_features, ctx.name)
        affine = need_bool("affine", affine, ctx.name)
        ranks = {1: (2, 3), 2: (4,), 3: (5,)}[nd]
        x = ctx.shape(0, ranks)
        if x[1] != c:
            raise ShapeError(f"{ctx.name} expects {c} channels in dim 1, got shape {list(x)}")
        cost = fm.batch_norm(prod(x), c, affine, training=False)
        trainable, buffers = fm.batch_norm_params(c, affine, need_bool("track_running_stats", track_running_stats, ctx.name))
        a = " + 2" if affine else ""
        w = [
            W("params", "2·C (γ, β)" if affine else "0 (affine=False)", f"2·{c}" if affine else "0", trainable),
            W("buffers", "2·C (running mean, running var)", f"2·{c}" if buffers else "0", buffers),
            W("flops", f"elements·(2{a}) + 2·C", f"{dims(x)}·(2{a}) + 2·{c}", cost.flops),
        ]
        notes = ["the seed's 4·C = 2·C trainable + 2·C running statistics; folded into the preceding conv at inference it costs 0"]
        return LayerResult(ParamCount(trainable=trainable, buffers=buffers), cost, [x], w, notes)

    @layer(f"InstanceNorm{nd}d")
    def instance_norm(ctx: Ctx, num_features: int, eps: float = 1e-5, momentum: Any = 0.1, affine: bool = False,
                      track_running_stats: bool = False, device: Any = None, dtype: Any = None) -> LayerResult:
        """GroupNorm with one group per channel."""
        c = need_int("num_features", num_features, ctx.name)
        affine = need_bool("affine", affine, ctx.name)
        x = ctx.shape(0, (nd + 1, nd + 2))
        if x[-nd - 1] != c:
            raise ShapeError(f"{ctx.name} expects {c} channels, got shape {list(x)}")
        n = prod(x[:-nd - 1])
        cost = fm.group_norm(prod(x), n, c, affine)
        per = prod(x[-nd:])
        trainable = 2 * c if affine else 0
        buffers = 2 * c if track_running_stats else 0
        a = " + elements·2" if affine else ""
        w = [W("flops", f"N·C·(5·n + 2){a}", f"{n}·{c}·(5·{per} + 2)" + (f" + {dims(x)}·2" if affine else ""), cost.flops)]
        return LayerResult(ParamCount(trainable=trainable, buffers=buffers), cost, [x], w)


for _nd in (1, 2, 3):
    _bn(_nd)


def _norm_size(ctx: Ctx, normalized_shape: Any) -> tuple[tuple[int, ...], int]:
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    x = ctx.shape(0)
    if tuple(x[-len(ns):]) != ns:
        raise ShapeError(f"{ctx.name} normalises the last dims {list(ns)}, but the input shape is {list(x)}")
    return x, prod(ns)


@layer("LayerNorm")
def layer_norm(ctx: Ctx, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True,
               bias: bool = True, device: Any = None, dtype: Any = None) -> LayerResult:
    """Per row of n: 5n + 2; affine +1 (weight) +1 (bias) per element."""
    x, n = _norm_size(ctx, normalized_shape)
    wt = need_bool("elementwise_affine", elementwise_affine, ctx.name)
    b = wt and need_bool("bias", bias, ctx.name)
    cost = fm.layer_norm(prod(x), n, wt, b)
    params = n * (int(wt) + int(b))
    rows = prod(x) // n
    k = int(wt) + int(b)
    w = [W("params", "n·(weight + bias)", f"{n}·{k}", params),
         W("flops", "rows·(5·n + 2) + elements·(weight + bias)", f"{rows}·(5·{n} + 2) + {dims(x)}·{k}", cost.flops)]
    return LayerResult(ParamCount(trainable=params), cost, [x], w, stats=2 * rows)


@layer("RMSNorm")
def rms_norm(ctx: Ctx, normalized_shape: Any, eps: Any = None, elementwise_affine: bool = True,
             device: Any = None, dtype: Any = None) -> LayerResult:
    """Per row of n: 3n + 2; weight +1 per element."""
    x, n = _norm_size(ctx, normalized_shape)
    wt = need_bool("elementwise_affine", elementwise_affine, ctx.name)
    cost = fm.rms_norm(prod(x), n, wt)
    rows = prod(x) // n
    w = [W("params", "n", str(n if wt else 0), n if wt else 0),
         W("flops", "rows·(3·n + 2) + elements·weight", f"{rows}·(3·{n} + 2) + {dims(x)}·{int(wt)}", cost.flops)]
    return LayerResult(ParamCount(trainable=n if wt else 0), cost, [x], w)


@layer("GroupNorm")
def group_norm(ctx: Ctx, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
               device: Any = None, dtype: Any = None) -> LayerResult:
    """LayerNorm over N·G rows of (C/G)·spatial; per-channel affine."""
    g = need_int("num_groups", num_groups, ctx.name)
    c = need_int("num_channels", num_channels, ctx.name)
    affine = need_bool("affine", affine, ctx.name)
    if c % g:
        raise LayerSpecError(f"{ctx.name}: num_channels ({c}) must be divisible by num_groups ({g})")
    x = ctx.shape(0)
    if len(x) < 2 or x[1] != c:
        raise ShapeError(f"{ctx.name} expects {c} channels in dim 1, got shape {list(x)}")
    cost = fm.group_norm(prod(x), x[0], g, affine)
    n = prod(x) // (x[0] * g)
    w = [W("flops", "N·G·(5·n + 2) + elements·2·affine", f"{x[0]}·{g}·(5·{n} + 2) + {dims(x)}·{2 * int(affine)}", cost.flops)]
    return LayerResult(ParamCount(trainable=2 * c if affine else 0), cost, [x], w, stats=2 * x[0] * g, stats_fp32=False)


def _upsample(ctx: Ctx, size: Any, scale_factor: Any, mode: str) -> LayerResult:
    x = ctx.shape(0, (3, 4, 5))
    nd = len(x) - 2
    if (size is None) == (scale_factor is None):
        raise LayerSpecError(f"{ctx.name}: give exactly one of size and scale_factor")
    if size is not None:
        o = (size,) * nd if isinstance(size, int) else tuple(size)
    else:
        sf = (scale_factor,) * nd if isinstance(scale_factor, (int, float)) else tuple(scale_factor)
        o = tuple(int(i * s) for i, s in zip(x[2:], sf))
    if len(o) != nd:
        raise LayerSpecError(f"{ctx.name}: size/scale_factor needs {nd} values for a {len(x)}-D input")
    if scale_factor is not None and any(not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0 for v in sf):
        raise LayerSpecError(f"{ctx.name}: scale_factor must be positive, got {scale_factor!r}")
    if any(not isinstance(v, int) or isinstance(v, bool) or v <= 0 for v in o):
        raise ShapeError(f"{ctx.name}: the output size must be positive in every dim, got {o} for input {list(x)}")
    expected = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}.get(mode)
    if expected is not None and expected != nd:
        raise ShapeError(f"{ctx.name}: mode {mode!r} needs a {expected + 2}-D input, got {list(x)}")
    out = tuple(x[:2]) + o
    cost = fm.interpolate(prod(out), mode)
    table = "nearest" if mode.startswith("nearest") else mode
    w = [W("flops", f"output elements·{table} ({REASONS[table]})", f"{dims(out)}·{unit(table)}", cost.flops)]
    return LayerResult(ParamCount(), cost, [out], w)


@layer("Upsample", "interpolate", "upsample")
def upsample(ctx: Ctx, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: Any = None, recompute_scale_factor: Any = None, antialias: bool = False) -> LayerResult:
    """FLOPs = output elements · per-element interpolation cost (nearest 0, bilinear 9, ...)."""
    return _upsample(ctx, size, scale_factor, mode)


@layer("UpsamplingNearest2d")
def upsampling_nearest2d(ctx: Ctx, size: Any = None, scale_factor: Any = None) -> LayerResult:
    """Nearest: a copy, 0 FLOPs."""
    return _upsample(ctx, size, scale_factor, "nearest")


@layer("UpsamplingBilinear2d")
def upsampling_bilinear2d(ctx: Ctx, size: Any = None, scale_factor: Any = None) -> LayerResult:
    """Bilinear (align_corners=True): 9 FLOPs per output element."""
    return _upsample(ctx, size, scale_factor, "bilinear")


@layer("Identity", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "dropout")
def identity(ctx: Ctx, *args: Any, **kwargs: Any) -> LayerResult:
    """No arithmetic at inference."""
    x = ctx.shape(0)
    return LayerResult(ParamCount(), fm.elementwise("dropout", 0), [x], [W("flops", "0 (identity at inference)", "0", 0)])


@layer("Flatten", "flatten")
def flatten(ctx: Ctx, start_dim: int = 1, end_dim: int = -1) -> LayerResult:
    """A view: no arithmetic."""
    x = ctx.shape(0)
    n = max(len(x), 1)
    for name, v in (("start_dim", start_dim), ("end_dim", end_dim)):
        if isinstance(v, bool) or not isinstance(v, int) or not -n <= v < n:
            raise ShapeError(f"{ctx.name}: {name} must be an int in [{-n}, {n - 1}] for a {len(x)}-D input, got {v!r}")
    s, e = start_dim % n, end_dim % n
    if s > e:
        raise ShapeError(f"{ctx.name}: start_dim ({start_dim}) must not come after end_dim ({end_dim}) for a {len(x)}-D input")
    out = tuple(x[:s]) + (prod(x[s:e + 1]),) + tuple(x[e + 1:])
    return LayerResult(ParamCount(), fm.elementwise("dropout", 0), [out], [W("flops", "0 (a view)", "0", 0)])


__all__: list[str] = []
