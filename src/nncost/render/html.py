"""The HTML report: one self-contained file (no network; script and style inline).

The header and totals are static HTML; the module tree, the sortable table and the charts
(inline SVG, no library) are drawn by the page's script from the report's JSON, embedded
in the page. ``compact=True`` is the notebook form (``Report._repr_html_``): static only,
since notebooks need not run a page's scripts.
"""

from __future__ import annotations

import html
import json

from ..report import Report
from ..units import bytes_iec, duration, grouped, si

__all__ = ["to_html"]

def _asset(name: str) -> str:
    from importlib import resources

    return resources.files(__package__).joinpath("assets").joinpath(name).read_text(encoding="utf-8")


_CSS = _asset("report.css")
_JS = _asset("report.js")


def _card(label: str, value: str, key: str | None = None, exact: int | float | None = None) -> str:
    data = f' data-total="{key}" data-value="{exact}"' if key is not None else ""
    return f'<div class="card"{data}><span>{html.escape(label)}</span><b>{html.escape(value)}</b></div>'


def _cards(report: Report) -> list[str]:
    t = report.total
    cards = [_card("parameters", si(t.params), "params", t.params), _card("MACs", si(t.macs), "macs", t.macs),
             _card("FLOPs", si(t.flops), "flops", t.flops)]
    if t.backward_flops:
        cards.append(_card("training-step FLOPs", si(t.train_flops), "train_flops", t.train_flops))
    m = report.memory
    if m is not None:
        cards.append(_card("weights", bytes_iec(m.weights), "weights", m.weights))
        cards.append(_card("inference peak", bytes_iec(m.inference_peak), "inference_peak", m.inference_peak))
        if m.training_peak is not None:
            cards.append(_card("training peak", bytes_iec(m.training_peak), "training_peak", m.training_peak))
    rf = report.roofline
    if rf is not None:
        cards.append(_card(f"forward on {rf['hardware']['name']}", duration(rf["latency_s"]), "latency_s", rf["latency_s"]))
    return cards


def _header(report: Report) -> str:
    ins = "; ".join(f"{i['name']} {list(i['shape'])} {i.get('dtype', '')}" for i in report.inputs)
    conv = ", ".join(f"{k}: {v}" for k, v in report.conventions.items() if v not in (None, False, {}, []))
    return (f'<h1>{html.escape(report.model)}</h1><div class="meta">{html.escape(report.frontend)} frontend · inputs: '
            f'{html.escape(ins)}</div><div class="meta">conventions — {html.escape(conv)}</div>'
            f'<div class="totals">{"".join(_cards(report))}</div>')


def _lists(report: Report) -> str:
    out = []
    if report.unsupported:
        out.append('<h2 class="warn">Unsupported ops (not counted: the totals are a lower bound)</h2><ul>' + "".join(
            f"<li><code>{html.escape(k)}</code> × {v}</li>" for k, v in sorted(report.unsupported.items())) + "</ul>")
    if report.ignored:
        out.append("<h2>Free ops (views, shape arithmetic: no arithmetic by design)</h2><p>" + ", ".join(
            f"<code>{html.escape(k)}</code> × {v}" for k, v in sorted(report.ignored.items())) + "</p>")
    if report.notes:
        out.append("<h2>Notes</h2><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in report.notes) + "</ul>")
    return "".join(out)


def _compact(report: Report, rows: int = 15) -> str:
    """The notebook view: the totals and the largest modules, static HTML."""
    t = report.total
    leaves = sorted((n for n in report.layers if n.depth > 0), key=lambda n: -n.macs)[:rows]
    body = "".join(
        f'<tr><td class="l">{html.escape(n.path)}</td><td class="l">{html.escape(n.type)}</td><td>{si(n.params.total)}</td>'
        f'<td>{si(n.macs)}</td><td class="l"><span class="bar" style="width:{160 * n.macs / t.macs if t.macs else 0:.1f}px">'
        f'</span> {100 * n.macs / t.macs if t.macs else 0:.1f}%</td></tr>' for n in leaves)
    return (f'<div class="nncost"><style>{_CSS.replace("body{", ".nncost{")}</style>{_header(report)}'
            f'<table><thead><tr><th class="l">module</th><th class="l">type</th><th>params</th><th>MACs</th>'
            f'<th class="l">share</th></tr></thead><tbody>{body}</tbody></table>{_lists(report)}</div>')


def to_html(report: Report, compact: bool = False) -> str:
    """The report as one self-contained HTML page (or, ``compact``, a static fragment for notebooks)."""
    if compact:
        return _compact(report)
    from .tabular import columns

    data = report.to_dict()
    data["columns"] = [c for c in columns(report) if c not in ("depth",)]
    for layer, node in zip(data["layers"], report.layers):
        layer["params"] = node.params.total
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")  # no "</script>" inside the script
    charts = [("chart-macs", "Where the MACs go (modules, and their children)"),
              ("chart-params", "Where the parameters are"), ("chart-top", "Top layers by MACs")]
    if report.memory is not None and report.memory.timeline:
        charts.append(("chart-memory", "Live activation memory through the forward"))
    if report.roofline is not None:
        charts.append(("chart-roofline", f"Roofline on {report.roofline['hardware']['name']}"))
    chart_html = "".join(f'<div class="chart" id="{cid}"><h3>{html.escape(title)}</h3></div>' for cid, title in charts)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>nncost · {html.escape(report.model)}</title><style>{_CSS}</style></head>
<body><main>{_header(report)}
<h2>Charts</h2><div class="charts">{chart_html}</div>
<h2>Module tree</h2><table id="tree"><thead><tr><th class="l">module</th><th>params</th><th>MACs</th><th>FLOPs</th>
<th class="l">share of MACs</th></tr></thead><tbody></tbody></table>
<h2>Layers</h2><input type="search" id="filter" placeholder="filter by path or type" aria-label="filter layers">
<div style="overflow-x:auto"><table id="layers"><thead></thead><tbody></tbody></table></div>
{_lists(report)}
<p class="meta">nncost {grouped(len(report.layers))} modules · totals {grouped(report.total.macs)} MACs,
{grouped(report.total.flops)} FLOPs</p>
</main><script type="application/json" id="nncost-data">{payload}</script><script>{_JS}</script></body></html>
"""
