"""Inputs that a forward names and its modality does not tell: the tiles and aspect ratio of
Llama 3.2 Vision's image, the image IDEFICS cross-attends to, the positions Kosmos-2 places its
image at, SegGPT's prompt pair, Gemma 4's patch positions, MiniCPM-V's patch grid, Gemma 3n's
audio frames and their padding mask, CLAP's spectrogram image, a codec's semantic features,
VideoLLaMA 3's merge sizes. Each is built from the config (or, where the config has no size,
from the model's processor default, named here), as the model's processor would make it for one
still image or one second of audio. Values the model reads (grids, positions, lengths) are real
CPU tensors (``vision.VALUE_INPUTS``).
"""

from __future__ import annotations

import math
from typing import Any

from .attrs import sub_attr

__all__ = ["cross_attention_image", "extractor_mel_bins", "images_attended", "latent_query_image", "merge_sizes",
           "named_inputs", "spectrogram_image", "timm_input_size", "CLAP_FRAMES", "GEMMA4_SOFT_TOKENS"]

GEMMA4_SOFT_TOKENS = 280  # Gemma 4's image processor default (max_soft_tokens): a square image gets 16x16 of them
_FRAMES = 100  # one second of feature frames at the usual 10 ms hop


def _tiles(cfg: Any, batch: int) -> dict[str, Any]:
    """Mllama's image: one image of one tile (aspect ratio 1:1, id 1; id 0 is "no image"), padded to
    ``max_num_tiles`` tiles as its processor pads it — the vision tower runs every tile, the padded
    ones too — [batch, 1 image, tiles, channels, size, size]; the mask marks the one real tile."""
    import torch

    tiles, size = int(sub_attr(cfg, "max_num_tiles") or 4), int(sub_attr(cfg, "image_size") or 560)
    channels = int(sub_attr(cfg, "num_channels") or 3)
    mask = torch.zeros(batch, 1, tiles, dtype=torch.long)
    mask[:, :, 0] = 1
    return {"pixel_values": (batch, 1, tiles, channels, size, size),
            "aspect_ratio_ids": torch.ones(batch, 1, dtype=torch.long), "aspect_ratio_mask": mask}


def cross_attention_image(params: Any, cfg: Any, batch: int, seq: int) -> dict[str, Any] | None:
    """For a model whose text cross-attends to an image (Llama 3.2 Vision): token ids, the image's
    tiles, and a cross-attention mask by which every text token sees the image's real tile."""
    if not ("aspect_ratio_ids" in params and "cross_attention_mask" in params and getattr(cfg, "vision_config", None)):
        return None
    out = {"input_ids": (batch, seq), **_tiles(cfg, batch)}
    out["cross_attention_mask"] = out["aspect_ratio_mask"].unsqueeze(1).expand(batch, seq, *out["aspect_ratio_mask"].shape[1:])
    return out


def images_attended(params: Any, cfg: Any, batch: int, seq: int, image: tuple[int, int, int, int]) -> dict[str, Any] | None:
    """For a model whose text cross-attends to images given beside it (IDEFICS): token ids, one
    image per sequence, [batch, 1 image, channels, height, width], and a mask by which every text
    token sees it."""
    import torch

    if not ("image_attention_mask" in params and "perceiver_embeddings" in params and getattr(cfg, "vision_config", None)):
        return None
    return {"input_ids": (batch, seq), "pixel_values": (batch, 1, *image[1:]),
            "image_attention_mask": torch.ones(batch, seq, 1, dtype=torch.long)}


def latent_query_image(params: Any, cfg: Any, batch: int, seq: int, image: tuple[int, int, int, int]) -> dict[str, Any] | None:
    """Kosmos-2: an image's ``latent_query_num`` features go into the text where
    ``image_embeds_position_mask`` is 1: that many positions, then ``seq`` text tokens; the image
    at its tower's size. The mask is real: the model places the features by its values."""
    import torch

    queries = sub_attr(cfg, "latent_query_num")
    if "image_embeds_position_mask" not in params or not isinstance(queries, int):
        return None
    mask = torch.zeros(batch, queries + seq, dtype=torch.long)
    mask[:, :queries] = 1
    return {"input_ids": (batch, queries + seq), "pixel_values": image, "image_embeds_position_mask": mask}


