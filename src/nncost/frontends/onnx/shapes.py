"""Tensor shapes of every value in the graph: bound inputs, then ONNX shape inference."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import ShapeError

__all__ = ["Dim", "PROPAGATED", "Shape", "bind_inputs", "infer", "propagate"]

Dim = int | str | None  # a size, a symbol (dim_param), or unknown
Shape = tuple[Dim, ...]


def _dims(tensor_type: Any) -> Shape | None:
    if not tensor_type.HasField("shape"):
        return None
    out: list[Dim] = []
    for d in tensor_type.shape.dim:
        if d.HasField("dim_value"):
            out.append(int(d.dim_value))
        elif d.HasField("dim_param"):
            out.append(str(d.dim_param))
        else:
            out.append(None)
    return tuple(out)


def graph_inputs(model: Any) -> list[Any]:
    init = {t.name for t in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in init]


def bind_inputs(model: Any, shapes: Mapping[str, Sequence[int]], positional: Sequence[Sequence[int]] = ()) -> dict[str, int]:
    """Write user shapes into the graph inputs (in place on ``model``, a copy of the user's).

    Returns the symbol bindings made (dim_param -> size), so other tensors using the same
    symbol are bound too.
    """
    inputs = graph_inputs(model)
    by_name = {i.name: i for i in inputs}
    wanted = dict(shapes)
    for i, s in enumerate(positional):
        if i >= len(inputs):
            raise ShapeError(f"the model has {len(inputs)} inputs, got {len(positional)} --input-shape values")
        wanted[inputs[i].name] = s
    bindings: dict[str, int] = {}
    for name, shape in wanted.items():
        if name not in by_name:
            raise ShapeError(f"the model has no input {name!r}; its inputs are {', '.join(by_name) or 'none'}")
        dims = by_name[name].type.tensor_type.shape.dim
        if len(dims) and len(dims) != len(shape):
            raise ShapeError(f"input {name!r} has {len(dims)} dims, got shape {list(shape)}")
        if not len(dims):
            for _ in shape:
                dims.add()
        for d, size in zip(dims, shape):
            if d.HasField("dim_value") and d.dim_value != size:
                raise ShapeError(f"input {name!r} has a fixed size {d.dim_value} where {size} was given")
            if d.HasField("dim_param"):
                bindings[d.dim_param] = int(size)
            d.dim_value = int(size)
    return bindings


def light_copy(model: Any, keep_bytes: int = 4096, declare: bool = False) -> Any:
    """The model without the bytes of its large initializers (their dims and types stay).

    Shape inference needs the values of small integer tensors (shape arithmetic), never
    those of weights; serialising a 350 MB model for it would dominate the run time.
    With ``declare``, stripped weights become declared graph inputs instead (same name,
    type and shape), which is what the checker accepts.
    """
    import onnx

    light = onnx.ModelProto()
    for field in ("ir_version", "producer_name", "producer_version", "domain", "model_version"):
        setattr(light, field, getattr(model, field))
    light.opset_import.extend(model.opset_import)
    g, lg = model.graph, light.graph
    lg.name = g.name
    lg.node.extend(g.node)
    lg.input.extend(g.input)
    lg.output.extend(g.output)
    lg.value_info.extend(g.value_info)
    light.functions.extend(model.functions)
    declared = {i.name for i in g.input}
    for t in g.initializer:
        if t.ByteSize() <= keep_bytes and t.data_location != onnx.TensorProto.EXTERNAL:  # external bytes are never read
            lg.initializer.append(t)
        elif declare:
            if t.name not in declared:
                lg.input.append(onnx.helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
        else:
            lt = lg.initializer.add()
            lt.name, lt.data_type = t.name, t.data_type
            lt.dims.extend(t.dims)
    return light


def free_symbols(model: Any) -> list[str]:
    """dim_params of the graph inputs that no shape has bound, in order of appearance."""
    out: list[str] = []
    for i in graph_inputs(model):
        for d in i.type.tensor_type.shape.dim:
            if d.HasField("dim_param") and d.dim_param not in out:
                out.append(str(d.dim_param))
    return out


def bind_symbols(model: Any, values: Mapping[str, int]) -> None:
    """Give every graph-input dim named by a symbol in ``values`` that value (in place)."""
    for i in graph_inputs(model):
        for d in i.type.tensor_type.shape.dim:
            if d.HasField("dim_param") and d.dim_param in values:
                d.dim_value = int(values[d.dim_param])


def infer(model: Any) -> tuple[dict[str, Shape], dict[str, int], dict[str, Any]]:
    """(name -> shape, name -> element type, name -> value) for inputs, initializers and
    inferred values; the values are the small integer tensors the shape arithmetic folded."""
    import onnx

    from .fold import fold_shapes

    light = light_copy(model)
    values: dict[str, Any] = {}
    inferred = light
    for _ in range(64):  # infer, evaluate the shape arithmetic it exposed, infer again (until nothing new)
        try:
            inferred = onnx.shape_inference.infer_shapes(light, strict_mode=False, data_prop=True)
        except Exception:  # inference failing on one node must not lose the rest: keep what we have
            break
        known = _collect(inferred)[0]
        if not fold_shapes(light, known, values):
            break
    return (*_collect(inferred), values)


def _collect(inferred: Any) -> tuple[dict[str, Shape], dict[str, int]]:
    shapes: dict[str, Shape] = {}
    types: dict[str, int] = {}
    graphs = [inferred.graph]
    while graphs:  # the main graph and every subgraph (If branches, Loop and Scan bodies)
        g = graphs.pop()
        for vi in [*g.input, *g.value_info, *g.output]:
            if vi.type.HasField("tensor_type"):
                tt = vi.type.tensor_type
                if tt.elem_type:
                    types[vi.name] = int(tt.elem_type)
                s = _dims(tt)
                if s is not None:
                    shapes[vi.name] = s
        for t in g.initializer:
            shapes[t.name] = tuple(int(d) for d in t.dims)
            types[t.name] = int(t.data_type)
        for n in g.node:
            for a in n.attribute:
                if n.op_type == "Constant" and a.name == "value":
                    shapes[n.output[0]] = tuple(int(d) for d in a.t.dims)
                    types[n.output[0]] = int(a.t.data_type)
                if a.type == 5:
                    graphs.append(a.g)
    return shapes, types


SAME_SHAPE = frozenset({
    "Identity", "Cast", "CastLike", "Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "Tanh", "Exp", "Log", "Sqrt", "Neg", "Abs",
    "Reciprocal", "Softmax", "LogSoftmax", "Erf", "Sin", "Cos", "Floor", "Ceil", "Round", "Not", "Sign", "Elu", "Selu", "Gelu",
    "Softplus", "Softsign", "HardSwish", "Mish", "IsNaN", "IsInf", "Clip", "Celu", "ThresholdedRelu", "CumSum", "Dropout",
})
BROADCAST = frozenset({
    "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Where", "Equal", "Less", "LessOrEqual", "Greater",
    "GreaterOrEqual", "And", "Or", "Xor", "Mod", "PRelu", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor",
})

PROPAGATED = SAME_SHAPE | BROADCAST | {"MatMul", "Unsqueeze", "Squeeze", "Transpose", "Reshape", "Expand", "ArgMax", "ArgMin",
                                      "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                                      "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"}


def propagate(op: str, ins: Sequence[Shape | None], attrs: Mapping[str, Any], value: Any) -> Shape | None:
    """The first output's shape of a node that ONNX shape inference left unknown, for the
    ops whose output shape follows from their input shapes (and small constant inputs,
    read by ``value(i)``). Inference gives up inside Scan and Loop bodies that read
    constants of the enclosing graph; this fills those gaps as the graph is walked."""
    if not ins or any(not isinstance(d, int) for s in ins if s is not None for d in s):
        return None
    ints: list[tuple[int, ...] | None] = [None if s is None else tuple(int(d) for d in s) for s in ins]  # type: ignore[arg-type]
    known = [s for s in ints if s is not None]
    try:
        return _propagate(op, ints, known, attrs, value)
    except (ValueError, IndexError, TypeError, StopIteration):
        return None


def _propagate(op: str, ins: list[tuple[int, ...] | None], known: list[tuple[int, ...]], attrs: Mapping[str, Any],
               value: Any) -> Shape | None:
    import numpy as np

    if op in SAME_SHAPE:
        return ins[0]
    if op in BROADCAST:
        if not known or len(known) != len(ins):
            return None
        return tuple(int(d) for d in np.broadcast_shapes(*known))
    x = ins[0]
    if x is None:
        return None
    b = ins[1] if len(ins) > 1 else None
    if op == "MatMul" and b is not None:
        if not x or not b:
            return None
        a2 = (1, *x) if len(x) == 1 else x
        b2 = (*b, 1) if len(b) == 1 else b
        batch = tuple(int(d) for d in np.broadcast_shapes(a2[:-2], b2[:-2]))
        return (*batch, *([] if len(x) == 1 else [a2[-2]]), *([] if len(b) == 1 else [b2[-1]]))
    if op in ("Unsqueeze", "Squeeze"):
        axes = value(1) if len(ins) > 1 else attrs.get("axes")
        if axes is None:
            if op == "Squeeze" and len(ins) == 1:
                return tuple(d for d in x if d != 1)
            return None
        axes = [int(a) for a in np.atleast_1d(axes)]
        if op == "Squeeze":
            drop = {a % len(x) for a in axes}
            return tuple(d for i, d in enumerate(x) if i not in drop)
        rank = len(x) + len(axes)
        where = {a % rank for a in axes}
        rest = iter(x)
        return tuple(1 if i in where else next(rest) for i in range(rank))  # noqa: B031
    if op == "Transpose":
        perm = attrs.get("perm") or list(range(len(x)))[::-1]
        return tuple(x[int(p)] for p in perm)
    if op.startswith("Reduce") or op in ("ArgMax", "ArgMin"):
        if op in ("ArgMax", "ArgMin"):
            axes_v: Any = [attrs.get("axis", 0)]
        elif len(ins) > 1 and ins[1] is not None:
            axes_v = [] if ins[1] == (0,) else value(1)
        else:
            axes_v = attrs.get("axes", [])
        if axes_v is None:
            return None
        axes_l = [int(a) % len(x) for a in np.atleast_1d(axes_v)] if len(x) else []
        if not axes_l and attrs.get("noop_with_empty_axes"):
            return x
        drop = set(axes_l) or set(range(len(x)))
        keep = attrs.get("keepdims", 1)
        return tuple(1 if i in drop else d for i, d in enumerate(x) if keep or i not in drop)
    if op == "Expand":
        target = value(1)
        if target is None:
            return None
        return tuple(int(d) for d in np.broadcast_shapes(x, tuple(int(d) for d in np.atleast_1d(target))))
    if op == "Reshape":
        target = value(1)
        if target is None:
            return None
        dims = [int(d) for d in np.atleast_1d(target)]
        out = [x[i] if d == 0 and not attrs.get("allowzero") else d for i, d in enumerate(dims)]
        if out.count(-1) == 1:
            known_part = int(np.prod([d for d in out if d != -1]))
            out[out.index(-1)] = int(np.prod(x)) // known_part if known_part else 0
        return tuple(out) if all(d >= 0 for d in out) else None
    return None
