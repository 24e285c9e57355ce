"""Layers with no arithmetic of their own, and interpolation."""

from __future__ import annotations

from ..cost import Cost
from ..errors import ShapeError
from .table import unit

__all__ = ["embedding", "embedding_bag", "embedding_bag_backward", "embedding_params", "interpolate", "EMBEDDING_BAG_MODES",
           "INTERPOLATION_MODES"]

INTERPOLATION_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear")


def embedding() -> Cost:
    """A table lookup (gather): 0 MACs, 0 FLOPs — data movement only."""
    return Cost()


EMBEDDING_BAG_MODES = ("sum", "mean", "max")  # aten's mode 0, 1, 2


def embedding_bag(indices: int, bags: int, dim: int, mode: str, weighted: bool = False) -> Cost:
    """``nn.EmbeddingBag``: ``indices`` rows of ``dim`` looked up and reduced into ``bags`` rows.

    Each bag of s rows (every bag holds at least one: s − 1 steps per bag, indices − bags in all;
    an empty bag, which the meta device cannot see, is a row of zeros with no arithmetic):

    - sum:  (indices − bags) · dim adds; with per-sample weights each bag is a dot product of
      its weights and rows: indices · dim MACs, (2 · indices − bags) · dim FLOPs;
    - mean: the sum's adds, then bags · dim divides;
    - max:  (indices − bags) · dim comparisons.
    """
    if mode not in EMBEDDING_BAG_MODES:
        raise ShapeError(f"embedding_bag mode must be one of {', '.join(EMBEDDING_BAG_MODES)}, got {mode!r}")
    steps = max(indices - bags, 0) * dim
    if mode == "max":
        return Cost(0, steps * unit("compare"))
    if weighted:
        return Cost(indices * dim, steps * unit("add") + indices * dim * unit("mul"))
    return Cost(0, steps * unit("add") + (bags * dim * unit("div") if mode == "mean" else 0))


def embedding_bag_backward(indices: int, bags: int, dim: int, mode: str, weighted: bool = False) -> Cost:
    """The gradient of :func:`embedding_bag` for its table: each looked-up row's bag gradient
    added into its table row — indices · dim adds — times its weight (indices · dim multiplies)
    or divided by its bag's size (mean: indices · dim divides); for max only each bag's
    maximum rows receive it: bags · dim adds."""
    if mode not in EMBEDDING_BAG_MODES:
        raise ShapeError(f"embedding_bag mode must be one of {', '.join(EMBEDDING_BAG_MODES)}, got {mode!r}")
    if mode == "max":
        return Cost(0, bags * dim * unit("add"))
    scale = unit("mul") if weighted else unit("div") if mode == "mean" else 0
    return Cost(0, indices * dim * (unit("add") + scale))


def embedding_params(num_embeddings: int, embedding_dim: int) -> int:
    """num_embeddings · embedding_dim."""
    return num_embeddings * embedding_dim


def interpolate(out_numel: int, mode: str) -> Cost:
    """Upsample/interpolate: FLOPs = output elements · unit(mode) (nearest copies: 0)."""
    if mode not in INTERPOLATION_MODES:
        raise ShapeError(f"interpolation mode must be one of {', '.join(INTERPOLATION_MODES)}, got {mode!r}")
    return Cost(0, out_numel * unit("nearest" if mode.startswith("nearest") else mode))
