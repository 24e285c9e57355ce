"""Convolutions: 1-D/2-D/3-D, stride, padding, dilation, groups; transposed.

Seed §2 with its erratum fixed: w·h are the OUTPUT feature map's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from ..cost import Cost
from ..errors import ShapeError
from .shapes import Shape, as_tuple, conv_out_len, conv_transpose_out_len, prod, window_args

__all__ = ["conv", "conv_backward", "conv_coverage", "conv_params", "conv_output_shape", "conv_transpose_output_shape", "same_padding"]


def conv_coverage(
    src: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int] | int = 1,
    padding: Sequence[int] | int = 0,
    dilation: Sequence[int] | int = 1,
    dst: Sequence[int] | None = None,
) -> int:
    """How many of the ∏dst positions receive at least one product when each of the
    ∏src positions is scattered by a kernel: position o·s − p + j·d for o < src, j < k.

    A transposed convolution scatters its input (src = input, dst = output); the input
    gradient of a convolution scatters the output gradient (src = output, dst = input).
    With stride > dilation·(k − 1) + 1 some positions receive nothing: they are zeros,
    not sums, and cost no additions. Exact, per spatial dim (the dims are independent).
    """
    nd = len(kernel)
    s = as_tuple(stride, nd, "stride")
    p = as_tuple(padding, nd, "padding")
    d = as_tuple(dilation, nd, "dilation")
    return prod(_covered(src[i], kernel[i], s[i], p[i], d[i], dst[i] if dst is not None else -1) for i in range(nd))


@lru_cache(maxsize=4096)
def _covered(src: int, k: int, s: int, p: int, d: int, size: int) -> int:
    hit = {o * s - p + j * d for o in range(src) for j in range(k)}
    return sum(1 for x in hit if x >= 0 and (size < 0 or x < size))


def conv(
    x_shape: Sequence[int],
    w_shape: Sequence[int],
    out_shape: Sequence[int],
    bias: bool = True,
    transposed: bool = False,
    stride: Sequence[int] | int | None = None,
    padding: Sequence[int] | int = 0,
    dilation: Sequence[int] | int = 1,
) -> Cost:
    """Cost of a convolution from its input, weight and output shapes (a transposed one
    also needs its ``stride``, ``padding`` and ``dilation``: they decide which outputs
    receive a product).

    Forward: x [N, C_in, *I], w [C_out, C_in/g, *k], out [N, C_out, *O]
      MACs  = N · C_out · ∏O · (C_in/g) · ∏k
      FLOPs = N · C_out · ∏O · [(C_in/g·∏k) + (C_in/g·∏k − 1) + bias]   (seed §2)

    Transposed: x [N, C_in, *I], w [C_in, C_out/g, *k], out [N, C_out, *O]. Every input
    element is multiplied by every weight of its group and scattered into the output:
      MACs  = N · C_in · ∏I · (C_out/g) · ∏k   (the MACs of the forward conv it is the
                                                  adjoint of; onnx-tool and Paddle use ∏O)
      FLOPs = MACs multiplies + (MACs − N·C_out·touched) adds + bias·N·C_out·∏O
    where touched (:func:`conv_coverage`) is the number of output positions that receive
    at least one product: all of ∏O unless the stride exceeds the dilated kernel, when
    the positions between kernels are zeros, not sums.
    """
    per_window = prod(w_shape[1:])  # (C_in/g)·∏k forward, (C_out/g)·∏k transposed
    n_out = prod(out_shape)
    if not transposed:
        return Cost(n_out * per_window, n_out * (2 * per_window - 1 + int(bias)))
    macs = prod(x_shape) * per_window
    if stride is None:
        raise ShapeError("a transposed convolution's cost needs its stride (and padding, dilation): pass stride=...")
    nd = len(w_shape) - 2
    channels = prod(out_shape[: len(out_shape) - nd])  # N·C_out (C_out alone, unbatched)
    touched = channels * conv_coverage(x_shape[-nd:], w_shape[2:], stride, padding, dilation, out_shape[-nd:]) if nd else n_out
    return Cost(macs, 2 * macs - touched + int(bias) * n_out)


def conv_backward(
    x_shape: Sequence[int],
    w_shape: Sequence[int],
    out_shape: Sequence[int],
    transposed: bool = False,
    input_grad: bool = True,
    weight_grad: bool = True,
    bias_grad: bool = False,
    stride: Sequence[int] | int = 1,
    padding: Sequence[int] | int = 0,
    dilation: Sequence[int] | int = 1,
) -> Cost:
    """Gradients of a convolution (``aten.convolution_backward`` with its output mask).

    Each of grad_input and grad_weight is itself a convolution with the forward's MACs.
    grad_weight sums MACs into ∏w elements: 2·MACs − ∏w FLOPs. grad_input of a
    convolution scatters the output gradient back through the kernel (a transposed
    convolution): MACs multiplies plus MACs − (inputs touched) adds, where an input that
    no window covers (stride > kernel) gets a zero, not a sum (:func:`conv_coverage`);
    grad_input of a transposed convolution is a plain convolution: 2·MACs − ∏x.
    grad_bias sums the output gradient per channel: ∏out − C_out additions.
    """
    fwd = conv(x_shape, w_shape, out_shape, False, transposed, stride, padding, dilation).macs
    cost = Cost()
    if input_grad:
        nd = len(w_shape) - 2
        if transposed or not nd:
            touched = prod(x_shape)
        else:
            touched = prod(x_shape[: len(x_shape) - nd]) * conv_coverage(
                out_shape[-nd:], w_shape[2:], stride, padding, dilation, x_shape[-nd:])
        cost += Cost(fwd, 2 * fwd - touched)
    if weight_grad:
        cost += Cost(fwd, 2 * fwd - prod(w_shape))
    if bias_grad:
        c_out = out_shape[1] if len(out_shape) > 1 else out_shape[0]
        cost += Cost(0, prod(out_shape) - c_out)
    return cost


def conv_params(
    c_in: int, c_out: int, kernel: Sequence[int], groups: int = 1, bias: bool = True
) -> int:
    """(k_w·k_h·C_in/g + 1)·C_out (seed §2, with groups); the same for transposed convs."""
    return (c_in // groups) * prod(kernel) * c_out + (c_out if bias else 0)


def _spatial_dims(x_shape: Sequence[int], kernel: int | Sequence[int], nd: int | None) -> int:
    if nd is None:
        nd = len(kernel) if not isinstance(kernel, int) else len(x_shape) - 2
    if nd < 1 or len(x_shape) not in (nd + 1, nd + 2):
        raise ShapeError(f"a {nd}-D convolution needs a {nd + 1}-D or {nd + 2}-D input, got {tuple(x_shape)}")
    return nd


def same_padding(kernel: Sequence[int], dilation: Sequence[int]) -> tuple[int, ...]:
    """Total padding per dim that keeps stride-1 output length equal to the input's."""
    return tuple(d * (k - 1) for k, d in zip(kernel, dilation))


