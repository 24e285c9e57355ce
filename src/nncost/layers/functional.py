"""Calculator entries for functional forms: ``F.linear``, ``F.conv2d``, ``F.layer_norm``, ...

A functional call takes its weights as arguments and owns no parameters. In the
calculator a tensor argument is its shape: ``F.linear((100, 300))`` on a 1×300 input, or
the weight's shape as a further ``--input-shape`` (``F.linear`` with ``-i 1,300 -i 100,300``).
The signatures are PyTorch's own, less the input; the costs are the class forms' formulas.
"""

from __future__ import annotations

from typing import Any

from .. import formulas as fm
from ..errors import LayerSpecError, ShapeError
from ..formulas.shapes import prod
from ..formulas.table import REASONS, unit
from ..report import ParamCount
from .base import Ctx, LayerResult, W, dims, layer, mul, need_bool, need_int
from .spatial import _conv

_OWNS_NONE = W("params", "0 (a functional call owns no parameters: its weights are arguments)", "0", 0)


def tensor(ctx: Ctx, value: Any, index: int, name: str, required: bool = False) -> tuple[int, ...] | None:
    """A tensor argument as a shape: given in the expression, else the index-th --input-shape."""
    if value is None:
        if index < len(ctx.shapes):
            return ctx.shapes[index]
        if required:
            raise LayerSpecError(f"{ctx.name} needs its {name}'s shape: as an argument, e.g. {ctx.name}(({name} dims)), "
                                 f"or as input shape {index + 1} (--input-shape)")
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in value):
        raise LayerSpecError(f"{ctx.name}: {name} is a tensor; give its shape as a tuple of ints, got {value!r}")
    return tuple(value)


def _owned_none(res: LayerResult) -> LayerResult:
    working = [_OWNS_NONE] + [w for w in res.working if w.name not in ("params", "buffers")]
    return LayerResult(ParamCount(), res.cost, res.out_shapes, working, res.notes)


@layer("linear")
def linear(ctx: Ctx, weight: Any = None, bias: Any = None) -> LayerResult:
    """F.linear(input, weight [out, in], bias [out]): rows·in·out MACs, as nn.Linear."""
    w = tensor(ctx, weight, 1, "weight", required=True)
    b = tensor(ctx, bias, 2, "bias")
    if w is None or len(w) != 2:
        raise ShapeError(f"{ctx.name}: weight must be 2-D [out_features, in_features], got {list(w or ())}")
    d_out, d_in = w
    x = ctx.shape(0)
    if not x or x[-1] != d_in:
        raise ShapeError(f"{ctx.name}: the weight {list(w)} expects the last input dim to be {d_in}, got shape {list(x)}")
    if b is not None and tuple(b) != (d_out,):
        raise ShapeError(f"{ctx.name}: bias must be [{d_out}], got {list(b)}")
    rows = prod(x[:-1])
    cost = fm.linear(rows, d_in, d_out, b is not None)
    plus = " + 1" if b is not None else ""
    working = [_OWNS_NONE,
               W("macs", "rows·d_in·d_out", mul(rows, d_in, d_out), cost.macs),
               W("flops", f"rows·[d_in + (d_in − 1){plus}]·d_out", f"{rows}·[{d_in} + ({d_in} − 1){plus}]·{d_out}", cost.flops)]
    return LayerResult(ParamCount(), cost, [tuple(x[:-1]) + (d_out,)], working)


