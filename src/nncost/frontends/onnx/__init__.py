"""The ONNX frontend: any .onnx file, without PyTorch, counted with the same formulas.

``analyze_onnx("model.onnx", {"input": (1, 3, 224, 224)})``. The file is only read;
external weight files need not be present (parameters come from initializer shapes).
Nodes are grouped into a module tree by the scope names exporters write
(``/layer1/layer1.0/conv1/Conv`` -> ``layer1.0.conv1``); a graph without scopes is a flat
list. Every node is counted, ignored with a reason, or reported (unsupported op, or a
shape left unknown) — the report says what share was counted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np

from ... import symbolic as sym
from ...conventions import conventions
from ...cost import Cost, FlopsConvention
from ...errors import ModelSpecError, NncostError
from ...formulas.memory import float_dtype, gather_read_bytes, tensor_bytes
from ...report import Memory, ParamCount, Report
from ...tree import Entry, Own, build_layers, check_unsupported, with_ancestors
from .bindings import ONNX, NodeView, UnknownShape
from .load import load_model
from .shapes import PROPAGATED, Shape, bind_inputs, bind_symbols, free_symbols, graph_inputs, infer, light_copy, propagate

__all__ = ["analyze_onnx"]

_FLOAT_TYPES = frozenset({1, 10, 11, 14, 15, 16, 17, 18, 19, 20, 23, 24, 25})
# bits per element of each ONNX element type
_ITEM_BITS = {1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 9: 8, 10: 16, 11: 64, 12: 32, 13: 64, 14: 64, 15: 128,
              16: 16, 17: 8, 18: 8, 19: 8, 20: 8, 21: 4, 22: 4, 23: 4}


# ops that only relabel a tensor's shape (no data moves) and gathers (formulas/memory.py)
_VIEWS = frozenset({"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Shape", "Size"})
_GATHERS = frozenset({"Gather", "GatherElements", "GatherND"})


def scope_of(name: str | bytes) -> str | None:
    """'/layer1/layer1.0/conv1/Conv' -> 'layer1.0.conv1'; None for names without scopes."""
    if isinstance(name, bytes):  # a name that is not valid UTF-8 (a damaged file)
        name = name.decode("utf-8", "replace")
    if not name.startswith("/") or name.count("/") < 2:
        return None if not name.startswith("/") else ""
    parts: list[str] = []
    prev = ""
    for seg in name.strip("/").split("/")[:-1]:
        parts.append(seg[len(prev) + 1:] if prev and seg.startswith(prev + ".") else seg)
        prev = seg
    return ".".join(p for p in parts if p)


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute if a.type not in (5, 10)}  # skip GRAPH(S)


def _static_shape(s: Shape | None) -> bool:
    return s is not None and all(isinstance(d, int) for d in s)


class _Walk:
    def __init__(self, shapes: dict[str, Shape], types: dict[str, int], initializers: dict[str, Any] | None = None) -> None:
        self.shapes = shapes
        self.types = types
        self.initializers: dict[str, Any] = initializers or {}
        self.cost: dict[str, Cost] = defaultdict(Cost)
        self.traffic: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # scope -> [read, written] bytes
        self.by_dtype: dict[str, dict[str, Cost]] = defaultdict(dict)  # scope -> dtype of the op's first input -> cost
        # the op log the roofline reads: (scope, op type, MACs, FLOPs, read, written, dtype, False)
        self.log: list[tuple[str, str, int, int, int, int, str | None, bool]] = []
        self.unsupported: dict[str, Counter[str]] = defaultdict(Counter)
        self.ignored: Counter[str] = Counter()
        self.counted = 0
        self.ops: dict[str, list[Any]] = defaultdict(list)  # scope -> nodes
        self.constants: dict[str, Any] = {}
        self.static: set[str] = set(self.initializers)  # values known before the model runs
        self.folded: dict[str, Any] = {}  # small integer tensors the shape arithmetic evaluated (numpy arrays)
        self.current: Any = None

    def probe(self) -> _Walk:
        """A walker for a subgraph (a branch, a loop body): it sees this graph's shapes,
        initializers and constants (subgraphs read their enclosing graph's values)."""
        probe = _Walk(self.shapes, self.types, self.initializers)
        probe.constants = self.constants
        probe.static = self.static
        probe.folded = self.folded
        return probe

    def view(self, node: Any) -> NodeView:
        ins = [self.shapes.get(i) if i else None for i in node.input]
        outs = [self.shapes.get(o) if o else None for o in node.output]
        static = bool(node.input) and all(not i or i in self.static for i in node.input)
        return NodeView(node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}:{node.op_type}", ins, outs,
                        _attrs(node), [bool(i) for i in node.input], [self.types.get(i) for i in node.input],
                        [self.types.get(o) for o in node.output], static, lambda i: self.small_value(node.input[i]))

    def small_value(self, name: str) -> Any:
        """A constant's value when it is small and stored inline (axes, scalars); never
        reads external data or a large weight."""
        from onnx import TensorProto, numpy_helper

        if name in self.folded:
            a = self.folded[name].reshape(-1)
            return None if a.size > 64 else a[0] if a.size == 1 else a
        t = self.constants.get(name) if name else None
        if t is None and name:
            t = self.initializers.get(name)
        if t is None or t.data_location == TensorProto.EXTERNAL or len(t.dims) > 1 or (t.dims and t.dims[0] > 64):
            return None
        a = numpy_helper.to_array(t).reshape(-1)
        return a[0] if a.size == 1 else a

    def graph(self, g: Any, scope_default: str, times: int) -> Cost:
        total = Cost()
        for i, node in enumerate(g.node):
            label = node.name if isinstance(node.name, str) else node.name.decode("utf-8", "replace")
            sc = scope_of(label)
            scope = sc if sc is not None else (scope_default if times != 1 or scope_default else
                                               (label or f"{node.op_type}_{i}"))
            cost = self.node(node, scope, times)
            if times == 1:
                self.ops[scope].append(node)
            total += cost
        return total

    def bytes_of(self, name: str) -> int | None:
        s, t = self.shapes.get(name), self.types.get(name)
        if s is None or t is None or any(not isinstance(d, int) for d in s) or t not in _ITEM_BITS:
            return None
        n = 1
        for d in s:
            n *= int(d)  # type: ignore[arg-type]  # ints, checked above
        return tensor_bytes(n, _ITEM_BITS[t])

    def count_traffic(self, node: Any, scope: str, times: int) -> tuple[int, int]:
        """Bytes the node reads (every input, weights included) and writes (every output), by
        formulas/memory.py: views move nothing, a gather reads its indices and the rows it copies."""
        if node.op_type in _VIEWS:
            return 0, 0
        written = sum(b for b in (self.bytes_of(o) for o in node.output if o) if b is not None)
        if node.op_type in _GATHERS:
            index = [self.bytes_of(i) for i in node.input[1:2] if i]
            read = gather_read_bytes(sum(b for b in index if b is not None), written)
        else:
            read = sum(b for b in (self.bytes_of(i) for i in node.input if i) if b is not None)
        acc = self.traffic[scope]
        acc[0] += read * times
        acc[1] += written * times
        return read * times, written * times

    def node(self, node: Any, scope: str, times: int) -> Cost:
        self.current = node
        if node.op_type in ("Shape", "Size", "Constant") or (node.input and all(not i or i in self.static for i in node.input)):
            self.static.update(o for o in node.output if o)
        moved = (0, 0)
        if node.op_type not in ("Constant", "If", "Loop", "Scan"):
            moved = self.count_traffic(node, scope, times)
        dt = _dtype_name(self.types[node.input[0]]) if node.input and node.input[0] in self.types else None
        if node.op_type not in ("Constant", "If", "Loop", "Scan") and moved != (0, 0):
            self.log.append((scope, node.op_type, 0, 0, moved[0], moved[1], dt, False))
        key = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}:{node.op_type}"
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    self.constants[node.output[0]] = a.t
        if node.output and key in PROPAGATED and not _static_shape(self.shapes.get(node.output[0])):
            view = self.view(node)
            shape = propagate(node.op_type, view.inputs, view.attrs, view.value)
            if shape is not None:
                self.shapes[node.output[0]] = shape
                if node.input and node.input[0] in self.types and node.op_type not in ("Cast", "CastLike"):
                    self.types.setdefault(node.output[0], self.types[node.input[0]])
        b = ONNX.binding(key)
        if b is not None:
            try:
                cost = cast(Cost, b(self.view(node))) * times
            except UnknownShape as exc:
                self.unsupported[scope][f"{key} ({exc.what})"] += 1
                return Cost()
            self.cost[scope] += cost
            if cost.macs or cost.flops:
                self.by_dtype[scope][dt or "unknown"] = self.by_dtype[scope].get(dt or "unknown", Cost()) + cost
                record = (scope, node.op_type, cost.macs, cost.flops, moved[0], moved[1], dt, False)
                if moved != (0, 0):  # the node's traffic entry, logged above, gets its cost
                    self.log[-1] = record
                else:
                    self.log.append(record)
            self.counted += 1
            return cost
        if ONNX.ignore_reason(key) is not None:
            self.ignored[key] += 1
            return Cost()
        if key in ("If", "Loop", "Scan"):
            return self.control(node, key, scope, times)
        self.unsupported[scope][key] += 1
        return Cost()

    def control(self, node: Any, key: str, scope: str, times: int) -> Cost:
        graphs = {a.name: a.g for a in node.attribute if a.type == 5}
        if key == "If":
            # which branch runs is data-dependent: count the costlier one (an upper bound, noted)
            best, best_probe = Cost(), None
            for g in graphs.values():
                probe = self.probe()
                c = probe.graph(g, scope, 1)
                for sc, ops in probe.unsupported.items():  # either branch may run: what it cannot count is reported
                    self.unsupported[sc].update({op: n * times for op, n in ops.items()})
                if best_probe is None or c.flops >= best.flops:
                    best, best_probe = c, probe
            if best_probe is not None:  # the counted branch's traffic and dtypes, in the If's scope like its cost
                self.absorb(best_probe, scope, times)
            self.cost[scope] += best * times
            self.counted += 1
            return best * times
        trips = self.trip_count(node, key)
        if trips is None:
            self.unsupported[scope][f"{key} (trip count unknown)"] += 1
            return Cost()
        body = graphs["body"]
        probe = self.probe()
        c = probe.graph(body, scope, 1) * (trips * times)
        for sc, ops in probe.unsupported.items():
            self.unsupported[sc].update(ops)
        self.absorb(probe, scope, trips * times)
        self.cost[scope] += c
        self.counted += 1
        return c

    def absorb(self, probe: _Walk, scope: str, times: int) -> None:
        """A subgraph's memory traffic and per-dtype costs, run ``times`` times, into ``scope``."""
        self.traffic[scope][0] += sum(r for r, _ in probe.traffic.values()) * times
        self.traffic[scope][1] += sum(w for _, w in probe.traffic.values()) * times
        for per in probe.by_dtype.values():
            for dt, c in per.items():
                self.by_dtype[scope][dt] = self.by_dtype[scope].get(dt, Cost()) + c * times
        self.log.extend((scope, op, m * times, f * times, r * times, w * times, dt, False)
                        for _, op, m, f, r, w, dt, _ in probe.log)

    def trip_count(self, node: Any, key: str) -> int | None:
        from onnx import numpy_helper

        if key == "Scan":
            first = node.input[len(node.input) - int(_attrs(node).get("num_scan_inputs", 1))]
            s = self.shapes.get(first)
            return s[0] if s and isinstance(s[0], int) else None
        name = node.input[0] if node.input else ""
        t = self.constants.get(name)
        if t is None:
            t = self.initializers.get(name)
        if t is None:
            return None
        return int(numpy_helper.to_array(t).reshape(-1)[0])


