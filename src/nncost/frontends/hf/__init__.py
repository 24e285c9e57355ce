"""The Hugging Face frontend: transformer models built from their configs, on the meta device.

``analyze_hf("gpt2")`` (a bundled config), ``analyze_hf("path/to/config.json")``, a
model directory, or a Hub id (``"meta-llama/Llama-3.1-8B"``: only its config.json, from
the Hugging Face cache or the Hub). No weights are downloaded: the model is built with
``from_config`` under ``torch.device("meta")``. For a
causal LM the report carries an ``llm`` section (see :mod:`.llm`).
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from ...errors import InputError, MetaDeviceError, ModelSpecError, NncostError, first_line, require
from ...report import Report
from .attrs import cfg_attr
from .attrs import sub_attr as _sub
from .masks import unpadded_on_meta
from .needs import (
    cross_attention_image,
    extractor_mel_bins,
    images_attended,
    latent_query_image,
    merge_sizes,
    named_inputs,
    spectrogram_image,
    timm_input_size,
)
from .vision import (
    GRIDS,
    IMAGE_TOKEN_ATTRS,
    VALUE_INPUTS,
    image_token_id,
    image_token_inputs,
    image_values,
    patches,
    video_query_inputs,
)

__all__ = ["analyze_hf", "bundled", "build", "load_config"]


def bundled() -> list[str]:
    """Names of the configs shipped with nncost."""
    folder = resources.files(__package__).joinpath("configs")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelSpecError(f"cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ModelSpecError(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or "model_type" not in data:
        raise ModelSpecError(f"{path} is not a Hugging Face config (no 'model_type')")
    return data


def load_config(spec: str | Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """(config dict, display name) for a bundled name, a config.json, a model folder or a dict."""
    if isinstance(spec, Mapping):
        return dict(spec), str(spec.get("_name_or_path") or spec.get("model_type", "config"))
    if spec in bundled():
        path = Path(str(resources.files(__package__).joinpath("configs").joinpath(f"{spec}.json")))
        return _read(path), spec
    p = Path(spec)
    if p.is_dir():
        p = p / "config.json"
    if p.is_file():
        return _read(p), spec
    if _REPO_ID.fullmatch(spec):
        return _read(_from_hub(spec)), spec
    import difflib

    close = difflib.get_close_matches(spec, bundled(), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; bundled: {', '.join(bundled())}"
    raise ModelSpecError(f"no bundled config or file {spec!r}{hint}")


_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")


def _from_hub(repo_id: str) -> Path:
    """``config.json`` of a Hub repo, through huggingface_hub: its cache first; the network
    only if allowed (``HF_HUB_OFFLINE=1`` forbids it) and reachable; never the weights."""
    require("huggingface_hub", "hf", f"hf:{repo_id} (a Hub id)")
    from huggingface_hub import constants, errors, hf_hub_download
    from huggingface_hub.utils import logging as hub_logging

    hint = "pass its config instead: nncost hf:path/to/config.json"
    try:
        return Path(hf_hub_download(repo_id, "config.json", local_files_only=True))
    except (errors.LocalEntryNotFoundError, errors.EntryNotFoundError, OSError, ValueError):
        pass
    if constants.HF_HUB_OFFLINE:
        raise ModelSpecError(f"config.json of {repo_id} is not in the Hugging Face cache, and HF_HUB_OFFLINE is set; {hint}")
    _reachable(constants.ENDPOINT, repo_id, hint)
    before = hub_logging.get_verbosity()
    hub_logging.set_verbosity_error()  # its retry warnings are not ours to print: the error below says what happened
    try:
        return Path(hf_hub_download(repo_id, "config.json"))
    except errors.LocalEntryNotFoundError:  # a subclass of EntryNotFoundError: first
        raise ModelSpecError(f"config.json of {repo_id} could not be fetched from {constants.ENDPOINT}; {hint}") from None
    except errors.GatedRepoError:  # a subclass of RepositoryNotFoundError: first
        raise ModelSpecError(f"{repo_id} is gated on the Hugging Face Hub: accept its terms and log in "
                             f"(hf auth login), or {hint}") from None
    except errors.RepositoryNotFoundError:
        raise ModelSpecError(f"the Hugging Face Hub has no repo {repo_id!r} (or it is private); {hint}") from None
    except errors.EntryNotFoundError:
        raise ModelSpecError(f"{repo_id} has no config.json; {hint}") from None
    except (errors.HfHubHTTPError, OSError, ValueError) as exc:
        raise ModelSpecError(f"cannot fetch config.json of {repo_id} from the Hugging Face Hub ({first_line(exc, 120)}); "
                             f"{hint}") from None
    finally:
        hub_logging.set_verbosity(before)


_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


def _reachable(endpoint: str, repo_id: str, hint: str) -> None:
    """Fail at once when the Hub's host cannot be reached (huggingface_hub retries a failed
    connection for half a minute). Behind a proxy the direct check proves nothing: skipped."""
    import os
    import socket
    from urllib.parse import urlsplit

    if any(os.environ.get(v) for v in _PROXY_VARS):
        return
    url = urlsplit(endpoint)
    host = url.hostname or endpoint
    port = url.port or (80 if url.scheme == "http" else 443)
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        raise ModelSpecError(f"config.json of {repo_id} is not in the Hugging Face cache, and {host} cannot be reached "
                             f"({exc.strerror or exc}); {hint}") from None


def _task(cfg: Any) -> str:
    arch = (cfg_attr(cfg, "architectures", None) or [""])[0]
    if cfg_attr(cfg, "is_encoder_decoder", False):
        return "seq2seq"
    if arch.endswith(("ForCausalLM", "LMHeadModel")):
        return "causal"
    if arch.endswith("ForImageClassification"):
        return "image"
    return "base"


def build(config: Mapping[str, Any], notes: list[str] | None = None, dtype: str | None = None,
          meta: bool = True) -> tuple[Any, Any, str]:
    """(model on meta, transformers config, task) for a config dict, in ``dtype`` (a torch
    dtype name; transformers keeps the buffers it wants in float32); how it was built goes
    to ``notes``.

    Decoder-only models get their causal-LM head (published counts include it), encoders
    are the bare ``AutoModel``, encoder-decoders get their generation head, image
    classifiers their classifier.
    """
    tf: Any = require("transformers", "hf", "Hugging Face models")
    torch: Any = require("torch", "hf", "Hugging Face models")
    notes = notes if notes is not None else []
    data = {k: v for k, v in config.items() if not k.startswith("_")}
    model_type = data.pop("model_type")
    if model_type not in tf.CONFIG_MAPPING:
        import difflib

        close = difflib.get_close_matches(str(model_type), list(tf.CONFIG_MAPPING.keys()), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ModelSpecError(f"transformers {tf.__version__} does not know model_type {model_type!r}{hint}")
    try:
        cfg = tf.AutoConfig.for_model(model_type, **data)
    except Exception as exc:  # noqa: BLE001 - transformers validates fields with its own error types
        raise ModelSpecError(f"this {model_type} config is invalid: {first_line(exc, 240, join=True)}") from None
    moe = experts_of(cfg)
    routed = next(((n, v) for n in _EXPERT_COUNT for v in (cfg_attr(cfg, n, None),)
                   if isinstance(v, int) and not isinstance(v, bool) and v > 1), None)
    if moe is None and routed is not None and cfg_attr(cfg, "num_experts_per_tok", 0) is None:
        raise ModelSpecError(f"this {model_type} config has {routed[1]} routed experts ({routed[0]}) but "
                             "num_experts_per_tok is null: give how many experts each token goes to")
    if moe is not None and moe["top_k"] > moe["count"]:
        raise ModelSpecError(f"this {model_type} config routes each token to {moe['top_k']} experts, but has only "
                             f"{moe['count']}; num_experts_per_tok must be at most the number of experts")
    task = _task(cfg)
    # a multimodal decoder whose config names its generation class (a published VLM's architectures): built with
    # it, LM head included, as published parameter counts are (Llama-3.2-11B-Vision: 10,670,220,835)
    arch = (cfg_attr(cfg, "architectures", None) or [""])[0]
    head = getattr(tf, arch, None) if task == "base" and str(arch).endswith("ForConditionalGeneration") else None
    head = head if isinstance(head, type) and hasattr(head, "_from_config") else None
    auto = {"causal": tf.AutoModelForCausalLM, "seq2seq": tf.AutoModelForSeq2SeqLM, "image": tf.AutoModelForImageClassification,
            "base": tf.AutoModel}[task]
    if model_type == "whisper":
        auto = tf.AutoModelForSpeechSeq2Seq
    # SDPA attention where the model has it, else the eager one; mixture-of-experts layers as grouped
    # matmuls in bf16 (tokens sorted by expert, as serving kernels run them), else as batched matmuls
    # (any dtype on meta, but they gather each token's expert weights: the same MACs, far more bytes).
    # Each try gets a fresh config: a failed from_config leaves its choices behind in the config it was given.
    first: Exception | None = None
    place = torch.device("meta") if meta else contextlib.nullcontext()
    experts = "grouped_mm" if dtype == "bfloat16" else "batched_mm"
    for attempt in ({"attn_implementation": "sdpa", "experts_implementation": experts},
                    {"attn_implementation": "eager", "experts_implementation": experts}, {}):
        try:
            fresh = tf.AutoConfig.for_model(model_type, **data)
            with place, torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)  # a CPU build's random weights: the same every time, the user's RNG untouched
                model = _from_config(head or _model_class(tf, auto, fresh), fresh, **attempt,
                                     **({"dtype": getattr(torch, dtype)} if dtype else {}))
        except Exception as exc:  # noqa: BLE001 - transformers' own checks; the next attempt, or the first reason
            # "no SDPA path" only says why the eager attempt came next: the eager attempt's own failure is the reason
            no_sdpa = first is not None and "does not support an attention implementation" in str(first)
            first = exc if first is None or no_sdpa else first
            continue
        cfg = fresh
        if head is not None:
            notes.append(f"built as {arch}, the class its config's architectures name (its LM head counted, as published "
                         "parameter counts are)")
        if attempt.get("attn_implementation") != "sdpa":
            notes.append(f"built with the eager attention implementation (transformers has no SDPA path for {model_type})")
        break
    else:
        assert first is not None
        raise ModelSpecError(f"transformers cannot build {model_type} from this config: {first_line(first, 200)}")
    return model.eval(), cfg, task


def _model_class(tf: Any, auto: Any, cfg: Any) -> Any:
    """The Auto class for the task, or — for a config no Auto class maps (the text or vision
    tower of a multimodal model, ``AlignTextConfig``) — the model class its name implies
    (``AlignTextModel``)."""
    try:
        auto._model_mapping[type(cfg)]
        return auto
    except KeyError:
        pass
    if auto is not tf.AutoModel:
        try:
            tf.AutoModel._model_mapping[type(cfg)]
            return tf.AutoModel
        except KeyError:
            pass
    name = type(cfg).__name__
    stem = name[: -len("Config")] if name.endswith("Config") else name
    for candidate in (f"{stem}Model", f"{stem}ForCausalLM", stem):
        cls = getattr(tf, candidate, None)
        if isinstance(cls, type) and hasattr(cls, "_from_config"):
            return cls
    return _declared_class(type(cfg)) or auto


_PREFERRED = ("Model", "ForCausalLM", "ForConditionalGeneration")


def _declared_class(config_class: type) -> Any:
    """A model class that declares ``config_class`` in the modeling module beside the
    config's own (``EvollaForProteinText2Text`` for ``EvollaConfig``): the base model first."""
    import importlib
    import inspect

    module = config_class.__module__
    if ".configuration_" not in module:
        return None
    try:
        modeling = importlib.import_module(module.replace(".configuration_", ".modeling_"))
    except Exception:  # noqa: BLE001 - no modeling module, or one that needs an optional package
        return None
    found = [c for _, c in inspect.getmembers(modeling, inspect.isclass)
             if c.__module__ == modeling.__name__ and getattr(c, "config_class", None) is config_class
             and hasattr(c, "_from_config") and not c.__name__.endswith("PreTrainedModel")]
    for suffix in _PREFERRED:
        for c in found:
            if c.__name__.endswith(suffix):
                return c
    return found[0] if found else None


