"""The terminal table (rich), and a plain-text capture of it for files and golden tests."""

from __future__ import annotations

from typing import Any

from ..report import Node, Report
from ..units import grouped, si

__all__ = ["render_text", "rich_renderable"]


def _shape(shapes: list[list[int]]) -> str:
    if not shapes:
        return ""
    text = ", ".join("[" + ", ".join(str(d) for d in s) + "]" for s in shapes[:2])
    return text + (", …" if len(shapes) > 2 else "")


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _name(node: Node) -> str:
    if node.depth == 0:
        return node.type
    leaf = node.path.rsplit(".", 1)[-1]
    return "  " * (node.depth - 1) + f"{leaf} ({node.type})"


def _header(report: Report) -> list[str]:
    c = report.conventions
    ins = "; ".join(f"{i['name']} {list(i['shape'])}" + (f" {i['dtype']}" if i.get("dtype") else "") for i in report.inputs)
    lines = [f"nncost · {report.frontend} · {report.model}"]
    if ins:
        lines.append(f"inputs: {ins}")
    flops = "FLOPs = 2 × MACs" if c.get("flops") == "2mac" else "FLOPs = every operation (seed)"
    extra = ""
    if c.get("rnn_bias") == "single":
        extra = "; RNN: one bias per gate"
    if c.get("op_cost_overrides"):
        extra += "; op costs: " + ", ".join(f"{k}={v}" for k, v in c["op_cost_overrides"].items())
    if c.get("fold_bn"):
        extra += "; BatchNorm folded"
    if c.get("mode"):
        extra += f"; {c['mode']} mode"
    lines.append(f"conventions: MACs = multiply-accumulates; {flops}{extra}")
    return lines


def _totals(report: Report) -> list[str]:
    t = report.total
    lines = [
        f"params        {grouped(t.params):>20}  (trainable {grouped(t.trainable_params)}, "
        f"non-trainable {grouped(t.non_trainable_params)}; buffers {grouped(t.buffers)})",
        f"MACs          {grouped(t.macs):>20}  ({si(t.macs)})",
        f"FLOPs         {grouped(t.flops):>20}  ({si(t.flops)})",
    ]
    if t.read_bytes is not None and t.write_bytes is not None:
        from ..units import bytes_iec

        ai = t.arithmetic_intensity
        lines.append(f"bytes         reads {bytes_iec(t.read_bytes)}, writes {bytes_iec(t.write_bytes)} (each op's operands "
                     "once, no fusion)" + (f"; {ai:.1f} FLOPs per byte" if ai is not None else ""))
    if t.by_dtype:
        lines.append("compute dtype " + ", ".join(f"{d} {_pct(c['macs'], t.macs) if t.macs else _pct(c['flops'], t.flops)}"
                                              for d, c in sorted(t.by_dtype.items(), key=lambda kv: -kv[1]["macs"]))
                     + (" of MACs" if t.macs else " of FLOPs"))
    if t.backward_macs or t.backward_flops:
        lines += [
            f"backward MACs {grouped(t.backward_macs):>20}  ({si(t.backward_macs)})",
            f"backward FLOPs{grouped(t.backward_flops):>20}  ({si(t.backward_flops)})",
            f"train step    {grouped(t.train_flops):>20}  FLOPs ({si(t.train_flops)}, forward + backward)",
        ]
    return lines + _memory(report) + _time(report) + _convention(report)


def _convention(report: Report) -> list[str]:
    """What another tool would report (--convention; docs/conventions.md)."""
    c = report.extra.get("convention")
    if not c:
        return []
    macs = f" and {grouped(c['macs'])} MACs ({si(c['macs'])})" if "macs" in c else ""
    return [f"as {c['tool']} ({c['version']}) reports it: {grouped(c['value'])} {c['unit']} ({si(c['value'])}){macs}",
            f"              it counts {c['counts']}; it leaves out {c['ignores']}"]


