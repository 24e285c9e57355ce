"""One aggregation for every frontend: each node's own numbers -> its subtree's totals.

A frontend records what each module, graph scope or layer did itself (an :class:`Own`),
lists its nodes in pre-order (:class:`Entry`), and :func:`build_layers` sums every
subtree once, from the leaves up, into the report's :class:`~nncost.report.Node` s. The
lower-bound warning (or the ``strict`` error) for ops that were not counted is
:func:`check_unsupported`, shared too. A new column is added here once — to ``Own``,
the accumulator and ``Node`` — and every frontend that fills it gets it summed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .cost import ZERO, Cost, FlopsConvention
from .errors import UnsupportedError, warn
from .report import Node, ParamCount

__all__ = ["Own", "Entry", "build_layers", "with_ancestors", "check_unsupported", "depth_of", "subtree_sums"]


@dataclass
class Own:
    """What one node did itself (its children not included); costs before the FLOPs convention."""

    params: ParamCount = field(default_factory=ParamCount)
    forward: Cost = ZERO
    backward: Cost = ZERO
    read_bytes: int = 0  # bytes its ops read: inputs and weights, each operand once per op
    write_bytes: int = 0  # bytes its ops wrote
    unsupported: Mapping[str, int] = field(default_factory=dict)  # op -> times it ran here with no formula
    by_dtype: Mapping[str, Cost] = field(default_factory=dict)  # forward cost by the dtype its ops ran in
    saved_bytes: int = 0  # bytes autograd saved for backward while it ran


@dataclass
class Entry:
    """One node of the tree, in pre-order; its parent is the nearest listed dotted prefix."""

    path: str  # "" is the root, listed first
    type: str
    own: Own
    input_shapes: list[list[Any]] = field(default_factory=list)
    output_shapes: list[list[Any]] = field(default_factory=list)
    calls: int = 0
    output_bytes: int | None = None  # its outputs' bytes (a node's own: not summed)


class _Acc:
    """Running subtree totals of one node (plain ints: the torch frontend sums thousands of modules)."""

    __slots__ = ("tr", "nt", "bf", "fm", "ff", "bm", "bfl", "rb", "wb", "sv", "uns", "dt")

    def __init__(self, o: Own) -> None:
        self.tr, self.nt, self.bf = o.params.trainable, o.params.non_trainable, o.params.buffers
        self.fm, self.ff, self.bm, self.bfl = o.forward.macs, o.forward.flops, o.backward.macs, o.backward.flops
        self.rb, self.wb, self.sv = o.read_bytes, o.write_bytes, o.saved_bytes
        self.uns: dict[str, int] = dict(o.unsupported)
        self.dt: dict[str, list[int]] = {k: [c.macs, c.flops] for k, c in o.by_dtype.items()}

    def add(self, c: _Acc) -> None:
        self.tr += c.tr
        self.nt += c.nt
        self.bf += c.bf
        self.fm += c.fm
        self.ff += c.ff
        self.bm += c.bm
        self.bfl += c.bfl
        self.rb += c.rb
        self.wb += c.wb
        self.sv += c.sv
        for op, n in c.uns.items():
            self.uns[op] = self.uns.get(op, 0) + n
        for k, (m, f) in c.dt.items():
            d = self.dt.setdefault(k, [0, 0])
            d[0] += m
            d[1] += f


def depth_of(path: str) -> int:
    return 0 if not path else path.count(".") + 1


def _parent(path: str, index: Mapping[str, int]) -> int:
    p = path
    while p:
        p = p.rpartition(".")[0]
        if p in index:
            return index[p]
    return 0


def build_layers(entries: Sequence[Entry], flops: FlopsConvention, *, traffic: bool = True,
                 saved: bool = False) -> list[Node]:
    """The report's nodes: every entry with its subtree's totals (``entries[0]`` is the root).

    ``traffic=False`` leaves ``read_bytes``/``write_bytes`` as None (a frontend that did not
    compute them), ``saved=False`` leaves ``saved_activation_bytes`` None (no backward pass
    was followed); the FLOPs convention is applied to the summed costs.
    """
    if not entries or entries[0].path != "":
        raise ValueError("build_layers needs the root (path '') first")
    index = {e.path: i for i, e in enumerate(entries)}
    acc = [_Acc(e.own) for e in entries]
    for i in range(len(entries) - 1, 0, -1):
        acc[_parent(entries[i].path, index)].add(acc[i])
    nodes = []
    for e, a in zip(entries, acc):
        fwd, bwd = flops.apply(Cost(a.fm, a.ff)), flops.apply(Cost(a.bm, a.bfl))
        by_dtype = {}
        for k in sorted(a.dt):
            c = flops.apply(Cost(*a.dt[k]))
            by_dtype[k] = {"macs": c.macs, "flops": c.flops}
        nodes.append(Node(
            path=e.path, type=e.type, depth=depth_of(e.path), params=ParamCount(a.tr, a.nt, a.bf),
            macs=fwd.macs, flops=fwd.flops, input_shapes=e.input_shapes, output_shapes=e.output_shapes, calls=e.calls,
            unsupported=a.uns, backward_macs=bwd.macs, backward_flops=bwd.flops,
            read_bytes=a.rb if traffic else None, write_bytes=a.wb if traffic else None, by_dtype=by_dtype,
            output_bytes=e.output_bytes, saved_activation_bytes=a.sv if saved else None,
        ))
    return nodes


def subtree_sums(paths: Sequence[str], own: Mapping[str, Sequence[float]], width: int) -> list[list[float]]:
    """For each node of ``paths`` (pre-order, the root ``""`` first), the sum of ``own`` over its
    subtree: numbers a later pass (the roofline's times) attaches to modules, rolled up the way
    build_layers rolls up counts. A path in ``own`` that is not a node counts for its nearest
    ancestor that is."""
    index = {p: i for i, p in enumerate(paths)}
    acc = [[0.0] * width for _ in paths]
    for path, values in own.items():
        row = acc[index[path] if path in index else _parent(path, index)]
        for k in range(width):
            row[k] += values[k]
    for i in range(len(paths) - 1, 0, -1):
        up = acc[_parent(paths[i], index)]
        for k in range(width):
            up[k] += acc[i][k]
    return acc


def with_ancestors(paths: Iterable[str]) -> list[str]:
    """``paths``, every ancestor of each and the root, in pre-order (children after their parent, by name)."""
    full: set[str] = {""}
    for p in paths:
        while p and p not in full:
            full.add(p)
            p = p.rpartition(".")[0]
    return sorted(full, key=lambda p: p.split(".") if p else [])


def check_unsupported(unsupported: Mapping[str, int], strict: bool, what: str, stacklevel: int = 3) -> None:
    """Ops with no formula: an error with ``strict``, else one warning that the totals are lower bounds."""
    if not unsupported:
        return
    ops = ", ".join(f"{op} x{n}" for op, n in sorted(unsupported.items()))
    if strict:
        raise UnsupportedError(f"{what} not counted: {ops}")
    warn(f"{what} not counted (totals are lower bounds): {ops}", stacklevel=stacklevel)
