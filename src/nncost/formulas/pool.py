"""Pooling: max/avg, adaptive and global, 1-D to 3-D.

Seed §3: no parameters, no dot products, so 0 MACs; one FLOP per input element a
window visits (a comparison for max; window − 1 additions and one division for avg).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..cost import Cost
from ..errors import ShapeError
from .shapes import Shape, as_tuple, pool_out_len, prod, window_args

__all__ = ["pool", "pool_backward", "adaptive_pool_backward", "pool_output_shape", "adaptive_pool", "adaptive_windows"]


def pool(out_shape: Sequence[int], kernel: Sequence[int]) -> Cost:
    """FLOPs = (output elements) · ∏k; MACs = 0.

    Seed example: max pool 2, stride 2 on 128×112×112 -> 128·56·56 outputs × 2·2
    = 1,605,632 FLOPs (= 112·112·128, each input visited once). Overlapping windows
    (3×3, stride 2) visit some inputs more than once and cost more.
    """
    return Cost(0, prod(out_shape) * prod(kernel))


def pool_output_shape(
    x_shape: Sequence[int],
    nd: int,
    kernel: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    ceil_mode: bool = False,
) -> Shape:
    """[..., *I] -> [..., *O] with PyTorch's pooling rule (stride defaults to kernel)."""
    if len(x_shape) < nd + 1:
        raise ShapeError(f"{nd}-D pooling needs at least {nd + 1} input dims, got {tuple(x_shape)}")
    k = as_tuple(kernel, nd, "kernel_size")
    s = as_tuple(stride if stride not in (None, ()) else k, nd, "stride")  # type: ignore[arg-type]
    p = as_tuple(padding, nd, "padding")
    d = as_tuple(dilation, nd, "dilation")
    window_args(k, s, p, d)
    if any(2 * pp > kk for pp, kk in zip(p, k)):
        raise ShapeError(f"pad should be at most half of the kernel size, got padding {p} for kernel {k}")
    spatial = x_shape[-nd:]
    out = tuple(pool_out_len(i, kk, ss, pp, dd, ceil_mode) for i, kk, ss, pp, dd in zip(spatial, k, s, p, d))
    if any(o <= 0 for o in out):
        raise ShapeError(f"input spatial size {tuple(spatial)} is too small for pooling kernel {k}")
    return tuple(x_shape[:-nd]) + out


def adaptive_windows(in_len: int, out_len: int) -> int:
    """Σ over outputs i of the window length ⌈(i+1)·L/O⌉ − ⌊i·L/O⌋ (PyTorch's windows)."""
    return sum(-(-((i + 1) * in_len) // out_len) - (i * in_len) // out_len for i in range(out_len))


def adaptive_pool(x_shape: Sequence[int], output_size: Sequence[int]) -> Cost:
    """Adaptive (and global, output 1) pooling: FLOPs = channels · ∏_dims Σ_i window_i.

    Windows differ in size when L is not a multiple of O; the sum is exact per dim.
    """
    nd = len(output_size)
    lead = prod(x_shape[:-nd])
    visited = prod(adaptive_windows(i, o) for i, o in zip(x_shape[-nd:], output_size))
    return Cost(0, lead * visited)


def pool_backward(out_numel: int, window: int, kind: str) -> Cost:
    """Gradient of pooling, scattered back into the input.

    max: each output's gradient is added at its argmax: ∏out additions;
    avg: each output's gradient is divided once and added to its window: ∏out·(1 + window).
    """
    return Cost(0, out_numel if kind == "max" else out_numel * (1 + window))


def adaptive_pool_backward(out_numel: int) -> Cost:
    """Gradient of adaptive pooling: per output, one divide and one add into its window.
    NB: windows of more than one element receive more adds; counted once per output."""
    return Cost(0, 2 * out_numel)
