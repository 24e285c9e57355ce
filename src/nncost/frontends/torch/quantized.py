"""Quantized modules: weights packed into ``torch.ScriptObject`` s, and the ops that use them.

``torch.ao.quantization.quantize_dynamic`` (and static quantization) replace a Linear's
weight with a packed object that ``named_parameters()`` does not list, and an LSTM's
weights with ``CellParamsBase`` objects. nncost unpacks them to count their elements
as (frozen) parameters, and reads layer sizes from them for the ops' formulas.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["packed_numel", "unpack_linear"]


def unpack_linear(packed: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(weight, bias) of a packed linear weight (``LinearPackedParamsBase``)."""
    w, b = torch.ops.quantized.linear_unpack(packed)
    return w, b


def _cell_numel(cell: Any) -> int:
    """Elements of one ``CellParamsBase`` (one layer and direction of a quantized RNN)."""
    state = cell.__getstate__()[0]
    tensors, packed = state[1], state[4]
    n = sum(t.numel() for t in tensors if isinstance(t, torch.Tensor))
    for p in packed:  # the biases are the tensors above; the packages hold the weights
        n += unpack_linear(p)[0].numel()
    return n


def packed_numel(module: torch.nn.Module) -> int:
    """Parameter elements a module holds in packed form (0 for an ordinary module).

    Counted where the packed object lives (``LinearPackedParams``, a quantized conv, an
    RNN's ``PackedParameter``), so a parent never counts it again.
    """
    packed = module.__dict__.get("_packed_params")
    weight_bias = getattr(module, "_weight_bias", None)
    if isinstance(packed, torch.ScriptObject) and callable(weight_bias):
        w, b = weight_bias()
        return int(w.numel() + (b.numel() if b is not None else 0))
    param = module.__dict__.get("param")
    if isinstance(param, torch.ScriptObject) and "CellParams" in str(param._type()):
        return _cell_numel(param)
    return 0