_RNN_STATE_INPUTS = {"LSTM": (5, 6), "GRU": (5,), "RNN": (5,)}  # initial_h (and initial_c): states, not weights


def _state_constants(g: Any) -> set[str]:
    """Initializers an RNN reads as its initial state (exporters store the zeros there)."""
    out: set[str] = set()
    for node in g.node:
        for i in _RNN_STATE_INPUTS.get(node.op_type, ()) if node.domain in ("", "ai.onnx") else ():
            if i < len(node.input) and node.input[i]:
                out.add(node.input[i])
    return out


def _numel(t: Any) -> int:
    n = 1
    for d in t.dims:
        n *= int(d)
    return n


def _params(g: Any, consumers: dict[str, str]) -> dict[str, int]:
    """Float initializers of rank >= 1 (weights; rank-0 floats are constants such as eps),
    each counted once, owned by the scope of its first consumer; an Identity copy of an
    initializer (exporters deduplicate equal weights this way) counts as the weight it is.
    An RNN's initial state is a constant, not a parameter (see :func:`_state_constants`)."""
    out: dict[str, int] = defaultdict(int)
    sizes = {}
    states = _state_constants(g)
    for t in g.initializer:
        if t.data_type in _FLOAT_TYPES and len(t.dims) >= 1 and t.name not in states:
            n = 1
            for d in t.dims:
                n *= int(d)
            sizes[t.name] = n
            out[consumers.get(t.name, "")] += n
    for node in g.node:
        if node.op_type == "Identity" and node.input and node.input[0] in sizes:
            out[consumers.get(node.output[0], "")] += sizes[node.input[0]]
    for name, n in _generated_weights(g).items():
        out[consumers.get(name, "")] += n
    return out


