"""Bindings for torchvision's detection ops (``torch.ops.torchvision.*``).

They exist only once torchvision is imported, so they are registered the first time the
capture meets an op of that namespace. Their cost depends on values (how many boxes NMS
keeps, each region's size); detection models run on the CPU fallback, where the values
are real. Where a needed value is missing (a meta tensor), the op is reported as
unsupported ("needs values"), never counted as zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from ... import formulas as fm
from ...cost import Cost
from .bindings import ATEN

__all__ = ["NeedsValues", "ensure_registered"]

_done = False


class NeedsValues(Exception):
    """The op's cost depends on values a meta tensor does not have."""


def _values(t: torch.Tensor) -> torch.Tensor:
    if t.device.type == "meta":
        raise NeedsValues
    return t.detach().to("cpu", torch.float64)


def _nms(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """IoUs computed = Σ over kept boxes of the boxes after it in score order (the CPU kernel's loop)."""
    boxes, scores = args[0], args[1]
    n = boxes.shape[0]
    if not n:
        return Cost()
    order = torch.argsort(_values(scores), descending=True, stable=True)
    rank = torch.empty(n, dtype=torch.long)
    rank[order] = torch.arange(n)
    kept = rank[_values(out).long()]
    pairs = int((n - 1 - kept).sum())
    return fm.nms(n, pairs)


def _region_sizes(rois: torch.Tensor, scale: float, aligned: bool) -> tuple[torch.Tensor, torch.Tensor]:
    r = _values(rois)
    offset = 0.5 if aligned else 0.0
    w = r[:, 3] * scale - offset - (r[:, 1] * scale - offset)
    h = r[:, 4] * scale - offset - (r[:, 2] * scale - offset)
    if not aligned:
        w, h = w.clamp(min=1.0), h.clamp(min=1.0)
    return h, w


def _roi_align(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """Samples per bin: sampling_ratio² if it is positive, else ⌈roi_h / pooled_h⌉·⌈roi_w / pooled_w⌉ per region."""
    x, rois, scale, ph, pw, ratio = args[0], args[1], float(args[2]), int(args[3]), int(args[4]), int(args[5])
    aligned = bool(args[6]) if len(args) > 6 else False
    channels, k = x.shape[1], rois.shape[0]
    if ratio > 0:
        samples = k * ph * pw * ratio * ratio
    else:
        h, w = _region_sizes(rois, scale, aligned)
        grid = torch.ceil(h / ph).clamp(min=1) * torch.ceil(w / pw).clamp(min=1)
        samples = int(grid.sum().item()) * ph * pw
    return fm.roi_align(int(channels), samples)


def _roi_pool(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """Each bin's cells: the region (rounded, at least 1×1) split into pooled_h × pooled_w bins."""
    x, rois, scale, ph, pw = args[0], args[1], float(args[2]), int(args[3]), int(args[4])
    r = _values(rois)
    x1, y1 = torch.round(r[:, 1] * scale), torch.round(r[:, 2] * scale)
    x2, y2 = torch.round(r[:, 3] * scale), torch.round(r[:, 4] * scale)
    rh, rw = (y2 - y1 + 1).clamp(min=1), (x2 - x1 + 1).clamp(min=1)
    cells = 0
    for hh, ww in zip(rh.tolist(), rw.tolist()):
        rows = sum(min(math.ceil((i + 1) * hh / ph), x.shape[2]) - min(math.floor(i * hh / ph), x.shape[2]) for i in range(ph))
        cols = sum(min(math.ceil((j + 1) * ww / pw), x.shape[3]) - min(math.floor(j * ww / pw), x.shape[3]) for j in range(pw))
        cells += rows * cols
    return fm.roi_pool(int(x.shape[1]), cells, rois.shape[0] * ph * pw)


def ensure_registered() -> None:
    """Register the torchvision op bindings (once; torchvision is imported by then)."""
    global _done
    if _done:
        return
    _done = True
    tv = torch.ops.torchvision
    for name, binding in (("nms", _nms), ("roi_align", _roi_align), ("roi_pool", _roi_pool)):
        packet = getattr(tv, name, None)
        if packet is not None and packet not in ATEN:
            ATEN.register(packet)(binding)
