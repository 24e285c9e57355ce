"""Element-wise ops, activations, softmax and reductions.

Cost per output element comes from :mod:`nncost.formulas.table`; no parameters, no MACs
(seed §6: "J outputs → J FLOPs" for ReLU, 4·J for sigmoid).
"""

from __future__ import annotations

from ..cost import Cost
from .table import unit

__all__ = ["elementwise", "softmax", "log_softmax", "logsumexp", "logcumsumexp", "softmax_backward", "reduction",
           "mean_reduction", "var_reduction", "norm_reduction", "cumulative", "accumulate"]


def elementwise(name: str, numel: int) -> Cost:
    """FLOPs = numel · unit(name)  (per-element cost from the table); MACs = 0."""
    return Cost(0, numel * unit(name))


def softmax(numel: int, dim_len: int) -> Cost:
    """Softmax along a dim of length n, numel/n rows, numerically stable form.

    Per row: max n − 1, x − max n, exp n, sum n − 1, divide n  ->  5n − 2.
    """
    rows = numel // dim_len if dim_len else 0
    return Cost(0, rows * (5 * dim_len - 2) if dim_len else 0)


def log_softmax(numel: int, dim_len: int) -> Cost:
    """Per row: max n − 1, x − max n, exp n, sum n − 1, log 1, subtract n  ->  5n − 1."""
    rows = numel // dim_len if dim_len else 0
    return Cost(0, rows * (5 * dim_len - 1) if dim_len else 0)


def reduction(in_numel: int, out_numel: int) -> Cost:
    """A sum/max/min over some dims: in − out additions (n − 1 per output)."""
    return Cost(0, max(in_numel - out_numel, 0))


def mean_reduction(in_numel: int, out_numel: int) -> Cost:
    """A mean: n − 1 additions and one division per output  ->  in − out + out = in."""
    return Cost(0, in_numel if out_numel else 0)


def softmax_backward(numel: int, dim_len: int) -> Cost:
    """Gradient of softmax or log-softmax, per row of n: 4n − 1.

    softmax: y·(g − Σ g·y): multiply n, sum n − 1, subtract n, multiply n;
    log-softmax: g − exp(y)·Σ g: exp n, sum n − 1, multiply n, subtract n.
    """
    rows = numel // dim_len if dim_len else 0
    return Cost(0, rows * (4 * dim_len - 1) if dim_len else 0)


def var_reduction(in_numel: int, out_numel: int, sqrt: bool = False) -> Cost:
    """Variance over n elements per output: mean n, subtract n, square n, n − 1 adds,
    1 divide -> 4n per output (+1 for the square root of std)."""
    return Cost(0, 4 * in_numel + (out_numel if sqrt else 0))


def norm_reduction(in_numel: int) -> Cost:
    """A vector norm (L2, L1, sum of squares): square or |x| each element, n − 1 adds and
    one root per output -> 2n per output, i.e. 2 per input element."""
    return Cost(0, 2 * in_numel)


def logsumexp(numel: int, dim_len: int) -> Cost:
    """log Σ exp(x) along a dim of length n, the stable way, per output:
    max n − 1, x − max n, exp n, sum n − 1, log 1, + max 1  ->  4n (with the table's units).

    The same count as writing it out with the maximum computed once:
    ``m = x.amax(d, keepdim=True); (x - m).exp().sum(d).log() + m.squeeze(d)``.
    """
    if not dim_len:
        return Cost()
    rows = numel // dim_len
    per = (dim_len - 1) * unit("max") + dim_len * (unit("sub") + unit("exp")) + (dim_len - 1) * unit("add")
    return Cost(0, rows * (per + unit("log") + unit("add")))


def logcumsumexp(numel: int, dim_len: int) -> Cost:
    """Running log Σ exp along a dim: after each row's first element, each step is
    logaddexp(acc, x) = max + log(1 + exp(min − max)): compare, subtract, exp, add, log, add."""
    rows = numel // dim_len if dim_len else 0
    per = unit("max") + unit("sub") + unit("exp") + unit("add") + unit("log") + unit("add")
    return Cost(0, (numel - rows) * per)


def cumulative(numel: int, dim_len: int) -> Cost:
    """cumsum / cumprod along a dim of length n: n − 1 operations per row."""
    rows = numel // dim_len if dim_len else 0
    return Cost(0, numel - rows)


def accumulate(numel: int) -> Cost:
    """Scatter-add / index-add / a gradient summed into its source rows: one add per element."""
    return Cost(0, numel * unit("add"))


def histogram(numel: int) -> Cost:
    """A histogram of n values into equal bins (``histc``): per value, its offset from the
    lower edge and the scale to bins (2), the floor (1), the two bounds checks (2) and the
    count's increment (1) — 6 per value."""
    return Cost(0, numel * (unit("sub") + unit("mul") + unit("round") + 2 * unit("compare") + unit("add")))
