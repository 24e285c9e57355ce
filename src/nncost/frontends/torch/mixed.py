"""Real values on the CPU beside a model on meta.

Some inputs are values, not just shapes: an image's patch grid (``image_grid_thw``), the
positions of image tokens. A frontend that knows them keeps them as real CPU tensors, so the
model's Python code can read them (``.tolist()``, a split by lengths, ``nonzero`` of a mask),
while the weights and activations stay on meta. Where such a CPU tensor meets a meta tensor
in one op, this mode hands the op a meta copy of it: the op runs on meta, as the rest of the
model does (its shape is all the count needs).
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves, tree_map

__all__ = ["CpuValuesOnMeta"]


def _to_meta(x: Any) -> Any:
    return x.to("meta") if isinstance(x, torch.Tensor) and x.device.type == "cpu" and x.dim() > 0 else x


def _kept(x: Any, kwargs: dict[str, Any]) -> bool:
    """A CPU tensor of integers (not a 0-d scalar) sent to meta by ``.to``."""
    to = kwargs.get("device")
    return (isinstance(x, torch.Tensor) and x.device.type == "cpu" and x.dim() > 0 and not x.is_floating_point()
            and not x.is_complex() and to is not None and torch.device(to).type == "meta")


class CpuValuesOnMeta(TorchDispatchMode):
    """An op mixing meta tensors and CPU tensors (not 0-d scalars, which PyTorch mixes itself)
    runs on meta copies of the CPU ones; integer CPU tensors moved to meta stay on the CPU."""

    @classmethod
    def _should_skip_dynamo(cls) -> bool:  # nothing here is compiled (as in capture._Dispatch)
        return False

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if func is torch.ops.aten._to_copy.default and _kept(args[0], kwargs):
            # integer values (sizes, grids, ids) moved to the model's device stay real: code reads them after
            # the move (Mistral 3 moves its image sizes, then lists them); where they meet meta tensors they
            # become meta copies as any CPU tensor does
            return func(args[0], **{k: v for k, v in kwargs.items() if k != "device"})
        tensors = [x for x in tree_leaves((args, kwargs)) if isinstance(x, torch.Tensor)]
        if any(t.device.type == "meta" for t in tensors) and any(t.device.type == "cpu" and t.dim() > 0 for t in tensors):
            args, kwargs = tree_map(_to_meta, args), tree_map(_to_meta, kwargs)
        return func(*args, **kwargs)
