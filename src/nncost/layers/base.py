"""The calculator's catalogue: one entry per layer, with PyTorch's own signature."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..cost import Cost, RnnBias
from ..errors import LayerSpecError, ShapeError
from ..formulas.shapes import Shape, prod
from ..registry import Registry
from ..report import ParamCount, Working

__all__ = ["Ctx", "LayerResult", "CATALOGUE", "layer", "W", "dims", "mul", "need_int", "need_bool"]

CATALOGUE: Registry[str] = Registry("layer catalogue")


@dataclass(frozen=True)
class Ctx:
    """What the calculator knows besides the constructor arguments."""

    name: str
    shapes: tuple[Shape, ...]
    rnn_bias: RnnBias = RnnBias.TORCH

    def shape(self, i: int = 0, ranks: Sequence[int] | None = None, what: str = "input") -> Shape:
        if i >= len(self.shapes):
            n = i + 1
            raise ShapeError(f"{self.name} needs {n} input shape{'s' if n > 1 else ''} (--input-shape), got {len(self.shapes)}")
        s = self.shapes[i]
        if ranks is not None and len(s) not in ranks:
            want = " or ".join(str(r) for r in ranks)
            raise ShapeError(f"{self.name} expects a {want}-D {what} shape, got {list(s)} ({len(s)}-D)")
        return s


@dataclass
class LayerResult:
    params: ParamCount
    cost: Cost
    out_shapes: list[Shape]
    working: list[Working] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stats: int = 0  # statistics PyTorch's kernel also writes (a norm's mean and 1/std per row)
    stats_fp32: bool = True  # ... in float32 (layer norm) or in the layer's dtype (group norm)
    states: list[Shape] = field(default_factory=list)  # initial states PyTorch creates (zeros), reads, and writes back


Entry = Callable[..., LayerResult]


def layer(*names: str) -> Callable[[Entry], Entry]:
    """Register a catalogue entry under PyTorch's class (or function) names."""
    return CATALOGUE.register(*names)


def bind(entry: Entry, ctx: Ctx, args: tuple[Any, ...], kwargs: dict[str, Any]) -> LayerResult:
    """Call ``entry`` with PyTorch's argument rules; a bad call is a LayerSpecError."""
    sig = inspect.signature(entry)
    try:
        sig.bind(ctx, *args, **kwargs)
    except TypeError as exc:
        shown = ", ".join(
            p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}"
            for p in list(sig.parameters.values())[1:]
            if p.name not in ("device", "dtype") and p.kind is not p.VAR_KEYWORD and p.kind is not p.VAR_POSITIONAL
        )
        raise LayerSpecError(f"{ctx.name}: {exc}; its signature is {ctx.name}({shown})") from None
    return entry(ctx, *args, **kwargs)


def W(name: str, formula: str, substituted: str, value: int) -> Working:
    return Working(name, formula, substituted, value)


def mul(*factors: object) -> str:
    """Join factors with the multiplication dot: mul(1, 64, 112) == '1·64·112'."""
    return "·".join(str(f) for f in factors)


def dims(shape: Sequence[int]) -> str:
    return mul(*shape) if shape else "1"


def need_int(name: str, value: Any, layer_name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise LayerSpecError(f"{layer_name}: {name} must be an int >= {minimum}, got {value!r}")
    return value


def need_bool(name: str, value: Any, layer_name: str) -> bool:
    if not isinstance(value, bool):
        raise LayerSpecError(f"{layer_name}: {name} must be True or False, got {value!r}")
    return value


def numel(shape: Sequence[int]) -> int:
    return prod(shape)
