"""The report every frontend produces: numbers and structure, no rendering.

JSON schema (``SCHEMA_VERSION``) is documented in docs/report.md. Renderers in
:mod:`nncost.render` consume a :class:`Report`; the data model never imports them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .cost import Cost
from .formulas.memory import intensity

__all__ = ["SCHEMA_VERSION", "ParamCount", "Node", "Totals", "Working", "Memory", "Report"]

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ParamCount:
    """Parameter elements, each counted once even when shared or tied."""

    trainable: int = 0  # parameters with requires_grad
    non_trainable: int = 0  # frozen parameters (requires_grad=False)
    buffers: int = 0  # floating-point buffers: running statistics and the like

    @property
    def total(self) -> int:
        """trainable + non_trainable (buffers are reported on their own)."""
        return self.trainable + self.non_trainable

    def __add__(self, other: ParamCount) -> ParamCount:
        return ParamCount(
            self.trainable + other.trainable,
            self.non_trainable + other.non_trainable,
            self.buffers + other.buffers,
        )


@dataclass
class Node:
    """One module / layer / graph scope; its numbers include its children's."""

    path: str  # dotted module path; "" is the root
    type: str  # class name or op type
    depth: int  # 0 for the root
    params: ParamCount = field(default_factory=ParamCount)
    macs: int = 0  # multiply-accumulates
    flops: int = 0  # floating-point operations (convention in Report.conventions)
    input_shapes: list[list[Any]] = field(default_factory=list)  # ints; ONNX may leave a symbol (str) or None
    output_shapes: list[list[Any]] = field(default_factory=list)
    calls: int = 0  # times the module ran in the pass
    unsupported: dict[str, int] = field(default_factory=dict)  # op -> count, in this subtree
    backward_macs: int = 0  # when a backward pass was counted
    backward_flops: int = 0
    read_bytes: int | None = None  # bytes its ops read (inputs and weights, each operand once per op); None: not computed
    write_bytes: int | None = None  # bytes its ops wrote; None: not computed
    by_dtype: dict[str, dict[str, int]] = field(default_factory=dict)  # dtype ops ran in -> {"macs", "flops"} (forward)
    output_bytes: int | None = None  # bytes of its outputs (first call; not a sum over children)
    saved_activation_bytes: int | None = None  # bytes autograd saved for backward in this subtree (with a backward pass)
    time_s: float | None = None  # roofline time of its forward ops on the chosen hardware (nncost.roofline)
    bound: str | None = None  # "compute" or "memory": which roof holds most of that time
    intensity: float | None = None  # compute FLOPs (2 per multiply-add) per byte moved, as the roofline reads it
    measured_time_s: float | None = None  # median wall time of the module on the real device (--measure)
    roofline_fraction: float | None = None  # time_s / measured_time_s: how close the real run comes to the roof
    achieved_flops_per_s: float | None = None  # its compute FLOPs over measured_time_s
    achieved_bytes_per_s: float | None = None  # its bytes moved over measured_time_s

    @property
    def cost(self) -> Cost:
        return Cost(self.macs, self.flops)

    @property
    def arithmetic_intensity(self) -> float | None:
        """Forward FLOPs per byte of memory traffic (read + written); None where bytes are unknown or zero."""
        return intensity(self.flops, self.read_bytes, self.write_bytes)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        p = self.params
        d["params"] = p.total
        d["trainable_params"] = p.trainable
        d["non_trainable_params"] = p.non_trainable
        d["buffers"] = p.buffers
        d["arithmetic_intensity"] = self.arithmetic_intensity
        return d


@dataclass(frozen=True)
class Totals:
    """The whole model's numbers."""

    params: int  # trainable + non-trainable, shared/tied counted once
    trainable_params: int
    non_trainable_params: int
    buffers: int
    macs: int
    flops: int
    backward_macs: int = 0  # 0 unless the report counted a backward pass
    backward_flops: int = 0
    read_bytes: int | None = None  # memory traffic of every op (None where the frontend does not compute it)
    write_bytes: int | None = None
    by_dtype: dict[str, dict[str, int]] = field(default_factory=dict)  # forward MACs and FLOPs by the dtype ops ran in

    @property
    def arithmetic_intensity(self) -> float | None:
        return intensity(self.flops, self.read_bytes, self.write_bytes)

    @property
    def train_macs(self) -> int:
        return self.macs + self.backward_macs

    @property
    def train_flops(self) -> int:
        return self.flops + self.backward_flops


@dataclass(frozen=True)
class Working:
    """One line of shown working: ``name = formula = substituted = value``."""

    name: str  # e.g. "params"
    formula: str  # symbolic, e.g. "(k_w·k_h·C_in + 1)·C_out"
    substituted: str  # the same with numbers, e.g. "(3·3·3 + 1)·64"
    value: int


