"""The conventions object stated in every report."""

from __future__ import annotations

from typing import Any

from .cost import FlopsConvention, RnnBias
from .formulas.table import DEFAULT_COSTS, active_costs

__all__ = ["conventions"]


def conventions(flops: FlopsConvention, rnn_bias: RnnBias | None = None, **extra: Any) -> dict[str, Any]:
    """What the numbers of a report mean, for its header and JSON."""
    overrides = {k: v for k, v in active_costs().items() if DEFAULT_COSTS[k] != v}
    out: dict[str, Any] = {
        "macs": "multiply-accumulates of dot products (1 multiply + 1 add = 1 MAC)",
        "flops": flops.value,
        "flops_meaning": (
            "2 x MACs, nothing else (torch.utils.flop_counter's convention)"
            if flops is FlopsConvention.TWO_MAC
            else "every floating-point operation: a length-n dot product is 2n - 1, "
            "a bias add 1, element-wise ops from the per-element table"
        ),
        "params": "trainable + non-trainable, shared weights once; buffers apart",
        "op_cost_overrides": overrides,
    }
    if rnn_bias is not None:
        out["rnn_bias"] = rnn_bias.value
    out.update(extra)
    return out
