"""The LLM view of a causal LM: prefill, decode, KV cache, weights, training, and the rules.

Everything is measured on the real model (on meta), never estimated from a rule:

- prefill: the report's forward over B × S tokens, split into attention (scores,
  softmax, values), the LM head, and the rest (Q/K/V/O projections, MLP, norms);
- decode at context c: one token through the model with a real KV cache of c − 1 tokens;
  cost is linear in c (attention grows, the rest does not), so the sum over T generated
  tokens (contexts S + 1 ... S + T) is T·(d(S + 1) + d(S + T))/2, exactly;
- training: a measured backward pass (forward + backward per token);
- KV cache and weight bytes from the config, grouped-query aware.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch

from ... import formulas as fm
from ...report import Report
from .attrs import cfg_attr
from .serving import serving_memory

__all__ = ["llm_view"]

DTYPES = ("fp32", "bf16", "fp8", "int8", "int4")


def _decode(model: Any, batch: int, context: int, dtype: str | None, flops: str) -> tuple[int, int, list[Any]]:
    """(MACs, FLOPs, op log) of one decode step for ``batch`` sequences at context ``context``."""
    from ..torch import analyze

    params = inspect.signature(model.forward).parameters
    cache_arg = "cache" if "cache" in params else "past_key_values"
    inputs: dict[str, Any] = {"input_ids": (batch, 1), "use_cache": True}
    if context > 1:
        with torch.no_grad():
            out = model(input_ids=torch.zeros(batch, context - 1, dtype=torch.long, device="meta"), use_cache=True)
        inputs[cache_arg] = out["cache"] if "cache" in out else out["past_key_values"]
    r = analyze(model, inputs=inputs, dtype=dtype, flops=flops)
    return r.total.macs, r.total.flops, r.op_logs["model"]


def _embedding_params(model: Any) -> int:
    """Input and position embeddings, plus an untied output embedding (the rules' "embedding")."""
    seen: set[int] = set()
    total = 0
    for m in model.modules():
        if isinstance(m, torch.nn.Embedding) and id(m.weight) not in seen:
            seen.add(id(m.weight))
            total += m.weight.numel()
    out = model.get_output_embeddings()
    if out is not None and id(out.weight) not in seen:
        total += out.weight.numel()
    return total


def _quantizable(model: Any) -> tuple[list[int], int]:
    """(sizes of the weights GPTQ/AWQ-style quantization packs, the other parameters): the
    weights of linear layers and of expert matmuls; not embeddings, the LM head, norms or biases."""
    head = model.get_output_embeddings()
    skip = {id(head.weight)} if head is not None else set()
    # nn.Linear, and transformers' Conv1D (GPT-2's projections: a linear layer with its weight transposed)
    linear = {id(m.weight) for m in model.modules()
              if isinstance(m, torch.nn.Linear) or (type(m).__name__ == "Conv1D" and isinstance(m.weight, torch.Tensor))} - skip
    quantized, other = [], 0
    for name, p in model.named_parameters():
        if id(p) in linear or (".experts." in f".{name}" and p.dim() >= 2 and id(p) not in skip):
            quantized.append(p.numel())
        else:
            other += p.numel()
    return quantized, other


def _routed_expert_params(model: Any) -> int:
    """Parameters of the routed experts: those inside an ``experts`` container (stacked
    [E, ...] tensors or a list of per-expert modules); shared experts live elsewhere."""
    return sum(p.numel() for n, p in model.named_parameters() if ".experts." in f".{n}")


def experts_view(model: Any, cfg: Any, total: int) -> tuple[dict[str, Any] | None, int]:
    """(the ``experts`` section or None, active parameters per token). Each token runs
    k of the E routed experts (and every shared expert): active = total − routed + routed·k/E."""
    from . import experts_of

    moe = experts_of(cfg)
    routed = _routed_expert_params(model) if moe else 0
    if not moe or not routed:
        return None, total
    active = total - routed + routed * moe["top_k"] // moe["count"]
    return {**moe, "routed_params": routed, "params_per_expert": routed // moe["count"]}, active


_NO_KV = ("linear_attention", "mamba", "mamba2", "conv", "recurrent", "rwkv", "ssm", "moe_linear", "hybrid_linear")


def kv_layout(cfg: Any, layers: int, kv_heads: int, head_dim: int) -> tuple[list[int | None], int, str]:
    """(per-layer windows, cached elements per token and layer, how the cache is laid out).

    ``layer_types`` names each layer's attention (sliding, chunked, full, or a recurrent
    kind with no KV cache); without it, a ``sliding_window`` applies to every layer (as
    Mistral uses it) unless ``use_sliding_window`` turns it off. Multi-head latent attention
    (``kv_lora_rank``) caches the compressed latent and the decoupled RoPE key per token."""
    window = cfg_attr(cfg, "sliding_window", None)
    window = window if isinstance(window, int) and not isinstance(window, bool) and window > 0 else None
    chunk = cfg_attr(cfg, "attention_chunk_size", None)
    types = cfg_attr(cfg, "layer_types", None)
    if isinstance(types, (list, tuple)) and len(types) == layers:
        windows: list[int | None] = []
        for t in types:
            t = str(t)
            if t.startswith("sliding"):
                windows.append(window)
            elif t.startswith("chunked"):
                windows.append(chunk if isinstance(chunk, int) else None)
            elif any(k in t for k in _NO_KV):
                windows.append(0)
            else:
                windows.append(None)
    elif window is not None and cfg_attr(cfg, "use_sliding_window", True) is not False:
        windows = [window] * layers
    else:
        windows = [None] * layers
    rank = cfg_attr(cfg, "kv_lora_rank", None)
    if isinstance(rank, int) and rank > 0:
        rope = int(cfg_attr(cfg, "qk_rope_head_dim", 0) or 0)
        return windows, rank + rope, f"multi-head latent attention: the {rank}-wide latent and the {rope}-wide RoPE key per token"
    layout = "K and V of the key/value heads"
    if any(w for w in windows if w):
        layout += "; sliding-window layers keep at most their window"
    return windows, 2 * kv_heads * head_dim, layout


def llm_view(model: Any, cfg: Any, prefill: Report, *, batch: int, seq: int, gen: int, dtype: str, flops: str = "seed",
             group_size: int = 128, device_memory: int | None = None, max_positions: int | None = None) -> dict[str, Any]:
    from ..torch import analyze
    from . import torch_dtype

    tdtype = torch_dtype(dtype)
    layers = cfg.num_hidden_layers
    heads = cfg.num_attention_heads
    kv_heads = cfg_attr(cfg, "num_key_value_heads", None) or heads
    head_dim = cfg_attr(cfg, "head_dim", None) or cfg.hidden_size // heads
    tokens = batch * seq
    t = prefill.total

    att = prefill.extra["breakdown"]["attention"]
    head_module = model.get_output_embeddings()
    head_path = next((p for p, m in model.named_modules() if m is head_module), None)
    head = prefill.layer(head_path) if head_path is not None else None
    head_macs, head_flops = (head.macs, head.flops) if head else (0, 0)
    useful = att["macs"] * (seq + 1) // (2 * seq)  # query i sees i + 1 of S keys: Σ(i + 1)/S² = (S + 1)/2S

    d_now = _decode(model, batch, seq, tdtype, flops)
    prefill.op_logs["decode"] = d_now[2]
    decode_total = (0, 0)
    if gen:
        first, last = _decode(model, batch, seq + 1, tdtype, flops), _decode(model, batch, seq + gen, tdtype, flops)
        decode_total = (gen * (first[0] + last[0]) // 2, gen * (first[1] + last[1]) // 2)

    train = analyze(model, input_ids=(batch, seq), dtype=tdtype, backward=True, flops=flops).total
    n_nonemb = t.params - _embedding_params(model)
    d_attn = heads * head_dim
    fwd_2mac = 2 * t.macs // tokens
    train_2mac = 2 * train.train_macs // tokens
    rules = {
        "non_embedding_params": n_nonemb,
        "exact_forward_2mac_per_token": fwd_2mac,
        "exact_train_2mac_per_token": train_2mac,
        "2N": fm.rule_2n(n_nonemb),
        "kaplan_forward": fm.rule_kaplan(n_nonemb, layers, seq, d_attn),
        "6N": fm.rule_6n(n_nonemb),
        "palm_train": fm.rule_palm(n_nonemb, layers, heads, head_dim, seq),
        # what 2N leaves out, per token in its convention: the LM head (an embedding matrix, so
        # not in N) and attention's scores and values; the rest of the gap is biases/norms
        "lm_head_2mac_per_token": 2 * head_macs // tokens,
        "attention_2mac_per_token": 2 * att["macs"] // tokens,
    }
    rank = cfg_attr(cfg, "kv_lora_rank")
    if isinstance(rank, int) and rank > 0:
        per_token = rank * heads * (int(cfg_attr(cfg, "qk_nope_head_dim", 0) or 0) + int(cfg_attr(cfg, "v_head_dim", 0) or 0))
        prefill.notes.append(
            f"latent attention as transformers runs it: each decode step expands the whole cached latent through kv_b_proj "
            f"({per_token:,} MACs per cached token and layer, counted); engines that absorb kv_b_proj into the query and "
            "output projections (vLLM, SGLang) skip that work, so their decode costs less")
    experts, active = experts_view(model, cfg, t.params)
    windows, per_token, layout = kv_layout(cfg, layers, kv_heads, head_dim)
    quantized, other = _quantizable(model)

    def weights(d: str) -> int:  # int8, int4, fp8: the linear weights group-quantized, the rest bf16
        if d.lower() in fm.llm.QUANTIZED:
            return fm.quantized_weight_bytes(quantized, other, d.lower(), group_size)
        return fm.weight_bytes(t.params, d)

    if tdtype is not None:
        run_dtype = getattr(torch, tdtype)
    elif dtype.lower() in fm.llm.QUANTIZED:  # quantized weights serve bf16 activations and a bf16 KV cache
        run_dtype = torch.bfloat16
    else:
        run_dtype = next((p.dtype for p in model.parameters() if p.dtype.is_floating_point), torch.float32)
    serving = serving_memory(model, cfg, batch=batch, seq=seq, gen=gen, run_dtype=run_dtype, weights=weights(dtype),
                             windows=windows, per_token=per_token, max_positions=max_positions, device_memory=device_memory)
    if experts:
        prefill.notes.append(
            f"mixture of experts: each token runs {experts['top_k']} of {experts['count']} routed experts"
            + (f" and {experts['shared']} shared" if experts["shared"] else "")
            + f"; {active:,} of {t.params:,} parameters are active per token. The counts do not depend on which "
            "experts the router picks (every token reaches k of them: no capacity limit, no dropped tokens)")
    return {
        "total_params": t.params, "active_params": active, "experts": experts,
        "batch": batch, "seq": seq, "gen": gen, "dtype": dtype,
        "layers": layers, "heads": heads, "kv_heads": kv_heads, "head_dim": head_dim,
        "prefill_macs": t.macs, "prefill_flops": t.flops,
        "prefill_split": {
            "projections_mlp": {"macs": t.macs - att["macs"] - head_macs, "flops": t.flops - att["flops"] - head_flops},
            "attention": {"macs": att["macs"], "flops": att["flops"], "causal_useful_macs": useful},
            "lm_head": {"macs": head_macs, "flops": head_flops},
        },
        "decode_context": seq,
        "decode_macs_per_token": d_now[0] // batch,
        "decode_flops_per_token": d_now[1] // batch,
        "decode_total_macs": decode_total[0], "decode_total_flops": decode_total[1],
        "kv_cache_context": seq + gen,
        "kv_cache_bytes": fm.kv_cache_bytes_layers(batch, seq + gen, windows, per_token, dtype),
        "kv_cache_layout": {"windows": windows, "elements_per_token_and_layer": per_token, "what": layout},
        "weight_bytes": weights(dtype),
        "weight_bytes_by_dtype": {d: weights(d) for d in DTYPES},
        "weight_quantization": {"group_size": group_size, "quantized_params": sum(quantized), "other_params": other,
                                "other_dtype": "bf16"},
        "train_flops_per_token": train.train_flops // tokens,
        "train_macs_per_token": train.train_macs // tokens,
        "rules": rules,
        "serving": serving,
    }
