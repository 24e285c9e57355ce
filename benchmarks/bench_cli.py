"""Start-up: the CLI end to end against its floor, `import torch` plus building the model.

    python benchmarks/bench_cli.py [--runs 5]

For each command, the median wall time of fresh processes, next to the same process doing
only what nncost cannot avoid: importing torch (and torchvision) and building the model
the way the spec does. Target: every command within floor + 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

FLOOR = {
    "nncost:seednet": "import torch; from nncost.frontends.torch.zoo import SeedNet; SeedNet()",
    "torchvision:resnet50": "import torch, torchvision; torchvision.models.resnet50()",
    "torchvision:vit_b_16": "import torch, torchvision; torchvision.models.vit_b_16()",
    "layer nn.Conv2d(3,64,3) -i 1,3,224,224": "pass",
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
    torch_only = _time([sys.executable, "-c", "import torch"], runs)
    print(f"python -c 'import torch': {torch_only:.2f} s (median of {runs})")
    print(f"{'command':<42} {'nncost':>8} {'floor':>8} {'over':>8}  target: over <= 0.50 s")
    for spec, floor_code in FLOOR.items():
        if spec.startswith("layer"):
            cmd = [sys.executable, "-m", "nncost", "layer", "nn.Conv2d(3,64,3)", "-i", "1,3,224,224"]
        else:
            cmd = [sys.executable, "-m", "nncost", spec]
        ours = _time(cmd, runs)
        floor = _time([sys.executable, "-c", floor_code], runs)
        flag = "ok" if ours - floor <= 0.5 else "OVER"
        print(f"nncost {spec:<35} {ours:7.2f}s {floor:7.2f}s {ours - floor:+7.2f}s  {flag}")


if __name__ == "__main__":
    main()
