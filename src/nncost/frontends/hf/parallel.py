"""Per-GPU memory of a decoder LM's training step under tensor, pipeline and data parallelism.

The measured single-device training step (weights, gradients, optimizer states, and the
activations autograd saves, per layer) is divided by the rules of Megatron-LM and ZeRO
(docs/memory.md, "Parallel training"):

- **tensor parallel** (``tp``, Shoeybi et al. 2019): the weights of linear layers, expert
  matmuls and the vocabulary-parallel embedding and LM head are split over tp ranks; norms
  are replicated. With sequence parallelism (Korthikanti et al. 2022, §4.2.2, Megatron's
  recommended setting) every saved activation is split too: per layer sbh(34 + 5as/h)/t;
- **pipeline parallel** (``pp``): the decoder layers are cut into pp contiguous stages; the
  first holds the input embedding, the last the final norm and the LM head (and, with tied
  embeddings, a copy of the embedding). In the 1F1B schedule stage s keeps pp − s
  micro-batches' activations in flight;
- **data parallel** (``dp``) with **ZeRO** stage 0–3 partitions optimizer states (stage 1),
  gradients (2) and weights (3) over the dp ranks.

The busiest rank is reported, with every stage's figures.
"""

from __future__ import annotations

from typing import Any

import torch

from ...errors import InputError
from ...formulas.memory import PRECISIONS, ZERO_STAGES, pipeline_in_flight, training_state_bytes, zero_per_rank
from ...report import Report
from .attrs import cfg_attr

__all__ = ["check_parallel", "parallel_memory"]


