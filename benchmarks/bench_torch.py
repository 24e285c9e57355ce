"""nncost.analyze against the tools users know, side by side in one process.

    python benchmarks/bench_torch.py [--repeat 5] [--models resnet50,vit_b_16,...]

Every tool analyses the same model instance with the same thread count (1); the time is
the analysis call only (median of --repeat runs after one warm-up). Peers run as their
users run them (real CPU tensors; torch.utils.flop_counter also on meta); "nncost, no
memory" is nncost with its memory bookkeeping (tensor lifetimes, bytes per op, dtypes) off,
to show what the memory view costs. Also printed:
a bare forward on CPU and on meta, and what each tool reports (GMACs, or GFLOPs/2 for the
tools that count 2 × MACs), so their disagreements are visible.

Needs: torch, torchvision, transformers (for BERT/GPT-2 from their default configs, no
download), and any of fvcore, ptflops, thop, torchinfo, calflops (missing ones are skipped).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

import nncost

warnings.simplefilter("ignore")


def build(name: str) -> tuple[nn.Module, tuple[Any, ...]]:
    if name == "lstm2":
        return nn.LSTM(128, 256, num_layers=2), (torch.randn(100, 1, 128),)
    if name in ("bert", "gpt2"):
        import transformers as tf

        if name == "bert":
            model = tf.BertModel(tf.BertConfig())
        else:
            model = tf.GPT2LMHeadModel(tf.GPT2Config())
        return model.eval(), (torch.zeros(1, 128, dtype=torch.long),)
    import torchvision

    return torchvision.models.get_model(name, weights=None).eval(), (torch.randn(1, 3, 224, 224),)


# -- each tool: fn(model, inputs) -> reported GMACs (or None) ------------------------------
def t_nncost(m: nn.Module, x: tuple[Any, ...]) -> float:
    return nncost.analyze(m, *x).total.macs / 1e9


def t_nncost_no_memory(m: nn.Module, x: tuple[Any, ...]) -> float:
    """nncost with its memory bookkeeping switched off (bytes per op, dtypes, tensor lifetimes): what memory costs."""
    from nncost.frontends.torch import capture, lifetime

    move, add, produced = capture._State.move, capture._State.add, lifetime.Lifetimes.produced
    capture._State.move = lambda *a, **k: None  # type: ignore[method-assign]
    capture._State.add = lambda self, cost, attention=None, dtype=None: add(self, cost, attention)  # type: ignore[method-assign]
    lifetime.Lifetimes.produced = lambda *a, **k: None  # type: ignore[method-assign]
    try:
        return nncost.analyze(m, *x).total.macs / 1e9
    finally:
        capture._State.move, capture._State.add, lifetime.Lifetimes.produced = move, add, produced  # type: ignore[method-assign]


def t_flop_counter(device: str) -> Callable[[nn.Module, tuple[Any, ...]], float]:
    from torch.utils.flop_counter import FlopCounterMode

    def run(m: nn.Module, x: tuple[Any, ...]) -> float:
        if device == "meta":  # its own meta copy, made once per model outside the timing
            m, x = META[id(m)]
        with torch.no_grad(), FlopCounterMode(display=False) as fc:
            m(*x)
        return fc.get_total_flops() / 2e9

    return run


def t_fvcore(m: nn.Module, x: tuple[Any, ...]) -> float:
    from fvcore.nn import FlopCountAnalysis

    a = FlopCountAnalysis(m, x)
    a.unsupported_ops_warnings(False)
    a.uncalled_modules_warnings(False)
    return a.total() / 1e9


def t_ptflops(backend: str) -> Callable[[nn.Module, tuple[Any, ...]], float]:
    from ptflops import get_model_complexity_info

    def run(m: nn.Module, x: tuple[Any, ...]) -> float:
        macs, _ = get_model_complexity_info(m, tuple(x[0].shape[1:]), input_constructor=lambda _: x[0],
                                            as_strings=False, print_per_layer_stat=False, verbose=False, backend=backend)
        return (macs or 0) / 1e9

    return run


def t_thop(m: nn.Module, x: tuple[Any, ...]) -> float:
    from thop import profile

    with contextlib.redirect_stdout(io.StringIO()):
        macs, _ = profile(m, inputs=x, verbose=False)
    return macs / 1e9


def t_torchinfo(m: nn.Module, x: tuple[Any, ...]) -> float:
    from torchinfo import summary

    return summary(m, input_data=list(x), verbose=0).total_mult_adds / 1e9


def t_calflops(m: nn.Module, x: tuple[Any, ...]) -> float:
    from calflops import calculate_flops

    with contextlib.redirect_stdout(io.StringIO()):
        _, macs, _ = calculate_flops(m, args=list(x), print_results=False, print_detailed=False, output_as_string=False)
    return macs / 1e9


def tools() -> dict[str, Callable[[nn.Module, tuple[Any, ...]], float]]:
    out: dict[str, Callable[[nn.Module, tuple[Any, ...]], float]] = {"nncost (meta)": t_nncost,
                                                                     "nncost, no memory": t_nncost_no_memory}
    out["flop_counter (cpu)"] = t_flop_counter("cpu")
    out["flop_counter (meta)"] = t_flop_counter("meta")
    for name, make in (("fvcore", lambda: t_fvcore), ("ptflops pytorch", lambda: t_ptflops("pytorch")),
                       ("ptflops aten", lambda: t_ptflops("aten")), ("thop", lambda: t_thop),
                       ("torchinfo", lambda: t_torchinfo), ("calflops", lambda: t_calflops)):
        try:
            __import__({"ptflops pytorch": "ptflops", "ptflops aten": "ptflops"}.get(name, name))
            out[name] = make()
        except ImportError:
            print(f"(skipping {name}: not installed)")
    return out


META: dict[int, tuple[nn.Module, tuple[Any, ...]]] = {}


def median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    value = fn()  # warm-up, and the reported value
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), value


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--models", default="resnet50,mobilenet_v2,vgg16,vit_b_16,swin_t,lstm2,bert,gpt2")
    a = ap.parse_args()
    torch.set_num_threads(1)
    all_tools = tools()
    for name in a.models.split(","):
        model, x = build(name)
        meta_model = build(name)[0].to("meta")
        xm = tuple(t.to("meta") for t in x)
        META[id(model)] = (meta_model, xm)
        with torch.no_grad():
            cpu_fwd, _ = median_time(lambda: model(*x), a.repeat)
            meta_fwd, _ = median_time(lambda: meta_model(*xm), a.repeat)
        print(f"\n== {name}: bare forward cpu {cpu_fwd * 1e3:.1f} ms, meta {meta_fwd * 1e3:.1f} ms")
        print(f"   {'tool':22s} {'time ms':>9s} {'x cpu fwd':>10s} {'x meta fwd':>11s} {'vs nncost':>10s} {'reports GMACs':>14s}")
        rows = []
        for tool, fn in all_tools.items():
            try:
                t, v = median_time(lambda fn=fn: fn(model, x), a.repeat)
            except Exception as exc:  # a peer that cannot handle the model
                rows.append((tool, None, f"fails: {type(exc).__name__}"))
                continue
            rows.append((tool, t, f"{v:.3f}" if v is not None else "?"))
        ours = rows[0][1]
        best_peer = min((t for tool, t, _ in rows[2:] if t is not None), default=None)
        for tool, t, v in rows:
            if t is None:
                print(f"   {tool:22s} {'-':>9s} {'':>10s} {'':>11s} {'':>10s} {v:>14s}")
                continue
            print(f"   {tool:22s} {t * 1e3:9.1f} {t / cpu_fwd:10.2f} {t / meta_fwd:11.2f} {t / ours:10.2f} {v:>14s}")
        if best_peer is not None and ours is not None:
            print(f"   fastest peer / nncost = {best_peer / ours:.2f}x")
        if ours is not None and rows[1][1] is not None:
            print(f"   memory (lifetimes, bytes, dtypes) adds {100 * (ours / rows[1][1] - 1):+.1f}% to nncost's time")


if __name__ == "__main__":
    main()
