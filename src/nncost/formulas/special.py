"""Losses, sampling, positional encodings, signal windows and small linear algebra.

Each function is the formula in its docstring, with the table's per-element units
(:func:`~nncost.formulas.table.unit`) wherever an elementary operation is named, so
``--op-cost`` overrides reach them too.
"""

from __future__ import annotations

from ..cost import Cost
from ..errors import ShapeError
from .elementwise import log_softmax, norm_reduction, var_reduction
from .select import _log2
from .table import unit

__all__ = [
    "affine_grid",
    "cross_entropy",
    "det",
    "grid_sample",
    "linear_attention",
    "lp_normalize",
    "lrn",
    "mean_variance_normalize",
    "nll_loss",
    "rotary",
    "shrink",
    "stft",
    "window",
]

REDUCTIONS = ("none", "mean", "sum")


def nll_loss(samples: int, weighted: bool, reduction: str, ignore_index: bool = True) -> Cost:
    """Negative log-likelihood of ``samples`` predictions (N, or N·d₁·…·d_k for k-D targets),
    each a gather of its target's log-probability:

      per sample: a comparison with ``ignore_index`` (when one is set; PyTorch always has
      one), a negation, and a multiply by the class weight (when weighted);
      ``sum``: N − 1 adds; ``mean``: N − 1 adds of the losses, one divide, and — when the
      denominator is not simply N (weighted, or samples may be ignored) — N − 1 adds of the
      weights or of the counted samples.
    """
    if reduction not in REDUCTIONS:
        raise ShapeError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
    per = (unit("compare") if ignore_index else 0) + unit("neg") + (unit("mul") if weighted else 0)
    flops = samples * per
    adds = max(samples - 1, 0) * unit("add")
    if reduction == "sum":
        flops += adds
    elif reduction == "mean":
        flops += adds * (2 if weighted or ignore_index else 1) + (unit("div") if samples else 0)
    return Cost(0, flops)


def cross_entropy(samples: int, classes: int, weighted: bool, reduction: str, ignore_index: bool = True) -> Cost:
    """Softmax cross-entropy: a log-softmax over the C classes of each sample (5C − 1, see
    :func:`~nncost.formulas.log_softmax`), then :func:`nll_loss`."""
    return log_softmax(samples * classes, classes) + nll_loss(samples, weighted, reduction, ignore_index)


GRID_MODES = ("nearest", "bilinear", "bicubic")
PADDING_MODES = ("zeros", "border", "reflection")


def grid_sample(points: int, channels: int, dims: int, mode: str = "bilinear", padding: str = "zeros",
                align_corners: bool = False) -> Cost:
    """Sample a C-channel input at ``points`` grid locations (N·H_out·W_out, ·D_out in 3-D).

    Per point and spatial dim (shared by the channels): un-normalising the coordinate,
    ((x + 1)·size − 1)/2 (4 operations; 3 with ``align_corners``: (x + 1)/2·(size − 1));
    clamping it (``border``, 2 comparisons) or reflecting it (``reflection``: abs, modulo,
    comparison, subtraction, 4); then for ``nearest`` a rounding, for ``bilinear`` a floor,
    the fraction and its complement (3), for ``bicubic`` a floor, the fraction and four cubic
    weights (4 each: 18). Per point, the 2^d corner weights of bilinear are products of d
    factors (2^d·(d − 1) multiplies).
    Per point and channel: ``nearest`` copies (0); ``bilinear`` weighs 2^d taps (2^d
    multiplies, 2^d − 1 adds); ``bicubic`` (2-D only) weighs 16 taps as 4-tap rows then a
    column (the table's ``bicubic`` unit).
    """
    if mode not in GRID_MODES:
        raise ShapeError(f"grid sampling mode must be one of {', '.join(GRID_MODES)}, got {mode!r}")
    if padding not in PADDING_MODES:
        raise ShapeError(f"grid padding mode must be one of {', '.join(PADDING_MODES)}, got {padding!r}")
    coord = 3 if align_corners else 4
    coord += {"zeros": 0, "border": 2, "reflection": 4}[padding]
    coord += {"nearest": unit("round"), "bilinear": 3, "bicubic": 18}[mode]
    taps = 2 ** dims
    per_point = dims * coord + (taps * (dims - 1) * unit("mul") if mode == "bilinear" else 0)
    per_channel = {"nearest": 0, "bilinear": taps * unit("mul") + (taps - 1) * unit("add"), "bicubic": unit("bicubic")}[mode]
    return Cost(0, points * per_point + points * channels * per_channel)


def affine_grid(batch: int, points: int, dims: int) -> Cost:
    """The sampling grid of an affine transform: each of the ``points`` homogeneous base
    coordinates (d + 1 values) times the batch's d × (d + 1) matrix θ — a matrix product,
    N·points·d·(d + 1) MACs. (PyTorch's meta decomposition writes it as a broadcast
    multiply and sum instead; the arithmetic is the same.)"""
    macs = batch * points * dims * (dims + 1)
    return Cost(macs, 2 * macs - batch * points * dims)


def lrn(numel: int, size: int) -> Cost:
    """Local response normalisation, y = x / (k + α/n · Σ_window x²)^β, per element: the
    square 1, n − 1 adds over the window of n channels, the scale α/n 1, + k 1, the power
    1, the divide 1  ->  n + 4 (edge windows summed over their zero padding, as kernels do).
    NB: PyTorch's functional form runs an average pool (a divide, then a multiply by α):
    one more operation per element."""
    return Cost(0, numel * (unit("square") + (size - 1) * unit("add") + unit("mul") + unit("add") + unit("pow") + unit("div")))


