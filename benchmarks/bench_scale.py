"""Scale: a Llama-3-70B-shaped model built on the meta device, analysed end to end; then
DeepSeek-V3 (671 B parameters, 256 experts) from its bundled config through the whole LLM
view (prefill, decode with a KV cache, a training step).

    python benchmarks/bench_scale.py

Prints the wall time, the process's peak RSS, and the counts, next to the closed-form
parameter count computed from the config; for the 70B model also its memory view and a
bf16-mixed AdamW training step's. Targets: Llama < 30 s, < 2 GB; DeepSeek-V3 < 60 s, < 4 GB.
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
    m = report.memory
    print(f"memory: weights {m.weights / 1e9:.1f} GB (fp32), inference peak {m.inference_peak / 1e9:.1f} GB at {m.inference_peak_module}")
    t = time.perf_counter()
    train = nncost.analyze(model, input_ids=(1, 128), backward=True, precision="bf16-mixed", optimizer="adamw")
    took = time.perf_counter() - t
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    m = train.memory
    print(f"training step, bf16-mixed AdamW: {took:.1f} s; peak RSS {rss_gb:.2f} GB; weights {m.weights / 1e9:.1f} GB + "
          f"fp32 masters {m.master_weights / 1e9:.1f} GB + gradients {m.gradients / 1e9:.1f} GB + states "
          f"{m.optimizer_states / 1e9:.1f} GB (16 bytes per parameter); saved activations {m.saved_activations / 1e9:.2f} GB; "
          f"peak {m.training_peak / 1e9:.1f} GB at {m.training_peak_module}")

    from nncost.frontends.hf import analyze_hf

    t = time.perf_counter()
    r = analyze_hf("DeepSeek-V3", seq=128, gen=16, dtype="bf16")
    took = time.perf_counter() - t
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    llm = r.extra["llm"]
    print(f"DeepSeek-V3, 128 + 16 tokens, bf16, the whole LLM view: {took:.1f} s; peak RSS {rss_gb:.2f} GB")
    print(f"params {llm['total_params']:,}, active {llm['active_params']:,}; prefill MACs {llm['prefill_macs']:,}; "
          f"decode MACs/token {llm['decode_macs_per_token']:,}; KV cache {llm['kv_cache_bytes']:,} B; "
          f"unsupported {r.unsupported or 'none'}")


if __name__ == "__main__":
    main()