def _time(report: Report) -> list[str]:
    """The time block: the roofline on the chosen hardware (docs/time.md)."""
    from ..units import duration

    rf = report.roofline
    if rf is None:
        return []
    hw = rf["hardware"]
    eff = rf["efficiency"]
    how = ("estimate with calibrated efficiencies" if rf["mode"] == "estimate" else
           "roofline bound" + ("" if eff == {"compute": 1.0, "memory": 1.0} else
                               f" at {eff['compute']:.0%} of peak compute, {eff['memory']:.0%} of bandwidth"))
    unit = rf["throughput_unit"]
    lines = [f"time          {hw['name']} ({hw['title']}), {how}: forward {duration(rf['latency_s'])} "
             f"({rf['throughput_per_s']:,.1f} {unit}), {rf['bound_share']['compute']:.0%} of it compute-bound"
             + (f"; training step {duration(rf['train_step_s'])} ({rf['train_throughput_per_s']:,.1f} {unit})"
                if rf["train_step_s"] else "")]
    lines.append("              by op class: " + ", ".join(
        f"{cls} {duration(v['time_s'])}" for cls, v in rf["by_class"].items() if v["time_s"] > 0)
        + f"; ridge {rf['ridge_intensity']:.1f} FLOPs/byte ({rf['dtype']})")
    if rf.get("measured_latency_s"):
        lines.append(f"              measured forward {duration(rf['measured_latency_s'])}: the roofline is "
                     f"{rf['roofline_fraction']:.0%} of it" + (f"; training step {duration(rf['measured_train_step_s'])}"
                                                               if rf.get("measured_train_step_s") else ""))
    if "mfu" in rf:
        lines.append(f"              measured {rf['measured_throughput']:,.1f} {unit}: MFU {rf['mfu']:.1%}, HFU {rf['hfu']:.1%}")
    llm = rf.get("llm")
    if llm:
        lines.append(f"              LLM: time to first token {duration(llm['prefill_s'])}, {duration(llm['decode_s_per_token'])} "
                     f"per output token at context {llm['decode_context']:,} ({llm['tokens_per_s']:,.1f} tokens/s at batch "
                     f"{llm['batch']})")
    return lines


def _memory(report: Report) -> list[str]:
    """The memory block: what the weights, an inference pass and a training step hold (docs/memory.md)."""
    from ..units import bytes_iec as b

    m = report.memory
    if m is None:
        return []
    lines = [f"memory        weights {b(m.weights)}, inputs {b(m.inputs)}; inference peak {b(m.inference_peak)} "
             f"(activations {b(m.activation_peak)}" + (f", at {m.inference_peak_module})" if m.inference_peak_module else ")")]
    if m.training_peak is not None:
        master = f", fp32 master weights {b(m.master_weights)}" if m.master_weights else ""
        ckpt = f", checkpointing {m.checkpoint}" if m.checkpoint else ""
        lines.append(f"training step {m.optimizer}, {m.precision}{ckpt}: gradients {b(m.gradients)}{master}, optimizer states "
                     f"{b(m.optimizer_states)}, saved activations {b(m.saved_activations)}; peak {b(m.training_peak)} "
                     f"(at {m.training_peak_module})")
    par = m.parallel
    if par:
        g, busiest = par["per_gpu"], par["stages"][par["busiest_stage"]]
        master = f", fp32 master weights {b(g['master_weights'])}" if g["master_weights"] else ""
        lines.append(f"per GPU       tp {par['tp']} × pp {par['pp']} × dp {par['dp']} = {par['gpus']:,} GPUs, ZeRO-{par['zero']}, "
                     f"sequence parallel: weights {b(g['weights'])}, gradients {b(g['gradients'])}{master}, optimizer states "
                     f"{b(g['optimizer_states'])}, activations {b(g['activations'])} ({busiest['micro_batches_in_flight']} "
                     f"micro-batches in flight) = {b(g['total'])} (pipeline stage {par['busiest_stage']} of {par['pp']})")
    return lines


