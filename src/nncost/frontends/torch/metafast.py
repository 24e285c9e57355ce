"""Output tensors for hot ops on the meta device, without their Python meta kernels.

PyTorch's meta kernels for batch norm, layer norm, addmm and element-wise ops are
written in Python (``torch/_refs``) and cost 0.2-0.7 ms a call — more than the real CPU
kernel for small models. Their output shapes are trivial, so when nothing needs a
gradient the capture builds them here. Layout follows the input (``empty_like``) as
TensorIterator does; dtypes follow ``torch.result_type``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from ...formulas.shapes import conv_out_len, conv_transpose_out_len, pool_out_len

__all__ = ["FAST_META"]

aten = torch.ops.aten
Fast = Callable[[Sequence[Any], dict[str, Any]], Any]
FAST_META: dict[Any, Fast] = {}


def _like(x: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
    """``torch.empty_like(x, dtype=dtype)`` on meta without its Python reference (whose first
    call imports sympy, 0.4 s): dense layouts directly, anything else through empty_like."""
    dt = dtype or x.dtype
    if x.is_contiguous():
        return torch.empty(x.shape, dtype=dt, device="meta")
    if x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last):
        return torch.empty(x.shape, dtype=dt, device="meta", memory_format=torch.channels_last)
    return torch.empty_like(x, dtype=dt)


def _unary(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    return _like(args[0])


def _inplace(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    return args[0]


def _binary_inplace(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """``a.add_(b)`` and kin: ``a`` itself, where ``b`` broadcasts to its shape and the result's
    type can be written into it (as torch checks: a shape or type it refuses is refused here too)."""
    a = args[0]
    out = _binary(args, kwargs)
    if out.shape != a.shape:
        raise RuntimeError(f"output with shape {tuple(a.shape)} doesn't match the broadcast shape {tuple(out.shape)}")
    if not torch.can_cast(out.dtype, a.dtype):
        raise RuntimeError(f"result type {out.dtype} can't be cast to the desired output type {a.dtype}")
    return a


def _binary(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    a, b = args[0], args[1]
    if not isinstance(b, torch.Tensor):
        return _like(a, torch.result_type(a, b))
    dtype = torch.result_type(a, b)
    if a.shape == b.shape or b.dim() == 0:
        return _like(a, dtype)
    if a.dim() == 0:
        return _like(b, dtype)
    n = max(a.dim(), b.dim())
    sa = (1,) * (n - a.dim()) + tuple(a.shape)
    sb = (1,) * (n - b.dim()) + tuple(b.shape)
    shape = []
    for x, y in zip(sa, sb):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"shapes {tuple(a.shape)} and {tuple(b.shape)} do not broadcast")
        shape.append(y if x == 1 else x)
    if tuple(shape) == tuple(a.shape):
        return _like(a, dtype)
    return torch.empty(shape, dtype=dtype, device="meta")


def _check_channels(x: torch.Tensor, weight: Any) -> int:
    c = x.shape[1] if x.dim() > 1 else 1
    if isinstance(weight, torch.Tensor) and weight.shape[0] != c:
        raise RuntimeError(f"batch norm expects {weight.shape[0]} channels, got input of shape {list(x.shape)}")
    return c


def _batch_norm(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x = args[0]
    c = _check_channels(x, args[1])
    return _like(x), torch.empty((c,), dtype=x.dtype, device="meta"), torch.empty((c,), dtype=x.dtype, device="meta")


def _batch_norm_no_training(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x = args[0]
    _check_channels(x, args[1])
    return _like(x), torch.empty((0,), dtype=x.dtype, device="meta"), torch.empty((0,), dtype=x.dtype, device="meta")


def _layer_norm(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x, ns = args[0], args[1]
    if tuple(x.shape[x.dim() - len(ns):]) != tuple(ns):
        raise RuntimeError(f"layer norm over {list(ns)} got input of shape {list(x.shape)}")
    for name, t in (("weight", args[2] if len(args) > 2 else None), ("bias", args[3] if len(args) > 3 else None)):
        if isinstance(t, torch.Tensor) and tuple(t.shape) != tuple(ns):
            raise RuntimeError(f"layer norm over {list(ns)} got a {name} of shape {list(t.shape)}")
    axis = x.dim() - len(ns)
    stat = tuple(x.shape[:axis]) + (1,) * len(ns)
    f = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype
    return (torch.empty(x.shape, dtype=x.dtype, device="meta"), torch.empty(stat, dtype=f, device="meta"),
            torch.empty(stat, dtype=f, device="meta"))


def _addmm(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    bias, a, b = args[0], args[1], args[2]
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    out = torch.empty((a.shape[0], b.shape[1]), dtype=a.dtype, device="meta")
    if isinstance(bias, torch.Tensor) and _binary((out, bias), {}).shape != out.shape:
        raise RuntimeError(f"addmm: a bias of shape {list(bias.shape)} does not broadcast to {list(out.shape)}")
    return out


def _mm(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    a, b = args[0], args[1]
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    return torch.empty((a.shape[0], b.shape[1]), dtype=a.dtype, device="meta")


def _convolution(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """aten.convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups)."""
    x, w, bias = args[0], args[1], args[2]
    if isinstance(bias, torch.Tensor) and bias.dtype != x.dtype:
        raise RuntimeError(f"Input type ({x.dtype}) and bias type ({bias.dtype}) should be the same")
    nd = w.dim() - 2
    # a one-element list stands for every spatial dim, as aten.convolution takes it (padding="valid" is [0])
    stride, padding, dilation, out_pad = (list(v) * nd if len(v) == 1 else v for v in (args[3], args[4], args[5], args[7]))
    transposed, groups = args[6], args[8]
    batched = x.dim() == w.dim()
    c_in = x.shape[1 if batched else 0]
    sp = x.shape[-nd:]
    if transposed:
        if c_in != w.shape[0]:
            raise RuntimeError(f"expected input with {w.shape[0]} channels, got shape {list(x.shape)}")
        c_out = w.shape[1] * groups
        out = [conv_transpose_out_len(sp[i], w.shape[2 + i], stride[i], padding[i], dilation[i], out_pad[i]) for i in range(nd)]
    else:
        if c_in != w.shape[1] * groups:
            raise RuntimeError(f"expected input with {w.shape[1] * groups} channels, got shape {list(x.shape)}")
        c_out = w.shape[0]
        out = [conv_out_len(sp[i], w.shape[2 + i], stride[i], 2 * padding[i], dilation[i]) for i in range(nd)]
    if any(o <= 0 for o in out):
        raise RuntimeError(f"convolution output size would be {out} for input {list(x.shape)}")
    shape = ([x.shape[0]] if batched else []) + [c_out] + out
    return torch.empty(shape, dtype=x.dtype, device="meta")


def _softmax(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    return torch.empty_like(args[0], memory_format=torch.contiguous_format)


def _max_pool2d_with_indices(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """(input, kernel_size, stride=[], padding=0, dilation=1, ceil_mode=False) -> (out, int64 indices)."""
    x = args[0]
    if x.dim() not in (3, 4):
        raise RuntimeError(f"max_pool2d expects a 3-D or 4-D input, got shape {list(x.shape)}")

    def pair(v: Any, default: Any) -> tuple[int, int]:
        v = default if v is None or (isinstance(v, (list, tuple)) and len(v) == 0) else v
        t = (v, v) if isinstance(v, int) else tuple(v)
        return (t[0], t[0]) if len(t) == 1 else (t[0], t[1])

    k = pair(args[1], None)
    st = pair(args[2] if len(args) > 2 else kwargs.get("stride"), k)
    pad = pair(args[3] if len(args) > 3 else kwargs.get("padding", 0), 0)
    dil = pair(args[4] if len(args) > 4 else kwargs.get("dilation", 1), 1)
    ceil = bool(args[5] if len(args) > 5 else kwargs.get("ceil_mode", False))
    if min(k) <= 0 or min(st) <= 0 or min(dil) <= 0 or min(pad) < 0 or any(2 * p > kk for p, kk in zip(pad, k)):
        raise RuntimeError(f"max_pool2d: invalid kernel {k}, stride {st}, padding {pad}, dilation {dil}")
    h, w = x.shape[-2:]
    out = [pool_out_len(n, kk, ss, pp, dd, ceil) for n, kk, ss, pp, dd in zip((h, w), k, st, pad, dil)]
    if min(out) <= 0:
        raise RuntimeError(f"max_pool2d: output size {out} is too small for input {list(x.shape)}")
    shape = (*x.shape[:-2], *out)
    fmt = torch.channels_last if x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last) \
        else torch.contiguous_format
    return (torch.empty(shape, dtype=x.dtype, device="meta", memory_format=fmt),
            torch.empty(shape, dtype=torch.int64, device="meta", memory_format=fmt))


def _mean_dim(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """mean.dim(input, dim, keepdim=False, *, dtype=None) for a float input."""
    x = args[0]
    dims = args[1] if len(args) > 1 else kwargs.get("dim")
    keep = bool(args[2] if len(args) > 2 else kwargs.get("keepdim", False))
    dtype = kwargs.get("dtype") or x.dtype
    if not x.dtype.is_floating_point or not dtype.is_floating_point:
        return None  # integer means raise in PyTorch; let the real kernel say so
    n = x.dim()
    if dims is None or len(dims) == 0:
        dims = list(range(n))
    wrapped = {d % n if n else 0 for d in dims} if all(-max(n, 1) <= d < max(n, 1) for d in dims) else None
    if wrapped is None or len(wrapped) != len(dims):
        return None
    shape = [1 if i in wrapped else d for i, d in enumerate(x.shape)] if keep else [d for i, d in enumerate(x.shape)
                                                                                     if i not in wrapped]
    return torch.empty(shape, dtype=dtype, device="meta")


def _cat(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """cat(tensors, dim=0) of contiguous tensors of one dtype and rank (anything else: the real kernel)."""
    ts = args[0]
    dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
    if not ts or not all(isinstance(t, torch.Tensor) and t.device.type == "meta" for t in ts):
        return None
    first = ts[0]
    n = first.dim()
    if n == 0 or not -n <= dim < n or any(t.dim() != n or t.dtype != first.dtype or not t.is_contiguous() for t in ts):
        return None
    d = dim % n
    if any(t.shape[:d] != first.shape[:d] or t.shape[d + 1:] != first.shape[d + 1:] for t in ts):
        raise RuntimeError(f"cat: sizes of tensors must match except in dimension {dim}: "
                           f"{[list(t.shape) for t in ts]}")
    shape = list(first.shape)
    shape[d] = sum(t.shape[d] for t in ts)
    return torch.empty(shape, dtype=first.dtype, device="meta")


def _adaptive_avg_pool2d(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """_adaptive_avg_pool2d(input, output_size) -> input.shape[:-2] + output_size."""
    x, size = args[0], args[1]
    if x.dim() not in (3, 4) or len(size) != 2 or min(size) < 0 or min(x.shape[-3:]) <= 0:
        return None  # the real kernel's checks and messages
    fmt = torch.channels_last if x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last) \
        else torch.contiguous_format
    return torch.empty((*x.shape[:-2], *size), dtype=x.dtype, device="meta", memory_format=fmt)


_UNARY = ("gelu", "relu", "sigmoid", "tanh", "silu", "hardswish", "hardsigmoid", "hardtanh", "elu", "leaky_relu",
          "mish", "softplus", "neg", "exp", "sqrt", "rsqrt", "erf", "relu6", "abs", "log")
_BINARY = ("add", "sub", "mul", "div", "maximum", "minimum")

for _n in _UNARY:
    if hasattr(aten, _n):
        FAST_META[getattr(aten, _n)] = _unary
    if hasattr(aten, _n + "_"):
        FAST_META[getattr(aten, _n + "_")] = _inplace
for _n in _BINARY:
    FAST_META[getattr(aten, _n)] = _binary
    if hasattr(aten, _n + "_"):
        FAST_META[getattr(aten, _n + "_")] = _binary_inplace
FAST_META[aten.convolution] = _convolution
FAST_META[aten.native_batch_norm] = _batch_norm
FAST_META[aten._native_batch_norm_legit_no_training] = _batch_norm_no_training
FAST_META[aten.native_layer_norm] = _layer_norm
FAST_META[aten.addmm] = _addmm
FAST_META[aten.mm] = _mm
FAST_META[aten._softmax] = _softmax
FAST_META[aten._safe_softmax] = _softmax
FAST_META[aten._log_softmax] = _softmax
FAST_META[aten.max_pool2d_with_indices] = _max_pool2d_with_indices
FAST_META[aten.mean] = _mean_dim
FAST_META[aten.cat] = _cat
FAST_META[aten._adaptive_avg_pool2d] = _adaptive_avg_pool2d
