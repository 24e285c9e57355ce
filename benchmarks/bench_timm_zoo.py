"""The whole timm zoo in one sweep, checked against each model's own parameter count and
torch.utils.flop_counter.

    python benchmarks/bench_timm_zoo.py [--jobs 2] [--out benchmarks/timm-zoo] [--pattern '*'] [--timeout 300]

1. ``nncost sweep 'timm:PATTERN'`` end to end, as a user runs it (a fresh process, JSON
   Lines, resumable): wall time, models per second, rows by status, failures by cause.
2. A reference pass in the same worker pool (``nncost.sweep.sweep`` with another worker):
   each model built on meta as nncost builds it, its own ``sum(p.numel() for p in
   model.parameters())`` and ``torch.utils.flop_counter.FlopCounterMode`` on a meta forward
   at the same input (MACs = its FLOPs / 2; it counts conv, matmul and attention only,
   which are nncost's only MAC producers too).
3. The join: parameters must be equal; MACs must be equal, or the difference is put in a
   named, explained class (see ``EXPLAINED``). Anything else is printed as unexplained.

Both passes stream to files under --out and resume, so an interrupted run goes on where
it stopped. Results from this project's 2-core machine: results-timm-zoo.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from typing import Any


def reference(spec: str, options: dict[str, Any]) -> dict[str, Any]:
    """A worker: the model's own parameter count and flop_counter's MACs, on meta."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from nncost.frontends import resolve_torch_model

    start = time.perf_counter()
    row: dict[str, Any] = {"spec": spec}
    try:
        r = resolve_torch_model(spec)
        model = r.model.eval()
        device = next((p.device for p in model.parameters()), torch.device("meta"))
        params = sum(p.numel() for p in model.parameters())
        x = torch.empty(r.shape, device=device)
        counter = FlopCounterMode(display=False)
        with counter:  # not under no_grad: its module tracker asserts a grad_fn on some outputs (CaiT, PiT, SigLIP)
            model(x)
        by_op: Counter[str] = Counter()
        for op, n in counter.get_flop_counts().get("Global", {}).items():
            by_op[str(op).split(".")[1] if str(op).startswith("aten.") else str(op)] += n // 2
        row.update(status="ok", params=params, macs=counter.get_total_flops() // 2, by_op=dict(by_op),
                   built_on=device.type)
    except Exception as exc:  # noqa: BLE001
        row.update(status="error", error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}")
    row["seconds"] = round(time.perf_counter() - start, 3)
    return row


def _read(path: str) -> dict[str, dict[str, Any]]:
    from nncost.sweep import rows

    return {row["spec"]: row for row in rows(path)}


def _cause(error: str) -> str:
    head = error.split(":", 1)[0]
    return head if head and " " not in head else error[:60]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", default="benchmarks/timm-zoo")
    ap.add_argument("--pattern", default="*")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--skip-sweep", action="store_true", help="reuse the sweep rows already in --out")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rows_path, ref_path = os.path.join(a.out, "nncost.jsonl"), os.path.join(a.out, "reference.jsonl")

    import timm

    names = timm.list_models(a.pattern)
    print(f"timm {timm.__version__}: {len(names)} models match {a.pattern!r}; {a.jobs} workers, timeout {a.timeout:g} s")
    if not a.skip_sweep:
        cmd = [sys.executable, "-m", "nncost", "sweep", f"timm:{a.pattern}", "-f", "json", "-o", rows_path, "--resume",
               "-j", str(a.jobs), "--timeout", str(a.timeout), "--progress", "off"]
        start = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - start
        print(f"nncost sweep wall time (this invocation, incl. start-up): {wall:.0f} s")

    from nncost.sweep import sweep

    ref = _read(ref_path)
    todo = [f"timm:{n}" for n in names if f"timm:{n}" not in ref]
    if todo:
        with open(ref_path, "a", encoding="utf-8") as fh:
            def emit(row: dict[str, Any]) -> None:
                fh.write(json.dumps(row) + "\n")
                fh.flush()

            r = sweep(todo, emit, jobs=a.jobs, timeout=a.timeout, work=reference)
            print(f"reference pass: {r.summary()}")
        ref = _read(ref_path)

    ours = _read(rows_path)
    report(names, ours, ref)


# Differences from flop_counter that are not nncost errors; each class is checked by its own rule.
EXPLAINED = {
    "flop_counter fails": "torch.utils.flop_counter itself could not run the model on meta",
}


def report(names: list[str], ours: dict[str, dict[str, Any]], ref: dict[str, dict[str, Any]]) -> None:
    specs = [f"timm:{n}" for n in names]
    got = [ours[s] for s in specs if s in ours]
    status = Counter(r["status"] for r in got)
    seconds = sum(r.get("seconds") or 0 for r in got)
    print(f"\nrows: {len(got)} of {len(specs)}; " + ", ".join(f"{n} {s}" for s, n in status.most_common()))
    print(f"sum of per-model seconds: {seconds:.0f} s; slowest: "
          + ", ".join(f"{r['spec'][5:]} {r['seconds']:.1f} s" for r in sorted(got, key=lambda r: -(r.get('seconds') or 0))[:5]))
    causes = Counter(_cause(r.get("error") or "") for r in got if r["status"] in ("error", "timeout"))
    if causes:
        print("\nfailures by cause:")
        for cause, n in causes.most_common():
            example = next(r for r in got if r["status"] in ("error", "timeout") and _cause(r.get("error") or "") == cause)
            print(f"  {n:4d}  {cause}   e.g. {example['spec']}: {(example.get('error') or '')[:160]}")
    unsupported = Counter(op for r in got for op in (r.get("unsupported") or "").split() if op)
    if unsupported:
        print("\nunsupported ops: " + ", ".join(f"{op} ({n} models)" for op, n in unsupported.most_common()))

    params_equal = macs_equal = compared = 0
    classes: Counter[str] = Counter()
    unexplained = []
    for s in specs:
        o, r = ours.get(s), ref.get(s)
        if not o or not r or o["status"] not in ("ok", "unsupported"):
            continue
        if r["status"] != "ok":
            classes["flop_counter fails"] += 1
            continue
        compared += 1
        params_equal += o["params"] == r["params"]
        if o["params"] != r["params"]:
            unexplained.append(f"{s}: params {o['params']:,} vs the model's own {r['params']:,}")
        if o["macs"] == r["macs"]:
            macs_equal += 1
        else:
            gap = (o["macs"] - r["macs"]) / max(r["macs"], 1)
            unexplained.append(f"{s}: MACs {o['macs']:,} vs flop_counter {r['macs']:,} ({gap:+.2%}); flop_counter by op: {r.get('by_op')}")
    print(f"\ncompared {compared}: params equal {params_equal}, MACs equal {macs_equal}")
    for cls, n in classes.items():
        print(f"  explained: {n} {cls} ({EXPLAINED[cls]})")
    print(f"unexplained: {len(unexplained)}")
    for line in unexplained:
        print("  " + line)


if __name__ == "__main__":
    main()
