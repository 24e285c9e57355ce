"""Images as tokens: the inputs of a vision-language model whose ``input_ids`` hold one image
token per image feature (LLaVA and its kin: Mistral 3, Gemma 3, InternVL, ...).

Given only text, such a model never runs its vision tower, and its image cost would be missing.
So nncost gives it an image at the vision tower's configured size and the ``input_ids`` the
model expects with it: as many image tokens as the tower and projector make features (asked
of the model itself, ``get_image_features``, on meta), then ``--seq`` text tokens. The one
helper that reads those ids' values — ``get_placeholder_mask``, which finds the image tokens —
runs on the CPU on the real ids (a few small tensors); everything else stays on meta.
"""

from __future__ import annotations

import contextlib
import inspect
import math
from collections.abc import Iterator
from typing import Any

from ...errors import first_line

__all__ = ["image_token_inputs", "placeholder_mask_on_cpu", "IMAGE_TOKEN_ATTRS"]

# config attributes of models that take images as tokens inside input_ids: their inputs need as many image
# tokens as the vision tower makes features, which the forward's signature cannot tell
IMAGE_TOKEN_ATTRS = ("image_token_id", "image_token_index", "image_token", "img_token_id", "boi_token_id",
                     "vision_start_token_id", "image_start_token_id", "im_patch_token_id", "media_placeholder_token_id")
_TOKEN = ("image_token_id", "image_token_index")  # the id that stands for one image feature


def _token_id(cfg: Any) -> int | None:
    for holder in (cfg, getattr(cfg, "text_config", None)):
        for name in _TOKEN:
            v = getattr(holder, name, None) if holder is not None else None
            if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
                return v
    return None


def _text_token(cfg: Any, image: int) -> int:
    """A plain text token: the smallest id from 10 up that no special token of the config uses."""
    special = set()
    for holder in (cfg, getattr(cfg, "text_config", None)):
        for k, v in (vars(holder).items() if holder is not None else ()):
            if k.endswith(("token_id", "token_index")) and isinstance(v, int):
                special.add(v)
    special.add(image)
    return next(i for i in range(10, 10 + len(special) + 1) if i not in special)


def _features(out: Any) -> int:
    """Image feature vectors in ``get_image_features``' output: its pooled (projected) features
    where it returns a model output, else the tensor or the list of per-image tensors."""
    import torch

    pooled = getattr(out, "pooler_output", None)
    if pooled is not None:
        out = pooled
    elif not isinstance(out, (torch.Tensor, list, tuple)) and getattr(out, "last_hidden_state", None) is not None:
        out = out.last_hidden_state
    tensors = [out] if isinstance(out, torch.Tensor) else [t for t in out if isinstance(t, torch.Tensor)]
    if not tensors:
        raise ValueError(f"get_image_features returned {type(out).__name__}, not features")
    return sum(math.prod(t.shape[:-1]) for t in tensors)


def image_token_inputs(model: Any, cfg: Any, batch: int, seq: int, image: tuple[int, ...]) -> dict[str, Any] | str:
    """``input_ids`` (a real tensor: the image tokens, then ``seq`` text tokens) and ``pixel_values``
    (a shape) for a model that reads image features in place of image tokens; or the reason it
    cannot have them (no image token in its config, no ``get_image_features``, or that failing)."""
    import torch

    token = _token_id(cfg)
    params = inspect.signature(model.forward).parameters
    if token is None or "pixel_values" not in params or "input_ids" not in params:
        return "its config names no image token id"
    get = getattr(model, "get_image_features", None)
    if get is None or not hasattr(model, "get_placeholder_mask"):
        return f"{type(model).__name__} has no get_image_features and get_placeholder_mask to place an image's features"
    try:
        with torch.no_grad():
            count = _features(get(pixel_values=torch.empty(image, device="meta")))
    except Exception as exc:  # noqa: BLE001 - a tower that needs more than an image (sizes, grids): text only
        return f"its get_image_features needs more than pixel_values {list(image)} ({first_line(exc, 120, named=False)})"
    if count % batch:
        return f"its {count} image features do not divide among {batch} images"
    per = count // batch
    ids = torch.full((batch, per + seq), _text_token(cfg, token), dtype=torch.long)
    ids[:, :per] = token
    return {"input_ids": ids, "pixel_values": image}


@contextlib.contextmanager
def placeholder_mask_on_cpu(model: Any, ids: Any) -> Iterator[None]:
    """For the block: the model's ``get_placeholder_mask`` (which counts image tokens — values
    meta tensors do not have) runs on the CPU with the real ``ids`` and zero stand-ins for its
    other tensors; its masks go back to meta."""
    import torch
    from torch.utils._python_dispatch import _disable_current_modes
    from torch.utils._pytree import tree_map

    original = model.get_placeholder_mask
    signature = inspect.signature(original)

    def on_cpu(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)

        def real(name: str, x: Any) -> Any:
            if not isinstance(x, torch.Tensor) or x.device.type != "meta":
                return x
            if name == "input_ids" and tuple(x.shape) == tuple(ids.shape):
                return ids
            return torch.zeros(x.shape, dtype=x.dtype)

        for name, value in list(bound.arguments.items()):
            bound.arguments[name] = real(name, value)
        with _disable_current_modes(), torch._C.DisableTorchFunction():  # not the model's work: outside the count
            out = original(*bound.args, **bound.kwargs)
        return tree_map(lambda t: t.to("meta") if isinstance(t, torch.Tensor) else t, out)

    model.get_placeholder_mask = on_cpu
    try:
        yield
    finally:
        del model.get_placeholder_mask  # the class's method again