def _from_config(cls: Any, cfg: Any, **kwargs: Any) -> Any:
    """An Auto class's ``from_config``, or a model class's ``_from_config`` (the same path)."""
    return cls.from_config(cfg, **kwargs) if hasattr(cls, "from_config") else cls._from_config(cfg, **kwargs)


_EXPERT_COUNT = ("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts")
_EXPERT_TOP_K = ("num_experts_per_tok", "experts_per_token", "moe_topk", "top_k")


def experts_of(cfg: Any) -> dict[str, int] | None:
    """A mixture-of-experts config's routed experts, top-k and shared experts; None for a dense model."""
    def first(names: tuple[str, ...]) -> int | None:
        for n in names:
            v = cfg_attr(cfg, n, None)
            if isinstance(v, int) and not isinstance(v, bool) and v > 0:
                return v
        return None

    count, top_k = first(_EXPERT_COUNT), first(_EXPERT_TOP_K)
    if not count or not top_k:
        return None
    shared = cfg_attr(cfg, "n_shared_experts", None) or (1 if cfg_attr(cfg, "shared_expert_intermediate_size", 0) else 0)
    return {"count": count, "top_k": top_k, "shared": int(shared or 0)}


def _naflex(cfg: Any, batch: int) -> dict[str, Any]:
    """SigLIP 2's native-resolution inputs for a square image of its ``num_patches``: the patches
    as [batch, patches, channels · patch²], a mask of ones, and the real (height, width) grid."""
    import torch

    count = _sub(cfg, "num_patches") or 256
    side = math.isqrt(int(count))
    patch, channels = int(_sub(cfg, "patch_size") or 16), int(_sub(cfg, "num_channels") or 3)
    return {"pixel_values": (batch, side * side, channels * patch * patch),
            "pixel_attention_mask": (batch, side * side),
            "spatial_shapes": torch.tensor([[side, side]] * batch)}