def _llm(llm: dict[str, Any]) -> list[str]:
    """The compact LLM table (causal LMs from the hf frontend)."""
    from ..units import bytes_iec

    sp, r = llm["prefill_split"], llm["rules"]
    tok = llm["batch"] * llm["seq"]

    def row(name: str, macs: int | None, flops: int | None, extra: str = "") -> str:
        return f"  {name:34s} {si(macs):>10s} {si(flops):>10s}  {extra}".rstrip()

    out = [f"LLM view: batch {llm['batch']}, prompt {llm['seq']} tokens, generate {llm['gen']}, {llm['dtype']}",
           f"  {'':34s} {'MACs':>10s} {'FLOPs':>10s}",
           row(f"prefill ({tok} tokens)", llm["prefill_macs"], llm["prefill_flops"]),
           row("  projections + MLP + rest", sp["projections_mlp"]["macs"], sp["projections_mlp"]["flops"]),
           row("  attention (scores, values)", sp["attention"]["macs"], sp["attention"]["flops"],
               f"causal useful part {si(sp['attention']['causal_useful_macs'])} MACs"),
           row("  LM head", sp["lm_head"]["macs"], sp["lm_head"]["flops"]),
           row(f"decode, per token at context {llm['decode_context']}", llm["decode_macs_per_token"], llm["decode_flops_per_token"])]
    if llm["gen"]:
        out.append(row(f"decode, {llm['gen']} tokens", llm["decode_total_macs"], llm["decode_total_flops"]))
    out.append(row("training, per token (fwd + bwd)", llm["train_macs_per_token"], llm["train_flops_per_token"]))
    out.append(f"  KV cache at context {llm['kv_cache_context']}: {bytes_iec(llm['kv_cache_bytes'])} "
               f"({llm['layers']} layers × {llm['kv_heads']} kv heads × {llm['head_dim']}, K and V)")
    out.append("  weights: " + ", ".join(f"{d} {bytes_iec(b)}" for d, b in llm["weight_bytes_by_dtype"].items()))
    out += _serving(llm.get("serving"))

    def cmp(name: str, rule: int, exact: int) -> str:
        return f"  {name:34s} {si(rule):>10s}  exact {si(exact)} ({100 * (rule - exact) / exact:+.1f}%)"

    out += [f"  rules per token (FLOPs = 2 × MACs; N = {si(r['non_embedding_params'])} non-embedding params):",
            cmp("2N (forward)", r["2N"], r["exact_forward_2mac_per_token"]),
            cmp("Kaplan 2N + 2·L·n_ctx·d_attn", r["kaplan_forward"], r["exact_forward_2mac_per_token"]),
            cmp("6N (training)", r["6N"], r["exact_train_2mac_per_token"]),
            cmp("PaLM 6N + 12·L·H·Q·T", r["palm_train"], r["exact_train_2mac_per_token"]),
            f"  2N leaves out the LM head ({si(r['lm_head_2mac_per_token'])}/token) and attention "
            f"({si(r['attention_2mac_per_token'])}/token at this prompt length); 6N triples both."]
    return out


def _serving(sv: dict[str, Any] | None) -> list[str]:
    """Serving memory: the peak of generation, and what fits in a device (docs/memory.md)."""
    from ..units import bytes_iec as b

    if not sv:
        return []
    phases = f"prefill {b(sv['prefill_peak'])}" + (f", last decode step {b(sv['decode_peak'])}" if sv["decode_peak"] else "")
    out = [f"  serving {sv['batch']} × {sv['context']} tokens (activations {sv['activation_dtype']}): weights "
           f"{b(sv['weights'])} + KV cache {b(sv['kv_cache'])} + activations {b(sv['activation_peak'])} = peak "
           f"{b(sv['peak'])} at {sv['peak_phase']} ({phases})"]
    fit = sv.get("fit")
    if fit:
        if not fit["weights_fit"]:
            out.append(f"  fits in {b(fit['device_memory'])}: nothing (the weights alone are {b(sv['weights'])})")
        else:
            ctx = f"context up to {fit['max_context']:,} at batch {sv['batch']}" if fit["max_context"] else \
                f"no context at batch {sv['batch']}"
            limit = " (the model's positions end there)" if fit["limited_by"] == "positions" else ""
            batch = (f"batch up to {fit['max_batch']:,}" if fit["max_batch"] else "no batch") + f" at context {sv['context']:,}"
            out.append(f"  fits in {b(fit['device_memory'])}: {batch}; {ctx}{limit}")
    return out


def _symbolic(sym: dict[str, Any]) -> list[str]:
    names = ", ".join(sym["symbols"])
    at = ", ".join(f"{k} = {v}" for k, v in sym["evaluated_at"].items())
    return [f"MACs({names})  = {sym['total']['macs']}", f"FLOPs({names}) = {sym['total']['flops']}",
            f"bytes read({names}) = {sym['total']['read_bytes']}, written = {sym['total']['write_bytes']}",
            f"(the numbers above are these formulas at {at}; bind the dims with --input-shape for exact values)"]


def _footer(report: Report, explain: bool) -> list[str]:
    lines: list[str] = _llm(report.extra["llm"]) if "llm" in report.extra else []
    if "symbolic" in report.extra:
        lines += _symbolic(report.extra["symbolic"])
    if explain and report.working:
        lines.append("working:")
        for w in report.working:
            if w.formula == w.substituted or w.substituted == str(w.value):
                lines.append(f"  {w.name} = {w.formula} = {grouped(w.value)}")
            else:
                lines.append(f"  {w.name} = {w.formula} = {w.substituted} = {grouped(w.value)}")
    if report.unsupported:
        n = sum(report.unsupported.values())
        ops = ", ".join(f"{k} ×{v}" for k, v in sorted(report.unsupported.items()))
        lines.append(f"UNSUPPORTED ({n} calls, not counted, totals are lower bounds): {ops}")
    for note in report.notes:
        lines.append(f"note: {note}")
    return lines


