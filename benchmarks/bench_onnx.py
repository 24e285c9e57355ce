"""nncost's ONNX frontend against onnx-tool, side by side in one run.

    python benchmarks/bench_onnx.py

Prints (median of --repeat runs):
- end to end: a new process from start to printed table, ``nncost resnet50.onnx`` vs
  ``python -c "onnx_tool.model_profile('resnet50.onnx')"``;
- the analysis call alone, in this process, after imports;
- a 10,000-node graph (a chain of MatMul, Add, Relu) analysed by nncost.

Needs torch + torchvision once, to export resnet50 (weights=None) to a temporary folder;
onnx-tool is optional (skipped if missing).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

warnings.simplefilter("ignore")


def median(fn: Callable[[], Any], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def export_resnet50(folder: str) -> str:
    import torch
    import torchvision

    path = os.path.join(folder, "resnet50.onnx")
    model = torchvision.models.resnet50().eval()
    torch.onnx.export(model, (torch.randn(1, 3, 224, 224),), path, dynamo=False, opset_version=17)
    return path


def chain(folder: str, blocks: int = 3334) -> str:
    """A graph of 3·blocks nodes: x <- relu(x @ W_i + b_i)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits, x = [], [], "X"
    for i in range(blocks):
        inits += [numpy_helper.from_array(np.zeros((16, 16), np.float32), f"W{i}"),
                  numpy_helper.from_array(np.zeros((16,), np.float32), f"b{i}")]
        nodes += [helper.make_node("MatMul", [x, f"W{i}"], [f"m{i}"], name=f"/block{i}/MatMul"),
                  helper.make_node("Add", [f"m{i}", f"b{i}"], [f"a{i}"], name=f"/block{i}/Add"),
                  helper.make_node("Relu", [f"a{i}"], [f"r{i}"], name=f"/block{i}/Relu")]
        x = f"r{i}"
    g = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 16])],
                          [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, 16])], inits)
    path = os.path.join(folder, "chain.onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    import nncost

    with tempfile.TemporaryDirectory() as folder:
        resnet = export_resnet50(folder)
        big = chain(folder)
        size = os.path.getsize(resnet) / 2**20
        print(f"resnet50.onnx: {size:.0f} MiB")
        e2e_ours = median(lambda: subprocess.run([sys.executable, "-m", "nncost", resnet], capture_output=True, check=True),
                          a.repeat)
        ours = median(lambda: nncost.analyze_onnx(resnet), a.repeat)
        r = nncost.analyze_onnx(resnet)
        print(f"  nncost    end to end {e2e_ours:6.2f} s   analysis {ours:6.3f} s   GMACs {r.total.macs / 1e9:.3f}")
        try:
            import onnx_tool

            code = f"import onnx_tool; onnx_tool.model_profile({resnet!r})"
            e2e_theirs = median(lambda: subprocess.run([sys.executable, "-c", code], capture_output=True, check=True), a.repeat)

            def profile() -> None:
                with contextlib.redirect_stdout(io.StringIO()):
                    onnx_tool.model_profile(resnet)

            theirs = median(profile, a.repeat)
            print(f"  onnx-tool end to end {e2e_theirs:6.2f} s   analysis {theirs:6.3f} s")
            print(f"  onnx-tool / nncost: end to end {e2e_theirs / e2e_ours:.2f}x, analysis {theirs / ours:.2f}x")
        except ImportError:
            print("  (onnx-tool not installed: skipped)")
        t = median(lambda: nncost.analyze_onnx(big), max(1, a.repeat // 2))
        rb = nncost.analyze_onnx(big)
        print(f"10,002-node chain: nncost analysis {t:.2f} s ({rb.extra['onnx']['nodes']} nodes, MACs {rb.total.macs:,})")


if __name__ == "__main__":
    main()
