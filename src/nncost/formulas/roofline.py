"""The roofline (Williams, Waterman and Patterson 2009): the time an op needs at least.

An op that does F FLOPs and moves B bytes on a device with peak P FLOP/s and bandwidth W
bytes/s takes at least max(F / P, B / W): compute-bound when F / P is the larger,
memory-bound otherwise. Its attainable rate is min(P, W · I), I = F / B the arithmetic
intensity; the ridge point I = P / W separates the two. With efficiencies e_c, e_m (the
fraction of each roof a real kernel reaches) the time is max(F / (e_c·P), B / (e_m·W)).

The compute term counts a multiply-add as 2 FLOPs, as peaks do: 2 · MACs for the ops
made of multiply-adds (matmul, convolution, attention), the seed's FLOPs for the others.
"""

from __future__ import annotations

__all__ = ["attainable", "compute_flops", "op_class", "op_time", "ridge"]


def compute_flops(macs: int, flops: int) -> int:
    """FLOPs for the compute term: 2 · MACs where the op is multiply-adds, else its FLOPs."""
    return 2 * macs if macs else flops


def op_time(flops: int, moved: int, peak: float, bandwidth: float, compute_eff: float = 1.0,
            memory_eff: float = 1.0) -> tuple[float, str]:
    """(seconds, "compute" | "memory"): max(F / (e_c·P), B / (e_m·W)) and the term that decides it."""
    tc = flops / (peak * compute_eff)
    tm = moved / (bandwidth * memory_eff)
    return (tc, "compute") if tc >= tm else (tm, "memory")


def attainable(intensity: float, peak: float, bandwidth: float) -> float:
    """FLOP/s an op of ``intensity`` FLOPs per byte can reach: min(P, W · I)."""
    return min(peak, bandwidth * intensity)


def ridge(peak: float, bandwidth: float) -> float:
    """The intensity (FLOPs per byte) above which an op is compute-bound: P / W."""
    return peak / bandwidth


_CLASSES = (  # (op class, substrings of an op's name, lower case): aten ops, their backwards, ONNX op types
    ("attention", ("attention", "scaled_dot_product", "sdpa")),
    ("conv", ("conv",)),
    ("matmul", ("mm", "matmul", "linear", "gemm", "einsum", "dot", "addmv", "mv", "lstm", "gru", "rnn", "bilinear")),
    ("norm", ("norm",)),
    ("pool", ("pool",)),
)


def op_class(name: str) -> str:
    """The class an op belongs to for the roofline and the calibration: matmul, conv, attention
    (matrix units), norm, pool or elementwise (vector units), from its name."""
    low = name.lower()
    for cls, keys in _CLASSES:
        if any(k in low for k in keys):
            return cls
    return "elementwise"
