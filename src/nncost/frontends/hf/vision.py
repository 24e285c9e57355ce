"""Images as tokens: the inputs of a vision-language model whose ``input_ids`` hold one image
token per image feature (LLaVA and its kin, InternVL, Qwen2-VL and its successors, ...).

Given only text, such a model never runs its vision tower, and its image cost would be missing.
So nncost gives it an image at the vision tower's configured size (or its patches and their
grid, for Qwen2-VL-style towers) and the ``input_ids`` the model expects with it: as many image
tokens as the tower and projector make features (asked of the model itself,
``get_image_features``, on meta), then ``--seq`` text tokens. The helpers that read those
values — ``get_placeholder_mask``, which finds the image tokens, and M-RoPE's position helpers —
run on the CPU on the real tensors (a few small ones); everything else stays on meta.
"""

from __future__ import annotations

import contextlib
import inspect
import math
from collections.abc import Iterator
from typing import Any

from ...errors import first_line

__all__ = ["image_token_id", "image_token_inputs", "image_values", "patches", "video_query_inputs", "GRIDS",
           "IMAGE_TOKEN_ATTRS", "QFORMER_VIDEO_FRAMES", "VALUE_INPUTS"]

# config attributes of models that take images as tokens inside input_ids: their inputs need as many image
# tokens as the vision tower makes features, which the forward's signature cannot tell
IMAGE_TOKEN_ATTRS = ("image_token_id", "image_token_index", "image_token", "img_token_id", "boi_token_id",
                     "vision_start_token_id", "image_start_token_id", "im_patch_token_id", "media_placeholder_token_id")
_TOKEN = ("image_token_id", "image_token_index")  # the id that stands for one image feature


def image_token_id(cfg: Any) -> int | None:
    """The id that stands for one image feature in the config (or its text config); None without one."""
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


GRIDS = ("image_grid_thw", "grid_thw")  # a tower that takes its image as patches and their (t, h, w) grid
# inputs that are values, not shapes: real CPU tensors the forward gets beside the model on meta (the grids;
# M-RoPE's token types; image sizes; SigLIP 2's and MiniCPM-V's patch grids, Gemma 4's patch positions and
# VideoLLaMA 3's merge sizes; audio lengths (Qwen Omni, dots.3 note); where Kosmos-2 places its image)
VALUE_INPUTS = (*GRIDS, "mm_token_type_ids", "image_sizes", "spatial_shapes", "target_sizes", "pixel_position_ids",
                "merge_sizes", "feature_lens", "chunk_sample_lengths", "image_embeds_position_mask")


