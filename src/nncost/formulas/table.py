"""The ONE table of per-element costs (FLOPs per output element).

The seed (section 6) counts add, subtract, multiply, divide, exponent and square root as
one FLOP each; every entry below is a count of such operations, derived in its reason.
Override entries for a block of code with :func:`op_costs`::

    with op_costs(tanh=5):
        ...

or from the CLI with ``--op-cost tanh=5``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from types import MappingProxyType

from ..errors import InputError

__all__ = ["DEFAULT_COSTS", "REASONS", "unit", "op_costs", "active_costs"]

# name -> (FLOPs per element, reason)
_TABLE: dict[str, tuple[int, str]] = {
    # arithmetic
    "add": (1, "one addition"),
    "sub": (1, "one subtraction"),
    "mul": (1, "one multiplication"),
    "div": (1, "one division"),
    "neg": (1, "one sign change, counted as the seed counts a negation inside sigmoid"),
    "abs": (1, "one operation"),
    "max": (1, "one comparison"),
    "min": (1, "one comparison"),
    "pow": (1, "one power (the seed counts an exponent as 1)"),
    "sqrt": (1, "one square root (seed, section 6)"),
    "rsqrt": (2, "square root then reciprocal"),
    "exp": (1, "one exponential (seed, section 6)"),
    "log": (1, "one logarithm, counted like an exponential"),
    "erf": (1, "one special-function evaluation, counted like an exponential"),
    "sin": (1, "one transcendental evaluation, counted like an exponential"),
    "cos": (1, "one transcendental evaluation, counted like an exponential"),
    "reciprocal": (1, "one division"),
    "round": (1, "one rounding (round, floor, ceil, trunc, frac, nextafter, frexp)"),
    "special": (1, "one special-function evaluation (gamma, digamma, Bessel, zeta, orthogonal polynomials, ...), "
                   "counted like an exponential"),
    "hypot": (4, "√(a² + b²): two multiplies, an add, a square root"),
    "square": (1, "one multiplication"),
    "clamp": (2, "min then max"),
    "where": (1, "one select"),
    "compare": (1, "one comparison"),
    "addcmul": (2, "a + v·b·c: one multiply, one add (scalar v folded)"),
    "lerp": (3, "a + w·(b − a): subtract, multiply, add"),
    # activations
    "relu": (1, "max(x, 0): one comparison (seed, section 6)"),
    "relu6": (2, "min(max(x, 0), 6): two comparisons"),
    "leaky_relu": (2, "x if x > 0 else α·x: one comparison, one multiply"),
    "elu": (4, "x if x > 0 else α·(exp(x) − 1): compare, exp, subtract, multiply"),
    "celu": (5, "elu with x/α inside the exp: compare, divide, exp, subtract, multiply"),
    "selu": (5, "λ·elu(x): elu's 4 plus one multiply"),
    "gelu": (5, "x·½·(1 + erf(x/√2)): divide, erf, add, multiply, multiply"),
    "gelu_tanh": (
        14,
        "½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): x³ (2), ·0.044715, +x, ·√(2/π), "
        "tanh (6), +1, ·x, ·½",
    ),
    "sigmoid": (4, "1 / (1 + exp(−x)): negate, exp, add, divide (seed, section 6)"),
    "tanh": (
        6,
        "(exp(x) − exp(−x)) / (exp(x) + exp(−x)): negate, 2 exp, subtract, add, divide "
        "(the seed says eight without listing them; these are the six it names)",
    ),
    "silu": (5, "x·sigmoid(x): sigmoid's 4 plus one multiply"),
    "softplus": (3, "log(1 + exp(x)): exp, add, log (β = 1; β ≠ 1 adds 2 multiplies, NB)"),
    "mish": (10, "x·tanh(softplus(x)): softplus 3, tanh 6, multiply 1"),
    "hardswish": (5, "x·relu6(x + 3)/6: add, 2 comparisons, multiply, divide"),
    "hardsigmoid": (4, "relu6(x + 3)/6: add, 2 comparisons, divide"),
    "hardtanh": (2, "clamp(x, min, max): two comparisons"),
    "logsigmoid": (5, "log(sigmoid(x)): sigmoid 4, log 1"),
    "softsign": (3, "x / (1 + |x|): abs, add, divide"),
    "prelu": (2, "x if x > 0 else a·x: one comparison, one multiply"),
    "glu": (5, "a·sigmoid(b) per output element: sigmoid 4, multiply 1"),
    "dropout": (0, "identity at inference; training-time masks are random-number work, not arithmetic"),
    "dropout_train": (2, "x·mask / (1 − p): multiply by the mask, scale (drawing the mask is not counted)"),
    # gradients of activations (backward pass), per element, each times the incoming gradient
    "threshold_backward": (1, "g if y > 0 else 0: one comparison (ReLU's gradient)"),
    "sigmoid_backward": (3, "g·y·(1 − y): subtract, 2 multiplies"),
    "tanh_backward": (3, "g·(1 − y²): square, subtract, multiply"),
    "gelu_backward": (
        11,
        "g·(Φ(x) + x·φ(x)): Φ = ½(1 + erf(x/√2)) 4; φ = exp(−x²/2)/√(2π) 4 (square, scale, "
        "exp, scale); x·φ 1, add 1, ·g 1",
    ),
    "gelu_tanh_backward": (
        23,
        "recompute u and tanh(u) (4 + 6), ½(1 + t) 2, 1 − t² 2, c·(1 + 3·0.044715·x²) 4, "
        "·x·½ 2, add 1, product 1, ·g 1",
    ),
    "silu_backward": (9, "g·σ·(1 + x·(1 − σ)): σ 4, subtract, multiply, add, multiply, ·g"),
    "hardswish_backward": (6, "two comparisons, (2x + 3)/6 (3), ·g"),
    "hardsigmoid_backward": (3, "two comparisons, g/6"),
    "leaky_relu_backward": (2, "comparison, multiply by α or 1"),
    "elu_backward": (3, "comparison, y + α, multiply by g"),
    "softplus_backward": (5, "g·sigmoid(x): sigmoid 4, multiply 1"),
    "mish_backward": (
        19,
        "tanh(sp) + x·(1 − tanh²(sp))·σ(x): softplus 3, tanh 6, 1 − t² 2, sigmoid 4, 2 multiplies, add, ·g",
    ),
    "hardtanh_backward": (2, "two comparisons (gradient passes inside the range)"),
    "dropout_backward": (2, "g·mask·scale: two multiplies"),
    # interpolation, per output element
    "nearest": (0, "a copy of the nearest input element: data movement, no arithmetic"),
    "linear": (3, "one lerp a + w·(b − a): subtract, multiply, add"),
    "bilinear": (9, "three lerps (two along x, one along y)"),
    "trilinear": (21, "seven lerps (four, two, one)"),
    "bicubic": (35, "five 4-tap cubic convolutions (four rows, one column): 4 multiplies + 3 adds each"),
}

DEFAULT_COSTS: Mapping[str, int] = MappingProxyType({k: v[0] for k, v in _TABLE.items()})
REASONS: Mapping[str, str] = MappingProxyType({k: v[1] for k, v in _TABLE.items()})

_active: ContextVar[Mapping[str, int]] = ContextVar("nncost_op_costs", default=DEFAULT_COSTS)


def active_costs() -> Mapping[str, int]:
    """The table in force: the defaults with any :func:`op_costs` overrides applied."""
    return _active.get()


def unit(name: str) -> int:
    """FLOPs per element of ``name`` in the table in force."""
    return _active.get()[name]


@contextlib.contextmanager
def op_costs(overrides: Mapping[str, int] | None = None, /, **kw: int) -> Iterator[Mapping[str, int]]:
    """Override per-element costs inside a ``with`` block (they nest)."""
    merged = dict(_active.get())
    for name, value in {**(overrides or {}), **kw}.items():
        if name not in merged:
            raise InputError(
                f"unknown op-cost entry {name!r}; expected one of: {', '.join(sorted(merged))}"
            )
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InputError(f"op cost for {name!r} must be a non-negative integer, got {value!r}")
        merged[name] = value
    token = _active.set(MappingProxyType(merged))
    try:
        yield _active.get()
    finally:
        _active.reset(token)
