"""The layer calculator: one layer, written as in PyTorch code, with its working shown.

>>> r = analyze_layer("nn.Linear(300, 100)", input_shape=(1, 300))
>>> r.total.params, r.total.macs, r.total.flops
(30100, 30000, 60000)

Works without torch: the catalogue binds PyTorch's constructor signatures to the pure
formulas in :mod:`nncost.formulas`.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from ..conventions import conventions
from ..cost import FlopsConvention, RnnBias
from ..errors import LayerSpecError, ShapeError
from ..formulas.memory import float_dtype, gather_read_bytes, tensor_bytes
from ..formulas.shapes import prod
from ..report import Memory, Report, Working
from ..tree import Entry, Own, build_layers
from . import dense, functional, pointwise, spatial  # noqa: F401  (registers the catalogue)
from .base import CATALOGUE, Ctx, LayerResult, W, bind, dims, mul
from .parse import parse_layer

__all__ = ["analyze_layer", "known_layers"]


def known_layers() -> list[str]:
    """Every name the calculator accepts (PyTorch class and functional names)."""
    return sorted(CATALOGUE.keys())


def _shapes(input_shape: Sequence[int] | Sequence[Sequence[int]] | None) -> tuple[tuple[int, ...], ...]:
    if input_shape is None:
        return ()
    items: list[Any] = list(input_shape)
    if items and all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        items = [tuple(items)]
    out: list[tuple[int, ...]] = []
    for s in items:
        if isinstance(s, (int, str)) or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in s):
            raise ShapeError(f"input shape must be a sequence of non-negative ints, got {s!r}")
        out.append(tuple(s))
    return tuple(out)


_VIEWS = frozenset({"Flatten", "flatten", "Identity", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                    "dropout"})  # in eval: the input itself, nothing moves
_GATHERS = frozenset({"Embedding", "embedding"})
_INDEXED = _GATHERS | {"EmbeddingBag"}  # layers whose input is int64 ids
_INDEX_BYTES = 8  # int64 indices


def _sum(terms: Sequence[str]) -> str:
    return " + ".join(terms) if terms else "0"


def _traffic(name: str, shapes: Sequence[Sequence[int]], res: LayerResult, item: int) -> list[Working]:
    """The working of the bytes the layer reads and writes as PyTorch runs it (formulas/memory.py)."""
    if name in _VIEWS:
        return [W("read_bytes", "0 (in eval a view of its input: nothing moves)", "0", 0),
                W("write_bytes", "0", "0", 0)]
    b = 8 * item
    outs = [dims(s) for s in res.out_shapes]
    out = sum(tensor_bytes(prod(s), b) for s in res.out_shapes)
    if name == "EmbeddingBag":  # as nn.EmbeddingBag runs a 2-D input: it makes one int64 offset per bag, then reads
        # the ids, the offsets and the rows it reduces (not the table), and writes the reduced rows
        (bags, per), d = shapes[0], res.out_shapes[0][-1]
        read = gather_read_bytes((bags * per + bags) * _INDEX_BYTES, tensor_bytes(bags * per * d, b))
        written = out + bags * _INDEX_BYTES
        return [W("read_bytes", "(ids + offsets)·8 + ids·dim·bytes (the rows reduced, not the table)",
                  f"({mul(bags, per)} + {bags})·{_INDEX_BYTES} + {mul(bags, per, d)}·{item}", read),
                W("write_bytes", "outputs·bytes + offsets·8 (one per bag, made from the 2-D input)",
                  f"({_sum(outs)})·{item} + {bags}·{_INDEX_BYTES}", written)]
    if name in _GATHERS:  # int64 indices, and only the rows copied out of the table
        index = sum(tensor_bytes(prod(s), 8 * _INDEX_BYTES) for s in shapes)
        read = gather_read_bytes(index, out)
        return [W("read_bytes", "indices·8 + outputs·bytes (only the rows looked up)",
                  f"({_sum([dims(s) for s in shapes])})·{_INDEX_BYTES} + ({_sum(outs)})·{item}", read),
                W("write_bytes", "outputs·bytes", f"({_sum(outs)})·{item}", out)]
    weights = res.params.total + res.params.buffers
    read = sum(tensor_bytes(prod(s), b) for s in shapes) + tensor_bytes(weights, b)
    ins = [dims(s) for s in shapes] + ([str(weights)] if weights else [])
    r_formula, r_sub = "(inputs + weights + buffers)·bytes", f"({_sum(ins)})·{item}"
    w_formula, w_sub, written = "outputs·bytes", f"({_sum(outs)})·{item}", out
    if name.lower().startswith(("maxpool", "max_pool")):  # PyTorch's kernel (meta, CUDA) also writes int64 argmax indices
        written += sum(tensor_bytes(prod(s), 8 * _INDEX_BYTES) for s in res.out_shapes)
        w_formula, w_sub = "outputs·bytes + outputs·8 (int64 argmax indices)", f"{w_sub} + ({_sum(outs)})·{_INDEX_BYTES}"
    if res.stats:  # a norm's mean and 1/std, in float32 or in the layer's dtype
        size = 4 if res.stats_fp32 else item
        written += tensor_bytes(res.stats, 8 * size)
        kind = "fp32 " if res.stats_fp32 else ""
        w_formula, w_sub = f"outputs·bytes + statistics·{size} ({kind}mean, 1/std)", f"{w_sub} + {res.stats}·{size}"
    if res.states:  # created as zeros (written), read by the recurrence, final states written
        st = [dims(s) for s in res.states]
        states = sum(tensor_bytes(prod(s), b) for s in res.states)
        read += states
        written += 2 * states
        r_formula, r_sub = "(inputs + weights + initial states)·bytes", f"({_sum(ins + st)})·{item}"
        w_formula, w_sub = "(outputs + 2·states)·bytes (the zero states, the final states)", f"({_sum(outs)} + 2·({_sum(st)}))·{item}"
    return [W("read_bytes", r_formula, r_sub, read), W("write_bytes", w_formula, w_sub, written)]


def analyze_layer(
    expression: str,
    input_shape: Sequence[int] | Sequence[Sequence[int]] | None = None,
    *,
    flops: str | FlopsConvention = FlopsConvention.SEED,
    rnn_bias: str | RnnBias = RnnBias.TORCH,
    dtype: str = "float32",
) -> Report:
    """Cost of one layer such as ``"nn.Conv2d(3, 64, kernel_size=3, padding=1)"``.

    ``input_shape`` is one shape, or a list of shapes for layers with several inputs
    (``matmul``, ``einsum``, ``scaled_dot_product_attention``). ``dtype`` (float32,
    bf16, fp16, fp64) sizes the bytes read and written.
    """
    flops_conv = FlopsConvention(flops)
    dtype_name, item = float_dtype(dtype)
    bias_conv = RnnBias(rnn_bias)
    call = parse_layer(expression)
    entry = CATALOGUE.binding(call.name)
    if entry is None:
        close = difflib.get_close_matches(call.name, known_layers(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known layers: {', '.join(known_layers())}"
        raise LayerSpecError(f"unknown layer {call.name!r}{hint}")
    shapes = _shapes(input_shape)
    if not shapes:
        raise ShapeError(f"{call.name} needs an input shape, e.g. --input-shape 1,3,224,224")
    ctx = Ctx(call.name, shapes, bias_conv)
    res = bind(entry, ctx, call.args, call.kwargs)  # type: ignore[arg-type]
    cost = flops_conv.apply(res.cost)
    traffic = _traffic(call.name, shapes, res, item)
    working = list(res.working) + traffic
    if flops_conv is FlopsConvention.TWO_MAC:
        working = [w for w in working if w.name != "flops"]
        working.append(Working("flops", "2·MACs (--flops 2mac)", f"2·{cost.macs}", cost.flops))
    own = Own(params=res.params, forward=res.cost, read_bytes=traffic[0].value, write_bytes=traffic[1].value,
              by_dtype={dtype_name: res.cost} if res.cost.macs or res.cost.flops else {})
    node = build_layers([Entry("", call.name, own, [list(s) for s in shapes], [list(s) for s in res.out_shapes], 1)],
                        flops_conv)[0]
    weights, buffers = tensor_bytes(res.params.total, 8 * item), tensor_bytes(res.params.buffers, 8 * item)
    ins = sum(tensor_bytes(prod(x), 8 * (_INDEX_BYTES if call.name in _INDEXED else item)) for x in shapes)
    written = traffic[1].value  # everything the layer writes is alive when it returns
    memory = Memory(weights=weights, buffers=buffers, weights_by_dtype={dtype_name: weights + buffers} if weights + buffers else {},
                    inputs=ins, activation_peak=written, inference_peak=weights + buffers + ins + written,
                    inference_peak_module=call.name, timeline=[(call.name, "enter", 0), (call.name, "exit", written)])
    report = Report(
        memory=memory,
        model=expression.strip(),
        frontend="layer",
        conventions=conventions(flops_conv, bias_conv, dtype=dtype_name),
        inputs=[{"name": f"input{i}", "shape": list(s), "dtype": "int64" if call.name in _INDEXED else dtype_name}
                for i, s in enumerate(shapes)],
        layers=[node],
        notes=res.notes,
        working=working,
    )
    # the layer as one op, for the roofline (its name gives the op class: Conv2d, Linear, BatchNorm2d, ...)
    report.op_logs["model"] = [("", call.name, res.cost.macs, res.cost.flops, traffic[0].value, traffic[1].value, dtype_name,
                                False)]
    return report
