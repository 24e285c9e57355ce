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
from ..report import Node, Report, Working
from . import dense, functional, pointwise, spatial  # noqa: F401  (registers the catalogue)
from .base import CATALOGUE, Ctx, bind
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


def analyze_layer(
    expression: str,
    input_shape: Sequence[int] | Sequence[Sequence[int]] | None = None,
    *,
    flops: str | FlopsConvention = FlopsConvention.SEED,
    rnn_bias: str | RnnBias = RnnBias.TORCH,
) -> Report:
    """Cost of one layer such as ``"nn.Conv2d(3, 64, kernel_size=3, padding=1)"``.

    ``input_shape`` is one shape, or a list of shapes for layers with several inputs
    (``matmul``, ``einsum``, ``scaled_dot_product_attention``).
    """
    flops_conv = FlopsConvention(flops)
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
    working = list(res.working)
    if flops_conv is FlopsConvention.TWO_MAC:
        working = [w for w in working if w.name != "flops"]
        working.append(Working("flops", "2·MACs (--flops 2mac)", f"2·{cost.macs}", cost.flops))
    node = Node(
        path="",
        type=call.name,
        depth=0,
        params=res.params,
        macs=cost.macs,
        flops=cost.flops,
        input_shapes=[list(s) for s in shapes],
        output_shapes=[list(s) for s in res.out_shapes],
        calls=1,
    )
    return Report(
        model=expression.strip(),
        frontend="layer",
        conventions=conventions(flops_conv, bias_conv),
        inputs=[{"name": f"input{i}", "shape": list(s), "dtype": None} for i, s in enumerate(shapes)],
        layers=[node],
        notes=res.notes,
        working=working,
    )
