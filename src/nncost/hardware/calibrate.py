"""Measure this machine: its roofs, and how close each op class comes to them.

``nncost calibrate`` times, with real tensors on the device:

- the matmul peak per dtype (fp32, bf16, fp16 where the device runs them; the best of
  several square matmuls, 2·n³ FLOPs each);
- the memory bandwidth: a large copy (reads and writes 2 × its bytes) and a large sum (reads
  its bytes), beyond the caches; the roof is the faster of the two;
- the efficiency of each op class (convolution, matmul, attention, elementwise,
  normalisation, pooling): a typical layer of each, its roofline time from nncost's own
  count of its FLOPs and bytes on the measured roofs, divided by its measured median time.

The result is a device spec in the catalogue's schema, with the method in ``source``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import InputError, require
from . import Hardware, parse_hardware

__all__ = ["calibrate", "this_cpu", "timed"]


def timed(fn: Callable[[], Any], sync: Callable[[], None], runs: int, warmup: int = 2, budget: float = 1.0,
          best: bool = False) -> float:
    """Median seconds of ``fn`` over ``runs`` runs (fewer when they exceed ``budget`` seconds), after ``warmup``
    runs; the fastest run with ``best`` (a roof is the best the device does)."""
    for _ in range(warmup):
        fn()
    sync()
    times: list[float] = []
    start = time.perf_counter()
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start > budget and len(times) >= 3:
            break
    return min(times) if best else statistics.median(times)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _probes(torch: Any, quick: bool = False) -> list[tuple[str, Any, tuple[int, ...]]]:
    """Typical layers of each op class: (class, module, input shape); ``quick``: one image or sequence only."""
    nn = torch.nn
    base: Any = nn.Module

    class Attention(base):  # type: ignore[misc]
        def forward(self, x: Any) -> Any:
            return torch.nn.functional.scaled_dot_product_attention(x, x, x)

    probes = [  # (op class, module, input shape) at the sizes of one image or sequence; matrix classes both ways bound
        ("conv", nn.Conv2d(64, 64, 3, padding=1, bias=False), (1, 64, 56, 56)),
        ("conv", nn.Conv2d(128, 128, 3, padding=1, bias=False), (1, 128, 28, 28)),
        ("conv", nn.Conv2d(144, 144, 3, padding=1, groups=144, bias=False), (1, 144, 56, 56)),  # depthwise
        ("conv", nn.Conv2d(64, 256, 1, bias=False), (1, 64, 56, 56)),  # pointwise
        ("matmul", nn.Linear(768, 3072), (197, 768)),
        ("matmul", nn.Linear(1024, 1024), (1, 1024)),  # one row: the weights' bytes decide
        ("attention", Attention(), (1, 12, 197, 64)),
        ("elementwise", nn.ReLU(), (1, 64, 112, 112)),
        ("elementwise", nn.GELU(), (197, 3072)),
        ("norm", nn.LayerNorm(768), (1, 197, 768)),
        ("norm", nn.BatchNorm2d(64), (1, 64, 112, 112)),
        ("pool", nn.MaxPool2d(3, 2, 1), (1, 64, 112, 112)),
    ]
    if quick:
        return probes
    return probes + [  # and a batch of eight, past the caches
        ("conv", nn.Conv2d(64, 64, 3, padding=1, bias=False), (8, 64, 56, 56)),
        ("conv", nn.Conv2d(256, 256, 3, padding=1, groups=256, bias=False), (8, 256, 56, 56)),
        ("matmul", nn.Linear(1024, 1024), (512, 1024)),
        ("attention", Attention(), (4, 8, 256, 64)),
        ("elementwise", nn.ReLU(), (8, 64, 112, 112)),
        ("norm", nn.LayerNorm(768), (16, 512, 768)),
        ("pool", nn.MaxPool2d(3, 2, 1), (8, 64, 112, 112)),
    ]


def _bandwidth(torch: Any, dev: Any, sync: Callable[[], None], runs: int) -> tuple[int, float, float]:
    """(bytes, copy bandwidth, read bandwidth): a 64 MiB (512 MiB on a GPU) fp32 tensor, past the caches,
    copied (its bytes read and written) and summed (read), the fastest of ``runs``."""
    src = torch.randn((64 if dev.type == "cpu" else 512) * 2**20 // 4, device=dev)
    dst = torch.empty_like(src)
    nbytes = src.numel() * src.element_size()
    copy = 2 * nbytes / timed(lambda: dst.copy_(src), sync, runs, best=True)
    read = nbytes / timed(lambda: src.sum(), sync, runs, best=True)
    return nbytes, copy, read


def calibrate(device: str = "cpu", name: str | None = None, quick: bool = False) -> Hardware:
    """Measure the device (see the module's docstring); ``quick`` uses fewer and smaller runs."""
    torch: Any = require("torch", "torch", "nncost calibrate")
    from ..frontends.torch.measure import real_device

    dev, sync = real_device(device, "calibrate measures a real device")

    runs = 5 if quick else 10
    peaks: dict[str, float] = {}
    sizes = ((512, 1024) if quick else (512, 1024, 2048)) if dev.type == "cpu" else (4096, 8192)
    n = sizes[-1]
    for short, dt in (("fp32", torch.float32), ("bf16", torch.bfloat16), ("fp16", torch.float16)):
        for size in sizes:  # the roof is the fastest: a peak is a maximum
            try:
                a = torch.randn(size, size, device=dev, dtype=dt)
                b = torch.randn(size, size, device=dev, dtype=dt)
                t = timed(lambda: torch.mm(a, b), sync, runs, budget=0.5, best=True)  # noqa: B023 - run at once
            except RuntimeError:
                break
            rate = 2 * size**3 / t
            peaks[short] = max(peaks.get(short, 0.0), rate)
            if t > 0.2:  # a slow dtype on this device (bf16 emulated on a CPU): larger sizes add nothing but time
                break
    measured_bw = [_bandwidth(torch, dev, sync, runs) for _ in range(1 if quick else 3)]  # the roof: the best round
    nbytes, copy, read = max(measured_bw, key=lambda m: max(m[1], m[2]))
    bandwidth = max(copy, read)
    # each op class's efficiency: nncost's roofline time on these roofs over the measured time
    from ..frontends.torch import analyze
    from ..roofline import apply_roofline

    provisional = Hardware(name="probe", title="probe", memory_bytes=1, memory_bandwidth=bandwidth, peak_flops=peaks,
                           source={"url": "nncost calibrate"})
    # a fixed cost of any op (dispatch, kernel selection, launch): the median over tiny ops of each class
    nn = torch.nn
    tiny = [(nn.ReLU(), (1, 8)), (nn.Conv2d(8, 8, 1), (1, 8, 4, 4)), (nn.Linear(8, 8), (1, 8)),
            (nn.LayerNorm(8), (1, 8)), (nn.MaxPool2d(2), (1, 8, 4, 4))]
    small = []
    with torch.no_grad():
        for module, shape in tiny:
            module = module.to(dev).eval()
            x1 = torch.randn(*shape, device=dev)
            small.append(timed(lambda: module(x1), sync, 20 * runs, warmup=10))  # noqa: B023 - run at once
    overhead = statistics.median(small)
    found: dict[str, list[float]] = {}
    details: dict[str, list[dict[str, float]]] = {}
    probes = []
    for cls, module, shape in _probes(torch, quick):
        report = analyze(module, shape)
        predicted = apply_roofline(report, provisional)["latency_s"]  # sets the root's bound, read next
        key = cls if report.root.bound == "compute" else f"{cls}_memory"
        probes.append((key, module.to(dev).eval(), torch.randn(*shape, device=dev), predicted, len(report.op_logs["model"])))
    rounds = 1 if quick else 3  # interleaved rounds, each probe's median of them: a busy moment skews one round
    times: dict[int, list[float]] = {}
    with torch.no_grad():
        for _ in range(rounds):
            for k, (_, module, inp, _, _) in enumerate(probes):
                times.setdefault(k, []).append(timed(lambda: module(inp), sync, runs))  # noqa: B023 - run at once
    for k, (key, _, _, predicted, ops) in enumerate(probes):
        measured = statistics.median(times[k])
        found.setdefault(key, []).append(max(min(predicted / max(measured - ops * overhead, 1e-9), 1.0), 1e-3))
        details.setdefault(key, []).append({"predicted_s": predicted, "measured_s": measured})
    efficiency = {k: statistics.geometric_mean(v) for k, v in found.items()}  # probes of one key: their geometric mean
    threads = torch.get_num_threads() if dev.type == "cpu" else None
    title = (f"{_cpu_name()}, {threads} threads" if dev.type == "cpu" else torch.cuda.get_device_name(dev))
    memory = (os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if dev.type == "cpu"
              else torch.cuda.get_device_properties(dev).total_memory)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    spec = {
        "name": name or ("cpu" if dev.type == "cpu" else "cuda"), "title": title, "kind": dev.type,
        "memory_bytes": int(memory), "memory_bandwidth": bandwidth, "peak_flops": peaks, "efficiency": efficiency,
        "overhead_s": overhead,
        "source": {"url": "nncost calibrate", "where": f"measured on {platform.node()} at {when}, torch {torch.__version__}: "
                   f"matmul peaks: the fastest of {runs} runs of square torch.mm up to {n}×{n}, bandwidth the faster of a "
                   f"{nbytes >> 20} MiB copy ({copy / 1e9:.1f} GB/s) and sum ({read / 1e9:.1f} GB/s), op-class "
                   "efficiencies = roofline time / (measured median time − ops × the median time of tiny ops) "
                   f"of typical layers, per class and bound, the median of {1 if quick else 3} interleaved rounds",
                   "probes": json.dumps(details)},
    }
    return parse_hardware(spec, "calibration")


def _cache_file() -> Path:
    torch: Any = require("torch", "torch", "the cpu hardware entry")
    key = hashlib.sha256(f"{_cpu_name()}|{torch.get_num_threads()}|{torch.__version__}".encode()).hexdigest()[:16]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "nncost" / f"cpu-{key}.json"


def this_cpu() -> Hardware:
    """This machine's CPU as a device: calibrated once (quick), then read from the user's cache."""
    path = _cache_file()
    if path.is_file():
        try:
            return parse_hardware(json.loads(path.read_text(encoding="utf-8")), str(path))
        except (ValueError, InputError):
            pass  # a stale or broken cache: measure again
    hw = calibrate("cpu", quick=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(hw.to_dict(), indent=2) + "\n", encoding="utf-8")
    except OSError:
        pass  # an unwritable cache only costs a calibration next time
    return hw
