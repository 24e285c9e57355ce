"""nncost's predicted training-step peak against the memory a real training step takes on the CPU.

    python benchmarks/bench_memory.py [--models resnet18,gpt2] [--threads 2]

For each model, a fresh process first trains a small model of the same kind for one step
(so that libraries and kernel code are loaded before the baseline), then builds the model,
runs one training step (forward, ``sum()``
backward, AdamW step, gradients set to None) so the optimizer states exist, resets the
kernel's peak-RSS counter (``/proc/self/clear_refs``), runs a second step and reads the
peak resident set size (``VmHWM``). The measured figure is that peak less the process's
resident size before the model was built. glibc is told to give every allocation above
64 KiB its own mapping (``MALLOC_MMAP_THRESHOLD_=65536``), so freed tensors leave the
resident set at once instead of staying in malloc's heap.

Next to it: ``nncost.analyze(model, x, backward=True, train=True)`` on meta, its training
peak and the terms it is made of, and the ratio. Models: ResNet-18 at batch 32 and GPT-2
(124 M, transformers' default config) at batch 8 × 512 tokens, AdamW, fp32. GPT-2's
attention dropout is set to 0: PyTorch's CPU flash-attention kernel does not take dropout
and falls back to the math kernel, which saves the S×S probabilities (2.7 GB here), while
nncost counts the fused kernel that GPUs run with dropout too (docs/memory.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = r"""
import json, os, sys, time, warnings
warnings.simplefilter("ignore")
import torch
torch.set_num_threads(int(sys.argv[2]))
if os.environ.get("NO_MKLDNN"): torch.backends.mkldnn.enabled = False

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)

def build(name, small=False):
    if name == "gpt2":
        import transformers as tf
        cfg = tf.GPT2Config(attn_implementation="sdpa", attn_pdrop=0.0,
                            **({"n_layer": 1, "n_embd": 64, "n_head": 2} if small else {}))
        return tf.GPT2LMHeadModel(cfg).train(), torch.zeros(2 if small else 8, 64 if small else 512, dtype=torch.long)
    import torchvision
    model = torchvision.models.get_model(name, weights=None)
    return model.train(), torch.randn(2 if small else 32, 3, 64 if small else 224, 64 if small else 224)

def step():
    out = model(x)
    loss = (out.logits if hasattr(out, "logits") else out).sum()
    del out  # only the loss is kept, as nncost assumes (a loss function that saves the logits would keep them)
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)

name = sys.argv[1]
# the libraries and the kernels' code are loaded by a small model of the same kind, before the baseline
model, x = build(name, small=True)
opt = torch.optim.AdamW(model.parameters(), foreach=False)
step()
del model, x, opt
base = status("VmRSS")
model, x = build(name)
opt = torch.optim.AdamW(model.parameters(), foreach=False)
step()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset VmHWM to the current RSS
t = time.perf_counter()
step()
seconds = time.perf_counter() - t
print(json.dumps({"measured": status("VmHWM") - base, "step_seconds": seconds}))
"""


def predict(name: str) -> dict[str, int]:
    import warnings

    import torch

    import nncost

    warnings.simplefilter("ignore")
    if name == "gpt2":
        import transformers as tf

        model = tf.GPT2LMHeadModel(tf.GPT2Config(attn_implementation="sdpa", attn_pdrop=0.0))
        m = nncost.analyze(model, input_ids=torch.zeros(8, 512, dtype=torch.long), backward=True, train=True).memory
    else:
        import torchvision

        model = torchvision.models.get_model(name, weights=None)
        m = nncost.analyze(model, (32, 3, 224, 224), backward=True, train=True).memory
    assert m is not None and m.training_peak is not None
    return {"training_peak": m.training_peak, "weights": m.weights, "gradients": m.gradients or 0,
            "optimizer_states": m.optimizer_states or 0, "saved_activations": m.saved_activations or 0,
            "inputs": m.inputs, "peak_at": m.training_peak_module}  # type: ignore[dict-item]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="resnet18,gpt2")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536"}
    mib = 1 << 20
    print(f"{'model':10s} {'measured MiB':>13s} {'nncost MiB':>11s} {'ratio':>7s}   terms (MiB)")
    for name in a.models.split(","):
        run = subprocess.run([sys.executable, "-c", CHILD, name, str(a.threads)], env=env, capture_output=True, text=True)
        if run.returncode != 0:
            print(f"{name:10s} failed: {run.stderr.strip().splitlines()[-1:]}")
            continue
        real = json.loads(run.stdout.strip().splitlines()[-1])
        p = predict(name)
        terms = ", ".join(f"{k} {v / mib:.0f}" for k, v in p.items() if k not in ("training_peak", "peak_at"))
        print(f"{name:10s} {real['measured'] / mib:13.1f} {p['training_peak'] / mib:11.1f} "
              f"{p['training_peak'] / real['measured']:7.3f}   {terms}; peak at {p['peak_at']}; "
              f"a real step took {real['step_seconds']:.1f} s")


if __name__ == "__main__":
    main()
