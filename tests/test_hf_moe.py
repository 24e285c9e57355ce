"""Mixtures of experts: total and active parameters from each bundled config's numbers,
per-token decode from the active path, and the router's and experts' ops counted."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("transformers")

import nncost  # noqa: E402
from nncost.errors import ModelSpecError  # noqa: E402
from nncost.frontends.hf import analyze_hf, build  # noqa: E402
from nncost.frontends.hf.llm import experts_view  # noqa: E402
from test_hf import MOE, cfg  # noqa: E402


@pytest.mark.parametrize("name", sorted(MOE))
def test_total_and_active_params_equal_the_closed_forms(name):
    model, config, _ = build(cfg(name))
    total = sum(p.numel() for p in model.parameters())
    experts, active = experts_view(model, config, total)
    assert (total, active) == MOE[name](cfg(name))
    assert experts["count"] * experts["params_per_expert"] == experts["routed_params"]


def test_published_moe_counts():
    # Mixtral-8x7B: 46,702,792,704 total, 12,879,925,248 active (two of eight experts)
    assert MOE["Mixtral-8x7B-v0.1"](cfg("Mixtral-8x7B-v0.1")) == (46_702_792_704, 12_879_925_248)
    # DeepSeek-V3's paper: 671 B total, 37 B activated per token
    total, active = MOE["DeepSeek-V3"](cfg("DeepSeek-V3"))
    assert round(total / 1e9) == 671 and round(active / 1e9) == 38  # 37.55 B: the paper rounds down
    # Qwen3-30B-A3B: 30.5 B total, 3.3 B activated
    total, active = MOE["Qwen3-30B-A3B"](cfg("Qwen3-30B-A3B"))
    assert round(total / 1e8) == 305 and round(active / 1e8) == 34  # 3.35 B
    # gpt-oss-20b's model card: 21 B total, 3.6 B active — without the 0.58 B input embedding
    c = cfg("gpt-oss-20b")
    total, active = MOE["gpt-oss-20b"](c)
    assert round(total / 1e9) == 21 and round((active - c["vocab_size"] * c["hidden_size"]) / 1e8) == 36


def two_layers(name, **extra):
    c = dict(cfg(name), num_hidden_layers=2, **extra)
    if "layer_types" in c:
        c["layer_types"] = c["layer_types"][:2]
    return c


@pytest.mark.parametrize("dtype", [None, "bf16"])
def test_mixtral_decode_is_the_active_path_plus_attention(dtype):
    c = two_layers("Mixtral-8x7B-v0.1")
    r = analyze_hf(c, seq=16, dtype=dtype)
    llm = r.extra["llm"]
    h, V, L = c["hidden_size"], c["vocab_size"], 2
    total, active = MOE["Mixtral-8x7B-v0.1"](c)
    assert (llm["total_params"], llm["active_params"]) == (total, active)
    assert llm["experts"]["count"] == 8 and llm["experts"]["top_k"] == 2 and llm["experts"]["shared"] == 0
    norms = (2 * L + 1) * h  # RMSNorm scales: multiplies, not multiply-accumulates
    attention = L * 2 * c["num_attention_heads"] * (h // c["num_attention_heads"]) * 16  # q·K and p·V over 16 keys
    assert llm["decode_macs_per_token"] == active - V * h - norms + attention  # the embedding is a lookup
    assert r.unsupported == {}
    assert any("runs 2 of 8 routed experts" in n for n in r.notes)


def test_grouped_mm_and_the_router_are_counted():
    torch = pytest.importorskip("torch")
    from fn_module import Fn

    a, b = torch.randn(12, 16, dtype=torch.bfloat16), torch.randn(4, 16, 8, dtype=torch.bfloat16)
    offs = torch.tensor([3, 6, 9, 12], dtype=torch.int32)
    for device in ("meta", "cpu"):
        r = nncost.analyze(Fn(lambda a, b, o: torch._grouped_mm(a, b, offs=o)), a, b, offs, device=device)
        assert (r.total.macs, r.total.flops) == (12 * 16 * 8, 12 * 8 * (2 * 16 - 1))  # every row times its group's 16×8
    r = nncost.analyze(Fn(lambda x: torch.histc(x, bins=4, min=0, max=3)), torch.rand(24) * 3)
    assert r.total.flops == 24 * 6  # offset, scale, floor, two bounds checks, the count's increment


def test_more_experts_per_token_than_experts_is_refused():
    with pytest.raises(ModelSpecError, match="routes each token to 9 experts, but has only 8"):
        analyze_hf(two_layers("Mixtral-8x7B-v0.1", num_experts_per_tok=9), seq=8)


def test_routed_experts_without_a_top_k_are_refused():
    # transformers' own default deepseek_v2 config: 64 routed experts, num_experts_per_tok null (its router's topk fails)
    with pytest.raises(ModelSpecError, match="has 64 routed experts .* but num_experts_per_tok is null"):
        analyze_hf({"model_type": "deepseek_v2", "num_hidden_layers": 1, "num_experts_per_tok": None}, seq=8)


def test_llm_json_has_the_moe_fields():
    r = analyze_hf(two_layers("Qwen3-30B-A3B"), seq=8)
    data = json.loads(r.to_json())["llm"]
    assert data["experts"]["count"] == 128 and data["experts"]["top_k"] == 8
    assert data["active_params"] < data["total_params"]
    dense = analyze_hf("gpt2", seq=8).extra["llm"]
    assert dense["experts"] is None and dense["active_params"] == dense["total_params"]
