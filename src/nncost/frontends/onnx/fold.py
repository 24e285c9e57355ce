"""Evaluate the integer shape arithmetic of a graph, so shape inference can see through it.

Exporters compute reshape targets inside the graph (``Shape -> Gather -> Concat ->
Reshape``). ONNX's own data propagation gives up on many of these (``Div``, ``Mod``,
``Where``, ``Range``...), leaving every node downstream with an unknown shape. Once the
input dims are known, this module evaluates such small integer tensors with numpy, turns
them into initializers of the (weight-less) inference copy, and lets inference run again.
Only tiny tensors (at most 64 elements) made from known values are evaluated; nothing
here touches weights, and the graph that is counted is never changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["fold_shapes"]

_MAX = 64
Op = Callable[[list[np.ndarray], dict[str, Any]], np.ndarray]


def _int_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if np.issubdtype(a.dtype, np.integer):
        return np.trunc(a / b).astype(a.dtype)  # ONNX integer Div truncates
    return a / b


def _slice(v: list[np.ndarray], at: dict[str, Any]) -> np.ndarray:
    x = v[0]
    starts, ends = v[1], v[2]
    axes = v[3] if len(v) > 3 and v[3] is not None else np.arange(len(starts))
    steps = v[4] if len(v) > 4 and v[4] is not None else np.ones(len(starts), dtype=np.int64)
    idx: list[Any] = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        idx[int(a)] = slice(int(s), int(e), int(st))
    return x[tuple(idx)]


def _unsqueeze(v: list[np.ndarray], at: dict[str, Any]) -> np.ndarray:
    axes = v[1] if len(v) > 1 else at["axes"]
    out = v[0]
    for a in sorted(int(a) % (out.ndim + len(axes)) for a in axes):
        out = np.expand_dims(out, a)
    return out


def _squeeze(v: list[np.ndarray], at: dict[str, Any]) -> np.ndarray:
    axes = v[1] if len(v) > 1 else at.get("axes")
    return np.squeeze(v[0], axis=tuple(int(a) for a in axes) if axes is not None else None)


_NP: dict[int, Any] = {1: np.float32, 6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64}

OPS: dict[str, Op] = {
    "Identity": lambda v, at: v[0],
    "Gather": lambda v, at: np.take(v[0], v[1], axis=int(at.get("axis", 0))),
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Concat": lambda v, at: np.concatenate([np.atleast_1d(x) for x in v], axis=int(at["axis"])),
    "Slice": _slice,
    "Cast": lambda v, at: v[0].astype(_NP.get(int(at["to"]), v[0].dtype)),
    "Add": lambda v, at: v[0] + v[1],
    "Sub": lambda v, at: v[0] - v[1],
    "Mul": lambda v, at: v[0] * v[1],
    "Div": lambda v, at: _int_div(v[0], v[1]),
    "Mod": lambda v, at: np.fmod(v[0], v[1]) if at.get("fmod") else np.mod(v[0], v[1]),
    "Neg": lambda v, at: -v[0],
    "Equal": lambda v, at: np.equal(v[0], v[1]),
    "Less": lambda v, at: np.less(v[0], v[1]),
    "Greater": lambda v, at: np.greater(v[0], v[1]),
    "Not": lambda v, at: np.logical_not(v[0]),
    "Where": lambda v, at: np.where(v[0], v[1], v[2]),
    "Min": lambda v, at: np.minimum.reduce(v),
    "Max": lambda v, at: np.maximum.reduce(v),
    "Range": lambda v, at: np.arange(v[0].item(), v[1].item(), v[2].item()),
    "Reshape": lambda v, at: v[0].reshape([int(d) if d != 0 else v[0].shape[i] for i, d in enumerate(v[1])]),
    "ConstantOfShape": lambda v, at: np.full([int(d) for d in v[0]], _value(at), dtype=np.asarray(_value(at)).dtype),
    "Expand": lambda v, at: v[0] * np.ones([int(d) for d in v[1]], dtype=v[0].dtype),
    "Transpose": lambda v, at: np.transpose(v[0], at.get("perm")),
    "Flatten": lambda v, at: v[0].reshape(int(np.prod(v[0].shape[: int(at.get("axis", 1))])), -1),
    "ReduceProd": lambda v, at: np.prod(v[0], keepdims=bool(at.get("keepdims", 1))),
    "Floor": lambda v, at: np.floor(v[0]),
    "Ceil": lambda v, at: np.ceil(v[0]),
    "Sqrt": lambda v, at: np.sqrt(v[0]),
}


def _value(at: dict[str, Any]) -> Any:
    from onnx import numpy_helper

    t = at.get("value")
    return numpy_helper.to_array(t).reshape(-1)[0] if t is not None else 0.0


def fold_shapes(light: Any, shapes: dict[str, Any], values: dict[str, np.ndarray]) -> int:
    """Evaluate what can be evaluated and add it to ``light`` as initializers; returns how many."""
    from onnx import helper, numpy_helper

    g = light.graph
    init = {t.name for t in g.initializer}
    for t in g.initializer:
        if (t.name not in values and t.data_type in (6, 7, 9) and len(t.dims) <= 1 and t.ByteSize() < 4096
                and t.data_location != 1):  # external (or unread) bytes are never read
            try:
                values[t.name] = numpy_helper.to_array(t)
            except Exception:  # noqa: BLE001 - a damaged constant is simply not folded
                pass
    added = 0
    keep = []
    for node in g.node:
        out = node.output[0] if node.output else ""
        if node.op_type == "Constant" and out not in values:
            a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
            if "value" in a and a["value"].data_type in (6, 7, 9):
                values[out] = numpy_helper.to_array(a["value"])
        if node.op_type == "Shape" and node.input[0] in shapes:
            s = shapes[node.input[0]]
            if s is not None and all(isinstance(d, int) for d in s):
                a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
                values[out] = np.array(s[a.get("start", 0):a.get("end", None)], dtype=np.int64)
        elif node.op_type == "Size" and node.input[0] in shapes:
            s = shapes[node.input[0]]
            if s is not None and all(isinstance(d, int) for d in s):
                values[out] = np.array(int(np.prod(s)), dtype=np.int64)
        elif node.op_type in OPS and out not in values and all(i in values for i in node.input if i):
            try:
                args = [values[i] if i else None for i in node.input]
                attrs = {x.name: helper.get_attribute_value(x) for x in node.attribute}
                result = np.asarray(OPS[node.op_type](args, attrs))  # type: ignore[arg-type]
                if result.size <= _MAX:
                    values[out] = result
            except Exception:  # noqa: BLE001 - anything odd stays unevaluated, as before
                pass
        if out and out in values and out not in init and values[out].size <= _MAX and node.op_type != "Constant":
            t = numpy_helper.from_array(np.asarray(values[out]), out)
            g.initializer.append(t)
            init.add(out)
            added += 1
            continue  # the node is replaced by its value in the inference copy
        keep.append(node)
    if added:
        del g.node[:]
        g.node.extend(keep)
    return added
