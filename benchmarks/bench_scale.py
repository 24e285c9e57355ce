"""Scale: a Llama-3-70B-shaped model built on the meta device, analysed end to end.

    python benchmarks/bench_scale.py

Prints the wall time of nncost.analyze, the process's peak RSS, and the counts, next to
the closed-form parameter count computed from the config. Target: < 30 s, < 2 GB.
"""

from __future__ import annotations

import resource
import time
import warnings

import torch

import nncost

warnings.simplefilter("ignore")


def main() -> None:
    import transformers as tf

    cfg = tf.LlamaConfig(
        vocab_size=128256, hidden_size=8192, intermediate_size=28672, num_hidden_layers=80,
        num_attention_heads=64, num_key_value_heads=8, max_position_embeddings=8192,
        rope_theta=500000.0, tie_word_embeddings=False,
    )
    t0 = time.perf_counter()
    with torch.device("meta"):
        model = tf.LlamaForCausalLM(cfg)
    built = time.perf_counter() - t0
    t = time.perf_counter()
    report = nncost.analyze(model, input_ids=(1, 128))
    took = time.perf_counter() - t
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    h, i, L, v, kv = 8192, 28672, 80, 128256, 8 * 128
    closed = 2 * v * h + L * (h * h * 2 + 2 * h * kv + 3 * h * i + 2 * h) + h  # embeddings + head, attn, MLP, norms
    print(f"Llama-3-70B-shaped, 128 tokens: built on meta in {built:.1f} s; nncost.analyze {took:.2f} s; "
          f"peak RSS {rss_gb:.2f} GB")
    print(f"params {report.total.params:,} (closed form {closed:,}); MACs {report.total.macs:,}; "
          f"FLOPs {report.total.flops:,}; unsupported {report.unsupported or 'none'}")
    print(f"MACs / (params · tokens) = {report.total.macs / (report.total.params * 128):.4f}  (≈ 1: the 2N-per-token rule)")


if __name__ == "__main__":
    main()
