"""transformers' mask helpers on meta: the facts nncost's inputs have by construction.

Before it builds an attention mask, transformers reads values: whether the position ids pack
several sequences into one row (``find_packed_sequence_indices``, when no mask and no cache is
given — hybrids and encoders), and whether the padding mask pads anything (so SDPA may run
without a mask). On meta those reads have no values and the run
stopped. nncost's inputs hold one whole, unpadded sequence per row, so the values are known:
positions 0, 1, 2, ... and a padding mask of ones. For the block, when those helpers are given
a meta tensor they get a real CPU tensor holding exactly that, so they run their checks as a
real run does (their few element-wise ops are counted alike) and answer: no packed sequences,
no padding. Given real tensors (a CPU run) they read them as usual.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Iterator
from typing import Any

__all__ = ["unpadded_on_meta"]

_PACKED = "find_packed_sequence_indices"  # its position_ids: 0, 1, 2, ... (one sequence per row)
_PADDING = ("_ignore_causal_mask_sdpa", "_ignore_bidirectional_mask_sdpa",
            "_can_skip_bidirectional_mask_xpu")  # their padding_mask: ones (nothing padded)


@contextlib.contextmanager
def _known() -> Iterator[None]:
    """The values read in the block are nncost's own: not a dependence on the input's data."""
    from ..torch.capture import KNOWN_VALUES

    token = KNOWN_VALUES.set(True)
    try:
        yield
    finally:
        KNOWN_VALUES.reset(token)


def _on_meta(x: Any) -> bool:
    return getattr(getattr(x, "device", None), "type", None) == "meta"


def _packed(original: Any) -> Any:
    import torch

    @functools.wraps(original)
    def helper(position_ids: Any, *args: Any, **kwargs: Any) -> Any:
        if not _on_meta(position_ids):
            return original(position_ids, *args, **kwargs)
        # one sequence per row: positions 0, 1, 2, ... (real, so the check runs as it would)
        position_ids = torch.arange(position_ids.shape[-1], dtype=position_ids.dtype).expand(position_ids.shape)
        with _known():
            return original(position_ids, *args, **kwargs)

    return helper


def _unpadded(original: Any) -> Any:
    import torch

    signature = inspect.signature(original)
    if "padding_mask" not in signature.parameters:
        raise TypeError(f"{original.__name__} takes no padding_mask")

    @functools.wraps(original)
    def helper(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        mask: Any = bound.arguments.get("padding_mask")
        if not _on_meta(mask):
            return original(*bound.args, **bound.kwargs)
        bound.arguments["padding_mask"] = torch.ones(mask.shape, dtype=mask.dtype)  # no token is padded
        with _known():
            return original(*bound.args, **bound.kwargs)

    return helper


@contextlib.contextmanager
def unpadded_on_meta() -> Iterator[None]:
    """For the block, transformers' mask helpers read a meta tensor as one unpacked, unpadded
    sequence per row (see the module's docstring); the originals are back afterwards."""
    try:
        from transformers import masking_utils
    except Exception:  # noqa: BLE001 - an older transformers without it: nothing to answer
        yield
        return
    saved: dict[str, Any] = {}
    wrap = {_PACKED: _packed, **{n: _unpadded for n in _PADDING}}
    for name, wrapper in wrap.items():
        original = getattr(masking_utils, name, None)
        if callable(original):
            try:
                saved[name], replacement = original, wrapper(original)
            except (TypeError, ValueError):  # a signature this does not know: left alone
                continue
            setattr(masking_utils, name, replacement)
    try:
        yield
    finally:
        for name, original in saved.items():
            setattr(masking_utils, name, original)