def rich_renderable(report: Report, depth: int | None = None, explain: bool = False, footer: bool = True) -> Any:
    """A rich Group: header, layer table (for multi-layer reports), totals, footer."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = [Text("\n".join(_header(report)))]
    if report.frontend != "layer":
        table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
        for i, col in enumerate(_columns(report)):
            if i < 2:
                table.add_column(col, overflow="fold", ratio=3 - i)
            else:
                table.add_column(col, justify="right", no_wrap=True)
        for row in _rows(report, depth):
            table.add_row(*row)
        parts.append(table)
    else:
        node = report.root
        parts.append(Text(f"input {_shape(node.input_shapes)} -> output {_shape(node.output_shapes)}"))
    parts.append(Text("\n".join(_totals(report)), no_wrap=True, overflow="ignore"))
    foot = _footer(report, explain) if footer else []
    if foot:
        parts.append(Text("\n".join(foot)))
    return Group(*parts)


_COLUMNS = ("module", "output shape", "params", "MACs", "FLOPs", "%MACs", "bytes", "calls")


def _columns(report: Report) -> tuple[str, ...]:
    """The table's columns: with a roofline, each module's time and bound (and measured time, % of the roof)."""
    extra: tuple[str, ...] = ()
    if report.roofline is not None:
        extra = ("time", "bound")
        if any(n.measured_time_s is not None for n in report.layers):
            extra += ("measured", "%roof")
    return _COLUMNS[:-1] + extra + _COLUMNS[-1:]


def _time_cells(report: Report, node: Node) -> tuple[str, ...]:
    from ..units import duration

    if report.roofline is None:
        return ()
    cells: tuple[str, ...] = (duration(node.time_s) if node.time_s else "", node.bound or "")
    if any(n.measured_time_s is not None for n in report.layers):
        frac = node.roofline_fraction
        cells += (duration(node.measured_time_s) if node.measured_time_s is not None else "",
                  f"{100 * frac:.0f}%" if frac is not None else "")
    return cells


def _traffic(node: Node) -> str:
    """Bytes moved (read + written), for the table."""
    if node.read_bytes is None or node.write_bytes is None:
        return ""
    return si(node.read_bytes + node.write_bytes)


def _rows(report: Report, depth: int | None) -> list[tuple[str, ...]]:
    total_macs = report.total.macs
    return [(_name(node) + (" ⚠" if node.unsupported else ""), _shape(node.output_shapes), si(node.params.total),
             si(node.macs), si(node.flops), _pct(node.macs, total_macs), _traffic(node), *_time_cells(report, node),
             str(node.calls) if node.calls != 1 else "")
            for node in report.with_depth(depth).layers]


def _fold(text: str, width: int) -> list[str]:
    return [text[i:i + width] for i in range(0, len(text), width)] or [""]


def _table(rows: list[tuple[str, ...]], width: int, columns: tuple[str, ...] = _COLUMNS) -> list[str]:
    """The layer table as plain lines: numbers right-aligned at their natural width, two
    spaces apart; the module and shape columns at their natural width when the table fits
    in ``width``, else shared 3 : 2 and folded onto more lines (the layout rich's table
    gives, at a fraction of its cost on models with thousands of rows)."""
    cols = list(zip(columns, *rows))
    natural = [max(len(c) for c in col) for col in cols]
    fixed = sum(natural[2:]) + 2 * (len(columns) - 1)
    room = max(width - fixed, 16)
    mod, shp = natural[0], natural[1]
    if mod + shp > room:
        shp = min(shp, max(room * 2 // 5, room - mod))
        mod = room - shp
    widths = [mod, shp, *natural[2:]]
    lines = []
    for row in [columns, *rows]:
        first, second = _fold(row[0], widths[0]), _fold(row[1], widths[1])
        for i in range(max(len(first), len(second))):
            cells = [first[i] if i < len(first) else "", second[i] if i < len(second) else ""]
            cells = [cells[0].ljust(widths[0]), cells[1].ljust(widths[1])]
            cells += [(c if i == 0 else "").rjust(w) for c, w in zip(row[2:], widths[2:])]
            lines.append("  ".join(cells).rstrip())
    return lines


def render_text(report: Report, width: int = 100, depth: int | None = None, explain: bool = False) -> str:
    """The report as plain text, ``width`` columns wide: header, layer table, totals, footer."""
    lines = _header(report)
    if report.frontend != "layer":
        lines += _table(_rows(report, depth), width, _columns(report))
    else:
        node = report.root
        lines.append(f"input {_shape(node.input_shapes)} -> output {_shape(node.output_shapes)}")
    lines += _totals(report)
    lines += _footer(report, explain)  # formulas are never wrapped mid-line
    return "".join(line + "\n" for line in lines)
