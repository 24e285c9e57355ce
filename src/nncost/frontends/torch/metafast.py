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

from ...formulas.shapes import conv_out_len, conv_transpose_out_len

__all__ = ["FAST_META"]

aten = torch.ops.aten
Fast = Callable[[Sequence[Any], dict[str, Any]], Any]
FAST_META: dict[Any, Fast] = {}


def _unary(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    return torch.empty_like(args[0])


def _inplace(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    return args[0]


def _binary(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    a, b = args[0], args[1]
    if not isinstance(b, torch.Tensor):
        return torch.empty_like(a, dtype=torch.result_type(a, b))
    dtype = torch.result_type(a, b)
    if a.shape == b.shape or b.dim() == 0:
        return torch.empty_like(a, dtype=dtype)
    if a.dim() == 0:
        return torch.empty_like(b, dtype=dtype)
    n = max(a.dim(), b.dim())
    sa = (1,) * (n - a.dim()) + tuple(a.shape)
    sb = (1,) * (n - b.dim()) + tuple(b.shape)
    shape = []
    for x, y in zip(sa, sb):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"shapes {tuple(a.shape)} and {tuple(b.shape)} do not broadcast")
        shape.append(y if x == 1 else x)
    if tuple(shape) == tuple(a.shape):
        return torch.empty_like(a, dtype=dtype)
    return torch.empty(shape, dtype=dtype, device="meta")


def _check_channels(x: torch.Tensor, weight: Any) -> int:
    c = x.shape[1] if x.dim() > 1 else 1
    if isinstance(weight, torch.Tensor) and weight.shape[0] != c:
        raise RuntimeError(f"batch norm expects {weight.shape[0]} channels, got input of shape {list(x.shape)}")
    return c


def _batch_norm(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x = args[0]
    c = _check_channels(x, args[1])
    return torch.empty_like(x), torch.empty((c,), dtype=x.dtype, device="meta"), torch.empty((c,), dtype=x.dtype, device="meta")


def _batch_norm_no_training(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x = args[0]
    _check_channels(x, args[1])
    return torch.empty_like(x), torch.empty((0,), dtype=x.dtype, device="meta"), torch.empty((0,), dtype=x.dtype, device="meta")


def _layer_norm(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    x, ns = args[0], args[1]
    if tuple(x.shape[x.dim() - len(ns):]) != tuple(ns):
        raise RuntimeError(f"layer norm over {list(ns)} got input of shape {list(x.shape)}")
    axis = x.dim() - len(ns)
    stat = tuple(x.shape[:axis]) + (1,) * len(ns)
    f = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype
    return (torch.empty(x.shape, dtype=x.dtype, device="meta"), torch.empty(stat, dtype=f, device="meta"),
            torch.empty(stat, dtype=f, device="meta"))


def _addmm(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    a, b = args[1], args[2]
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    return torch.empty((a.shape[0], b.shape[1]), dtype=a.dtype, device="meta")


def _mm(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    a, b = args[0], args[1]
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    return torch.empty((a.shape[0], b.shape[1]), dtype=a.dtype, device="meta")


def _convolution(args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """aten.convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups)."""
    x, w = args[0], args[1]
    stride, padding, dilation, transposed, out_pad, groups = args[3], args[4], args[5], args[6], args[7], args[8]
    nd = w.dim() - 2
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
        FAST_META[getattr(aten, _n + "_")] = _inplace
FAST_META[aten.convolution] = _convolution
FAST_META[aten.native_batch_norm] = _batch_norm
FAST_META[aten._native_batch_norm_legit_no_training] = _batch_norm_no_training
FAST_META[aten.native_layer_norm] = _layer_norm
FAST_META[aten.addmm] = _addmm
FAST_META[aten.mm] = _mm
FAST_META[aten._softmax] = _softmax
FAST_META[aten._safe_softmax] = _softmax
FAST_META[aten._log_softmax] = _softmax
