"""Calculator entries for convolutions and pooling."""

from __future__ import annotations

from typing import Any

from .. import formulas as fm
from ..cost import Cost
from ..errors import LayerSpecError, ShapeError
from ..formulas.pool import adaptive_windows
from ..formulas.shapes import as_tuple, prod
from ..report import ParamCount
from .base import Ctx, LayerResult, W, layer, mul, need_bool, need_int

_K = {1: ["k"], 2: ["k_w", "k_h"], 3: ["k_w", "k_h", "k_d"]}  # the seed's order: width first
_O = {1: ["L_out"], 2: ["W_out", "H_out"], 3: ["W_out", "H_out", "D_out"]}
_I = {1: ["L_in"], 2: ["W_in", "H_in"], 3: ["W_in", "H_in", "D_in"]}


def _rev(t: tuple[int, ...]) -> list[int]:
    return list(reversed(t))


def _check_channels(ctx: Ctx, nd: int, c_in: int, groups: int, c_out: int) -> tuple[int, ...]:
    x = ctx.shape(0, (nd + 1, nd + 2))
    if x[-nd - 1] != c_in:
        raise ShapeError(f"{ctx.name} expects {c_in} input channels (dim {-nd - 1}), got shape {list(x)}")
    if c_in % groups or c_out % groups:
        raise LayerSpecError(f"{ctx.name}: in_channels ({c_in}) and out_channels ({c_out}) must be divisible by groups ({groups})")
    return x


def _conv_working(
    nd: int, c_in: int, c_out: int, groups: int, k: tuple[int, ...], n: int, out_sp: tuple[int, ...],
    bias: bool, params: int, cost: Cost, transposed: bool, in_sp: tuple[int, ...],
) -> list[Any]:
    cin = "C_in" if groups == 1 else "(C_in/g)"
    cin_v = f"{c_in}" if groups == 1 else f"({c_in}/{groups})"
    ks, kv = "·".join(_K[nd]), mul(*_rev(k))
    b, bv = (" + 1", " + 1") if bias else ("", "")
    w = [W("params", f"({ks}·{cin}{b})·C_out", f"({kv}·{cin_v}{bv})·{c_out}", params)]
    if not transposed:
        osym = "·".join(_O[nd])
        win, winv = f"{cin}·{ks}", f"{cin_v}·{kv}"
        w.append(W("macs", f"N·C_out·{osym}·{win}", f"{mul(n, c_out, *_rev(out_sp))}·{winv}", cost.macs))
        w.append(W(
            "flops",
            f"N·C_out·{osym}·[({win}) + ({win} − 1){b}]",
            f"{mul(n, c_out, *_rev(out_sp))}·[({winv}) + ({winv} − 1){bv}]",
            cost.flops,
        ))
    else:
        cout = "C_out" if groups == 1 else "(C_out/g)"
        cout_v = f"{c_out}" if groups == 1 else f"({c_out}/{groups})"
        isym, osym = "·".join(_I[nd]), "·".join(_O[nd])
        w.append(W("macs", f"N·C_in·{isym}·{cout}·{ks}", f"{mul(n, c_in, *_rev(in_sp))}·{cout_v}·{kv}", cost.macs))
        outs = mul(n, c_out, *_rev(out_sp))
        touched = 2 * cost.macs + (prod(out_sp) * n * c_out if bias else 0) - cost.flops
        w.append(W("flops", "2·MACs − T" + (f" + N·C_out·{osym}" if bias else "")
                   + f"  (T: outputs that receive a product, N·C_out·{osym} unless stride > kernel)",
                   f"2·{cost.macs} − {touched}" + (f" + {outs}" if bias else ""), cost.flops))
    return w


