"""CSV and Markdown renderings of a report's layers (exact integers, no scaling)."""

from __future__ import annotations

import csv
import io

from ..report import Report
from ..units import grouped

__all__ = ["BACKWARD_COLUMNS", "COLUMNS", "MEASURED_COLUMNS", "ROOFLINE_COLUMNS", "columns", "to_csv", "to_markdown"]

COLUMNS = ("path", "type", "depth", "params", "trainable_params", "non_trainable_params", "buffers",
           "macs", "flops", "calls", "input_shapes", "output_shapes", "read_bytes", "write_bytes", "output_bytes")
BACKWARD_COLUMNS = ("backward_macs", "backward_flops", "train_macs", "train_flops", "saved_activation_bytes")
ROOFLINE_COLUMNS = ("time_s", "bound", "intensity")
MEASURED_COLUMNS = ("measured_time_s", "roofline_fraction", "achieved_flops_per_s", "achieved_bytes_per_s")


def _backward(report: Report) -> bool:
    """Whether the report counted a backward pass (its columns are shown then, in every format)."""
    return bool(report.conventions.get("backward")) or any(n.backward_macs or n.backward_flops for n in report.layers)


def columns(report: Report) -> tuple[str, ...]:
    roof: tuple[str, ...] = ROOFLINE_COLUMNS if report.roofline is not None else ()
    if roof and any(n.measured_time_s is not None for n in report.layers):
        roof += MEASURED_COLUMNS
    return COLUMNS + (BACKWARD_COLUMNS if _backward(report) else ()) + roof


def _rows(report: Report) -> list[dict[str, object]]:
    rows = []
    cols = columns(report)
    for node in report.layers:
        d = node.to_dict()
        d["input_shapes"] = ";".join("x".join(map(str, s)) for s in node.input_shapes)
        d["output_shapes"] = ";".join("x".join(map(str, s)) for s in node.output_shapes)
        d["train_macs"] = node.macs + node.backward_macs
        d["train_flops"] = node.flops + node.backward_flops
        rows.append({k: d[k] for k in cols})
    return rows


def to_csv(report: Report) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns(report), lineterminator="\n")
    writer.writeheader()
    writer.writerows(_rows(report))
    return buf.getvalue()


def _cell(text: str) -> str:
    """Markdown table cell: a pipe escaped, line breaks as spaces."""
    return " ".join(str(text).replace("\\", "\\\\").replace("|", "\\|").split())


def to_markdown(report: Report) -> str:
    t = report.total
    bwd = _backward(report)
    head = (f"**{_cell(report.model)}** ({report.frontend}) — params {grouped(t.params)}, "
            f"MACs {grouped(t.macs)}, FLOPs {grouped(t.flops)}")
    if bwd:
        head += (f"; backward MACs {grouped(t.backward_macs)}, FLOPs {grouped(t.backward_flops)}; "
                 f"training step MACs {grouped(t.train_macs)}, FLOPs {grouped(t.train_flops)}")
    out = [
        head + f" (flops convention: {report.conventions.get('flops')})",
        "",
        "| module | type | output shape | params | MACs | FLOPs |" + (" backward MACs | backward FLOPs |" if bwd else ""),
        "|---|---|---|---:|---:|---:|" + ("---:|---:|" if bwd else ""),
    ]
    for node in report.layers:
        name = _cell(node.path or "(root)")
        shape = "; ".join("×".join(map(str, s)) for s in node.output_shapes)
        row = (f"| {'&nbsp;' * 2 * node.depth}{name} | {_cell(node.type)} | {shape} | "
               f"{grouped(node.params.total)} | {grouped(node.macs)} | {grouped(node.flops)} |")
        if bwd:
            row += f" {grouped(node.backward_macs)} | {grouped(node.backward_flops)} |"
        out.append(row)
    m = report.memory
    if m is not None:
        line = (f"Memory (bytes): weights {grouped(m.weights)}, inputs {grouped(m.inputs)}, inference peak "
                f"{grouped(m.inference_peak)}")
        if m.training_peak is not None:
            line += (f"; training step ({m.optimizer}, {m.precision}): gradients {grouped(m.gradients)}, optimizer states "
                     f"{grouped(m.optimizer_states)}, saved activations {grouped(m.saved_activations)}, peak "
                     f"{grouped(m.training_peak)}")
        out += ["", line]
    rf = report.roofline
    if rf is not None:
        line = (f"Time on {rf['hardware']['name']} ({rf['mode']}): forward {rf['latency_s']:.6g} s, "
                f"{rf['throughput_per_s']:.6g} {rf['throughput_unit']}, {rf['bound_share']['compute']:.0%} compute-bound")
        if rf["train_step_s"]:
            line += f"; training step {rf['train_step_s']:.6g} s"
        out += ["", line]
    conv = report.extra.get("convention")
    if conv:
        macs = f" and {grouped(conv['macs'])} MACs" if "macs" in conv else ""
        out += ["", f"As {conv['tool']} ({conv['version']}) reports it: {grouped(conv['value'])} {conv['unit']}{macs}"]
    if report.unsupported:
        out += ["", "Unsupported (not counted): " + ", ".join(f"`{k}` ×{v}" for k, v in sorted(report.unsupported.items()))]
    if report.notes:
        out += ["", "Notes:", ""] + [f"- {_cell(n)}" for n in report.notes]
    return "\n".join(out) + "\n"
