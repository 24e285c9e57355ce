"""Time a model for real, module by module, on the CPU or a GPU (``--measure``).

The model runs with real tensors (its weights as built; the inputs random, seeded):
warm-up runs, then the median of N timed runs. Each module is timed by a forward pre-hook
and a forward hook: ``time.perf_counter`` on the CPU; on a GPU, CUDA events recorded in
the stream and read after the run, so that a module's time is its kernels' time, not
their launch. A module's time
includes its children's (as the report's numbers do) and a few microseconds of hook
overhead per call. With a backward pass, the whole training step (forward, loss,
backward) is timed at the root.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

import torch

from ...errors import InputError
from ...progress import step

__all__ = ["measure_module", "real_device"]


def real_device(device: str, why: str) -> tuple[torch.device, Callable[[], None]]:
    """(the device, a function that waits for its work to finish): a CPU or an available GPU,
    never meta — ``why`` says who asked, in the one-line error otherwise."""
    dev = torch.device(device)
    if dev.type == "meta":
        raise InputError(f"{why}: give --device cpu or cuda, not meta")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda, but PyTorch sees no CUDA device here")

    def sync() -> None:
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)

    return dev, sync


def measure_module(model: torch.nn.Module, args: list[Any], kwargs: Mapping[str, Any], *, device: str = "cpu",
                   runs: int = 10, warmup: int = 3, backward: bool = False) -> dict[str, float]:
    """{module path: median seconds per run} ("" is the whole forward); with ``backward`` also
    "(training step)": forward + backward of the sum of the outputs."""
    dev, sync = real_device(device, "--measure runs the model for real")
    paths = {m: p for p, m in model.named_modules()}
    starts: dict[str, list[Any]] = defaultdict(list)
    spent: dict[str, float] = defaultdict(float)
    events: list[tuple[str, Any, Any]] = []  # on a GPU: (module, start event, end event), read after the run
    recording = [False]
    gpu = dev.type == "cuda"

    def pre(module: torch.nn.Module, _args: Any) -> None:
        if recording[0]:
            if gpu:  # CUDA events: timed on the device, in stream order, without stalling the launch queue
                ev = torch.cuda.Event(enable_timing=True)
                ev.record()
                starts[paths[module]].append(ev)
            else:
                starts[paths[module]].append(time.perf_counter())

    def post(module: torch.nn.Module, _args: Any, _out: Any) -> None:
        if recording[0]:
            begun = starts[paths[module]].pop()
            if gpu:
                end = torch.cuda.Event(enable_timing=True)
                end.record()
                events.append((paths[module], begun, end))
            else:
                spent[paths[module]] += time.perf_counter() - begun

    handles = [m.register_forward_pre_hook(pre) for m in paths] + [m.register_forward_hook(post) for m in paths]
    per_run: dict[str, list[float]] = defaultdict(list)
    try:
        with torch.no_grad():
            for i in range(warmup + runs):
                recording[0] = i >= warmup
                spent.clear()
                step(f"measuring: run {i + 1} of {warmup + runs}" + (" (warm-up)" if i < warmup else ""))
                events.clear()
                model(*args, **kwargs)
                if events:
                    sync()
                    for p, begun, end in events:
                        spent[p] += begun.elapsed_time(end) / 1e3  # milliseconds
                if recording[0]:
                    for p, t in spent.items():
                        per_run[p].append(t)
        recording[0] = False
        if backward:
            per_run["(training step)"] = _step_times(model, args, kwargs, sync, runs, warmup)
    finally:
        for h in handles:
            h.remove()
    return {p: statistics.median(ts) for p, ts in per_run.items()}


def _step_times(model: torch.nn.Module, args: list[Any], kwargs: Mapping[str, Any], sync: Callable[[], None], runs: int,
                warmup: int) -> list[float]:
    from torch.utils._pytree import tree_leaves

    times = []
    for i in range(warmup + runs):
        sync()
        t0 = time.perf_counter()
        out = model(*args, **kwargs)
        loss = sum(t.float().sum() for t in tree_leaves(out) if isinstance(t, torch.Tensor) and t.requires_grad)
        if isinstance(loss, torch.Tensor):
            loss.backward()
        sync()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
        model.zero_grad(set_to_none=True)
    return times
