"""Detection ops: non-maximum suppression and region-of-interest pooling (torchvision.ops).

Their cost depends on the data — how many boxes survive, how large each region is — so
the bindings read those numbers from the real tensors (detection models run on the CPU
fallback) and these formulas turn them into counts. No dot products: 0 MACs.
"""

from __future__ import annotations

import math

from ..cost import Cost
from .table import unit

__all__ = ["nms", "roi_align", "roi_pool", "IOU_FLOPS"]

# IoU of two boxes: 4 max/min for the intersection's corners, 2 subtractions and 2 clamps
# at 0 for its width and height, 1 multiply for its area, 2 for the union a + b − inter,
# 1 divide
IOU_FLOPS = 12


def nms(n: int, pairs: int) -> Cost:
    """Greedy NMS over n boxes (torchvision's kernel): sort the scores (n·⌈log₂ n⌉
    comparisons), each box's area (2 subtractions, 1 multiply), then for each kept box the
    IoU with every lower-scored box (IOU_FLOPS) and a comparison with the threshold.
    ``pairs`` = Σ over kept boxes of the boxes after it in score order, read from the
    kernel's output."""
    sort = n * (math.ceil(math.log2(n)) if n > 1 else 0) * unit("compare")
    return Cost(0, sort + 3 * n + pairs * (IOU_FLOPS + unit("compare")))


def roi_align(channels: int, samples: int) -> Cost:
    """RoIAlign: each output element (channel × bin) averages its bin's bilinear samples:
    4 multiplies and 3 adds per sample, then S − 1 adds and 1 divide per element — 8 per
    sample and channel, ``samples`` summed over every bin of every region. Each sample
    position (shared by the channels) costs 14 to place and weigh: 2 multiplies and 2 adds
    for y and x, 2 floors, 4 subtractions, 4 multiplies for its neighbours' weights."""
    return Cost(0, 8 * channels * samples + 14 * samples)


def roi_pool(channels: int, cells: int, bins: int) -> Cost:
    """RoIPool: the max over each bin's input cells, cells − 1 comparisons per bin and channel
    (``cells`` summed over the bins, ``bins`` their number)."""
    return Cost(0, channels * max(cells - bins, 0) * unit("max"))
