"""Reading a transformers config: an attribute its own checks cannot break, and one looked up
on the config or the sub-config that holds it (a vision tower's image size, an audio tower's mel
bins)."""

from __future__ import annotations

from typing import Any

__all__ = ["cfg_attr", "sub_attr"]


def cfg_attr(cfg: Any, name: str, default: Any = None) -> Any:
    """``getattr`` that a config's own checks cannot break (transformers raises on reading a
    per-layer attribute as if it were global)."""
    try:
        return getattr(cfg, name, default)
    except Exception:  # noqa: BLE001
        return default


def sub_attr(cfg: Any, *names: str) -> Any:
    """The first of ``names`` on the config, its vision/audio/encoder/backbone sub-config, or
    another of its sub-configs (Nemotron transcribe's ``asr_config``)."""
    known = ("vision_config", "audio_config", "encoder_config", "backbone_config")
    others = tuple(k for k in (getattr(cfg, "sub_configs", None) or {}) if k not in known)
    for holder in (cfg, *(cfg_attr(cfg, k, None) for k in known + others)):
        for n in names:
            v = cfg_attr(holder, n) if holder is not None else None
            if v is not None:
                return v
    return None
