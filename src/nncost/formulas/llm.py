"""Closed forms used to size LLMs: KV cache, weight bytes, and the published rules of thumb.

The rules count FLOPs as 2 × MACs (a multiply-add is 2 FLOPs), per token:

- forward ≈ 2N, training ≈ 6N (forward + backward ≈ 3 × forward), N = non-embedding
  parameters (Kaplan et al. 2020, "Scaling Laws for Neural Language Models", §2.1);
- Kaplan's forward with attention: 2N + 2·n_layer·n_ctx·d_attn;
- PaLM's training (Chowdhery et al. 2022, Appendix B): 6N + 12·L·H·Q·T, H heads of size Q,
  sequence length T.

nncost reports them next to its exact counts; the differences are the LM head (an
embedding matrix the rules leave out of N), attention (absent from 2N/6N) and everything
that is not a matmul.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from ..errors import InputError

__all__ = ["BYTES_PER_ELEMENT", "QUANTIZED", "bytes_per_element", "kv_cache_bytes", "kv_cache_bytes_layers",
           "quantized_weight_bytes", "rule_2n", "rule_6n", "rule_kaplan", "rule_palm", "weight_bytes"]

BYTES_PER_ELEMENT: dict[str, Fraction] = {
    "fp32": Fraction(4), "float32": Fraction(4), "fp16": Fraction(2), "float16": Fraction(2), "bf16": Fraction(2),
    "bfloat16": Fraction(2), "fp8": Fraction(1), "int8": Fraction(1), "int4": Fraction(1, 2), "fp64": Fraction(8),
    "float64": Fraction(8),
}


def bytes_per_element(dtype: str) -> Fraction:
    try:
        return BYTES_PER_ELEMENT[dtype.lower()]
    except KeyError:
        raise InputError(f"dtype must be one of {', '.join(sorted(BYTES_PER_ELEMENT))}, got {dtype!r}") from None


def kv_cache_bytes(layers: int, batch: int, context: int, kv_heads: int, head_dim: int, dtype: str) -> int:
    """2 (K and V) · layers · batch · context · kv_heads · head_dim · bytes per element.

    Grouped-query attention caches kv_heads, not query heads: Llama-3-8B at context 8192,
    batch 1, bf16 = 2·32·8192·8·128·2 bytes = 1 GiB.
    """
    return kv_cache_bytes_layers(batch, context, [None] * layers, 2 * kv_heads * head_dim, dtype)


def kv_cache_bytes_layers(batch: int, context: int, windows: Sequence[int | None], per_token: int, dtype: str) -> int:
    """Σ over layers of batch · cached tokens · elements per token · bytes per element.

    ``windows`` has one entry per layer: None for global attention (the whole context is
    cached), a window W for sliding-window or chunked attention (at most W tokens are kept:
    min(context, W)), 0 for a layer with no KV cache (a recurrent or state-space layer).
    ``per_token``: 2·kv_heads·head_dim for K and V; kv_lora_rank + qk_rope_head_dim for
    multi-head latent attention, which caches the compressed latent and the RoPE key.
    """
    tokens = sum(context if w is None else min(context, w) for w in windows)
    return int(batch * tokens * per_token * bytes_per_element(dtype))


def weight_bytes(params: int, dtype: str) -> int:
    """params · bytes per element (int4 packs two weights a byte; no scales: see quantized_weight_bytes)."""
    return int(params * bytes_per_element(dtype))


QUANTIZED = ("int8", "int4", "fp8")


def quantized_weight_bytes(quantized: Sequence[int], other: int, dtype: str, group_size: int = 128) -> int:
    """Bytes of a model whose matmul weights are quantized group-wise (GPTQ, AWQ and the fp8
    checkpoints' block scales):

    - each quantized tensor of n elements: n · bits/8, plus per group of ``group_size``
      consecutive weights (⌈n / g⌉ groups) a scale — fp16 (2 bytes) for int8/int4, with a
      zero point of the weight's own width (1 byte / half a byte); fp32 (4 bytes) and no zero
      point for fp8, which is symmetric;
    - everything else (embeddings, the LM head, norms, biases) ``other`` parameters in bf16,
      as these tools keep them.
    """
    if dtype not in QUANTIZED:
        raise InputError(f"quantized dtype must be one of {', '.join(QUANTIZED)}, got {dtype!r}")
    if group_size < 1:
        raise InputError(f"group size must be >= 1, got {group_size}")
    per_group = {"int8": Fraction(2) + 1, "int4": Fraction(2) + Fraction(1, 2), "fp8": Fraction(4)}[dtype]
    total = Fraction(other * 2)
    for n in quantized:
        total += n * bytes_per_element(dtype) + -(-n // group_size) * per_group
    return int(total + Fraction(1, 2))  # half bytes round up to a whole byte


def rule_2n(n_nonemb: int) -> int:
    """Forward FLOPs per token ≈ 2N."""
    return 2 * n_nonemb


def rule_6n(n_nonemb: int) -> int:
    """Training FLOPs per token ≈ 6N."""
    return 6 * n_nonemb


def rule_kaplan(n_nonemb: int, n_layer: int, n_ctx: int, d_attn: int) -> int:
    """Forward FLOPs per token ≈ 2N + 2·n_layer·n_ctx·d_attn."""
    return 2 * n_nonemb + 2 * n_layer * n_ctx * d_attn


def rule_palm(n_nonemb: int, n_layer: int, heads: int, head_dim: int, seq: int) -> int:
    """Training FLOPs per token ≈ 6N + 12·L·H·Q·T."""
    return 6 * n_nonemb + 12 * n_layer * heads * head_dim * seq