@dataclass
class Memory:
    """Where the memory goes (docs/memory.md), in bytes. Training terms are None without a backward pass."""

    weights: int  # parameters at the dtype the model runs in, shared ones once
    inputs: int  # the example inputs
    activation_peak: int  # most bytes of tensors made by the forward alive at once (inference: no_grad)
    inference_peak: int  # weights + buffers + inputs + activation_peak
    inference_peak_module: str  # the module running when the peak was reached
    timeline: list[tuple[str, str, int]] = field(default_factory=list)  # (module, enter|exit, live activation bytes)
    buffers: int = 0  # buffers (running statistics, rotary tables) at their dtype
    weights_by_dtype: dict[str, int] = field(default_factory=dict)  # parameters and buffers, bytes by dtype
    optimizer: str | None = None
    precision: str | None = None
    gradients: int | None = None
    master_weights: int | None = None  # fp32 copies kept by a mixed precision (0 otherwise)
    optimizer_states: int | None = None
    saved_activations: int | None = None  # what autograd saved for backward, each storage once
    optimizer_step_transient: int | None = None  # temporaries of the optimizer step (its largest parameter)
    training_peak: int | None = None
    training_peak_module: str | None = None
    checkpoint: str | None = None  # the activation-checkpointing pattern, when given
    parallel: dict[str, Any] | None = None  # per-GPU training memory under --tp/--pp/--dp/--zero (hf decoder LMs)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["timeline"] = [list(e) for e in self.timeline]
        return d


@dataclass
class Report:
    """What a network (or one layer) costs."""

    model: str
    frontend: str  # torch | onnx | layer | hf
    conventions: dict[str, Any]
    inputs: list[dict[str, Any]]
    layers: list[Node]  # pre-order; layers[0] is the root
    unsupported: dict[str, int] = field(default_factory=dict)  # op -> count (whole model)
    ignored: dict[str, int] = field(default_factory=dict)  # op -> count of free ops seen
    notes: list[str] = field(default_factory=list)
    working: list[Working] = field(default_factory=list)  # the calculator's --explain
    extra: dict[str, Any] = field(default_factory=dict)  # frontend-specific sections
    memory: Memory | None = None  # the memory view, where the frontend computes it
    roofline: dict[str, Any] | None = None  # time on an accelerator (nncost.roofline), when asked for
    op_logs: dict[str, list[Any]] = field(default_factory=dict, repr=False)  # "model" (and "decode"): every op counted

    @property
    def root(self) -> Node:
        return self.layers[0]

    @property
    def total(self) -> Totals:
        r = self.root
        return Totals(
            params=r.params.total,
            trainable_params=r.params.trainable,
            non_trainable_params=r.params.non_trainable,
            buffers=r.params.buffers,
            macs=r.macs,
            flops=r.flops,
            backward_macs=r.backward_macs,
            backward_flops=r.backward_flops,
            read_bytes=r.read_bytes,
            write_bytes=r.write_bytes,
            by_dtype=r.by_dtype,
        )

    def __iter__(self) -> Iterator[Node]:
        return iter(self.layers)

    def layer(self, path: str) -> Node:
        """The node at ``path`` (KeyError names the known paths if absent)."""
        for node in self.layers:
            if node.path == path:
                return node
        raise KeyError(f"no layer {path!r}; known: {', '.join(n.path for n in self.layers[:20])}")

    def with_depth(self, depth: int | None) -> Report:
        """A copy keeping only nodes at ``depth`` or shallower (totals unchanged)."""
        if depth is None:
            return self
        return replace(self, layers=[n for n in self.layers if n.depth <= depth])

    # -- serialisation (the renderers live in nncost.render) --------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "model": self.model,
            "frontend": self.frontend,
            "conventions": self.conventions,
            "inputs": self.inputs,
            "total": {**asdict(self.total), "train_macs": self.total.train_macs, "train_flops": self.total.train_flops,
                      "arithmetic_intensity": self.total.arithmetic_intensity},
            "unsupported": self.unsupported,
            "ignored": self.ignored,
            "notes": self.notes,
            "working": [asdict(w) for w in self.working],
            "layers": [self._layer_dict(n) for n in self.layers],
            **({"memory": self.memory.to_dict()} if self.memory is not None else {}),
            **({"roofline": self.roofline} if self.roofline is not None else {}),
            **self.extra,
        }

    _TIME_FIELDS = ("time_s", "bound", "intensity")
    _MEASURED_FIELDS = ("measured_time_s", "roofline_fraction", "achieved_flops_per_s", "achieved_bytes_per_s")

    def _layer_dict(self, node: Node) -> dict[str, Any]:
        """A layer's fields; the time ones only when a roofline was computed (and measured)."""
        d = node.to_dict()
        drop: tuple[str, ...] = () if self.roofline is not None else self._TIME_FIELDS
        if self.roofline is None or "measured_latency_s" not in self.roofline:
            drop += self._MEASURED_FIELDS
        for k in drop:
            d.pop(k, None)
        return d

    def _repr_html_(self) -> str:
        """Jupyter: the totals and the largest modules (the HTML report's components, static)."""
        from .render.html import to_html

        return to_html(self, compact=True)

    def to_html(self) -> str:
        """One self-contained HTML page: totals, charts, the module tree, a sortable layer table."""
        from .render.html import to_html

        return to_html(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_csv(self) -> str:
        from .render.tabular import to_csv

        return to_csv(self)

    def to_markdown(self) -> str:
        from .render.tabular import to_markdown

        return to_markdown(self)

    def to_text(self, width: int = 100, depth: int | None = None) -> str:
        from .render.table import render_text

        return render_text(self, width=width, depth=depth)

    def to_dataframe(self) -> Any:
        """One row per module, the JSON layer fields as columns (pandas: the ``report`` extra)."""
        from .errors import require

        pd: Any = require("pandas", "report", "Report.to_dataframe")
        return pd.DataFrame([self._layer_dict(n) for n in self.layers])

    def __rich__(self) -> Any:
        from .render.table import rich_renderable

        return rich_renderable(self)