def named_inputs(params: Any, required: list[str], cfg: Any, batch: int, image: tuple[int, int, int, int]) -> dict[str, Any] | None:
    """The inputs of a forward that takes no token ids and requires one of the inputs named here;
    None for any other forward."""
    import torch

    if "aspect_ratio_ids" in required:  # Mllama's vision tower alone
        return _tiles(cfg, batch)
    if "prompt_pixel_values" in required:
        # SegGPT: the configured size holds two images stacked (the prompt above the input, 896x448): the image, a
        # prompt image and the prompt's mask, each half that height
        b, c, h, w = image
        half = (b, c, h // 2, w)
        return {"pixel_values": half, "prompt_pixel_values": half, "prompt_masks": torch.zeros(half)}  # a float mask
    if "pixel_position_ids" in required:
        # Gemma 4's tower: patches of a square image within its processor's soft-token budget — side·side patches,
        # side a multiple of the pooling kernel k, pooled k×k into (side/k)² tokens — and each patch's (x, y), real
        k, patch = int(sub_attr(cfg, "pooling_kernel_size") or 3), int(sub_attr(cfg, "patch_size") or 16)
        side = math.isqrt(GEMMA4_SOFT_TOKENS) * k
        ys, xs = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
        positions = torch.stack([xs.flatten(), ys.flatten()], dim=-1).expand(batch, side * side, 2)
        return {"pixel_values": (batch, side * side, image[1] * patch * patch), "pixel_position_ids": positions.clone()}
    if "audio_mel" in required and "audio_mel_mask" in required:
        # Gemma 3n's audio encoder: one second of log-mel frames, [batch, frames, mel]; its mask is True at padding
        mel = int(sub_attr(cfg, "input_feat_size") or 128)
        return {"audio_mel": (batch, _FRAMES, mel), "audio_mel_mask": torch.zeros(batch, _FRAMES, dtype=torch.bool)}
    if "target_sizes" in params and "pixel_values" in params:
        # MiniCPM-V's tower: the image, and its patch grid (rows, columns), real: it sets the position ids and windows
        patch = int(sub_attr(cfg, "patch_size") or 14)
        return {"pixel_values": image, "target_sizes": torch.tensor([[image[2] // patch, image[3] // patch]] * batch)}
    width = sub_attr(cfg, "feature_projection_input_dim")
    if "input_values" in required and "input_features" in required and isinstance(width, int):
        # a codec with a semantic branch (X-Codec 2, NeuCodec): one second of audio at 16 kHz, [batch, 1, samples],
        # and its w2v-BERT features, two 10 ms mel frames stacked per step: 50 steps of feature_projection_input_dim
        return {"input_values": (batch, 1, 16000), "input_features": (batch, 50, width)}
    if "chunk_sample_lengths" in required and "input_features" in required:
        # dots.3 note's audio encoder: one second of log-mel frames per chunk, [chunks, mel, frames], and each
        # chunk's length in samples (real: it sets the padding mask)
        mel, hop = int(sub_attr(cfg, "feature_size") or 128), int(sub_attr(cfg, "hop_length") or 160)
        return {"input_features": (batch, mel, _FRAMES), "chunk_sample_lengths": torch.full((batch,), _FRAMES * hop)}
    if "audio_input_ids" in required:  # Inkling's audio tower: one second of frames of discretised mel bins (ids)
        return {"audio_input_ids": (batch, _FRAMES, int(sub_attr(cfg, "n_mel_bins") or 80))}
    return None


CLAP_FRAMES = 1001  # CLAP's feature extractor: 10 s at 48 kHz, a hop of 480 samples


def spectrogram_image(params: Any, cfg: Any, batch: int) -> dict[str, Any] | None:
    """CLAP's audio tower reads its log-mel spectrogram as an image for its Swin encoder
    (``spec_size`` wide, ``spec_size / num_mel_bins`` frequency bands folded): [batch, 1 channel (4
    crops with fusion), frames, mel] of 10 s; ``is_longer`` (no clip longer than that) where fusion
    reads it. None for other models."""
    import torch

    size, mel, fusion = sub_attr(cfg, "spec_size"), sub_attr(cfg, "num_mel_bins"), sub_attr(cfg, "enable_fusion")
    if "input_features" not in params or not isinstance(size, int) or not isinstance(mel, int) or fusion is None:
        return None
    out: dict[str, Any] = {"input_features": (batch, 4 if fusion else 1, min(CLAP_FRAMES, size * (size // mel)), mel)}
    if "is_longer" in params:
        out["is_longer"] = torch.zeros(batch, 1, dtype=torch.bool)
    return out


def extractor_mel_bins(cfg: Any) -> int | None:
    """The mel bins of the model's feature extractor, built with its defaults (no file read):
    for a speech encoder whose config does not say (Gemma 4's audio tower: 128). The extractor
    is the one transformers maps to the model type, or to the type it is a part of
    (``gemma4_audio`` → ``gemma4``); None without one, or for a raw-audio extractor."""
    import transformers
    from transformers.models.auto.feature_extraction_auto import FEATURE_EXTRACTOR_MAPPING_NAMES

    parts = str(getattr(cfg, "model_type", "")).split("_")
    for n in range(len(parts), 0, -1):
        name = FEATURE_EXTRACTOR_MAPPING_NAMES.get("_".join(parts[:n]))
        cls = getattr(transformers, name, None) if name else None
        if cls is None:
            continue
        try:
            extractor = cls()
        except Exception:  # noqa: BLE001 - an extractor that needs an optional package or a file
            return None
        bins = next((v for k in ("num_mel_bins", "n_mels", "feature_size") for v in (getattr(extractor, k, None),)
                     if isinstance(v, int) and v > 1), None)
        return bins
    return None


def _nested(cfg: Any, name: str, depth: int = 4) -> Any:
    """``name`` on the config or on a sub-config of a sub-config (PE Video's video config's timm
    vision config), the shallowest first."""
    holders = [cfg]
    for _ in range(depth):
        for holder in holders:
            v = getattr(holder, name, None)
            if v is not None:
                return v
        holders = [sub for h in holders for k in (getattr(h, "sub_configs", None) or {}) for sub in (getattr(h, k, None),)
                   if sub is not None]
    return None


def timm_input_size(cfg: Any) -> tuple[int, int] | None:
    """(height, width) of a timm tower's pretrained input (``TimmWrapperConfig.architecture``:
    ``vit_pe_core_large_patch14_336`` takes 336 x 336), from timm's registry; None without timm
    or a known architecture."""
    arch = _nested(cfg, "architecture")
    if not isinstance(arch, str):
        return None
    try:
        import timm

        size = getattr(timm.models.get_pretrained_cfg(arch), "input_size", None)
    except Exception:  # noqa: BLE001 - no timm, or an architecture its registry does not know
        return None
    return (int(size[1]), int(size[2])) if isinstance(size, (tuple, list)) and len(size) == 3 else None


def merge_sizes(params: Any, cfg: Any, batch: int) -> dict[str, Any]:
    """VideoLLaMA 3's tower takes each image's merge size beside its grid (its processor merges
    still images 1×1, video frames 2×2): ones, real; nothing for other towers."""
    import torch

    if "merge_sizes" not in params:
        return {}
    return {"merge_sizes": torch.full((batch,), int(sub_attr(cfg, "spatial_merge_size") or 1), dtype=torch.long)}
