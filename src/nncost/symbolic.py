"""Costs as polynomials of a model's dynamic dims, found exactly from integer evaluations.

The cost of a graph is a polynomial in its free dims whenever shapes flow through
dot products, element-wise ops and reshapes (batch N, sequence S: a transformer's MACs
are a·S + b·S² for N = 1). Rather than carry symbols through every formula, nncost
evaluates the graph on a grid of integer values — three per symbol, enough for degree 2
in each — solves for the coefficients exactly (rational Lagrange interpolation on the
grid), and checks the polynomial at one more point. When the check fails (a dim that
goes through floor division, e.g. a convolution over a dynamic height), there is no such
polynomial and the caller says so.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction

__all__ = ["Poly", "GRID", "CHECK", "fit", "format_poly", "evaluate"]

Poly = dict[tuple[int, ...], Fraction]  # exponents per symbol -> coefficient
GRID = (2, 3, 5)  # values each symbol takes while fitting (degree ≤ 2 per symbol)
CHECK = 7  # the extra point every polynomial must reproduce


def _lagrange_coeffs(values: Sequence[int]) -> list[list[Fraction]]:
    """coeffs[i][e]: the coefficient of x^e in the i-th basis polynomial."""
    out = []
    for i, vi in enumerate(values):
        poly = [Fraction(1)]
        denom = Fraction(1)
        for j, vj in enumerate(values):
            if j == i:
                continue
            poly = [(poly[k - 1] if k > 0 else Fraction(0)) - vj * (poly[k] if k < len(poly) else Fraction(0))
                    for k in range(len(poly) + 1)]
            denom *= vi - vj
        out.append([Fraction(c) / denom for c in poly])
    return out


def fit(symbols: Sequence[str], measure: Callable[[Mapping[str, int]], int]) -> Poly | None:
    """The polynomial p with p(point) = measure(point) on the grid, or None if it fails the check."""
    k = len(symbols)
    per = _lagrange_coeffs(GRID)
    samples = {pt: measure(dict(zip(symbols, pt))) for pt in itertools.product(GRID, repeat=k)}
    poly: Poly = {}
    for exps in itertools.product(range(len(GRID)), repeat=k):
        c = Fraction(0)
        for idx in itertools.product(range(len(GRID)), repeat=k):
            term = Fraction(samples[tuple(GRID[i] for i in idx)])
            for i, e in zip(idx, exps):
                term *= per[i][e]
            c += term
        if c:
            poly[exps] = c
    check = dict.fromkeys(symbols, CHECK)
    if evaluate(poly, symbols, check) != measure(check):
        return None
    return poly


def evaluate(poly: Poly, symbols: Sequence[str], values: Mapping[str, int]) -> Fraction:
    total = Fraction(0)
    for exps, c in poly.items():
        term = c
        for s, e in zip(symbols, exps):
            term *= Fraction(values[s]) ** e
        total += term
    return total


def format_poly(poly: Poly, symbols: Sequence[str], number: Callable[[Fraction], str] | None = None) -> str:
    """'4089184256·N', '1179648·S + 36864·S²'; highest degree last, exact by default."""
    def num(c: Fraction) -> str:
        if number is not None:
            return number(c)
        return str(c.numerator) if c.denominator == 1 else f"({c.numerator}/{c.denominator})"

    sup = {1: "", 2: "²", 3: "³"}
    terms = []
    for exps in sorted(poly, key=lambda e: (sum(e), e)):
        c = poly[exps]
        mono = "·".join(f"{s}{sup.get(e, f'^{e}')}" for s, e in zip(symbols, exps) if e)
        if not mono:
            terms.append(num(c))
        else:
            terms.append(mono if c == 1 else f"{num(c)}·{mono}")
    text = " + ".join(terms) if terms else "0"
    return text.replace("+ -", "− ")
