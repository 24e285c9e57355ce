"""Shape arithmetic shared by the formulas (no framework imports)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from ..errors import ShapeError

__all__ = ["Shape", "TensorShape", "prod", "as_tuple", "window_args", "conv_out_len", "conv_transpose_out_len", "pool_out_len", "broadcast"]

Shape = tuple[int, ...]


class TensorShape(tuple):  # type: ignore[type-arg]
    """A tensor argument of a logged Python call, kept as its shape (a tuple of ints), so that
    it differs from an argument that is a tuple of ints (a ``size=``, a ``stride=``)."""

    __slots__ = ()


def prod(xs: Iterable[int]) -> int:
    """Exact product of ints (1 for an empty shape: a scalar has one element)."""
    return math.prod(xs)


def as_tuple(value: int | Sequence[int], n: int, name: str) -> tuple[int, ...]:
    """Expand an int to an n-tuple (PyTorch's ``_ntuple``) or check a sequence's length."""
    if isinstance(value, bool):
        raise ShapeError(f"{name} must be an int or a sequence of {n} ints, got {value!r}")
    if isinstance(value, int):
        return (value,) * n
    t = tuple(value)
    if len(t) == 1:
        return t * n
    if len(t) != n or not all(isinstance(v, int) and not isinstance(v, bool) for v in t):
        raise ShapeError(f"{name} must be an int or a sequence of {n} ints, got {value!r}")
    return t


def window_args(
    kernel: Sequence[int], stride: Sequence[int], padding: Sequence[int], dilation: Sequence[int],
    output_padding: Sequence[int] | None = None,
) -> None:
    """Refuse what PyTorch refuses for a sliding window (convolution, pooling)."""
    checks = (("kernel size", kernel, 1), ("stride", stride, 1), ("dilation", dilation, 1), ("padding", padding, 0))
    for name, values, low in checks:
        if any(v < low for v in values):
            bound = "positive" if low else "non-negative"
            raise ShapeError(f"{name} must be {bound} in every dim (as PyTorch requires), got {tuple(values)}")
    if output_padding is not None:
        if any(o < 0 or o >= max(s, d) for o, s, d in zip(output_padding, stride, dilation)):
            raise ShapeError(f"output_padding must be non-negative and smaller than stride or dilation (as PyTorch "
                             f"requires), got {tuple(output_padding)} with stride {tuple(stride)}, dilation {tuple(dilation)}")


def conv_out_len(size: int, kernel: int, stride: int, pad_total: int, dilation: int) -> int:
    """floor((L + pad_total − d·(k − 1) − 1) / s) + 1 — the OUTPUT length (seed erratum)."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def conv_transpose_out_len(
    size: int, kernel: int, stride: int, pad: int, dilation: int, output_padding: int
) -> int:
    """(L − 1)·s − 2p + d·(k − 1) + output_padding + 1."""
    return (size - 1) * stride - 2 * pad + dilation * (kernel - 1) + output_padding + 1


def pool_out_len(
    size: int, kernel: int, stride: int, pad: int, dilation: int, ceil_mode: bool
) -> int:
    """Pooling output length, PyTorch's rule: with ceil_mode the last window must start inside."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + pad:
        out -= 1
    return out


def broadcast(a: Sequence[int], b: Sequence[int]) -> Shape:
    """NumPy/PyTorch broadcasting of two shapes."""
    out: list[int] = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and 1 not in (x, y):
            raise ShapeError(f"shapes {tuple(a)} and {tuple(b)} do not broadcast")
        out.append(max(x, y) if 0 not in (x, y) else 0)
    return tuple(reversed(out))