def _image(cfg: Any, batch: int) -> tuple[int, int, int, int]:
    """[batch, channels, height, width] at the configured size: a square of ``image_size``, or its
    (height, width) where the config gives two (ViTPose's 256x192, MGP-STR's 32x128); DepthPro's
    1536 (its 384-pixel patches at its smallest scale, 0.25); a timm tower's own input size (PE
    Video's ViT at 336); cut to whole windows of patches where the backbone windows them."""
    # TVP pads its frames to max_img_size
    size = _sub(cfg, "image_size", "img_size", "input_size", "max_img_size") or timm_input_size(cfg) or 224
    ratios, patch = cfg_attr(cfg, "scaled_images_ratios", None), cfg_attr(cfg, "patch_size", None)
    if ratios and isinstance(patch, int):  # DepthPro: patches of patch_size cut from the image at its smallest scale
        size = int(patch / min(ratios))
    if isinstance(size, (list, tuple)) and len(size) == 2 and all(isinstance(x, int) and x > 0 for x in size):
        height, width = size
    else:
        height = width = size if isinstance(size, int) else 224
    windows, patch = _sub(cfg, "num_windows"), _sub(cfg, "patch_size")
    if isinstance(windows, int) and windows > 1 and isinstance(patch, int) and patch > 0:
        # a backbone cut into num_windows x num_windows windows of whole patches (RF-DETR's DINOv2: 518 → 504)
        tile = patch * windows
        height, width = max(height // tile, 1) * tile, max(width // tile, 1) * tile
    channels = _sub(cfg, "num_channels", "in_channels", "in_chans") or 3
    return (batch, int(channels), int(height), int(width))


def _signature_inputs(model: Any, cfg: Any, batch: int, seq: int) -> dict[str, Any] | None:
    """Inputs read from the forward's signature: an image (``pixel_values`` at the configured
    size and channels) or raw audio (``input_values``: one second at 16 kHz) for a model that
    takes no ``input_ids``; token ids *and* an image for a dual encoder (CLIP, ALIGN, BLIP's
    contrastive model: a text and a vision tower side by side, no image tokens in the text);
    the boxes (``bbox``, zeros) a layout model reads with its tokens; and for a time-series model
    its ``past_values`` over the configured context and channels."""
    import inspect

    import torch

    params = inspect.signature(model.forward).parameters
    required = _required(model)
    if "input_ids" in params:
        image = _image(cfg, batch)
        special = (cross_attention_image(params, cfg, batch, seq) or images_attended(params, cfg, batch, seq, image)
                   or latent_query_image(params, cfg, batch, seq, image))
        if special is not None:  # Llama 3.2 Vision, IDEFICS: the text cross-attends to the image; Kosmos-2's queries
            return special
        clip = video_query_inputs(required, cfg, batch, seq, image)
        if isinstance(clip, str):  # its clip's features would have nowhere to go: refused rather than left uncounted
            raise ModelSpecError(f"{type(model).__name__} places its clip's Q-Former outputs at video tokens, but {clip}")
        if clip is not None:
            return clip
        out: dict[str, Any] = {}
        if "pixel_values" in required or ("pixel_values" in params and cfg_attr(cfg, "vision_config", None) is not None
                                          and cfg_attr(cfg, "text_config", None) is not None
                                          and not any(hasattr(cfg, a) for a in IMAGE_TOKEN_ATTRS)):
            # a text and a vision tower side by side, or a model that needs its image (BLIP-2, Grounding DINO);
            # a clip of its frames where the vision tower is a video one (X-CLIP)
            frames = _sub(cfg, "num_frames")
            b, c, h, w = _image(cfg, batch)
            out = {"input_ids": (batch, seq), "pixel_values": (b, frames, c, h, w) if isinstance(frames, int) else (b, c, h, w)}
            if "spatial_shapes" in params:
                out.update(_naflex(cfg, batch))
        if "pixel_values_videos" in required:  # a video beside the text (VideoPrism's CLIP model)
            frames = _sub(cfg, "num_frames", "frames_per_clip")
            out = {"input_ids": (batch, seq), **out,
                   "pixel_values_videos": (batch, frames if isinstance(frames, int) else 16, *_image(cfg, batch)[1:])}
        audio = spectrogram_image(params, cfg, batch)
        if audio is not None:  # a text and an audio tower side by side (CLAP)
            out = {"input_ids": (batch, seq), **out, **audio}
        if "input_values" in required:  # a text and an audio tower side by side (PE Audio): one second at 16 kHz
            out = {"input_ids": (batch, seq), **out, "input_values": (batch, 16000)}
        if "qformer_input_ids" in required:  # InstructBLIP: the instruction also goes to its Q-Former
            out = {"input_ids": (batch, seq), **out, "qformer_input_ids": (batch, seq)}
        if "visual_feats" in params and isinstance(cfg_attr(cfg, "visual_feat_dim", None), int):
            # LXMERT: detector features and boxes of 36 regions (the bottom-up detector's usual count)
            out = {"input_ids": (batch, seq), **out, "visual_feats": (batch, 36, cfg.visual_feat_dim),
                   "visual_pos": (batch, 36, cfg_attr(cfg, "visual_pos_dim", 4))}
        if "bbox" in params:  # a layout model: one box per token (zeros: its default where it has one)
            out = {"input_ids": (batch, seq), **out, "bbox": torch.zeros(batch, seq, 4, dtype=torch.long)}
        if "lang_ids" in params and cfg_attr(cfg, "languages", None):  # X-MOD: the first of its languages' adapters
            out = {"input_ids": (batch, seq), **out, "lang_ids": torch.zeros(batch, dtype=torch.long)}
        return out or None
    width = _sub(cfg, "hidden_size", "d_model")
    if "inputs_embeds" in required and isinstance(width, int) and width > 0:  # a stack fed embeddings by the model around it
        return {"inputs_embeds": (batch, seq, width)}
    if "flattened_patches" in params:  # Pix2Struct, Kosmos-2.5: patches of P·P·C values after their row and column
        width, count = _sub(cfg, "patch_embed_hidden_size"), _sub(cfg, "seq_len", "max_num_patches", "max_patches")
        if isinstance(width, int):
            return {"flattened_patches": (batch, count if isinstance(count, int) else 2048, 2 + width)}
    if "states" in params and isinstance(cfg_attr(cfg, "state_dim", None), int):
        # Decision Transformer: a trajectory of seq steps: states, actions, rewards, returns-to-go, timesteps
        return {"states": (batch, seq, cfg.state_dim), "actions": (batch, seq, cfg.act_dim), "rewards": (batch, seq, 1),
                "returns_to_go": (batch, seq, 1), "timesteps": torch.arange(seq).expand(batch, seq),
                "attention_mask": (batch, seq)}
    frames = _sub(cfg, "num_frames", "frames_per_clip")
    video = "pixel_values_videos" if "pixel_values_videos" in params else "pixel_values" if (
        "pixel_values" in params and isinstance(frames, int)) else None
    if video is not None:  # a video model: a clip of its configured frames, [batch, frames, channels, height, width]
        b, c, h, w = _image(cfg, batch)
        return {video: (b, frames if isinstance(frames, int) else 16, c, h, w)}
    if "spatial_shapes" in params and "pixel_attention_mask" in params:  # SigLIP 2's tower alone
        return _naflex(cfg, batch)
    named = named_inputs(params, required, cfg, batch, _image(cfg, batch)) or spectrogram_image(params, cfg, batch)
    if named is not None:
        return named
    grid = next((g for g in GRIDS if g in params), None)
    if grid is not None and ("pixel_values" in params or "hidden_states" in params):
        # a Qwen2-VL-style tower alone: an image's patches and their (t, h, w) grid, a real tensor
        pixels, thw = patches(cfg, batch, _image(cfg, batch))
        return {"pixel_values" if "pixel_values" in params else "hidden_states": pixels, grid: thw,
                **merge_sizes(params, cfg, batch)}
    if "pixel_values" in params:
        out = {"pixel_values": _image(cfg, batch)}
        if "task_inputs" in required:  # OneFormer: the task's prompt ("the task is semantic"), task_seq_len ids
            out["task_inputs"] = (batch, int(cfg_attr(cfg, "task_seq_len", None) or 77))
        return out
    if "input_values" in params:
        return {"input_values": (batch, 16000)}
    if "input_features" in params and "feature_lens" in params:
        # the Qwen Omni audio encoders: the batch's features side by side, [mel, frames], and each one's length (real)
        mel = _sub(cfg, "num_mel_bins") or 128
        return {"input_features": (int(mel), 3000 * batch), "feature_lens": torch.tensor([3000] * batch)}
    if "input_features" in params:
        return _speech(model, cfg, batch)
    context, channels = cfg_attr(cfg, "context_length", None), cfg_attr(cfg, "num_input_channels", None)
    if "past_values" in params and isinstance(context, int) and isinstance(channels, int):  # a time-series model
        return {"past_values": (batch, context, channels)}
    if "past_values" in params and isinstance(context, int):  # a univariate forecaster (TimesFM): one series per row
        out = {"past_values": (batch, context)}
        if "past_values_padding" in params:
            out["past_values_padding"] = torch.zeros(batch, context)  # nothing padded
        if "freq" in params:
            out["freq"] = torch.zeros(batch, 1, dtype=torch.long)  # the high-frequency class
        return out
    shaped = _by_first_layer(model, cfg, batch, seq)
    return shaped[0] if shaped else None


def _speech(model: Any, cfg: Any, batch: int, seq: int | None = None) -> dict[str, Any]:
    """A speech encoder's ``input_features``: 30 s of log-mel frames (10 ms hop), [batch, mel,
    frames] (the other layout is tried after), with the frame mask its forward takes; beside
    ``seq`` text tokens that each carry ``audio_length_per_tok`` frames (Voxtral Realtime adds
    each token's audio to its embedding), the frames of those tokens."""
    mel = _sub(cfg, "num_mel_bins", "n_mels", "feature_size", "feature_projection_input_dim") or extractor_mel_bins(cfg)
    positions, per_token = _sub(cfg, "max_source_positions"), cfg_attr(cfg, "audio_length_per_tok", None)
    frames = 2 * positions if isinstance(positions, int) else 3000  # Whisper-style encoders halve the frames
    if seq is not None and isinstance(per_token, int) and per_token > 0:
        frames = seq * per_token
    mel = int(mel) if isinstance(mel, int) else 80
    stack = _sub(cfg, "num_stacked_frames")
    if isinstance(stack, int) and stack > 1:  # low frame rate (Paraformer, Fun-ASR): frames stacked stack at a time
        mel, frames = mel * stack, frames // stack
    return _feature_masks(model, {"input_features": (batch, mel, frames)}, frames)


# the one tensor some towers, backbones and vocoders take, under a name that does not tell its shape
_UNNAMED_INPUTS = ("hidden_states", "spectrogram", "mel_spectrogram", "latents", "inputs", "image", "context")
_UNNAMED_MASKS = ("attention_mask", "mask")
_FRAMES = 100  # a sequence of feature frames: one second at the usual 10 ms hop


def _first_layer(model: Any) -> Any:
    """The model's first Conv1d, Conv2d or Linear, in the order its modules were made."""
    import torch

    return next((m for m in model.modules() if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Linear))), None)