def check_parallel(tp: int, pp: int, dp: int, zero: int) -> None:
    for name, v in (("tp", tp), ("pp", pp), ("dp", dp)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise InputError(f"--{name} must be an int >= 1 (ranks), got {v!r}")
    if zero not in ZERO_STAGES:
        raise InputError(f"--zero must be a ZeRO stage, 0, 1, 2 or 3, got {zero!r}")


def _layer_list(model: torch.nn.Module, layers: int) -> tuple[str, list[torch.nn.Module]]:
    """(path, modules) of the decoder layers: the ModuleList with one module per hidden layer."""
    for path, m in model.named_modules():
        if isinstance(m, torch.nn.ModuleList) and len(m) == layers:
            return path, list(m)
    raise InputError(f"{type(model).__name__} has no list of {layers} decoder layers: --tp/--pp need a decoder LM")


def _sharded(module: torch.nn.Module, name: str) -> bool:
    """Split by tensor parallelism: linear layers (nn.Linear, transformers' Conv1D), expert matmuls, embeddings."""
    return isinstance(module, (torch.nn.Linear, torch.nn.Embedding)) or type(module).__name__ == "Conv1D" or (
        ".experts." in f".{name}")


def parallel_memory(model: torch.nn.Module, cfg: Any, report: Report, *, batch: int, tp: int, pp: int, dp: int,
                    zero: int) -> dict[str, Any]:
    """The ``parallel`` section of the memory view (see the module's docstring)."""
    mem = report.memory
    assert mem is not None and mem.precision is not None and mem.optimizer is not None
    layers = int(cfg.num_hidden_layers)
    heads = int(cfg_attr(cfg, "num_attention_heads", 0) or 0)
    kv_heads = int(cfg_attr(cfg, "num_key_value_heads", None) or heads)
    if heads and heads % tp:
        raise InputError(f"--tp {tp} must divide the {heads} attention heads (each rank computes whole heads)")
    if kv_heads and kv_heads % tp:
        raise InputError(f"--tp {tp} must divide the {kv_heads} key/value heads (Megatron-LM splits the key/value "
                         "groups over the ranks)")
    if pp > layers:
        raise InputError(f"--pp {pp} is more pipeline stages than the model's {layers} layers")
    width = PRECISIONS[mem.precision][0]
    prefix, blocks = _layer_list(model, layers)
    layer_of = {id(m): i for i, b in enumerate(blocks) for m in b.modules()}
    owner = dict(model.named_modules())
    # parameters (shared ones once) by where they live: a layer index, "embed" (first stage) or "head" (last stage)
    elems: dict[Any, list[int]] = {}  # place -> [sharded elements, replicated elements, trainable sharded, trainable repl.]
    seen: set[int] = set()
    get_head: Any = getattr(model, "get_output_embeddings", None)
    head = get_head() if callable(get_head) else None
    tied = head is not None and any(head.weight is m.weight for m in model.modules()
                                    if isinstance(m, torch.nn.Embedding) and m is not head)
    for name, p in model.named_parameters(remove_duplicate=False):
        if id(p) in seen:
            continue
        seen.add(id(p))
        module = owner[name.rpartition(".")[0]]
        place: Any = layer_of.get(id(module))
        if place is None:
            place = "embed" if isinstance(module, torch.nn.Embedding) else "head"
        slot = elems.setdefault(place, [0, 0, 0, 0])
        s = 0 if _sharded(module, name) else 1
        slot[s] += p.numel()
        if p.requires_grad:
            slot[2 + s] += p.numel()
    if tied and pp > 1:  # Megatron keeps a copy of the tied word embedding on the last stage
        assert head is not None
        n = head.weight.numel()
        slot = elems.setdefault("head", [0, 0, 0, 0])
        slot[0] += n
        slot[2] += n if head.weight.requires_grad else 0
    # saved activations per layer, measured; the embedding's on the first stage, the rest on the last
    saved_layer = [_saved(report, f"{prefix}.{i}") for i in range(layers)]
    embed_paths = [p for p, m in model.named_modules() if isinstance(m, torch.nn.Embedding) and id(m) not in layer_of]
    saved_embed = sum(_saved(report, p) for p in embed_paths)
    saved_rest = (mem.saved_activations or 0) - sum(saved_layer) - saved_embed
    sizes = [layers // pp + (1 if s < layers % pp else 0) for s in range(pp)]
    stages: list[dict[str, Any]] = []
    start = 0
    for s, n in enumerate(sizes):
        places: list[Any] = list(range(start, start + n)) + (["embed"] if s == 0 else []) + (["head"] if s == pp - 1 else [])
        sh = sum(elems.get(q, [0, 0, 0, 0])[0] for q in places)
        rep = sum(elems.get(q, [0, 0, 0, 0])[1] for q in places)
        tsh = sum(elems.get(q, [0, 0, 0, 0])[2] for q in places)
        trep = sum(elems.get(q, [0, 0, 0, 0])[3] for q in places)
        params = -(-sh // tp) + rep
        trainable = -(-tsh // tp) + trep
        grads, master, states = training_state_bytes(trainable, mem.optimizer, mem.precision)
        w, g, m, o = zero_per_rank(params * width, grads, master, states, dp, zero)
        saved = sum(saved_layer[start:start + n]) + (saved_embed if s == 0 else 0) + (saved_rest if s == pp - 1 else 0)
        in_flight = pipeline_in_flight(s, pp)
        act = in_flight * -(-saved // tp)
        stages.append({"stage": s, "layers": [start, start + n - 1] if n else [], "params": params,
                       "weights": w, "gradients": g, "master_weights": m, "optimizer_states": o,
                       "activations": act, "micro_batches_in_flight": in_flight, "total": w + g + m + o + act})
        start += n
    busiest = max(stages, key=lambda st: int(st["total"]))
    return {
        "tp": tp, "pp": pp, "dp": dp, "zero": zero, "gpus": tp * pp * dp, "sequence_parallel": True,
        "micro_batch": batch, "optimizer": mem.optimizer, "precision": mem.precision,
        "per_gpu": {k: busiest[k] for k in ("weights", "gradients", "master_weights", "optimizer_states", "activations",
                                            "total")},
        "busiest_stage": busiest["stage"], "stages": stages,
    }


def _saved(report: Report, path: str) -> int:
    try:
        return report.layer(path).saved_activation_bytes or 0
    except KeyError:  # a module that never ran (saved nothing)
        return 0
