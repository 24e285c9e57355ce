"""Two reports side by side: totals and per-module deltas, and budgets that fail a CI job.

``nncost diff A B``: each side is a model spec (analysed here) or a JSON report saved by
``nncost ... -f json``. Modules are matched by path; a path only in B is *added*, only in
A *removed*. ``--fail-if "macs>+5%"`` (see :func:`parse_budget`) exits 1 when B breaks the
budget, for a pull request's check.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError

__all__ = ["METRICS", "Budget", "diff_reports", "load_side", "parse_budget", "render_diff"]

# metric -> where it lives in a report's dict: ("total", key) or ("memory", key) or ("roofline", key)
METRICS: dict[str, tuple[str, str]] = {
    "params": ("total", "params"), "trainable_params": ("total", "trainable_params"), "macs": ("total", "macs"),
    "flops": ("total", "flops"), "backward_flops": ("total", "backward_flops"), "train_flops": ("total", "train_flops"),
    "read_bytes": ("total", "read_bytes"), "write_bytes": ("total", "write_bytes"),
    "weights": ("memory", "weights"), "inference_peak": ("memory", "inference_peak"),
    "training_peak": ("memory", "training_peak"), "saved_activations": ("memory", "saved_activations"),
    "latency_s": ("roofline", "latency_s"), "train_step_s": ("roofline", "train_step_s"),
}
LAYER_METRICS = ("params", "macs", "flops")
_SUFFIX = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "p": 10**15, "kib": 2**10, "mib": 2**20, "gib": 2**30,
           "tib": 2**40, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "b": 1, "s": 1, "ms": 1e-3, "us": 1e-6}


def load_side(spec: str, options: dict[str, Any]) -> dict[str, Any]:
    """A report as a dict: a saved JSON report, or a model spec analysed with ``options``."""
    path = Path(spec)
    if spec.lower().endswith(".json") and path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"cannot read the report {spec}: {str(exc).splitlines()[0]}") from None
        if not isinstance(data, dict) or "total" not in data or "layers" not in data:
            raise InputError(f"{spec} is not an nncost JSON report (no 'total' and 'layers'); save one with -f json")
        return data
    from . import analyze

    return analyze(spec, **options).to_dict()


def _value(report: dict[str, Any], metric: str) -> float | None:
    where, key = METRICS[metric]
    section = report.get(where)
    v = section.get(key) if isinstance(section, dict) else None
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _delta(a: float | None, b: float | None) -> dict[str, Any]:
    d: dict[str, Any] = {"a": a, "b": b, "delta": None, "pct": None}
    if a is not None and b is not None:
        d["delta"] = b - a
        d["pct"] = 100.0 * (b - a) / a if a else (0.0 if b == a else None)
    return d


def diff_reports(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Totals, per-module deltas (matched by path), added and removed modules."""
    totals = {m: _delta(_value(a, m), _value(b, m)) for m in METRICS}
    no_backward = not (_value(a, "backward_flops") or _value(b, "backward_flops"))
    totals = {m: d for m, d in totals.items() if (d["a"] is not None or d["b"] is not None) and (d["a"] or d["b"] or m in (
        "params", "macs", "flops")) and not (no_backward and m in ("backward_flops", "train_flops"))}
    la = {n["path"]: n for n in a["layers"]}
    lb = {n["path"]: n for n in b["layers"]}
    layers = []
    for path in [*la, *(p for p in lb if p not in la)]:
        na, nb = la.get(path), lb.get(path)
        status = "added" if na is None else "removed" if nb is None else "same"
        row: dict[str, Any] = {"path": path, "type": (nb or na or {}).get("type"), "status": status}
        for m in LAYER_METRICS:  # a module one side lacks counts 0 there
            row[m] = _delta(na.get(m, 0) if na else 0, nb.get(m, 0) if nb else 0)
        if status == "same" and any(row[m]["delta"] for m in LAYER_METRICS):
            row["status"] = "changed"
        layers.append(row)
    return {"a": {"model": a.get("model"), "frontend": a.get("frontend")},
            "b": {"model": b.get("model"), "frontend": b.get("frontend")},
            "totals": totals, "layers": layers,
            "added": [r["path"] for r in layers if r["status"] == "added"],
            "removed": [r["path"] for r in layers if r["status"] == "removed"]}


@dataclass(frozen=True)
class Budget:
    text: str
    metric: str
    op: str  # > >= < <=
    value: float
    kind: str  # "absolute" (B's value), "delta" (B − A) or "pct" (100·(B − A)/A)

    def check(self, totals: dict[str, Any]) -> tuple[bool, float | None]:
        """(broken, the value compared); a metric one side lacks breaks no budget but is reported."""
        d = totals.get(self.metric)
        if d is None:
            return False, None
        got = {"absolute": d["b"], "delta": d["delta"], "pct": d["pct"]}[self.kind]
        if got is None:
            return False, None
        broken = {">": got > self.value, ">=": got >= self.value, "<": got < self.value, "<=": got <= self.value}[self.op]
        return broken, got


_BUDGET = re.compile(r"\s*([a-z_]+)\s*(>=|<=|>|<)\s*([+-]?)\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-z]*|%)\s*", re.I)