def _generated_weights(g: Any) -> dict[str, int]:
    """Float tensors of rank >= 1 that ``ConstantOfShape`` fills from a shape stored in the
    file: weights kept as a fill value (onnx's "light" test models ship their weights this
    way). They count as parameters, as the same tensor stored as an initializer would."""
    from onnx import numpy_helper

    init = {t.name: t for t in g.initializer}
    out = {}
    for node in g.node:
        if node.op_type != "ConstantOfShape" or node.domain not in ("", "ai.onnx") or not node.input or node.input[0] not in init:
            continue
        value = next((a.t for a in node.attribute if a.name == "value"), None)
        if value is None or value.data_type not in _FLOAT_TYPES:  # the default fill is a float 0, but a mask or a count is not a weight
            continue
        dims = numpy_helper.to_array(init[node.input[0]]).reshape(-1)
        if len(dims) >= 1:
            out[node.output[0]] = int(np.prod(dims)) if len(dims) else 1
    return out


def analyze_onnx(
    source: Any,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    *,
    positional: Sequence[Sequence[int]] = (),
    flops: str | FlopsConvention = FlopsConvention.SEED,
    strict: bool = False,
    name: str | None = None,
    symbolic: bool = True,
    dtype: str | None = None,
) -> Report:
    """Cost of an ONNX model (a path, an ``onnx.ModelProto`` or its serialised bytes; the user's object is not changed).

    Dynamic dims left unbound are kept as symbols: when the costs are polynomials in them,
    the report's ``symbolic`` section gives every layer's MACs and FLOPs as formulas
    (numbers in the report are those formulas at 1 for each symbol). ``dtype`` (float32,
    bf16, fp16, fp64) sizes the memory traffic as if every floating-point tensor were
    stored in it; integer tensors keep their type.
    """
    import onnx

    flops_conv = FlopsConvention(flops)
    float_type = _float_type(dtype)
    model, display, load_notes = load_model(source)
    if isinstance(source, onnx.ModelProto) and model is source:
        model = light_copy(model)  # binding writes input dims: never into the user's proto
    bind_inputs(model, input_shapes or {}, positional)
    report = _guarded(model, flops_conv, name or display, display, float_type)
    symbols = free_symbols(model)
    if symbols and symbolic:
        report = _symbolic(model, report, symbols, flops_conv, name or display, display, float_type)
    report.notes[:0] = load_notes
    check_unsupported(report.unsupported, strict, "ONNX nodes")
    return report


