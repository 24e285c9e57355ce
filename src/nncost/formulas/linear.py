"""Dot-product layers: linear, matmul/bmm, einsum.

Convention (seed, section 1): a dot product of length n is n multiplications and
n − 1 additions, i.e. n MACs and 2n − 1 FLOPs; a bias add is one more FLOP.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..cost import Cost
from ..errors import ShapeError
from .shapes import Shape, broadcast, prod
from .table import unit

__all__ = ["linear", "linear_params", "matmul", "matmul_shape", "addmm", "einsum", "sparse_matmul", "addbmm"]


def linear(rows: int, d_in: int, d_out: int, bias: bool = True) -> Cost:
    """y = x·Wᵀ + b for ``rows`` input vectors (the product of the input's leading dims).

    MACs  = rows · d_out · d_in
    FLOPs = rows · d_out · [d_in + (d_in − 1) + 1]     (seed §1: muls, adds, bias)
          = rows · d_out · (2·d_in − 1 + bias)
    """
    return Cost(rows * d_out * d_in, rows * d_out * (2 * d_in - 1 + int(bias)))


def linear_params(d_in: int, d_out: int, bias: bool = True) -> int:
    """(d_in + 1) · d_out with bias, d_in · d_out without (seed §1)."""
    return (d_in + int(bias)) * d_out


def matmul_shape(a: Sequence[int], b: Sequence[int]) -> tuple[Shape, int, int, int, int]:
    """torch.matmul's result shape and its (batch, M, K, N) — 1-D operands included."""
    if not a or not b:
        raise ShapeError(f"matmul needs operands of at least 1 dim, got {tuple(a)} and {tuple(b)}")
    a2 = (1, a[0]) if len(a) == 1 else tuple(a)
    b2 = (b[0], 1) if len(b) == 1 else tuple(b)
    if a2[-1] != b2[-2]:
        raise ShapeError(f"matmul inner dims differ: {tuple(a)} @ {tuple(b)}")
    batch = broadcast(a2[:-2], b2[:-2])
    m, k, n = a2[-2], a2[-1], b2[-1]
    out = batch + ((m,) if len(a) > 1 else ()) + ((n,) if len(b) > 1 else ())
    return out, prod(batch), m, k, n


def matmul(a: Sequence[int], b: Sequence[int]) -> Cost:
    """[..., M, K] @ [..., K, N] -> [..., M, N] (batch dims broadcast).

    MACs  = batch · M · N · K
    FLOPs = batch · M · N · (2K − 1)        (each output is a dot product of length K)
    """
    _, batch, m, k, n = matmul_shape(a, b)
    return Cost(batch * m * n * k, batch * m * n * (2 * k - 1))


def addmm(a: Sequence[int], b: Sequence[int]) -> Cost:
    """bias + a @ b (addmm, baddbmm, addmv): the matmul plus one add per output, which is
    exactly :func:`linear` with a bias."""
    out, batch, m, k, n = matmul_shape(a, b)
    return matmul(a, b) + Cost(0, prod(out))


def addbmm(a: Sequence[int], b: Sequence[int]) -> Cost:
    """bias + Σ_b A_b·B_b for a [B, M, K], b [B, K, N]: the batched matmul, B − 1 adds per
    output to sum over the batch, one add per output for the bias."""
    out = a[-2] * b[-1] if len(a) >= 2 and len(b) >= 2 else 0
    return matmul(a, b) + Cost(0, out * ((a[0] if len(a) == 3 else 1) - 1) + out)


def grouped_matmul(a: Sequence[int], b: Sequence[int], groups: int = 1, bias: bool = False) -> Cost:
    """A grouped matmul (``torch._grouped_mm``, the mixture-of-experts kernel), G groups:

    - a [M, K] (rows of every group, stacked) @ b [G, K, N]: each row times its group's
      matrix — M·K·N MACs, M·N·(2K − 1) FLOPs, whichever group each row is in (so the
      count does not depend on the routing);
    - a [G, M, K] @ b [G, K, N]: a batched matmul;
    - a [M, K] @ b [K, N] with K split into ``groups`` groups (the experts' weight
      gradient): G outputs of M × N, each summing its group's share of K — M·N·K MACs,
      M·N·(2K − G) FLOPs.
    ``bias`` adds one add per output row element. Offsets that leave rows out (expert
    parallelism's dropped tokens) would cost less; on meta they are unknown and every row counts.
    """
    if len(a) == 2 and len(b) == 2:
        m, k, n = a[0], a[1], b[1]
        return Cost(m * k * n, m * n * (2 * k - groups))
    if len(a) == 2 and len(b) == 3:
        m, k, n = a[0], a[1], b[2]
        out = m * n
        cost = Cost(m * k * n, out * (2 * k - 1))
    else:  # [G, M, K] @ [G, K, N], or groups along a's first dim sharing a 2-D b: batched
        cost, out = matmul(a, b), prod(a[:-1]) * b[-1]
    return cost + (Cost(0, out * unit("add")) if bias else Cost())


def scaled_matmul(a: Sequence[int], b: Sequence[int], scale_multiplies: int, bias: bool = False, dequantized: int = 0) -> Cost:
    """A low-precision matmul (fp8 ``_scaled_mm``, int8 ``_int_mm``, int8/int4 weight-only
    ``_weight_int*pack_mm``): the matmul, then ``scale_multiplies`` multiplies per output (1
    for a per-tensor scale, 2 for row- and column-wise scales, 0 for none), a bias add per
    output, and 2 operations (subtract the zero point, multiply by the scale) for each of
    ``dequantized`` weights a weight-only kernel unpacks."""
    out = prod(a[:-1]) * b[-1]
    return matmul(a, b) + Cost(0, out * (scale_multiplies * unit("mul") + (unit("add") if bias else 0))
                               + dequantized * (unit("sub") + unit("mul")))


def einsum(equation: str, *shapes: Sequence[int]) -> Cost:
    """A general einsum, contracted left to right one pair at a time.

    For one pair with output indices O and summed indices S (sizes multiplied):
    MACs = |O| · |S|; FLOPs = |O| · (2·|S| − 1). With no summed index (an outer or
    element-wise product) there is no accumulation: 0 MACs and |O| multiplications, what
    ``torch.einsum`` runs (a broadcast ``mul``). A single operand is a reduction:
    FLOPs = |input| − |output| additions. NB: with three or more operands the pairwise
    order is left to right; an optimised order (opt_einsum) may cost less.
    """
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
    else:
        lhs = eq
        letters = lhs.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ShapeError(f"einsum {equation!r} has {len(terms)} operands, got {len(shapes)} shapes")
    if "." in eq:
        terms, out = _expand_ellipsis(equation, terms, out if "->" in eq else None, shapes)
    sizes: dict[str, int] = {}
    for term, shape in zip(terms, shapes):
        if len(term) != len(shape):
            raise ShapeError(f"einsum operand {term!r} has {len(term)} indices, shape {tuple(shape)}")
        for c, s in zip(term, shape):
            if sizes.setdefault(c, s) != s and 1 not in (s, sizes[c]):
                raise ShapeError(f"einsum index {c!r} has sizes {sizes[c]} and {s}")
            sizes[c] = max(sizes[c], s)

    def size(idx: str) -> int:
        return prod(sizes[c] for c in idx)

    if len(terms) == 1:  # a reduction; a repeated index (``ii->i``, ``ii->``) reads the diagonal only
        distinct = "".join(dict.fromkeys(terms[0]))
        return Cost(0, size(distinct) - size(out)) if set(out) != set(distinct) else Cost()
    total = Cost()
    left = terms[0]
    for i, right in enumerate(terms[1:], start=1):
        later = set("".join(terms[i + 1 :]) + out)
        both = set(left) | set(right)
        keep = "".join(c for c in sorted(both) if c in later)
        summed = "".join(c for c in sorted(both) if c not in later)
        k = size(summed)
        if summed:
            total += Cost(size(keep) * k, size(keep) * (2 * k - 1))
        else:  # nothing summed: an outer or element-wise product, one multiply per output, no MAC
            total += Cost(0, size(keep) * unit("mul"))
        left = keep
    return total


def _expand_ellipsis(equation: str, terms: list[str], out: str | None, shapes: Sequence[Sequence[int]]) -> tuple[list[str], str]:
    """``...`` written out as letters of its own: each operand's ``...`` covers the dims its
    shape has beyond its named indices, broadcast right-aligned as in NumPy; the output's
    ``...`` (or, with no ``->``, the start of the output) holds all of them."""
    used = set(equation)
    fresh = [chr(c) for c in range(0x3B1, 0x3B1 + 64) if chr(c) not in used]  # Greek letters: never in an equation
    counts = []
    for term, shape in zip(terms, shapes):
        if term.count("...") > 1 or "." in term.replace("...", ""):
            raise ShapeError(f"einsum {equation!r}: an operand may hold one '...', got {term!r}")
        named = len(term.replace("...", ""))
        if "..." in term and len(shape) < named:
            raise ShapeError(f"einsum operand {term!r} names {named} dims, shape {tuple(shape)} has {len(shape)}")
        counts.append(len(shape) - named if "..." in term else 0)
    width = max(counts, default=0)
    letters = "".join(fresh[:width])
    terms = [t.replace("...", letters[width - k:]) for t, k in zip(terms, counts)]
    if out is None:  # NumPy's implicit output: the broadcast dims, then the indices used once, sorted
        joined = "".join(terms)
        out = letters + "".join(sorted(c for c in set(joined) if joined.count(c) == 1 and c not in letters))
    else:
        out = out.replace("...", letters)
    return terms, out


def sparse_matmul(nnz: int, other: int, touched: int, out_numel: int = 0) -> Cost:
    """A sparse matrix (``nnz`` stored non-zeros) times a dense one with ``other`` columns
    (or a dense one with ``other`` rows times a sparse one): only stored values are multiplied.

      MACs  = nnz · other
      FLOPs = nnz · other multiplies + (nnz · other − touched) adds (+ out_numel for addmm's add)
    where ``touched`` is the number of output elements that receive at least one product
    (rows, or columns, holding a non-zero, times ``other``).
    """
    macs = nnz * other
    return Cost(macs, 2 * macs - touched + out_numel)
