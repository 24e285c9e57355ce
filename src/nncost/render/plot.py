"""The roofline chart (matplotlib): the device's roofs and each module as a point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError, require
from ..report import Report

__all__ = ["plot_roofline"]


def plot_roofline(report: Report, path: str) -> Path:
    """Write the roofline chart of ``report`` (apply_roofline first) to ``path`` (.png or .svg).

    The roof is min(P, W · I) for the peak P of the model's main dtype; each leaf module is a
    point at its intensity (FLOPs per byte, 2 per multiply-add) and its attainable FLOP/s
    (FLOPs over its roofline time), its area its share of the time; with --measure, hollow
    points at the FLOP/s measured.
    """
    rf = report.roofline
    if rf is None:
        raise InputError("--plot draws the roofline: give --hardware too")
    out = Path(path)
    if out.suffix.lower() not in (".png", ".svg"):
        raise InputError(f"--plot writes .png or .svg, got {path!r}")
    require("matplotlib", "report", "--plot")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    peak, bw = rf["peak_flops"], rf["hardware"]["memory_bandwidth"]
    leaves = _leaves(report)
    total = rf["latency_s"] or 1.0
    xs = [n.intensity for n in leaves]
    lo = min([x for x in xs if x] + [rf["ridge_intensity"] / 100]) / 2
    hi = max([x for x in xs if x] + [rf["ridge_intensity"] * 10]) * 2
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=120)
    grid = [lo * (hi / lo) ** (i / 200) for i in range(201)]
    ax.plot(grid, [min(peak, bw * x) for x in grid], color="black", lw=2,
            label=f"roof: {peak / 1e12:.3g} TFLOP/s ({rf['dtype']}), {bw / 1e9:.4g} GB/s")
    ax.axvline(rf["ridge_intensity"], color="grey", lw=0.8, ls=":")
    colors = {"compute": "tab:red", "memory": "tab:blue"}
    for bound in ("compute", "memory"):
        pts = [n for n in leaves if n.bound == bound and n.intensity and n.time_s]
        if pts:
            ax.scatter([n.intensity for n in pts], [_flops(n) / n.time_s for n in pts],
                       s=[max(8.0, 2000 * n.time_s / total) for n in pts], alpha=0.55, color=colors[bound],
                       label=f"{bound}-bound modules (area: share of time)")
    measured = [n for n in leaves if n.measured_time_s and n.intensity]
    if measured:
        ax.scatter([n.intensity for n in measured], [_flops(n) / n.measured_time_s for n in measured],  # type: ignore[operator]
                   s=30, facecolors="none", edgecolors="black", label="measured")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOPs per byte, 2 per multiply-add)")
    ax.set_ylabel("FLOP/s")
    ax.set_title(f"{report.model} on {rf['hardware']['name']}: {rf['latency_s'] * 1e3:.3g} ms per forward")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(True, which="both", alpha=0.2)
    fig.tight_layout()
    try:
        fig.savefig(out)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    return out


def _leaves(report: Report) -> list[Any]:
    paths = [n.path for n in report.layers]
    return [n for i, n in enumerate(report.layers)
            if n.depth > 0 and not (i + 1 < len(paths) and report.layers[i + 1].depth > n.depth)]


def _flops(node: Any) -> float:
    return float(node.intensity * ((node.read_bytes or 0) + (node.write_bytes or 0)))
