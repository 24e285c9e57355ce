"""Accelerators as data: peak FLOP/s per dtype, memory bandwidth and size, each with its source.

The catalogue is one JSON file per device in ``devices/`` (``nncost hardware --list``); a
user's spec file (``--hardware path/to/spec.json`` or ``.toml``) has the same schema
(docs/time.md):

- ``name``, ``title``: an id and a readable name;
- ``memory_bytes`` (int), ``memory_bandwidth`` (bytes/s);
- ``peak_flops``: dense peaks of the matrix units (tensor cores, matrix cores, MXUs) per
  dtype, FLOP/s — never the 2:4-sparse figures datasheets print beside them;
- ``vector_flops``: the vector units' peaks per dtype, where they differ (CUDA cores);
- ``source``: ``url`` and ``where`` (page, table, the figures as printed);
- optional ``efficiency`` (op class -> fraction of the roof reached when compute-bound,
  ``<class>_memory`` when memory-bound, from ``nncost calibrate``), ``overhead_s`` (a fixed
  time per op) and ``notes``.

The ``cpu`` entry is not in the catalogue: it is this machine, measured by ``nncost calibrate``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["DTYPES", "OP_CLASSES", "Hardware", "catalogue", "load_hardware", "parse_hardware"]

DTYPES = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8")
# what the roofline and the calibration tell apart: matrix units serve the first three
OP_CLASSES = ("matmul", "conv", "attention", "elementwise", "norm", "pool")
MATRIX_CLASSES = frozenset({"matmul", "conv", "attention"})
# calibrated efficiencies: per op class when compute-bound, "<class>_memory" when memory-bound
EFFICIENCY_KEYS = (*OP_CLASSES, *(f"{c}_memory" for c in OP_CLASSES))
_REQUIRED = ("name", "memory_bytes", "memory_bandwidth", "peak_flops", "source")


@dataclass(frozen=True)
class Hardware:
    name: str
    title: str
    memory_bytes: int
    memory_bandwidth: float  # bytes/s
    peak_flops: dict[str, float]  # matrix units, dense, FLOP/s per dtype
    vector_flops: dict[str, float] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)
    kind: str = "gpu"
    efficiency: dict[str, float] = field(default_factory=dict)  # op class (or "<class>_memory") -> fraction of the roof
    overhead_s: float = 0.0  # fixed time per op (dispatch, launch), measured by nncost calibrate
    notes: str = ""

    def peak(self, dtype: str, matrix: bool) -> float:
        """The roof for an op of ``dtype`` (nncost's short name): the matrix units' peak for
        matmuls, convolutions and attention, the vector units' for the rest; a dtype the
        device lists nowhere falls back to its fp32 vector peak, then to its lowest listed
        float peak (a TPU's bf16 MXU runs fp32 as multi-pass bf16)."""
        first, second = (self.peak_flops, self.vector_flops) if matrix else (self.vector_flops, self.peak_flops)
        for table in (first, second):
            if dtype in table:
                return table[dtype]
        for v in (self.vector_flops.get("fp32"), self.peak_flops.get("fp32")):
            if v:
                return v
        floats = [v for k, v in self.peak_flops.items() if k not in ("int8",)]
        return min(floats) if floats else max(self.peak_flops.values())

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "title": self.title, "kind": self.kind, "memory_bytes": self.memory_bytes,
                             "memory_bandwidth": self.memory_bandwidth, "peak_flops": dict(self.peak_flops),
                             "vector_flops": dict(self.vector_flops), "source": dict(self.source)}
        if self.efficiency:
            d["efficiency"] = dict(self.efficiency)
        if self.overhead_s:
            d["overhead_s"] = self.overhead_s
        if self.notes:
            d["notes"] = self.notes
        return d


def _positive(value: Any, what: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise InputError(f"{where}: {what} must be a positive number, got {value!r}")
    return value


def parse_hardware(data: Any, where: str) -> Hardware:
    """A validated Hardware from a spec's dict; a one-line InputError naming the field otherwise."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: a hardware spec is a table of fields ({', '.join(_REQUIRED)}), got {type(data).__name__}")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise InputError(f"{where}: missing field{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                         f"(a spec has {', '.join(_REQUIRED)}; see docs/time.md)")
    tables: dict[str, dict[str, float]] = {}
    for key in ("peak_flops", "vector_flops", "efficiency"):
        table = data.get(key, {})
        if not isinstance(table, dict):
            raise InputError(f"{where}: {key} must be a table of dtype = FLOP/s, got {table!r}")
        allowed = EFFICIENCY_KEYS if key == "efficiency" else DTYPES
        for k, v in table.items():
            if k not in allowed:
                raise InputError(f"{where}: {key}.{k} is not one of {', '.join(allowed)}")
            _positive(v, f"{key}.{k}", where)
            if key == "efficiency" and v > 1:
                raise InputError(f"{where}: efficiency.{k} is a fraction of the roof, at most 1, got {v!r}")
        tables[key] = {k: float(v) for k, v in table.items()}
    if not tables["peak_flops"] and not tables["vector_flops"]:
        raise InputError(f"{where}: peak_flops must list at least one dtype ({', '.join(DTYPES)})")
    memory = _positive(data["memory_bytes"], "memory_bytes", where)
    overhead = data.get("overhead_s", 0.0)
    if isinstance(overhead, bool) or not isinstance(overhead, (int, float)) or not 0 <= overhead < 1:
        raise InputError(f"{where}: overhead_s is seconds per op, >= 0 and below 1, got {overhead!r}")
    source = data["source"]
    if not isinstance(source, dict) or not source.get("url"):
        raise InputError(f"{where}: source must give the url the numbers come from (and where in it)")
    return Hardware(name=str(data["name"]), title=str(data.get("title", data["name"])), memory_bytes=int(memory),
                    memory_bandwidth=float(_positive(data["memory_bandwidth"], "memory_bandwidth", where)),
                    peak_flops=tables["peak_flops"], vector_flops=tables["vector_flops"],
                    source={str(k): str(v) for k, v in source.items()}, kind=str(data.get("kind", "gpu")),
                    efficiency=tables["efficiency"], overhead_s=float(overhead), notes=str(data.get("notes", "")))


def _folder() -> Any:
    return resources.files(__package__).joinpath("devices")


def catalogue() -> dict[str, Hardware]:
    """Every device in the catalogue, by name."""
    out = {}
    for p in sorted(_folder().iterdir(), key=lambda p: p.name):
        if p.name.endswith(".json"):
            hw = parse_hardware(json.loads(p.read_text(encoding="utf-8")), f"catalogue {p.name}")
            out[hw.name] = hw
    return out


def load_hardware(spec: str | Hardware) -> Hardware:
    """A catalogue name (``h100-sxm``), ``cpu`` (this machine, calibrated) or a spec file (.json, .toml)."""
    if isinstance(spec, Hardware):
        return spec
    text = str(spec)
    if text.lower().endswith((".json", ".toml")):
        path = Path(text)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read hardware spec {text}: {exc.strerror or exc}") from None
        try:
            if text.lower().endswith(".toml"):
                try:
                    import tomllib
                except ImportError:  # Python 3.10
                    raise InputError(f"reading {text} needs Python 3.11's tomllib; give the spec as JSON") from None
                data = tomllib.loads(raw.decode("utf-8"))
            else:
                data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"hardware spec {text} is not valid {'TOML' if text.lower().endswith('.toml') else 'JSON'}: "
                             f"{str(exc).splitlines()[0]}") from None
        return parse_hardware(data, text)
    if text.lower() == "cpu":
        from .calibrate import this_cpu

        return this_cpu()
    found = catalogue()
    key = text.lower()
    if key in found:
        return found[key]
    import difflib

    close = difflib.get_close_matches(key, [*found, "cpu"], n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join([*found, 'cpu'])}"
    raise InputError(f"unknown hardware {text!r}{hint} (or give a spec file, .json or .toml)")