def _float_type(dtype: str | None) -> int | None:
    """The ONNX element type every float tensor is counted in (``dtype=``), or None: as stored."""
    if dtype is None:
        return None
    return _ONNX_FLOAT_TYPES[float_dtype(dtype)[0]]


_ONNX_FLOAT_TYPES = {"float32": 1, "float16": 10, "float64": 11, "bfloat16": 16}  # PyTorch's names -> ONNX element types
_RETYPED = frozenset(_ONNX_FLOAT_TYPES.values())


def _guarded(model: Any, flops_conv: FlopsConvention, name: str, display: str, float_type: int | None = None) -> Report:
    shapes, types, folded = infer(model)
    if float_type is not None:
        types = {k: float_type if t in _RETYPED else t for k, t in types.items()}
    walk = _Walk(shapes, types)
    walk.folded = folded
    try:
        return _analyze(model, walk, shapes, flops_conv, name)
    except NncostError:
        raise
    except Exception as exc:  # a malformed model (damaged file, an attribute of the wrong type): say where
        node = walk.current
        where = f" at node {node.name!r} ({node.op_type})" if node is not None else ""
        raise ModelSpecError(f"{display}: cannot analyse this model{where}: {type(exc).__name__}: {str(exc)[:120]}") from None


def _symbolic(model: Any, base: Report, symbols: list[str], flops_conv: FlopsConvention, name: str, display: str,
              float_type: int | None = None) -> Report:
    """Replace unknown-shape gaps by formulas in the free symbols, when they exist."""
    import itertools

    if len(symbols) > 3:
        base.notes.append(f"{len(symbols)} dynamic dims ({', '.join(symbols)}): too many to solve for; bind them")
        return base
    points = [dict(zip(symbols, pt)) for pt in itertools.product(sym.GRID, repeat=len(symbols))]
    points.append(dict.fromkeys(symbols, sym.CHECK))
    runs: dict[tuple[int, ...], Report] = {}
    for values in points:
        probe = light_copy(model)
        bind_symbols(probe, values)
        r = _guarded(probe, flops_conv, name, display, float_type)
        if any("shape unknown" in k for k in r.unsupported):
            base.notes.append(f"shapes stay unknown with {', '.join(symbols)} bound; bind them with --input-shape")
            return base
        runs[tuple(values[s] for s in symbols)] = r
    by_path = {key: {n.path: n for n in r.layers} for key, r in runs.items()}
    formulas: dict[str, dict[str, str]] = {}
    ones = dict.fromkeys(symbols, 1)
    first = next(iter(runs.values()))
    for node in first.layers:
        exprs = {}
        for metric in ("macs", "flops", "read_bytes", "write_bytes"):

            def measure(v: Mapping[str, int], p: str = node.path, m: str = metric) -> int:
                return int(getattr(by_path[tuple(v[s] for s in symbols)][p], m))

            poly = sym.fit(symbols, measure)
            if poly is None:
                metric = metric.replace("_", " ")
                base.notes.append(f"{metric} of {node.path or 'the model'} is not a polynomial in {', '.join(symbols)} "
                                  "(a dim goes through floor division, e.g. a strided conv); bind it with --input-shape")
                return base
            exprs[metric] = poly
        formulas[node.path] = {m: sym.format_poly(p, symbols) for m, p in exprs.items()}
        node.macs = int(sym.evaluate(exprs["macs"], symbols, ones))
        node.flops = int(sym.evaluate(exprs["flops"], symbols, ones))
        node.read_bytes = int(sym.evaluate(exprs["read_bytes"], symbols, ones))
        node.write_bytes = int(sym.evaluate(exprs["write_bytes"], symbols, ones))
        for dt, costs in node.by_dtype.items():  # each dtype's share, at the same point
            for m in ("macs", "flops"):

                def share(v: Mapping[str, int], p: str = node.path, d: str = dt, m: str = m) -> int:
                    return int(by_path[tuple(v[s] for s in symbols)][p].by_dtype.get(d, {}).get(m, 0))

                poly = sym.fit(symbols, share)
                costs[m] = int(sym.evaluate(poly, symbols, ones)) if poly is not None else costs[m]
    shapes = {n.path: n for n in base.layers}
    for node in first.layers:  # keep the symbolic shapes of the unbound graph for display
        if node.path in shapes:
            node.input_shapes, node.output_shapes = shapes[node.path].input_shapes, shapes[node.path].output_shapes
    first.inputs = base.inputs
    first.notes = [n for n in first.notes if "shape" not in n] + [
        f"dynamic dims {', '.join(symbols)} kept as symbols: MACs, FLOPs and bytes are formulas in them (JSON 'symbolic'); "
        f"the numbers shown are those formulas at {', '.join(f'{s} = 1' for s in symbols)}"]
    first.extra["symbolic"] = {"symbols": symbols, "evaluated_at": ones, "total": formulas[""], "layers": formulas}
    return first