def _make_conv(nd: int) -> None:
    @layer(f"conv{nd}d")
    def conv(ctx: Ctx, weight: Any = None, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
             groups: int = 1) -> LayerResult:
        """F.conv{nd}d(input, weight [C_out, C_in/g, *k], bias [C_out], ...): nn.Conv's formulas, no parameters."""
        w = tensor(ctx, weight, 1, "weight", required=True)
        b = tensor(ctx, bias, 2, "bias")
        g = need_int("groups", groups, ctx.name)
        if w is None or len(w) != nd + 2:
            raise ShapeError(f"{ctx.name}: weight must be {nd + 2}-D [C_out, C_in/groups, *kernel], got {list(w or ())}")
        x = ctx.shape(0, (nd + 1, nd + 2))
        c_in = x[-nd - 1]
        if c_in != w[1] * g:
            raise ShapeError(f"{ctx.name}: the weight {list(w)} with groups={g} expects {w[1] * g} input channels, "
                             f"got shape {list(x)}")
        return _owned_none(_conv(nd, ctx, c_in, w[0], tuple(w[2:]), stride, padding, dilation, g, b is not None, False))

    @layer(f"conv_transpose{nd}d")
    def conv_transpose(ctx: Ctx, weight: Any = None, bias: Any = None, stride: Any = 1, padding: Any = 0,
                       output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> LayerResult:
        """F.conv_transpose{nd}d(input, weight [C_in, C_out/g, *k], bias [C_out], ...): no parameters."""
        w = tensor(ctx, weight, 1, "weight", required=True)
        b = tensor(ctx, bias, 2, "bias")
        g = need_int("groups", groups, ctx.name)
        if w is None or len(w) != nd + 2:
            raise ShapeError(f"{ctx.name}: weight must be {nd + 2}-D [C_in, C_out/groups, *kernel], got {list(w or ())}")
        return _owned_none(_conv(nd, ctx, w[0], w[1] * g, tuple(w[2:]), stride, padding, dilation, g, b is not None, True,
                                 output_padding))


for _nd in (1, 2, 3):
    _make_conv(_nd)


@layer("embedding")
def embedding(ctx: Ctx, weight: Any = None, padding_idx: Any = None, max_norm: Any = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> LayerResult:
    """F.embedding(input, weight [num, dim]): a lookup, 0 MACs, 0 FLOPs."""
    w = tensor(ctx, weight, 1, "weight", required=True)
    if w is None or len(w) != 2:
        raise ShapeError(f"{ctx.name}: weight must be 2-D [num_embeddings, embedding_dim], got {list(w or ())}")
    x = ctx.shape(0)
    return LayerResult(ParamCount(), fm.embedding(), [tuple(x) + (w[1],)], [_OWNS_NONE, W("flops", "0 (a gather)", "0", 0)])


def _affine(ctx: Ctx, n: int, weight: Any, bias: Any, first: int) -> tuple[bool, bool]:
    w = tensor(ctx, weight, first, "weight")
    b = tensor(ctx, bias, first + 1, "bias")
    for name, t in (("weight", w), ("bias", b)):
        if t is not None and prod(t) != n:
            raise ShapeError(f"{ctx.name}: {name} must have {n} elements, got shape {list(t)}")
    return w is not None, b is not None


@layer("layer_norm")
def layer_norm(ctx: Ctx, normalized_shape: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> LayerResult:
    """F.layer_norm(input, normalized_shape, weight, bias): per row of n 5n + 2, +1 per element for each of weight, bias."""
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    x = ctx.shape(0)
    if tuple(x[len(x) - len(ns):]) != ns:
        raise ShapeError(f"{ctx.name} normalises the last dims {list(ns)}, but the input shape is {list(x)}")
    n = prod(ns)
    wt, b = _affine(ctx, n, weight, bias, 1)
    cost = fm.layer_norm(prod(x), n, wt, b)
    k = int(wt) + int(b)
    rows = prod(x) // n if n else 0
    working = [_OWNS_NONE, W("flops", "rows·(5·n + 2) + elements·(weight + bias)", f"{rows}·(5·{n} + 2) + {dims(x)}·{k}",
                             cost.flops)]
    return LayerResult(ParamCount(), cost, [x], working, stats=2 * rows)


@layer("rms_norm")
def rms_norm(ctx: Ctx, normalized_shape: Any, weight: Any = None, eps: Any = None) -> LayerResult:
    """F.rms_norm(input, normalized_shape, weight): per row of n 3n + 2, +1 per element with a weight."""
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    x = ctx.shape(0)
    if tuple(x[len(x) - len(ns):]) != ns:
        raise ShapeError(f"{ctx.name} normalises the last dims {list(ns)}, but the input shape is {list(x)}")
    n = prod(ns)
    wt, _ = _affine(ctx, n, weight, None, 1)
    cost = fm.rms_norm(prod(x), n, wt)
    rows = prod(x) // n if n else 0
    working = [_OWNS_NONE, W("flops", "rows·(3·n + 2) + elements·weight", f"{rows}·(3·{n} + 2) + {dims(x)}·{int(wt)}",
                             cost.flops)]
    return LayerResult(ParamCount(), cost, [x], working)


@layer("group_norm")
def group_norm(ctx: Ctx, num_groups: int, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> LayerResult:
    """F.group_norm(input, num_groups, weight [C], bias [C]): LayerNorm over N·G rows, per-channel affine."""
    g = need_int("num_groups", num_groups, ctx.name)
    x = ctx.shape(0)
    if len(x) < 2 or x[1] % g:
        raise ShapeError(f"{ctx.name}: the channels (dim 1) of {list(x)} must be divisible by num_groups ({g})")
    wt, b = _affine(ctx, x[1], weight, bias, 1)
    return _grouped(x, g, "G", wt or b, stats=2 * x[0] * g)


def _grouped(x: tuple[int, ...], groups: int, symbol: str, affine: bool, stats: int = 0) -> LayerResult:
    """LayerNorm over N·groups rows (GroupNorm; InstanceNorm is one group per channel)."""
    cost = fm.group_norm(prod(x), x[0], groups, affine)
    n = prod(x) // (x[0] * groups)
    working = [_OWNS_NONE, W("flops", f"N·{symbol}·(5·n + 2) + elements·2·affine",
                             f"{x[0]}·{groups}·(5·{n} + 2) + {dims(x)}·{2 * int(affine)}", cost.flops)]
    return LayerResult(ParamCount(), cost, [x], working, stats=stats, stats_fp32=False)


@layer("batch_norm")
def batch_norm(ctx: Ctx, running_mean: Any = None, running_var: Any = None, weight: Any = None, bias: Any = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> LayerResult:
    """F.batch_norm(input, running_mean, running_var, weight, bias, training): nn.BatchNorm's formula."""
    x = ctx.shape(0)
    if len(x) < 2:
        raise ShapeError(f"{ctx.name} expects channels in dim 1, got shape {list(x)}")
    c = x[1]
    training = need_bool("training", training, ctx.name)
    stats = [tensor(ctx, v, i, n) for v, i, n in ((running_mean, 1, "running_mean"), (running_var, 2, "running_var"))]
    if not training and any(s is None for s in stats):
        raise LayerSpecError(f"{ctx.name}: in eval (training=False) it needs running_mean and running_var, shape ({c},)")
    wt, b = _affine(ctx, c, weight, bias, 3)
    cost = fm.batch_norm(prod(x), c, wt and b, training, running_stats=all(s is not None for s in stats))
    a = " + 2" if wt and b else ""
    working = [_OWNS_NONE, W("flops", f"elements·(2{a}) + 2·C" + (" + training statistics" if training else ""),
                             f"{dims(x)}·(2{a}) + 2·{c}" if not training else str(cost.flops), cost.flops)]
    return LayerResult(ParamCount(), cost, [x], working, stats=2 * c if training else 0)


@layer("instance_norm")
def instance_norm(ctx: Ctx, running_mean: Any = None, running_var: Any = None, weight: Any = None, bias: Any = None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> LayerResult:
    """F.instance_norm(input, ..., weight [C], bias [C]): GroupNorm with one group per channel."""
    x = ctx.shape(0)
    if len(x) < 3:
        raise ShapeError(f"{ctx.name} expects [N, C, *spatial], got shape {list(x)}")
    wt, b = _affine(ctx, x[1], weight, bias, 3)
    return _grouped(x, x[1], "C", wt or b)


@layer("prelu")
def prelu(ctx: Ctx, weight: Any = None) -> LayerResult:
    """F.prelu(input, weight [1 or C]): a comparison and a multiply per element."""
    w = tensor(ctx, weight, 1, "weight", required=True)
    x = ctx.shape(0)
    if w is None or prod(w) not in (1, x[1] if len(x) > 1 else 1):
        raise ShapeError(f"{ctx.name}: weight must have 1 or C elements for input {list(x)}, got {list(w or ())}")
    cost = fm.elementwise("prelu", prod(x))
    working = [_OWNS_NONE, W("flops", f"elements·{unit('prelu')} ({REASONS['prelu']})", f"{dims(x)}·{unit('prelu')}",
                             cost.flops)]
    return LayerResult(ParamCount(), cost, [x], working)


__all__: list[str] = []
