"""The cost value every formula returns, and the counting conventions.

A :class:`Cost` is a tiny frozen value that adds up: ``Cost(1, 2) + Cost(3, 4)``.
Counts are exact Python ints; scaling to K/M/G happens only in :mod:`nncost.units`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Cost", "ZERO", "FlopsConvention", "RnnBias"]


@dataclass(frozen=True, slots=True)
class Cost:
    """Arithmetic of one op, layer or model."""

    macs: int = 0  # multiply-accumulates of dot products (1 multiply + 1 add = 1 MAC)
    flops: int = 0  # every floating-point operation, the seed's way (see docs/conventions.md)

    def __add__(self, other: Cost) -> Cost:
        if not isinstance(other, Cost):
            return NotImplemented
        return Cost(self.macs + other.macs, self.flops + other.flops)

    def __radd__(self, other: object) -> Cost:
        # lets sum([...]) start from 0
        if other == 0:
            return self
        return NotImplemented

    def __mul__(self, k: int) -> Cost:
        if not isinstance(k, int):
            return NotImplemented
        return Cost(self.macs * k, self.flops * k)

    __rmul__ = __mul__


ZERO = Cost()


class FlopsConvention(str, Enum):
    """How ``flops`` is counted.

    ``seed``: every operation once — a dot product of length n is n multiplications and
    n − 1 additions, a bias add is 1, activations and other element-wise ops cost their
    per-element cost from :mod:`nncost.formulas.table` (the default).

    ``2mac``: flops = 2 × macs and nothing else, the convention of
    ``torch.utils.flop_counter`` and DeepSpeed's profiler.
    """

    SEED = "seed"
    TWO_MAC = "2mac"

    def apply(self, cost: Cost) -> Cost:
        """Return ``cost`` with its flops counted by this convention."""
        if self is FlopsConvention.TWO_MAC:
            return Cost(cost.macs, 2 * cost.macs)
        return cost


class RnnBias(str, Enum):
    """How many bias vectors a recurrent gate has.

    ``torch``: two (``b_ih`` and ``b_hh``), what ``nn.LSTM`` really holds.
    ``single``: one per gate, the seed's and Keras's convention.
    """

    TORCH = "torch"
    SINGLE = "single"
