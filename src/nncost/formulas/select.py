"""Sorting, selection and the FFT: comparison and butterfly counts.

These ops have no dot products (0 MACs). Their FLOPs count comparisons (sorting,
selection) or the arithmetic of a radix-2 transform (FFT), with the per-element units of
:mod:`.table` where one applies. Counts are the standard algorithmic ones, stated per
formula; a library's kernel may do somewhat fewer (early exits) or more (pivoting).
"""

from __future__ import annotations

import math

from ..cost import Cost
from .table import unit

__all__ = ["sort", "topk", "select_kth", "fft"]


def _log2(n: int) -> int:
    return math.ceil(math.log2(n)) if n > 1 else 0


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


def fft(n: int, transforms: int, real: bool = False) -> Cost:
    """A length-n FFT: 5·n·⌈log₂ n⌉ real operations for a complex transform (radix-2:
    n/2·log₂ n butterflies of one complex multiply (6) and two complex adds (4)); a real
    input or output transform does half: 2.5·n·⌈log₂ n⌉. Per transform, × ``transforms``."""
    per = 5 * n * _log2(n)
    return Cost(0, transforms * (per // 2 if real else per))