def patches(cfg: Any, batch: int, image: tuple[int, ...]) -> tuple[tuple[int, int], Any]:
    """Qwen2-VL-style pixel_values — [patches, channels · temporal patch · patch²] — and the grid
    of one still image per sequence: [1, side, side] patches, side a multiple of the merge size."""
    import torch

    vision = getattr(cfg, "vision_config", None) or cfg
    patch = int(getattr(vision, "patch_size", 14))
    temporal = int(getattr(vision, "temporal_patch_size", None) or getattr(vision, "patch_temporal", None) or 1)
    merge = int(getattr(vision, "spatial_merge_size", None) or getattr(vision, "merge_size", None) or 1)
    channels = int(getattr(vision, "in_channels", None) or getattr(vision, "in_chans", None)
                   or getattr(vision, "num_channels", None) or 3)
    side = max(image[-1] // (patch * merge), 1) * merge
    grid = torch.tensor([[1, side, side]] * batch)
    return (batch * side * side, channels * temporal * patch * patch), grid


def _tiles(model: Any, cfg: Any, image: tuple[int, ...]) -> int | None:
    """Tiles of an image of this size under LLaVA-NeXT's any-resolution scheme (the base image and
    the crops of the best grid among ``image_grid_pinpoints``), by the model's own helper."""
    import sys

    helper = getattr(sys.modules.get(type(model).__module__), "image_size_to_num_patches", None)
    pinpoints = getattr(cfg, "image_grid_pinpoints", None)
    vision = getattr(cfg, "vision_config", None)
    if helper is None or not pinpoints or vision is None:
        return None
    return int(helper(list(image[2:]), pinpoints, int(getattr(vision, "image_size", image[-1]))))


def image_token_inputs(model: Any, cfg: Any, batch: int, seq: int, image: tuple[int, ...]) -> dict[str, Any] | str:
    """Inputs for a model that reads image features in place of image tokens: ``input_ids`` (a
    real tensor: the image tokens, then ``seq`` text tokens) and ``pixel_values`` (a shape: the
    image, or its patches with a real ``image_grid_thw`` for Qwen2-VL-style towers; their
    ``mm_token_type_ids`` where the forward takes them); or the reason it cannot have them (no
    image token in its config, no ``get_image_features``, or that failing)."""
    import torch

    token = image_token_id(cfg)
    params = inspect.signature(model.forward).parameters
    if token is None or "pixel_values" not in params or "input_ids" not in params:
        return "its config names no image token id"
    get = getattr(model, "get_image_features", None)
    queries = getattr(cfg, "num_query_tokens", None)
    placer = any(hasattr(m, "get_placeholder_mask") for m in (model, getattr(model, "model", None)) if m is not None)
    if (get is None and not isinstance(queries, int)) or not placer:
        return f"{type(model).__name__} has no get_image_features and get_placeholder_mask to place an image's features"
    wants = inspect.signature(get).parameters if get is not None else {}
    grid_name = next((g for g in GRIDS if g in wants), None)
    extra: dict[str, Any] = {}
    pixels: tuple[int, ...]
    tiles = _tiles(model, cfg, image) if "image_sizes" in wants else None
    if grid_name is not None:
        pixels, grid = patches(cfg, batch, image)
        extra = {grid_name: grid}
    elif tiles is not None:  # LLaVA-NeXT's any-resolution tiling: the image's tiles, and its size, a real tensor
        pixels = (batch, tiles, *image[1:])
        extra = {"image_sizes": torch.tensor([list(image[2:])] * batch)}
    elif "image_sizes" in wants and wants["image_sizes"].default is inspect.Parameter.empty:
        # a tower that takes each image at its own size (Pixtral, Mistral 3): the size, real
        pixels = image
        extra = {"image_sizes": torch.tensor([list(image[2:])] * batch)}
    else:
        pixels = image
    try:
        from ..torch.mixed import CpuValuesOnMeta

        if isinstance(queries, int) and queries > 0:
            # BLIP-2, InstructBLIP: the Q-Former's query outputs are placed, one per image token (get_image_features
            # returns the vision tower's output, which is not what goes into the text)
            count = queries * batch
        elif get is not None:
            with torch.no_grad(), CpuValuesOnMeta():
                count = _features(get(pixel_values=torch.empty(pixels, device="meta"), **extra))
        else:  # unreachable: refused above without get_image_features or queries
            return f"{type(model).__name__} has no get_image_features"
    except Exception as exc:  # noqa: BLE001 - a tower that needs more than an image (sizes, crops): text only
        return f"its get_image_features needs more than pixel_values {list(pixels)} ({first_line(exc, 120, named=False)})"
    if count % batch:
        return f"its {count} image features do not divide among {batch} images"
    per = count // batch
    ids = torch.full((batch, per + seq), _text_token(cfg, token), dtype=torch.long)
    ids[:, :per] = token
    inputs: dict[str, Any] = {"input_ids": ids, "pixel_values": pixels, **extra}
    if "mm_token_type_ids" in params:  # 1 marks an image token (M-RoPE reads it)
        inputs["mm_token_type_ids"] = (ids == token).to(torch.long)
    return inputs


QFORMER_VIDEO_FRAMES = 4  # InstructBLIP-Video's processor: 4 frames a clip (its generate() places 4 × queries tokens)


def video_query_inputs(required: list[str], cfg: Any, batch: int, seq: int, image: tuple[int, ...]) -> dict[str, Any] | str | None:
    """InstructBLIP-Video: a clip of 4 frames, [batch, frames, channels, height, width], whose
    Q-Former makes ``num_query_tokens`` outputs per frame, placed at that many video tokens
    before ``seq`` text tokens (``input_ids`` real), and the instruction for its Q-Former; the
    reason it cannot have them where its video token is null; None for any other model."""
    import torch

    queries = getattr(cfg, "num_query_tokens", None)
    if not ("qformer_input_ids" in required and "pixel_values" in required and hasattr(cfg, "video_token_index")
            and isinstance(queries, int) and queries > 0):
        return None
    token = cfg.video_token_index
    if not isinstance(token, int) or isinstance(token, bool) or token < 0:
        return "its video_token_index is null: give the id (published configs do)"
    frames = getattr(cfg, "num_frames", None) or QFORMER_VIDEO_FRAMES
    per = queries * frames
    ids = torch.full((batch, per + seq), _text_token(cfg, token), dtype=torch.long)
    ids[:, :per] = token
    return {"input_ids": ids, "pixel_values": (batch, frames, *image[1:]), "qformer_input_ids": (batch, seq)}


# helpers that read the values of the ids and grids: run on the CPU on the real tensors
_VALUE_HELPERS = ("get_placeholder_mask", "compute_3d_position_ids", "get_rope_index")


@contextlib.contextmanager
def image_values(model: Any, values: dict[str, Any]) -> Iterator[None]:
    """For the block: the model's helpers that read the values of its ids and grids (finding the
    image tokens, M-RoPE positions) run on the CPU on the real ``values`` (zeros, or ones for a
    mask, stand in for their other tensors); the real grid and token types replace their meta
    copies in the forward's arguments; where a real CPU tensor meets a meta one, the op runs
    on meta (CpuValuesOnMeta)."""
    import torch
    from torch.utils._python_dispatch import _disable_current_modes

    from ..torch.mixed import CpuValuesOnMeta

    real = {k: v for k, v in values.items() if isinstance(v, torch.Tensor)}

    def on_cpu(original: Any) -> Any:
        signature = inspect.signature(original)

        def run(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            for name, x in list(bound.arguments.items()):
                if isinstance(x, torch.Tensor) and x.device.type == "meta":
                    known = real.get(name)
                    bound.arguments[name] = known if known is not None and known.shape == x.shape else (
                        torch.ones if name == "attention_mask" else torch.zeros)(x.shape, dtype=x.dtype)
            with _disable_current_modes(), torch._C.DisableTorchFunction():  # not the model's work: outside the count
                return original(*bound.args, **bound.kwargs)

        return run

    # on the model, and on the inner model a generation class wraps (LlavaForConditionalGeneration.model)
    holders = [m for m in (model, getattr(model, "model", None)) if isinstance(m, torch.nn.Module)]
    patched = [(m, name) for m in holders for name in _VALUE_HELPERS if callable(getattr(m, name, None))]
    for m, name in patched:
        setattr(m, name, on_cpu(getattr(m, name)))

    def inject(module: Any, args: Any, kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        for name in VALUE_INPUTS:
            if name in real and name in kwargs:
                kwargs[name] = real[name]
        return args, kwargs

    hook = model.register_forward_pre_hook(inject, with_kwargs=True)
    try:
        with CpuValuesOnMeta():
            yield
    finally:
        hook.remove()
        for m, name in patched:
            delattr(m, name)  # the class's methods again