def _by_first_layer(model: Any, cfg: Any, batch: int, seq: int) -> list[dict[str, Any]]:
    """For a forward whose only required input is one of ``_UNNAMED_INPUTS`` (and perhaps its
    mask): its shapes as the model's first layer reads them, in the order to try: a Conv2d's
    image [batch, C, H, W] at the configured size; a Conv1d's raw audio [batch, C, 16000] (one
    second at 16 kHz) when it takes one or two channels, else feature frames [batch, C, 100] or
    [batch, 100, C]; a Linear's [batch, seq, features]; a mask of ones over its positions.
    Empty when the forward needs more, or the model has no such layer."""
    import torch

    required = _required(model)
    masks = [n for n in required if n in _UNNAMED_MASKS]
    if len(required) - len(masks) != 1 or required[0] not in _UNNAMED_INPUTS:
        return []
    name = required[0]
    first = _first_layer(model)
    shapes: list[tuple[tuple[int, ...], int]]  # (the input's shape, its length for a mask)
    mel = _sub(cfg, "input_size", "input_feat_size", "num_mel_bins", "n_mels")
    if isinstance(first, torch.nn.Conv2d) and first.in_channels == 1 and isinstance(mel, int):
        # a speech encoder that subsamples its log-mel frames with a Conv2d over (time, mel) (Phi-4's, NeMo's)
        shapes = [((batch, _FRAMES, mel), _FRAMES)]
    elif isinstance(first, torch.nn.Conv2d) and not masks:
        _, _, h, w = _image(cfg, batch)
        shapes = [((batch, first.in_channels, h, w), 0)]
    elif isinstance(first, torch.nn.Conv1d):
        c = first.in_channels
        shapes = ([((batch, c, 16000), 16000)] if c <= 2 else
                  [((batch, c, _FRAMES), _FRAMES), ((batch, _FRAMES, c), _FRAMES)])
    elif isinstance(first, torch.nn.Linear):
        shapes = [((batch, seq, first.in_features), seq)]
    else:
        return []
    # a mask beside it (Idefics2's perceiver): one entry per position of the sequence it reads, all real
    return [{name: shape, **{m: torch.ones(batch, length, dtype=torch.long) for m in masks}} for shape, length in shapes]