_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _conv(nd: int, ctx: Ctx, c_in: Any, c_out: Any, kernel_size: Any, stride: Any, padding: Any,
          dilation: Any, groups: Any, bias: Any, transposed: bool, output_padding: Any = 0,
          padding_mode: Any = "zeros") -> LayerResult:
    if padding_mode not in _PADDING_MODES or (transposed and padding_mode != "zeros"):
        allowed = "'zeros'" if transposed else ", ".join(repr(m) for m in _PADDING_MODES)
        raise LayerSpecError(f"{ctx.name}: padding_mode must be {allowed}, got {padding_mode!r}")
    c_in = need_int("in_channels", c_in, ctx.name)
    c_out = need_int("out_channels", c_out, ctx.name)
    groups = need_int("groups", groups, ctx.name)
    bias = need_bool("bias", bias, ctx.name)
    x = _check_channels(ctx, nd, c_in, groups, c_out)
    k = as_tuple(kernel_size, nd, "kernel_size")
    if transposed:
        out = fm.conv_transpose_output_shape(x, c_out, k, stride, padding, output_padding, dilation, nd)
        w_shape: tuple[int, ...] = (c_in, c_out // groups, *k)
    else:
        out = fm.conv_output_shape(x, c_out, k, stride, padding, dilation, nd)
        w_shape = (c_out, c_in // groups, *k)
    if transposed:
        cost = fm.conv(x, w_shape, out, bias, transposed, stride=as_tuple(stride, nd, "stride"),
                       padding=as_tuple(padding, nd, "padding"), dilation=as_tuple(dilation, nd, "dilation"))
    else:
        cost = fm.conv(x, w_shape, out, bias, transposed)
    params = fm.conv_params(c_in, c_out, k, groups, bias)  # C_in·C_out/g·∏k (+ C_out), either direction
    n = prod(x[:-nd - 1])
    working = _conv_working(nd, c_in, c_out, groups, k, n, out[-nd:], bias, params, cost, transposed, x[-nd:])
    return LayerResult(ParamCount(trainable=params), cost, [out], working)


def _make_conv(nd: int) -> None:
    @layer(f"Conv{nd}d")
    def conv_nd(ctx: Ctx, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> LayerResult:
        """params = (k_w·k_h·C_in/g + 1)·C_out; MACs and FLOPs over the OUTPUT map (seed §2)."""
        return _conv(nd, ctx, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, False,
                     padding_mode=padding_mode)

    @layer(f"ConvTranspose{nd}d")
    def convt_nd(ctx: Ctx, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> LayerResult:
        """Transposed convolution: MACs over the INPUT map (the adjoint conv's MACs)."""
        return _conv(nd, ctx, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, True,
                     output_padding, padding_mode)


def _pool_result(ctx: Ctx, nd: int, out: tuple[int, ...], k: tuple[int, ...], kind: str) -> LayerResult:
    cost = fm.pool(out, k)
    lead = prod(out[:-nd])
    osym = "·".join(_O[nd])
    w = [
        W("params", "0 (no weights)", "0", 0),
        W("macs", "0 (no dot products, seed §3)", "0", 0),
        W("flops", f"N·C·{osym}·{'·'.join(_K[nd])}  ({kind})", mul(lead, *_rev(out[-nd:]), *_rev(k)), cost.flops),
    ]
    return LayerResult(ParamCount(), cost, [out], w)


def _make_pool(nd: int) -> None:
    @layer(f"MaxPool{nd}d", f"max_pool{nd}d")
    def max_pool(ctx: Ctx, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> LayerResult:
        """FLOPs = outputs · window (one comparison per visited element); 0 MACs (seed §3)."""
        x = ctx.shape(0, (nd + 1, nd + 2))
        k = as_tuple(kernel_size, nd, "kernel_size")
        out = fm.pool_output_shape(x, nd, k, stride, padding, dilation, ceil_mode)
        return _pool_result(ctx, nd, out, k, "one comparison per window element")

    @layer(f"AvgPool{nd}d", f"avg_pool{nd}d")
    def avg_pool(ctx: Ctx, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: Any = None) -> LayerResult:
        """FLOPs = outputs · window (window − 1 adds + 1 divide); 0 MACs."""
        x = ctx.shape(0, (nd + 1, nd + 2))
        k = as_tuple(kernel_size, nd, "kernel_size")
        out = fm.pool_output_shape(x, nd, k, stride, padding, 1, ceil_mode)
        return _pool_result(ctx, nd, out, k, "window − 1 adds + 1 divide")

    def adaptive(ctx: Ctx, output_size: Any) -> LayerResult:
        x = ctx.shape(0, (nd + 1, nd + 2))
        sizes = (output_size,) * nd if isinstance(output_size, int) or output_size is None else tuple(output_size)
        if len(sizes) == 1:
            sizes = sizes * nd
        if len(sizes) != nd:
            raise LayerSpecError(f"{ctx.name}: output_size must be an int or {nd} values, got {output_size!r}")
        o = tuple(i if s is None else need_int("output_size", s, ctx.name) for s, i in zip(sizes, x[-nd:]))
        out = tuple(x[:-nd]) + o
        cost = fm.adaptive_pool(x, o)
        wins = [adaptive_windows(i, oo) for i, oo in zip(x[-nd:], o)]
        lead = prod(x[:-nd])
        w = [
            W("params", "0 (no weights)", "0", 0),
            W("macs", "0 (no dot products, seed §3)", "0", 0),
            W("flops", "N·C·" + "·".join(f"Σwin_{s[0].lower()}" for s in _O[nd]), mul(lead, *_rev(tuple(wins))), cost.flops),
        ]
        return LayerResult(ParamCount(), cost, [out], w)

    @layer(f"AdaptiveAvgPool{nd}d", f"adaptive_avg_pool{nd}d")
    def adaptive_avg(ctx: Ctx, output_size: Any) -> LayerResult:
        """Σ of PyTorch's adaptive window sizes per dim; global pooling is output_size 1."""
        return adaptive(ctx, output_size)

    @layer(f"AdaptiveMaxPool{nd}d", f"adaptive_max_pool{nd}d")
    def adaptive_max(ctx: Ctx, output_size: Any, return_indices: bool = False) -> LayerResult:
        """Σ of PyTorch's adaptive window sizes per dim."""
        return adaptive(ctx, output_size)


for _nd in (1, 2, 3):
    _make_conv(_nd)
    _make_pool(_nd)
