"""Time on an accelerator: the roofline of every op a report counted, summed per module.

Each op of the report's op log (its MACs, FLOPs, bytes read and written, dtype, and
whether it ran in the backward) takes max(F / (e_c·P), B / (e_m·W)) seconds
(:mod:`nncost.formulas.roofline`): P is the device's peak for the op's dtype on the units
that run it — matrix units for matmuls, convolutions and attention, vector units for the
rest — W its memory bandwidth, and e_c, e_m the efficiencies (1: a pure bound; given with
``efficiency=``). With ``estimate=True`` and a calibrated spec, each op's bound is divided
by the fraction of the roofline its op class reached on that device when bound the same
way (compute or memory), and the device's fixed time per op is added (``nncost calibrate``).
A module's time is the sum of its ops' times: ops run one after another, nothing overlaps,
nothing is fused (docs/time.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from .errors import InputError
from .formulas.memory import FLOAT_DTYPES
from .formulas.roofline import compute_flops, op_class, op_time, ridge
from .hardware import MATRIX_CLASSES, Hardware, load_hardware
from .report import Report
from .tree import subtree_sums

__all__ = ["DTYPE_SHORT", "apply_roofline", "attach_measured", "parse_efficiency"]

# the dtypes ops report (PyTorch's names) -> the device tables' short names: the float ones from the one
# table of dtype aliases (formulas.memory.FLOAT_DTYPES: fp32 -> float32, ...), read backwards
DTYPE_SHORT = {canonical: alias for alias, canonical in FLOAT_DTYPES.items() if alias[:2] in ("fp", "bf")}
DTYPE_SHORT.update({name: "int8" for name in ("int8", "uint8", "quint8", "qint8")})
DTYPE_SHORT.update({name: "fp8" for name in ("float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz")})

OpRecord = tuple[str, str, int, int, int, int, "str | None", bool]  # module, op, MACs, FLOPs, read, written, dtype, backward


def parse_efficiency(text: str | Mapping[str, float] | None) -> dict[str, float]:
    """``compute=0.7,memory=0.85`` (or a dict) -> {"compute": 0.7, "memory": 0.85}; each in (0, 1]."""
    if text is None:
        return {}
    items: list[tuple[str, Any]]
    if isinstance(text, Mapping):
        items = list(text.items())
    else:
        items = []
        for part in str(text).split(","):
            key, eq, value = part.partition("=")
            if not eq:
                raise InputError(f"--efficiency takes compute=F,memory=F (fractions of the roofs), got {text!r}")
            items.append((key.strip(), value.strip()))
    out: dict[str, float] = {}
    for key, value in items:
        if key not in ("compute", "memory"):
            raise InputError(f"--efficiency names compute and memory, got {key!r}")
        try:
            f = float(value)
        except (TypeError, ValueError):
            raise InputError(f"--efficiency {key} must be a fraction in (0, 1], got {value!r}") from None
        if not 0 < f <= 1:
            raise InputError(f"--efficiency {key} must be a fraction in (0, 1], got {value!r}")
        out[key] = f
    return out


class _Roof:
    def __init__(self, hw: Hardware, efficiency: dict[str, float], estimate: bool) -> None:
        self.hw, self.estimate = hw, estimate
        self.eff = efficiency
        if estimate and not hw.efficiency:
            raise InputError(f"estimate needs measured efficiencies: {hw.name} has none; calibrate this machine "
                             "(nncost calibrate --output spec.json) and pass that spec as --hardware")

    def time(self, name: str, macs: int, flops: int, moved: int, dtype: str | None) -> tuple[float, str, str, int]:
        cls = op_class(name)
        short = DTYPE_SHORT.get(str(dtype), "fp32")
        peak = self.hw.peak(short, cls in MATRIX_CLASSES)
        f = compute_flops(macs, flops)
        if self.estimate:  # the bound, slowed by the fraction of it this op class reaches on the calibrated device
            t, bound = op_time(f, moved, peak, self.hw.memory_bandwidth)
            eff = self.hw.efficiency
            e = eff.get(f"{cls}_memory" if bound == "memory" else cls) or eff.get(cls) or eff.get(f"{cls}_memory") or 1.0
            return t / e + self.hw.overhead_s, bound, cls, f
        t, bound = op_time(f, moved, peak, self.hw.memory_bandwidth, self.eff.get("compute", 1.0), self.eff.get("memory", 1.0))
        return t, bound, cls, f


def _times(ops: list[Any], roof: _Roof) -> dict[str, Any]:
    """Per module own [time, compute-bound time, compute FLOPs, bytes] for the forward, the
    backward's total, and the forward's time by op class."""
    own: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    by_class: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    backward = [0.0, 0.0]
    forward = [0.0, 0.0]
    for path, name, macs, flops, read, written, dtype, bwd in ops:
        t, bound, cls, f = roof.time(name, macs, flops, read + written, dtype)
        if bwd:
            backward[0] += t
            backward[1] += t if bound == "compute" else 0.0
            continue
        acc = own[path]
        acc[0] += t
        acc[1] += t if bound == "compute" else 0.0
        acc[2] += f
        acc[3] += read + written
        c = by_class[cls]
        c[0] += t
        c[1] += f
        c[2] += read + written
        forward[0] += t
        forward[1] += t if bound == "compute" else 0.0
    return {"own": own, "by_class": by_class, "backward": backward, "forward": forward}


def _dominant_dtype(report: Report) -> str:
    by = report.total.by_dtype
    if not by:
        return "fp32"
    name = max(by.items(), key=lambda kv: kv[1].get("macs", 0) or kv[1].get("flops", 0))[0]
    return DTYPE_SHORT.get(name, "fp32")


def apply_roofline(report: Report, hardware: str | Hardware, *, efficiency: str | Mapping[str, float] | None = None,
                   estimate: bool = False, batch: int | None = None, measured_throughput: float | None = None,
                   tokens: int | None = None) -> dict[str, Any]:
    """Fill the report's per-layer ``time_s``, ``bound``, ``intensity`` and its ``roofline`` section.

    ``batch``: items per forward (the first input's first dimension by default); ``tokens``:
    tokens per forward for a language model (throughput is then in tokens/s);
    ``measured_throughput``: items (or tokens) per second measured by the user, for MFU and HFU.
    """
    hw = load_hardware(hardware)
    ops = report.op_logs.get("model")
    if not ops:
        raise InputError(f"{report.model}: the {report.frontend} frontend keeps no op log, which the roofline needs")
    if measured_throughput is not None and (isinstance(measured_throughput, bool) or not measured_throughput > 0):
        raise InputError(f"measured throughput must be a positive number of items (or tokens) per second, "
                         f"got {measured_throughput!r}")
    roof = _Roof(hw, parse_efficiency(efficiency), estimate)
    t = _times(ops, roof)
    own = t["own"]
    sums = subtree_sums([n.path for n in report.layers], own, 4)  # [time, compute-bound time, FLOPs, bytes]
    for n, (time_s, compute_s, fl, moved) in zip(report.layers, sums):
        n.time_s = time_s
        n.bound = None if time_s == 0 else ("compute" if compute_s >= time_s - compute_s else "memory")
        n.intensity = fl / moved if moved else None
    latency = t["forward"][0]
    step = latency + t["backward"][0] if report.conventions.get("backward") else None
    if batch is None:
        shape = report.inputs[0]["shape"] if report.inputs and report.inputs[0].get("shape") else [1]
        batch = int(shape[0]) if shape else 1
    llm_view = report.extra.get("llm")
    if tokens is None and llm_view is not None:  # a causal LM's forward is a prefill: its throughput is in tokens
        tokens = llm_view["batch"] * llm_view["seq"]
    items = tokens or batch
    dominant = _dominant_dtype(report)
    peak = hw.peak(dominant, True)
    fwd_flops = sum(f for _, f, _ in t["by_class"].values())
    section: dict[str, Any] = {
        "hardware": hw.to_dict(),
        "mode": "estimate" if estimate else "bound",
        "efficiency": (dict(hw.efficiency) if estimate else {"compute": roof.eff.get("compute", 1.0),
                                                             "memory": roof.eff.get("memory", 1.0)}),
        "latency_s": latency,
        "train_step_s": step,
        "items_per_forward": items,
        "throughput_unit": "tokens/s" if tokens else "items/s",
        "throughput_per_s": items / latency if latency else None,
        "train_throughput_per_s": items / step if step else None,
        "bound_share": {"compute": t["forward"][1] / latency if latency else 0.0,
                        "memory": 1 - t["forward"][1] / latency if latency else 0.0},
        "by_class": {cls: {"time_s": v[0], "flops": int(v[1]), "bytes": int(v[2])}
                     for cls, v in sorted(t["by_class"].items(), key=lambda kv: -kv[1][0])},
        "dtype": dominant,
        "peak_flops": peak,
        "ridge_intensity": ridge(peak, hw.memory_bandwidth),
        "forward_flops": int(fwd_flops),
    }
    if measured_throughput is not None:
        per_item = fwd_flops / items
        if step is not None:
            model_flops = 3 * per_item  # forward + backward = 3 forwards (the model's, without recomputation)
            hardware_flops = (fwd_flops + sum(compute_flops(o[2], o[3]) for o in ops if o[7])) / items
        else:
            model_flops = hardware_flops = per_item
        section["measured_throughput"] = measured_throughput
        section["mfu"] = model_flops * measured_throughput / peak
        section["hfu"] = hardware_flops * measured_throughput / peak
    decode = report.op_logs.get("decode")
    llm = report.extra.get("llm")
    if llm is not None and decode:
        d = _times(decode, roof)["forward"][0]
        section["llm"] = {"prefill_s": latency, "decode_s_per_token": d, "decode_context": llm["decode_context"],
                          "batch": llm["batch"], "tokens_per_s": llm["batch"] / d if d else None}
    report.roofline = section
    return section


def attach_measured(report: Report, times: Mapping[str, float]) -> None:
    """Each module's measured median time (``--measure``) next to its roofline time, and the
    fraction of the roofline the real run reached: time_s / measured_time_s."""
    for n in report.layers:
        m = times.get(n.path)
        if m is None:
            continue
        n.measured_time_s = m
        n.roofline_fraction = n.time_s / m if n.time_s is not None and m > 0 else None
        moved = (n.read_bytes or 0) + (n.write_bytes or 0)
        if m > 0 and moved:
            n.achieved_bytes_per_s = moved / m
            n.achieved_flops_per_s = (n.intensity or 0.0) * moved / m
    if report.roofline is not None:
        root = times.get("")
        report.roofline["measured_latency_s"] = root
        report.roofline["measured_train_step_s"] = times.get("(training step)")
        if root:
            report.roofline["roofline_fraction"] = report.roofline["latency_s"] / root
