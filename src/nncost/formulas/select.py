"""Sorting, selection and the FFT: comparison and butterfly counts.

These ops have no dot products (0 MACs). Their FLOPs count comparisons (sorting,
selection) or the arithmetic of a radix-2 transform (FFT), with the per-element units of
:mod:`.table` where one applies. Counts are the standard algorithmic ones, stated per
formula; a library's kernel may do somewhat fewer (early exits) or more (pivoting).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..cost import Cost
from .shapes import prod
from .table import unit

__all__ = ["sort", "topk", "select_kth", "binary_search", "fft", "fft_nd"]


def _log2(n: int) -> int:
    return math.ceil(math.log2(n)) if n > 1 else 0


def unique(numel: int) -> Cost:
    """Sorted unique values of n elements: a sort of all n (:func:`sort`), then n − 1
    comparisons of neighbours."""
    return sort(numel, numel) + Cost(0, max(numel - 1, 0) * unit("compare"))


def sort(numel: int, dim_len: int) -> Cost:
    """Sort (sort, argsort, msort) along a dim of length n: n·⌈log₂ n⌉ comparisons per row
    (a comparison sort's bound; merge sort's worst case)."""
    if not dim_len:
        return Cost()
    rows = numel // dim_len
    return Cost(0, rows * dim_len * _log2(dim_len) * unit("compare"))


def topk(numel: int, dim_len: int, k: int) -> Cost:
    """The k largest of n per row, kept in a binary heap of k: each element is compared
    with the heap's top (n − 1), and each that enters sifts down ⌈log₂ k⌉ levels; counted
    at its worst, every element entering: n − 1 + n·⌈log₂ k⌉ comparisons."""
    if not dim_len:
        return Cost()
    rows = numel // dim_len
    return Cost(0, rows * (dim_len - 1 + dim_len * _log2(k)) * unit("compare"))


def select_kth(numel: int, dim_len: int) -> Cost:
    """One order statistic per row (median, kthvalue; mode after its sort), bounded by
    the sort: n·⌈log₂ n⌉ comparisons (introselect's worst case is a sort)."""
    return sort(numel, dim_len)


def binary_search(queries: int, n: int) -> Cost:
    """searchsorted / bucketize: one binary search per query in a sorted row of n:
    ⌈log₂(n + 1)⌉ comparisons each."""
    return Cost(0, queries * _log2(n + 1) * unit("compare"))


def fft(n: int, transforms: int, real: bool = False) -> Cost:
    """A length-n FFT: 5·n·⌈log₂ n⌉ real operations for a complex transform (radix-2:
    n/2·log₂ n butterflies of one complex multiply (6) and two complex adds (4)); a real
    input or output transform does half: 2.5·n·⌈log₂ n⌉. Per transform, × ``transforms``."""
    per = 5 * n * _log2(n)
    return Cost(0, transforms * (per // 2 if real else per))


def fft_nd(shape: Sequence[int], dims: Sequence[int], real_dim: int | None = None, normalized: bool = False,
           out_numel: int = 0) -> Cost:
    """A transform over several dims of a tensor of ``shape``, separable: one 1-D transform
    per line along each dim (:func:`fft`), the real one (``real_dim``: rfft's last dim) at
    half cost; normalisation adds one multiply per output element."""
    total = prod(shape)
    cost = Cost()
    for d in dims:
        if shape[d]:
            cost += fft(shape[d], total // shape[d], real=d == real_dim)
    return cost + (Cost(0, out_numel * unit("mul")) if normalized else Cost())