def parse_budget(text: str) -> Budget:
    """``METRIC OP VALUE``: ``macs>+5%`` (B more than 5 % above A), ``params>+1M`` (more than
    1,000,000 added), ``flops>4G`` (B above 4·10⁹), ``training_peak>=20GiB``, ``latency_s>2ms``.
    A sign makes it a change from A; ``%`` a relative change; K/M/G/T, KiB/MiB/GiB and s/ms/us scale it."""
    m = _BUDGET.fullmatch(text)
    if m is None:
        raise InputError(f"--fail-if takes METRIC OP VALUE such as 'macs>+5%' or 'params>+1M', got {text!r}")
    metric, op, sign, number, unit = m.groups()
    metric = metric.lower()
    if metric not in METRICS:
        raise InputError(f"--fail-if metric {metric!r} is not one of {', '.join(METRICS)}")
    if unit == "%":
        if not sign:
            raise InputError(f"--fail-if {text!r}: a percentage is a change from A: write it with a sign, e.g. +5%")
        return Budget(text, metric, op, float(sign + number), "pct")
    scale = _SUFFIX.get(unit.lower())
    if scale is None:
        raise InputError(f"--fail-if {text!r}: unknown unit {unit!r} (K, M, G, T, KiB, MiB, GiB, s, ms, us or %)")
    return Budget(text, metric, op, float(sign + number) * scale, "delta" if sign else "absolute")


_BYTE_METRICS = ("weights", "inference_peak", "training_peak", "saved_activations")


def _fmt(v: float | None, metric: str) -> str:
    """A metric's value in its unit: seconds, bytes (binary units) or a count (SI)."""
    from .units import bytes_iec, duration, si

    if v is None:
        return "-"
    if metric.endswith("_s"):
        return duration(v)
    if "bytes" in metric or metric in _BYTE_METRICS:
        return bytes_iec(int(v))
    return si(int(v))


def _signed(v: float | None, metric: str) -> str:
    """A change, with its sign."""
    if v is None:
        return "-"
    return ("+" if v > 0 else "-" if v < 0 else "±") + _fmt(abs(v), metric)


def _pct(p: float | None) -> str:
    return "-" if p is None else f"{p:+.1f}%"


def render_diff(d: dict[str, Any], fmt: str, depth: int | None = None, top: int = 30) -> str:
    """The diff as text (``table``), ``json`` or ``markdown`` (for a pull-request comment)."""
    if fmt == "json":
        return json.dumps(d, indent=2) + "\n"
    rows = [r for r in d["layers"] if r["status"] != "same" and (depth is None or r["path"].count(".") + 1 <= depth
                                                                  or r["path"] == "")]
    rows.sort(key=lambda r: -abs(r["macs"]["delta"] or 0) - abs(r["params"]["delta"] or 0))
    shown = rows[:top]
    md = fmt == "markdown"
    out: list[str] = []
    title = f"{d['a']['model']} → {d['b']['model']}"
    out.append(f"### nncost diff: {title}" if md else f"nncost diff · {title}")
    out.append("")
    if md:
        out += ["| metric | A | B | Δ | Δ% |", "|---|---:|---:|---:|---:|"]
    else:
        out.append(f"{'metric':18s} {'A':>14s} {'B':>14s} {'Δ':>14s} {'Δ%':>9s}")
    for m, t in d["totals"].items():
        cells: tuple[str, ...] = (m, _fmt(t["a"], m), _fmt(t["b"], m), _signed(t["delta"], m), _pct(t["pct"]))
        out.append("| " + " | ".join(cells) + " |" if md else f"{cells[0]:18s} {cells[1]:>14s} {cells[2]:>14s} "
                   f"{cells[3]:>14s} {cells[4]:>9s}")
    out.append("")
    added, removed = d["added"], d["removed"]
    out.append(f"modules: {sum(r['status'] == 'changed' for r in d['layers'])} changed, {len(added)} added, "
               f"{len(removed)} removed, {sum(r['status'] == 'same' for r in d['layers'])} the same")
    if shown:
        out.append("")
        if md:
            out += ["| module | type | status | Δparams | ΔMACs | ΔMACs% |", "|---|---|---|---:|---:|---:|"]
        else:
            out.append(f"{'module':40s} {'type':18s} {'status':8s} {'Δparams':>10s} {'ΔMACs':>10s} {'ΔMACs%':>8s}")
        for r in shown:
            cells = (r["path"] or "(root)", str(r["type"]), r["status"], _signed(r["params"]["delta"], "params"),
                     _signed(r["macs"]["delta"], "macs"), _pct(r["macs"]["pct"]))
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" if md else
                       f"{cells[0][:40]:40s} {cells[1][:18]:18s} {cells[2]:8s} {cells[3]:>10s} {cells[4]:>10s} {cells[5]:>8s}")
        if len(rows) > top:
            out.append(f"(and {len(rows) - top} more modules; -f json has them all)")
    budgets = d.get("budgets")
    if budgets:
        out.append("")
        for b in budgets:
            mark = "FAILED" if b["broken"] else "ok"
            v = b["value"]
            got = "-" if v is None else f"{v:+.1f}%" if b["kind"] == "pct" else _signed(v, b["metric"]) if b["kind"] == "delta" \
                else _fmt(v, b["metric"])
            out.append(f"{'- ' if md else ''}budget {b['budget']}: {mark} ({b['metric']} {got})")
    return "\n".join(out) + "\n"