def rotary(rotated: int) -> Cost:
    """Rotary position embedding on ``rotated`` elements (the rotated part of each head):
    each pair (x₁, x₂) becomes (x₁·cos − x₂·sin, x₂·cos + x₁·sin): 4 multiplies and 2
    adds per pair, 3 per element; the cos/sin caches are read, not computed."""
    return Cost(0, rotated * (2 * unit("mul") + unit("add")))


def shrink(numel: int) -> Cost:
    """Shrink (hard/soft shrinkage): two comparisons with ±λ and an add of the bias per element."""
    return Cost(0, numel * (2 * unit("compare") + unit("add")))


def lp_normalize(numel: int) -> Cost:
    """x / ‖x‖_p along an axis: the norm (2 per element, :func:`norm_reduction`), one divide per element."""
    return norm_reduction(numel) + Cost(0, numel * unit("div"))


def mean_variance_normalize(numel: int, groups: int) -> Cost:
    """(x − E[x]) / √Var[x] over the axes, ``groups`` statistics: the variance (4 per element,
    :func:`var_reduction`) with its square root per group, then one divide per element
    (x − E[x] was computed for the variance)."""
    return var_reduction(numel, groups, sqrt=True) + Cost(0, numel * unit("div"))


def det(n: int, batch: int = 1) -> Cost:
    """Determinant of ``batch`` n × n matrices by LU factorisation with partial pivoting:
    step k (of n − 1) divides n − k entries by the pivot, compares n − k + 1 candidates
    for it, and updates an (n − k)² block with one multiply-add each
    (Σ (n−k)² = (n−1)·n·(2n−1)/6 MACs); then n − 1 multiplies of the diagonal."""
    if n <= 0:
        return Cost()
    macs = (n - 1) * n * (2 * n - 1) // 6
    pivots = n * (n - 1) // 2
    flops = 2 * macs + pivots * unit("div") + (pivots + n - 1) * unit("compare") + (n - 1) * unit("mul")
    return Cost(batch * macs, batch * flops)


def solve_triangular(n: int, columns: int, batch: int = 1, unit_diagonal: bool = False) -> Cost:
    """Solve A·X = B (or X·A = B) for ``batch`` triangular n × n matrices A and ``columns``
    right-hand sides by substitution: unknown i (of n) takes i multiply-adds with the unknowns
    already found, Σ i = n·(n−1)/2 per right-hand side, and a divide by the diagonal (none when
    the diagonal is ones)."""
    if n <= 0 or columns <= 0:
        return Cost()
    macs = batch * columns * n * (n - 1) // 2
    divides = 0 if unit_diagonal else batch * columns * n
    return Cost(macs, 2 * macs + divides * unit("div"))


WINDOWS = {"hann": 1, "hamming": 1, "blackman": 2}


def window(length: int, kind: str) -> Cost:
    """A cosine-sum window of ``length`` samples, w[n] = a₀ − a₁·cos(2πn/N) (+ a₂·cos(4πn/N)
    for Blackman): per cosine term and sample, the angle (one multiply by the precomputed
    2πk/N), the cosine, the coefficient's multiply and the add: 4."""
    if kind not in WINDOWS:
        raise ShapeError(f"window must be one of {', '.join(WINDOWS)}, got {kind!r}")
    return Cost(0, length * WINDOWS[kind] * (2 * unit("mul") + unit("cos") + unit("add")))


def stft(frames: int, frame_length: int, fft_length: int, real: bool, windowed: bool, onesided: bool = True) -> Cost:
    """Short-time Fourier transform: ``frames`` (batch × frames per signal) frames of
    ``frame_length`` samples, each multiplied by the window (when given) and transformed
    by a length-``fft_length`` FFT (5·n·⌈log₂ n⌉ complex, half for a real signal with a
    one-sided output; :func:`~nncost.formulas.fft`)."""
    per = 5 * fft_length * _log2(fft_length)
    if real and onesided:
        per //= 2
    return Cost(0, frames * (per + (frame_length * unit("mul") if windowed else 0)))


UPDATE_RULES = ("linear", "gated", "delta", "gated_delta")


def linear_attention(tokens: int, q_heads: int, kv_heads: int, d_k: int, d_v: int, rule: str) -> Cost:
    """Recurrent linear attention over ``tokens`` (B·T) steps, a d_k × d_v state per KV head.

    Per step and KV head, the state update S ← …: ``linear``: S + k ⊗ v (d_k·d_v MACs: a
    product and an add into S per entry); ``gated``: exp(g) ⊙ S + k ⊗ v (d_k exps and
    d_k·d_v multiplies first); ``delta``: S + β·k ⊗ (v − Sᵀk) (Sᵀk: d_k·d_v MACs, d_v
    dot products of d_k − 1 adds each; v − ·, β·: 2·d_v); ``gated_delta``: the gate, then
    delta. Per step and query head, the read o = scale · Sᵀq: d_v dot products of length d_k
    (d_k·d_v MACs, d_v·(2·d_k − 1) FLOPs, as formulas.matmul) and d_v multiplies by the scale.
    """
    if rule not in UPDATE_RULES:
        raise ShapeError(f"update rule must be one of {', '.join(UPDATE_RULES)}, got {rule!r}")
    state = d_k * d_v
    macs = state  # the outer product k ⊗ (v or the delta), accumulated into S
    flops = 2 * state
    if rule in ("gated", "gated_delta"):
        flops += d_k * unit("exp") + state * unit("mul")
    if rule in ("delta", "gated_delta"):
        macs += state
        flops += (2 * d_k - 1) * d_v + 2 * d_v
    read_macs, read_flops = state, (2 * d_k - 1) * d_v + d_v * unit("mul")
    return Cost(tokens * (kv_heads * macs + q_heads * read_macs), tokens * (kv_heads * flops + q_heads * read_flops))
