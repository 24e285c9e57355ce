"""Start-up: the CLI end to end against its floor, `import torch` plus building the model.

    python benchmarks/bench_cli.py [--runs 5]

For each command, the median wall time of fresh processes, next to the same process doing
only what nncost cannot avoid: importing torch (and torchvision or timm) and building the
model on the meta device, as the spec does (`resolve_torch_model`). Also the old way, the
model built on the CPU with random initialisation, for the large models. Targets: every
command within floor + 0.5 s (small models) and within 1.5 × floor (large models).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time

SPECS = ["nncost:seednet", "torchvision:resnet50", "torchvision:vit_b_16", "torchvision:vit_h_14",
         "torchvision:regnet_y_128gf", "timm:aimv2_1b_patch14_224"]
CPU_BUILD = {
    "torchvision:vit_h_14": "import torch, torchvision; torchvision.models.vit_h_14(image_size=518)",
    "torchvision:regnet_y_128gf": "import torch, torchvision; torchvision.models.regnet_y_128gf()",
    "timm:aimv2_1b_patch14_224": "import torch, timm; timm.create_model('aimv2_1b_patch14_224')",
}


def _time(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    runs = ap.parse_args().runs
    py = sys.executable
    torch_only = _time([py, "-c", "import torch"], runs)
    print(f"python -c 'import torch': {torch_only:.2f} s (median of {runs})")
    print(f"{'command':<40} {'nncost':>8} {'floor':>8} {'over':>8} {'ratio':>6} {'CPU build':>10}")
    for spec in SPECS:
        if spec.startswith("timm:") and importlib.util.find_spec("timm") is None:
            continue
        ours = _time([py, "-m", "nncost", spec], runs)
        floor = _time([py, "-c", f"from nncost.frontends import resolve_torch_model; resolve_torch_model({spec!r})"], runs)
        cpu = f"{_time([py, '-c', CPU_BUILD[spec]], max(1, runs // 2)):9.2f}s" if spec in CPU_BUILD else ""
        print(f"nncost {spec:<33} {ours:7.2f}s {floor:7.2f}s {ours - floor:+7.2f}s {ours / floor:5.2f}x {cpu:>10}")
    ours = _time([py, "-m", "nncost", "layer", "nn.Conv2d(3,64,3)", "-i", "1,3,224,224"], runs)
    print(f"nncost layer 'nn.Conv2d(3,64,3)'         {ours:7.2f}s    (no torch)")


if __name__ == "__main__":
    main()