def conv_output_shape(
    x_shape: Sequence[int],
    c_out: int,
    kernel: int | Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
    nd: int | None = None,
) -> Shape:
    """[N, C_in, *I] -> [N, C_out, *O], O = ⌊(I + 2p − d·(k − 1) − 1)/s⌋ + 1.

    ``padding`` may be an int, a per-dim sequence, 'valid' (0) or 'same' (stride 1 only).
    ``nd`` is the number of spatial dims (Conv2d: 2); without it, it is taken from a
    tuple kernel or else the input's rank − 2. An unbatched input [C_in, *I] gives an
    unbatched output.
    """
    nd = _spatial_dims(x_shape, kernel, nd)
    if nd < 1:
        raise ShapeError(f"convolution input needs channels and spatial dims, got {tuple(x_shape)}")
    k = as_tuple(kernel, nd, "kernel_size")
    s = as_tuple(stride, nd, "stride")
    d = as_tuple(dilation, nd, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            pads: tuple[int, ...] = (0,) * nd
        elif padding == "same":
            if any(v != 1 for v in s):
                raise ShapeError("padding='same' is only supported with stride 1 (as in PyTorch)")
            pads = same_padding(k, d)
        else:
            raise ShapeError(f"padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
    else:
        pads = tuple(2 * p for p in as_tuple(padding, nd, "padding"))
    window_args(k, s, tuple(p // 2 for p in pads), d)
    spatial = x_shape[-nd:]
    out = tuple(conv_out_len(i, kk, ss, pp, dd) for i, kk, ss, pp, dd in zip(spatial, k, s, pads, d))
    if any(o <= 0 for o in out):
        raise ShapeError(
            f"input spatial size {tuple(spatial)} is too small for kernel {k} "
            f"(dilation {d}, padding {padding}); output would be {out}"
        )
    return tuple(x_shape[:-nd - 1]) + (c_out,) + out


def conv_transpose_output_shape(
    x_shape: Sequence[int],
    c_out: int,
    kernel: int | Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    output_padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    nd: int | None = None,
) -> Shape:
    """O = (I − 1)·s − 2p + d·(k − 1) + output_padding + 1."""
    nd = _spatial_dims(x_shape, kernel, nd)
    if nd < 1:
        raise ShapeError(f"convolution input needs channels and spatial dims, got {tuple(x_shape)}")
    k = as_tuple(kernel, nd, "kernel_size")
    s = as_tuple(stride, nd, "stride")
    p = as_tuple(padding, nd, "padding")
    op = as_tuple(output_padding, nd, "output_padding")
    d = as_tuple(dilation, nd, "dilation")
    window_args(k, s, p, d, op)
    spatial = x_shape[-nd:]
    out = tuple(
        conv_transpose_out_len(i, kk, ss, pp, dd, oo)
        for i, kk, ss, pp, dd, oo in zip(spatial, k, s, p, d, op)
    )
    if any(o < 0 for o in out):  # an empty output (0) is what PyTorch returns, at no cost
        raise ShapeError(f"transposed convolution output would be {out} for input {tuple(spatial)}")
    return tuple(x_shape[:-nd - 1]) + (c_out,) + out
