"""The roofline on this CPU, against measurement: is it a lower bound, and how close is the estimate?

    python benchmarks/bench_roofline.py [--runs 10] [--models resnet50,bert,...] [--spec cpu.json]

1. Calibrate this machine (nncost calibrate: matmul peaks, bandwidth, one probe layer per op
   class) — or read a spec given with --spec.
2. For each model (the torchvision, recurrent and transformer models of the benchmarks; the
   calibration probes are not among them): count it on meta, then run it for real on the
   CPU — the whole forward timed without hooks (median of --runs after warm-up), and every
   module timed with hooks (nncost --measure).
3. Print per model: measured ms (median run), the roofline bound, measured ÷ bound (a lower bound: ≥ 1),
   the --estimate and its error; per op class (leaf modules by type): measured ÷ bound;
   and the leaf modules that take > 1 % of the time and ran faster than the bound beyond
   10 % (cache-resident tensors beating DRAM bandwidth). Mean absolute percentage error of
   the estimate at the end, against the median run and against the fastest (on a shared
   machine, the run its neighbours disturbed least).

Published anchors: LLM-Viewer is 1.4–1.9× off measured decode throughput in its own
tracker; a roofline with one fixed efficiency per phase had 48 % error on time per output
token in inference-sim's validation.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import torch
from torch import nn

import nncost
from nncost.frontends.torch.measure import measure_module
from nncost.hardware import load_hardware
from nncost.hardware.calibrate import calibrate, timed
from nncost.roofline import apply_roofline

warnings.simplefilter("ignore")

MODELS = ("resnet18,resnet50,mobilenet_v2,mobilenet_v3_large,efficientnet_b0,densenet121,squeezenet1_0,shufflenet_v2_x1_0,"
          "regnet_y_400mf,convnext_tiny,vit_b_16,swin_t,lstm2,bert,gpt2")
CLASS_OF = (("conv", ("Conv",)), ("matmul", ("Linear", "LSTM", "Conv1D", "NonDynamicallyQuantizableLinear")),
            ("norm", ("Norm",)), ("pool", ("Pool",)), ("attention", ("Attention", "Sdpa")))


def build(name: str) -> tuple[nn.Module, tuple[Any, ...]]:
    if name == "lstm2":
        return nn.LSTM(128, 256, num_layers=2), (torch.randn(100, 1, 128),)
    if name in ("bert", "gpt2"):
        import transformers as tf

        tf.logging.set_verbosity_error()
        model = tf.BertModel(tf.BertConfig()) if name == "bert" else tf.GPT2LMHeadModel(tf.GPT2Config())
        return model.eval(), (torch.zeros(1, 128, dtype=torch.long),)
    import torchvision

    return torchvision.models.get_model(name, weights=None).eval(), (torch.randn(1, 3, 224, 224),)


def leaf_class(type_name: str) -> str:
    for cls, keys in CLASS_OF:
        if any(k in type_name for k in keys):
            return cls
    return "elementwise"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--models", default=MODELS)
    ap.add_argument("--spec", default=None, help="a calibrated spec (default: calibrate now)")
    a = ap.parse_args()
    t0 = time.perf_counter()
    hw = load_hardware(a.spec) if a.spec else calibrate("cpu")
    print(f"# {hw.title}; torch {torch.__version__}; calibrated in {time.perf_counter() - t0:.1f} s")
    print(f"# roofs: fp32 {hw.peak_flops.get('fp32', 0) / 1e9:.1f} GFLOP/s, bandwidth {hw.memory_bandwidth / 1e9:.1f} GB/s; "
          "efficiencies " + ", ".join(f"{k} {v:.2f}" for k, v in hw.efficiency.items()))
    print(f"{'model':20s} {'measured':>10s} {'bound':>10s} {'meas/bound':>10s} {'estimate':>10s} {'est. error':>10s} "
          f"{'faster than bound (>1% of time)':>32s}")
    errors: list[float] = []
    errors_fastest: list[float] = []
    cls_meas: dict[str, float] = defaultdict(float)
    cls_bound: dict[str, float] = defaultdict(float)
    rows = []
    for name in a.models.split(","):
        model, x = build(name)
        report = nncost.analyze(model, *[tuple(t.shape) if t.is_floating_point() else t for t in x])
        bound = apply_roofline(report, hw)["latency_s"]
        bound_layers = {n.path: (n.time_s or 0.0, n.type) for n in report.layers}
        estimate = apply_roofline(report, hw, estimate=True)["latency_s"]
        with torch.no_grad():
            measured = timed(lambda: model(*x), lambda: None, a.runs, warmup=2, budget=30.0)  # noqa: B023
            fastest = timed(lambda: model(*x), lambda: None, a.runs, warmup=0, budget=30.0, best=True)  # noqa: B023
        per_module = measure_module(model, list(x), {}, runs=max(3, a.runs // 2), warmup=1)
        paths = [n.path for n in report.layers]
        leaves = [p for i, p in enumerate(paths) if p and not (i + 1 < len(paths) and paths[i + 1].startswith(p + "."))]
        root = per_module.get("", measured)
        faster = []
        for p in leaves:
            m = per_module.get(p)
            b, typ = bound_layers[p]
            if m is None or not b:
                continue
            cls_meas[leaf_class(typ)] += m
            cls_bound[leaf_class(typ)] += b
            if m > 0.01 * root and m < 0.9 * b:
                faster.append(f"{p} {m / b:.2f}")
        err = abs(estimate - measured) / measured
        errors.append(err)
        errors_fastest.append(abs(estimate - fastest) / fastest)
        rows.append({"model": name, "measured_s": measured, "bound_s": bound, "estimate_s": estimate})
        print(f"{name:20s} {measured * 1e3:10.2f} {bound * 1e3:10.2f} {measured / bound:10.2f} {estimate * 1e3:10.2f} "
              f"{100 * err:9.1f}% {', '.join(faster) or '-':>32s}")
        sys.stdout.flush()
    print("\nper op class (leaf modules by type): measured ÷ bound")
    for cls in sorted(cls_meas, key=lambda c: -cls_meas[c]):
        print(f"  {cls:12s} measured {cls_meas[cls] * 1e3:9.2f} ms, bound {cls_bound[cls] * 1e3:9.2f} ms, "
              f"ratio {cls_meas[cls] / cls_bound[cls]:6.2f}")
    print(f"\nestimate: mean absolute percentage error {100 * statistics.mean(errors):.1f}% over {len(errors)} models "
          f"(median {100 * statistics.median(errors):.1f}%) against the median run; "
          f"{100 * statistics.mean(errors_fastest):.1f}% against the fastest run")
    Path("/tmp/bench_roofline.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