def _analyze(model: Any, walk: _Walk, shapes: dict[str, Shape], flops_conv: FlopsConvention, name: str) -> Report:
    g = model.graph
    walk.initializers = {t.name: t for t in g.initializer}
    walk.static = set(walk.initializers)
    walk.graph(g, "", 1)

    consumers: dict[str, str] = {}
    for scope, nodes in walk.ops.items():
        for node in nodes:
            for i in node.input:
                consumers.setdefault(i, scope)
    params = _params(g, consumers)
    generated = _generated_weights(g)
    states = _state_constants(g)

    # the tree: every scope and its ancestors; numbers include descendants
    order = with_ancestors(set(walk.ops) | set(walk.cost) | set(walk.unsupported) | set(params))
    parents = {q.rsplit(".", 1)[0] for q in order if "." in q}  # scopes with a child scope
    entries = []
    for p in order:
        ops = walk.ops.get(p, [])
        children = p in parents if p else True
        kind = ops[0].op_type if len(ops) == 1 and not children else ("Graph" if not p else "Scope")
        first, last = (ops[0], ops[-1]) if ops else (None, None)
        rw = walk.traffic.get(p, (0, 0))
        entries.append(Entry(
            p, kind, Own(params=ParamCount(trainable=params.get(p, 0)), forward=walk.cost.get(p, Cost()), read_bytes=rw[0],
                         write_bytes=rw[1], unsupported=walk.unsupported.get(p, {}), by_dtype=walk.by_dtype.get(p, {})),
            input_shapes=[list(shapes[first.input[0]])] if first is not None and first.input and first.input[0] in shapes else [],
            output_shapes=[list(shapes[last.output[0]])] if last is not None and last.output[0] in shapes else [], calls=1))
    nodes = build_layers(entries, flops_conv)
    if not nodes[0].output_shapes:
        nodes[0].output_shapes = [list(shapes[o.name]) for o in g.output if o.name in shapes]
        nodes[0].input_shapes = [list(shapes[i.name]) for i in graph_inputs(model) if i.name in shapes]
    total_nodes = len(g.node)
    unsupported = dict(nodes[0].unsupported)
    notes = [f"{walk.counted} of {total_nodes} nodes counted, {sum(walk.ignored.values())} free (views, shapes, copies), "
             f"{sum(unsupported.values())} not counted"]
    if generated:
        notes.append(f"{sum(generated.values()):,} of the parameters are filled by {len(generated)} ConstantOfShape nodes "
                     "(weights stored as a fill value, not as initializers)")
    if any("shape unknown" in k or "input value" in k for k in unsupported):
        if free_symbols(model):
            notes.append("some shapes are unknown: bind the model's dynamic dims with --input-shape NAME=D,D,...")
        else:
            notes.append("every input's shape is given, but some shapes or counts depend on values the graph reads from its "
                         "inputs (a size, axes or k given as data), which nncost does not read")
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    inputs = [{"name": i.name, "shape": list(shapes.get(i.name, ())),
               "dtype": _dtype_name(walk.types.get(i.name, i.type.tensor_type.elem_type))} for i in graph_inputs(model)]
    for node_ in nodes:
        node_.output_bytes = walk.bytes_of(walk.ops[node_.path][-1].output[0]) if walk.ops.get(node_.path) else None
    report = Report(
        model=name, frontend="onnx",
        conventions=conventions(flops_conv, None, params="float initializers of rank >= 1, each once (ONNX records no trainability)"),
        inputs=inputs, layers=nodes, unsupported=unsupported, ignored=dict(walk.ignored), notes=notes,
        memory=_memory(model, walk),
        extra={"onnx": {"opset": opset, "nodes": total_nodes, "counted": walk.counted, "free": sum(walk.ignored.values()),
                        "not_counted": sum(unsupported.values()), "producer": model.producer_name,
                        "state_constants": sum(_numel(t) for t in g.initializer if t.name in states)}},
    )
    report.op_logs["model"] = walk.log
    return report


