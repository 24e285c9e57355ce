"""CSV and Markdown renderings of a report's layers (exact integers, no scaling)."""

from __future__ import annotations

import csv
import io

from ..report import Report
from ..units import grouped

__all__ = ["COLUMNS", "to_csv", "to_markdown"]

COLUMNS = ("path", "type", "depth", "params", "trainable_params", "non_trainable_params", "buffers",
           "macs", "flops", "calls", "input_shapes", "output_shapes", "read_bytes", "write_bytes")


def _rows(report: Report) -> list[dict[str, object]]:
    rows = []
    for node in report.layers:
        d = node.to_dict()
        d["input_shapes"] = ";".join("x".join(map(str, s)) for s in node.input_shapes)
        d["output_shapes"] = ";".join("x".join(map(str, s)) for s in node.output_shapes)
        rows.append({k: d[k] for k in COLUMNS})
    return rows


def to_csv(report: Report) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_rows(report))
    return buf.getvalue()


def to_markdown(report: Report) -> str:
    t = report.total
    out = [
        f"**{report.model}** ({report.frontend}) — params {grouped(t.params)}, "
        f"MACs {grouped(t.macs)}, FLOPs {grouped(t.flops)} (flops convention: {report.conventions.get('flops')})",
        "",
        "| module | type | output shape | params | MACs | FLOPs |",
        "|---|---|---|---:|---:|---:|",
    ]
    for node in report.layers:
        name = node.path or "(root)"
        shape = "; ".join("×".join(map(str, s)) for s in node.output_shapes)
        out.append(f"| {'&nbsp;' * 2 * node.depth}{name} | {node.type} | {shape} | "
                   f"{grouped(node.params.total)} | {grouped(node.macs)} | {grouped(node.flops)} |")
    if report.unsupported:
        out += ["", "Unsupported (not counted): " + ", ".join(f"`{k}` ×{v}" for k, v in sorted(report.unsupported.items()))]
    return "\n".join(out) + "\n"