_FEATURE_MASKS = ("input_features_mask", "feature_attention_mask")  # 1 for each frame that holds audio


def _feature_masks(model: Any, inputs: dict[str, Any], frames: int) -> dict[str, Any]:
    """Speech features with the frame mask their forward takes (all frames hold audio)."""
    name = next((n for n in _FEATURE_MASKS if _takes(model, n)), None)
    return {**inputs, name: (inputs["input_features"][0], frames)} if name else inputs


def _other_layouts(model: Any, cfg: Any, inputs: dict[str, Any], error: str, batch: int, seq: int) -> list[dict[str, Any]]:
    """Inputs to try, in order, when the forward refuses the first ones: speech features as
    [batch, frames, mel] (the conformers') rather than Whisper's [batch, mel, frames]; raw audio
    as a spectrogram of ``max_length`` frames where the config has mel bins (AST), or as
    [batch, 1 channel, samples] (the codecs'); an image pair for keypoint matchers; a clip's
    frames folded into the batch for a frame tower (X-CLIP's); token ids per codebook (MusicGen:
    [batch · codebooks, seq]); embeddings where the forward refuses ids; and an image beside
    the text where the forward asks for ``pixel_values`` (ViLT)."""
    import torch

    out = []
    first = _first_layer(model)
    features, values = inputs.get("input_features"), inputs.get("input_values")
    if isinstance(features, tuple) and len(features) == 3 and cfg.model_type != "whisper":
        out.append(_feature_masks(model, {**inputs, "input_features": (features[0], features[2], features[1])}, features[2]))
        width = first.in_features if isinstance(first, torch.nn.Linear) else None
        if width and width != features[1] and width % features[1] == 0:  # frames stacked into its first Linear (Granite 5)
            frames = features[2] * features[1] // width
            out.append(_feature_masks(model, {**inputs, "input_features": (features[0], frames, width)}, frames))
    bbox = inputs.get("bbox")
    if isinstance(bbox, torch.Tensor) and not bbox.is_floating_point():  # boxes as fractions (UDOP's relative bias)
        out.append({**inputs, "bbox": bbox.float()})
    mel, length = _sub(cfg, "num_mel_bins"), _sub(cfg, "max_length")
    if isinstance(values, tuple) and len(values) == 2 and isinstance(mel, int) and isinstance(length, int):
        out.append({**inputs, "input_values": (values[0], length, mel)})
    if isinstance(values, tuple) and len(values) == 2:
        out.append({**inputs, "input_values": (values[0], 1, values[1])})
    pixels = inputs.get("pixel_values")
    patch, channels = _sub(cfg, "patch_size"), _sub(cfg, "num_channels", "in_channels") or 3
    if (isinstance(pixels, tuple) and len(pixels) == 2 and isinstance(patch, int)
            and pixels[1] == channels * patch * patch and any(g in inputs for g in GRIDS)):
        # a grid tower whose patch embedding is a Conv2d: each patch as a small image, [patches, C, P, P] (Kimi K2.5),
        # or all of them as one sequence of such images, [1, patches, C, P, P] (PaddleOCR-VL)
        out.append({**inputs, "pixel_values": (pixels[0], channels, patch, patch)})
        out.append({**inputs, "pixel_values": (1, pixels[0], channels, patch, patch)})
    if (isinstance(pixels, tuple) and len(pixels) == 4 and isinstance(patch, int) and isinstance(first, torch.nn.Linear)
            and first.in_features == pixels[1] * patch * patch):
        # a tower whose patch embedding is a Linear over patches cut beforehand (Molmo 2): [batch, patches, C·P²]
        out.append({**inputs, "pixel_values": (pixels[0], (pixels[2] // patch) * (pixels[3] // patch), first.in_features)})
    if isinstance(pixels, tuple) and len(pixels) == 4 and "(batch_size, 2, num_channels, height, width)" in error:
        out.append({**inputs, "pixel_values": (pixels[0], 2, *pixels[1:])})  # SuperGlue, LightGlue, EfficientLoFTR
    if isinstance(pixels, tuple) and len(pixels) == 5:  # a frame tower alone (X-CLIP's): the frames folded into the batch
        out.append({**inputs, "pixel_values": (pixels[0] * pixels[1], *pixels[2:])})
    ids, books = inputs.get("input_ids"), cfg_attr(cfg, "num_codebooks", None)
    if isinstance(ids, tuple) and len(ids) == 2 and isinstance(books, int) and books > 1:
        out.append({**inputs, "input_ids": (ids[0] * books, ids[1])})
        # a text token and one per codebook at each step, summed into one embedding (Kyutai speech-to-text)
        out.append({**inputs, "input_ids": (*ids, books + 1)})
    delays = _sub(cfg, "delay_pattern")  # Dia: the audio tokens of each step, one per codebook (delayed)
    books = len(delays) if isinstance(delays, list) else cfg_attr(cfg, "num_channels") if cfg.model_type == "dia_decoder" else None
    if isinstance(books, int) and books > 1:
        name = "decoder_input_ids" if "decoder_input_ids" in inputs and _takes(model, "decoder_input_ids") else "input_ids"
        steps = inputs.get(name)
        if isinstance(steps, tuple) and len(steps) == 2:
            out.append({**{k: v for k, v in inputs.items() if k == name or _takes(model, k)}, name: (*steps, books)})
    if isinstance(ids, tuple) and "input_ids" in error and _takes(model, "inputs_embeds"):  # a stack fed embeddings
        width = _sub(cfg, "hidden_size", "d_model")
        if isinstance(width, int):
            out.append({**{k: v for k, v in inputs.items() if k != "input_ids"}, "inputs_embeds": (*ids, width)})
    multiple = re.search(r"length (\d+) is not a multiple of (\d+)", error)
    if isinstance(values, tuple) and multiple:  # audio its feature extractor pads to a multiple of its hop (Muse Spark)
        hop = int(multiple.group(2))
        out.append({**inputs, "input_values": (*values[:-1], -(-values[-1] // hop) * hop)})
    tokens = re.search(r"to have shape `\(batch_size, (\d+)\)`, but got shape `torch.Size\(\[\d+, (\d+)\]\)`", error)
    if tokens and isinstance(pixels, tuple) and len(pixels) == 4:
        # a VQ image tokenizer made for one size (Janus: 32x32 tokens, 512 pixels): the image scaled to give them
        scale = math.isqrt(int(tokens.group(1))) / math.isqrt(int(tokens.group(2)))
        out.append({**inputs, "pixel_values": (*pixels[:2], round(pixels[2] * scale), round(pixels[3] * scale))})
    normed = re.search(r"layer norm over \[(\d+)\] got input of shape \[(\d+), (\d+)\]", error)
    if normed and isinstance(values, tuple) and len(values) == 2:
        # a stack without its pre-net (SpeechT5's base model): its inputs are already hidden states, [batch, seq, hidden],
        # on both sides
        hidden = int(normed.group(1))
        out.append({**inputs, "input_values": (batch, seq, hidden),
                    **({"decoder_input_values": (batch, 1, hidden)} if _takes(model, "decoder_input_values") else {})})
    d_model = cfg_attr(cfg, "d_model", None)
    if "config.d_model" in error and isinstance(d_model, int) and len(inputs) == 1:
        # Perceiver without a preprocessor: its inputs are already d_model wide, [batch, seq, d_model]
        only = next(iter(inputs))
        out.append({only: (batch, seq, d_model)})
    channels = re.search(r"expected input with (\d+) channels, got shape \[(\d+), (\d+), (\d+)\]", error)
    if channels and len(inputs) == 1 and int(channels.group(4)) == int(channels.group(1)):
        # a Conv1d read it first, channels first: the same tensor as [batch, channels, length] (Mimi's decoder)
        only = next(iter(inputs))
        if isinstance(inputs[only], tuple) and len(inputs[only]) == 3:
            b, length, c = inputs[only]
            out.append({only: (b, c, length)})
    if len(inputs) == 1:  # the other shapes its first layer could read
        out.extend(other for other in _by_first_layer(model, cfg, batch, seq) if other != inputs)
    if "pixel_values" not in inputs and ("pixel_values" in error or "NoneType" in error) and _takes(model, "pixel_values"):
        # an image beside the text (ViLT), or a clip of its frames (TVP: its forward hands a missing one on as None)
        frames, image = _sub(cfg, "num_frames"), _image(cfg, batch)
        out.append({**inputs, "pixel_values": (batch, frames, *image[1:]) if isinstance(frames, int) else image})
    if (("At least two of" in error or "NoneType" in error) and _takes(model, "pixel_values_videos")
            and _takes(model, "input_values") and not ("pixel_values_videos" in inputs and "input_values" in inputs)):
        # PE Audio-Video: (the text,) a clip and its sound, each through its own encoder
        frames = _sub(cfg, "num_frames", "frames_per_clip")
        out.append({**inputs, "pixel_values_videos": (batch, frames if isinstance(frames, int) else 16,
                                                      *_image(cfg, batch)[1:]), "input_values": (batch, 1, 16000)})
    if "input_features" not in inputs and ("input_features" in error or "NoneType" in error) and _takes(model, "input_features"):
        # speech beside the text (Voxtral Realtime; CLVP, whose forward hands its missing features on as None)
        speech = {**inputs, **_speech(model, cfg, batch, seq if "input_ids" in inputs else None)}
        out.extend([speech, *_other_layouts(model, cfg, speech, "", batch, seq)[:1]])
    return out


def _takes(model: Any, name: str) -> bool:
    """Whether the model's forward has a parameter of this name."""
    import inspect

    return name in inspect.signature(model.forward).parameters


def _required(model: Any) -> list[str]:
    """The forward's parameters without a default (not ``*args``/``**kwargs``), in order."""
    import inspect

    params = inspect.signature(model.forward).parameters.values()
    return [p.name for p in params if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def default_inputs(cfg: Any, task: str, batch: int, seq: int, gen: int, model: Any = None) -> dict[str, Any]:
    """Input shapes for one forward pass of the model."""
    model_type = cfg.model_type
    if model is not None and task in ("base", "seq2seq") and model_type != "whisper":  # DETR is an encoder-decoder
        by_signature = _signature_inputs(model, cfg, batch, seq)
        if by_signature is not None:
            if task == "seq2seq" and "decoder_input_ids" not in by_signature and _takes(model, "decoder_input_ids"):
                # a speech, vision or layout encoder-decoder: its decoder's tokens beside the encoder's input
                by_signature["decoder_input_ids"] = (batch, max(gen, 1))
            return by_signature
    if model_type == "whisper":
        return {"input_features": (batch, cfg.num_mel_bins, 2 * cfg.max_source_positions),
                "decoder_input_ids": (batch, max(gen, 1))}
    if task == "image" or model_type == "vit":
        size = cfg.image_size
        return {"pixel_values": (batch, cfg.num_channels, size, size)}
    if task == "seq2seq":
        return {"input_ids": (batch, seq), "decoder_input_ids": (batch, max(gen, 1))}
    return {"input_ids": (batch, seq)}


def analyze_hf(
    config: str | Mapping[str, Any],
    *,
    batch: int = 1,
    seq: int = 128,
    gen: int = 0,
    dtype: str | None = None,
    llm: bool = True,
    group_size: int = 128,
    device_memory: int | str | None = None,
    **options: Any,
) -> Report:
    """Analyse a Hugging Face model from its config (no weights, no network).

    ``seq`` is the prompt length (encoder length for encoder-decoders), ``gen`` the number
    of generated tokens (decoder length for encoder-decoders). For causal LMs the report's
    ``llm`` section has prefill, decode, KV cache, weight bytes and training per token;
    int8, int4 and fp8 weight bytes include a scale (and zero point) per ``group_size`` weights.
    """
    for name, value, low in (("batch", batch, 1), ("seq", seq, 1), ("gen", gen, 0), ("group_size", group_size, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InputError(f"{name} must be an int >= {low}, got {value!r}")
    parallel = {k: options.pop(k) for k in ("tp", "pp", "dp", "zero") if options.get(k) is not None}
    if parallel:
        from .parallel import check_parallel

        parallel = {"tp": 1, "pp": 1, "dp": 1, "zero": 0, **parallel}
        check_parallel(**parallel)
        if not options.get("backward"):
            raise InputError("--tp, --pp, --dp and --zero size a training step's memory per GPU; add --backward")
    if device_memory is not None:
        from ...units import parse_bytes

        device_memory = parse_bytes(device_memory, "device_memory")
    data, name = load_config(config)
    with _quiet():
        return _analyze_hf(data, name, batch, seq, gen, dtype, llm, options, group_size, device_memory, parallel)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """transformers' advice for training and serving (token ids, fused kernels not installed)
    is not about the cost: its logger is kept to errors while nncost builds and runs the model."""
    tf: Any = require("transformers", "hf", "Hugging Face models")
    before = tf.logging.get_verbosity()
    tf.logging.set_verbosity_error()
    try:
        yield
    finally:
        tf.logging.set_verbosity(before)


def _analyze_hf(data: dict[str, Any], name: str, batch: int, seq: int, gen: int, dtype: str | None, llm: bool,
                options: dict[str, Any], group_size: int = 128, device_memory: int | None = None,
                parallel: dict[str, int] | None = None) -> Report:
    from ..torch import analyze
    from ..torch.analyze import _dtype

    notes: list[str] = []
    tdtype = torch_dtype(dtype)
    _dtype(tdtype)  # an unknown dtype is the user's error, named as such, before anything is built
    model, cfg, task = build(data, notes, tdtype)
    _check_forward(model, cfg)
    positions = _check_positions(cfg, task, name, seq, gen)
    if device_memory is not None and (task != "causal" or not llm or options.get("backward")):
        why = "a training step (--backward)" if task == "causal" and llm else f"a {cfg.model_type} {task} model"
        raise InputError(f"--device-memory sizes serving (the largest batch and context a causal LM generates with); "
                         f"hf:{name} is {why}")
    if parallel and task != "causal":
        raise InputError(f"--tp, --pp, --dp and --zero follow Megatron-LM's rules for decoder LMs; hf:{name} is a "
                         f"{cfg.model_type} {task} model")
    text = default_inputs(cfg, task, batch, seq, gen, model)
    images: dict[str, Any] | str | None = None
    # the text cross-attends to the image (Llama 3.2 Vision, IDEFICS), or its features go where a mask says
    # (Kosmos-2): no image tokens to place
    crossed = any(k in text for k in ("cross_attention_mask", "image_attention_mask", "image_embeds_position_mask"))
    if any(hasattr(cfg, a) for a in IMAGE_TOKEN_ATTRS) and ("pixel_values" not in text or "input_ids" in text) and not crossed:
        images = image_token_inputs(model, cfg, batch, seq, _image(cfg, batch))
        if isinstance(images, dict):  # what else the forward needs beside them (InstructBLIP's Q-Former ids)
            images = {**{k: v for k, v in text.items() if k not in images and k != "input_ids"}, **images}
    inputs = images if isinstance(images, dict) else text

    lenient = False

    def run(model: Any, inputs: dict[str, Any], **extra: Any) -> Report:
        nonlocal lenient
        try:
            with unpadded_on_meta():
                return analyze(model, inputs=inputs, dtype=tdtype, name=f"hf:{name}", **{**options, **extra})
        except NncostError as exc:
            broken = re.search(r"'(\w*Output\w*)' object has no attribute '(\w+)'", str(exc))
            if broken and not lenient:
                # transformers builds its output object from a field its inner model's output lacks (Llama 4's
                # image_outputs in 5.24), after all its computation: that field read as None
                lenient = True
                try:
                    with _lenient_outputs():
                        report = run(model, inputs, **extra)
                finally:
                    lenient = False
                notes.append(f"transformers' {type(model).__name__} reads a field its inner output lacks "
                             f"({broken.group(1)}.{broken.group(2)}) when it builds its own output, after its "
                             "computation: read as None")
                return report
            if "get_seq_length" not in str(exc) or not cfg_attr(model.config, "use_cache", False):
                raise
        # a hybrid whose layers here are all recurrent: transformers' cache cannot tell a length without an
        # attention layer, and the forward pass needs no cache
        for holder in (model.config, cfg_attr(model.config, "text_config", None)):
            if holder is not None:
                holder.use_cache = False
        notes.append("run without a cache (use_cache=False): transformers' cache for these layers (none of them "
                     "attention) cannot tell its length")
        with unpadded_on_meta():
            return analyze(model, inputs=inputs, dtype=tdtype, name=f"hf:{name}", **{**options, **extra})

    def attempt() -> Report:
        nonlocal inputs, images
        if isinstance(images, dict):
            try:
                with image_values(model, images):
                    return run(model, images)
            except NncostError as exc:  # its forward refuses the image: the text alone, and why
                images = f"its forward with an image failed ({str(exc).split(': ', 1)[-1][:160]})"
        inputs = text
        if (isinstance(images, str) and "pixel_values" in text and "input_ids" in text and image_token_id(cfg) is not None
                and not crossed):
            # it needs its image, placed at image tokens: without them its features would go nowhere, uncounted
            raise ModelSpecError(f"{type(model).__name__} places its image's features at image tokens in its text, and "
                                 f"nncost cannot build them: {images}")
        try:
            with image_values(model, text) if any(g in text for g in VALUE_INPUTS) else contextlib.nullcontext():
                return run(model, text)
        except NncostError as exc:
            if isinstance(exc, MetaDeviceError) and _reads_values(exc):
                raise  # these inputs got as far as reading values: the CPU fallback runs them (and, failing, the others)
            for other in _other_layouts(model, cfg, text, str(exc), batch, seq):
                inputs = other
                try:
                    return run(model, other)
                except MetaDeviceError as later:
                    if _reads_values(later):  # these inputs get past the forward's checks: the CPU fallback takes them
                        raise
                except NncostError:
                    continue
            inputs = text
            missing = [n for n in _required(model) if n not in text]
            if missing and "required positional argument" in str(exc):
                # a part fed by the model around it (SAM's decoders, a codec's semantic branch): no config tells these
                raise ModelSpecError(f"{type(model).__name__}'s forward requires {', '.join(missing)}, which its config "
                                     "does not describe (the model that uses it, or its processor, makes them): analyse "
                                     "that model, or build this one and give them to nncost.analyze(model, inputs=...)"
                                     ) from None
            null = [a for a in IMAGE_TOKEN_ATTRS if hasattr(cfg, a) and cfg_attr(cfg, a, None) is None]
            if "pixel_values" in text and null and not isinstance(images, dict):  # BLIP-2's default config: no token to place it
                raise ModelSpecError(f"{type(model).__name__} places its image's features at image tokens, but its "
                                     f"{null[0]} is null: give the id (published configs do)") from exc
            raise  # the first failure, with its cause (a value read on meta is told by it)

    def cpu_run(model: Any, cfg: Any) -> Report:  # the inputs that got furthest on meta, then the other layouts
        nonlocal inputs
        try:
            return run(model, inputs, device="cpu")
        except NncostError as exc:
            for other in _other_layouts(model, cfg, inputs, str(exc), batch, seq):
                try:
                    report = run(model, other, device="cpu")
                except NncostError:
                    continue
                inputs = other
                return report
            raise

    try:
        report = attempt()
    except MetaDeviceError as exc:
        if options.get("device", "meta") != "meta" or not _reads_values(exc):
            raise
        # it reads values (.item(), nonzero) in its masks or routing: build it for real, run it on the CPU
        need = sum(p.numel() * p.element_size() for p in model.parameters())
        if need > CPU_FALLBACK_BYTES:
            raise ModelSpecError(f"{str(exc).split(': ', 1)[-1][:160]} — it reads values the meta device does not have, "
                                 f"and its weights alone would take {need / 2**30:.1f} GiB on the CPU (the fallback stops at "
                                 f"{CPU_FALLBACK_BYTES // 2**30} GiB); give a smaller config (fewer layers, a smaller vocabulary)"
                                 ) from None
        model, cfg, task = build(data, [], tdtype, meta=False)
        report = cpu_run(model, cfg)
        notes.insert(0, f"built and run on the CPU, as it reads values the meta device does not have "
                        f"({str(exc).split(': ', 1)[-1][:120]})")
    if experts_of(cfg) and cfg_attr(cfg, "_experts_implementation_internal", None) == "batched_mm":
        notes.append("the experts run as transformers' batched_mm (its bf16 grouped_mm is used with --dtype bf16): it "
                     "gathers each token's expert weights, so the bytes moved, the activations and the memory peaks count "
                     "those copies; the MACs are the same. Use --dtype bf16 for the memory and time a serving kernel has")
    if isinstance(images, dict) and inputs is images:
        per = int(images["input_ids"].shape[1]) - seq
        size = "x".join(map(str, _image(cfg, batch)[1:]))
        grid = images.get("image_grid_thw", images.get("grid_thw"))
        tiles = images["pixel_values"][1] if "image_sizes" in images and len(images["pixel_values"]) == 5 else None
        how = (f", as a grid of {int(grid[0][1])}x{int(grid[0][2])} patches" if grid is not None else
               f", as {tiles} tiles (any resolution)" if tiles is not None else "")
        made = ("its Q-Former's queries" if isinstance(cfg_attr(cfg, "num_query_tokens", None), int)
                else "its vision tower makes features")
        notes.append(f"one image of {size} per sequence{how}, as {per:,} image tokens before the {seq:,} text tokens (as "
                     f"many as {made}); the helpers that find those tokens and their positions ran on the CPU on the real ids")
        report.notes = _built_values(report.notes, "the image's patch grid and token positions built here")
    elif isinstance(images, str):
        notes.append(f"text only, no image: {images}")
    clip = text.get("pixel_values") if "qformer_input_ids" in text and not isinstance(text.get("input_ids"), tuple) else None
    if clip is not None and inputs is text and len(clip) == 5:
        per = int(text["input_ids"].shape[1]) - seq
        notes.append(f"one clip of {clip[1]} frames of {'x'.join(map(str, clip[2:]))} per sequence, as {per:,} video tokens "
                     f"(its Q-Former's {per // clip[1]:,} queries a frame) before the {seq:,} text tokens")
    if crossed and inputs is text:
        *_, channels, height, width = text["pixel_values"]
        tiles = text["pixel_values"][2] if len(text["pixel_values"]) == 6 else None
        how = (f", one tile of the {tiles} its vision tower runs (the processor pads every image to {tiles} tiles)"
               if tiles else "")
        queries = text.get("image_embeds_position_mask")
        notes.append(f"one image of {channels}x{height}x{width} per sequence{how}, cross-attended by the {seq:,} text tokens"
                     if queries is None else
                     f"one image of {channels}x{height}x{width} per sequence, as its {int(queries[0].sum()):,} latent "
                     f"queries at the positions image_embeds_position_mask marks, before the {seq:,} text tokens")
    if not (isinstance(images, dict) and inputs is images) and any(g in inputs for g in VALUE_INPUTS):
        lengths = any(k in inputs for k in ("feature_lens", "chunk_sample_lengths"))
        report.notes = _built_values(report.notes, "the audio lengths built here" if lengths else "the patch grid built here")
    report.frontend = "hf"
    report.notes[:0] = notes
    report.extra["hf"] = {"model_type": cfg.model_type, "task": task, "class": type(model).__name__}
    if parallel and report.memory is not None:
        from .parallel import parallel_memory

        report.memory.parallel = parallel_memory(model, cfg, report, batch=batch, **parallel)
    if task == "causal" and llm and not options.get("backward"):
        from .llm import llm_view

        report.extra["llm"] = llm_view(model, cfg, report, batch=batch, seq=seq, gen=gen, dtype=dtype or "fp32",
                                       flops=options.get("flops", "seed"), group_size=group_size,
                                       device_memory=device_memory, max_positions=positions)
    return report


@contextlib.contextmanager
def _lenient_outputs() -> Iterator[None]:
    """A block in which a transformers ``ModelOutput`` answers None for a public attribute it
    lacks, as it does for a field it has that is unset (private and dunder names still raise)."""
    from transformers.utils.generic import ModelOutput

    def missing(obj: Any, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return None

    ModelOutput.__getattr__ = missing  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del ModelOutput.__getattr__  # type: ignore[attr-defined]


def _built_values(report_notes: list[str], what: str) -> list[str]:
    """torch's data-dependence note says the values were drawn at random; where the values read
    are ones nncost built (an image's grid, token positions), it says what they are."""
    drawn = "the count depends on the input's values ("
    return [f"the count depends on {what} ({n[len(drawn):].split(')')[0]})" if n.startswith(drawn) else n
            for n in report_notes]


CPU_FALLBACK_BYTES = 2 * 2**30  # the weights a CPU fallback may allocate (its passes need several times that)
_VALUE_READS = ("meta", ".item()", "nonzero", "data-dependent", "data dependent", "Cannot copy out")


def _reads_values(exc: BaseException) -> bool:
    """Whether a failure on meta came from reading values (``.item()``, ``nonzero``, a kernel
    with no meta implementation) — which a CPU run fixes — rather than from the inputs or the
    config, which it would not."""
    cause = exc.__cause__ or exc
    return any(s in str(cause) for s in _VALUE_READS)


def _check_forward(model: Any, cfg: Any) -> None:
    """Refuse a model class that defines no forward (a VQ-VAE used through encode/decode, a pipeline
    of models such as Bark): there is no forward pass to count."""
    import torch

    if type(model).forward is not torch.nn.Module.forward:
        return
    ways = [m for m in ("encode", "decode", "generate") if callable(getattr(model, m, None))]
    how = f" (it is used through {', '.join(f'{m}()' for m in ways)})" if ways else ""
    raise ModelSpecError(f"{type(model).__name__} ({cfg.model_type}) defines no forward(){how}, so it has no forward pass "
                         "to count; analyse the model that uses it, or its parts")


def _check_positions(cfg: Any, task: str, name: str, seq: int, gen: int) -> int | None:
    """Refuse a length past the positions the config declares (learned position tables
    end there; rotary models were trained up to it); that limit, or None."""
    found = next(((f"{where}{attr}", limit) for holder, where in ((cfg, ""), (cfg_attr(cfg, "text_config", None), "text_config."))
                  if holder is not None for attr in ("n_positions", "max_position_embeddings")
                  for limit in (cfg_attr(holder, attr, None),)
                  if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0), None)
    if found is None:  # the text tower's, for a dual encoder (CLIP: 77)
        return None
    attr, limit = found
    need = {"causal": seq + gen}.get(task, seq)
    if need > limit:
        what = f"--seq {seq} + --gen {gen} = {need}" if task == "causal" else f"--seq {seq}"
        raise InputError(f"hf:{name} takes at most {limit:,} positions ({attr} in its config); {what} is more")
    if task == "seq2seq" and gen > limit:
        raise InputError(f"hf:{name} takes at most {limit:,} positions ({attr} in its config); --gen {gen} is more")
    return limit


def torch_dtype(dtype: str | None) -> str | None:
    """The dtype to run the analysis in for a --dtype. Formats torch cannot run on meta
    (fp8, int8, int4) only size the weights and the KV cache; the analysis keeps the
    model's own dtype for them."""
    if dtype is None or dtype.lower() in ("fp8", "int8", "int4"):
        return None
    return {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}.get(dtype.lower(), dtype)