def _memory(model: Any, walk: _Walk) -> Memory:
    """Weights, inputs and the peak of live values of one run of the top-level graph, in node order: a value is
    allocated by the node that makes it and freed after its last consumer (graph outputs stay); shape-only nodes
    (Reshape, Squeeze, ...) alias their input. What a subgraph (If, Loop, Scan) holds inside is not followed."""
    g = model.graph

    def nbytes(name: str, t: Any = None) -> int:
        b = walk.bytes_of(name)
        if b is None and t is not None:  # an initializer: its declared dims and type
            n = 1
            for d in t.dims:
                n *= int(d)
            b = tensor_bytes(n, _ITEM_BITS.get(walk.types.get(name, t.data_type), 0))
        return b or 0

    by_dtype: dict[str, int] = {}
    for name, t in [(t.name, t) for t in g.initializer] + [(o, None) for n in g.node if n.op_type == "Constant"
                                                            for o in n.output]:
        key = _dtype_name(walk.types.get(name, t.data_type if t is not None else 0))
        by_dtype[key] = by_dtype.get(key, 0) + nbytes(name, t)
    weights = sum(by_dtype.values())
    constants = {o for n in g.node if n.op_type == "Constant" for o in n.output}
    inits = {t.name for t in g.initializer}
    ins = [i.name for i in graph_inputs(model)]
    static = inits | constants | set(ins)
    root: dict[str, str] = {}
    last: dict[str, int] = {}
    for i, node in enumerate(g.node):
        for name in node.input:
            if name:
                last[root.get(name, name)] = i
        if node.op_type in _VIEWS and node.op_type not in ("Shape", "Size") and node.input and node.input[0]:
            for o in node.output:
                root[o] = root.get(node.input[0], node.input[0])
    kept = {root.get(o.name, o.name) for o in g.output}
    sizes: dict[str, int] = {}
    live = peak = 0
    at, previous = "", None
    timeline: list[tuple[str, str, int]] = []
    for i, node in enumerate(g.node):
        label = node.name if isinstance(node.name, str) else node.name.decode("utf-8", "replace")
        sc = scope_of(label)
        scope = sc if sc is not None else (label or f"{node.op_type}_{i}")
        if scope != previous:
            timeline.append((scope, "enter", live))
            previous = scope
        for o in node.output:
            if o and o not in root and o not in static:
                sizes[o] = nbytes(o)
                live += sizes[o]
        if live > peak:
            peak, at = live, scope
        for name in {root.get(n, n) for n in node.input if n} | {o for o in node.output if o}:
            if name in sizes and last.get(name, -1) <= i and name not in kept:
                live -= sizes.pop(name)
    inputs = sum(nbytes(n) for n in ins)
    return Memory(weights=weights, weights_by_dtype=by_dtype, inputs=inputs, activation_peak=peak,
                  inference_peak=weights + inputs + peak, inference_peak_module=at, timeline=timeline)


def _dtype_name(t: int) -> str:
    """An ONNX element type by PyTorch's name for it (float32, bfloat16, float8_e4m3fn, int4, ...)."""
    from onnx import TensorProto

    try:
        name = TensorProto.DataType.Name(t).lower()
    except ValueError:
        return str(t)
    return _DTYPE_NAMES.get(name, name)


_DTYPE_NAMES = {"float": "float32", "double": "float64", "float16": "float16", "bfloat16": "bfloat16", "bool": "bool",
                "float8e4m3fn": "float8_e4m3fn", "float8e4m3fnuz": "float8_e4m3fnuz", "float8e5m2": "float8_e5m2",
                "float8e5m2fnuz": "float8_e5m2fnuz", "float8e8m0": "float8_e8m0fnu", "float4e2m1": "float4_e2m1fn_x2",
                "complex64": "complex64", "complex128": "complex128", "string": "string"}
