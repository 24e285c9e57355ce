"""Layers with no arithmetic of their own, and interpolation."""

from __future__ import annotations

from ..cost import Cost
from ..errors import ShapeError
from .table import unit

__all__ = ["embedding", "embedding_params", "interpolate", "INTERPOLATION_MODES"]

INTERPOLATION_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear")


def embedding() -> Cost:
    """A table lookup (gather): 0 MACs, 0 FLOPs — data movement only."""
    return Cost()


def embedding_params(num_embeddings: int, embedding_dim: int) -> int:
    """num_embeddings · embedding_dim."""
    return num_embeddings * embedding_dim


def interpolate(out_numel: int, mode: str) -> Cost:
    """Upsample/interpolate: FLOPs = output elements · unit(mode) (nearest copies: 0)."""
    if mode not in INTERPOLATION_MODES:
        raise ShapeError(f"interpolation mode must be one of {', '.join(INTERPOLATION_MODES)}, got {mode!r}")
    return Cost(0, out_numel * unit("nearest" if mode.startswith("nearest") else mode))
