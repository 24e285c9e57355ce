"""The Hugging Face frontend and the LLM view, checked against closed forms of each config."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

pytest.importorskip("transformers")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nncost.errors import InputError, ModelSpecError  # noqa: E402
from nncost.frontends.hf import analyze_hf, bundled, load_config  # noqa: E402


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Every test here runs with the network cut: nothing may be fetched."""

    def refuse(*args, **kwargs):
        raise OSError("network access attempted during an nncost test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def cfg(name):
    return load_config(name)[0]


# -- parameter counts from the config's numbers alone ------------------------------------
def bert_params(c):
    h, i, L = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"]
    emb = (c["vocab_size"] + c["max_position_embeddings"] + c["type_vocab_size"]) * h + 2 * h  # + LayerNorm
    layer = 4 * (h * h + h) + 2 * h + (h * i + i) + (i * h + h) + 2 * h  # Q, K, V, O; LN; MLP; LN
    return emb + L * layer + (h * h + h)  # + pooler


def gpt2_params(c):
    h, L, V, P = c["n_embd"], c["n_layer"], c["vocab_size"], c["n_positions"]
    layer = 2 * h + (h * 3 * h + 3 * h) + (h * h + h) + 2 * h + (h * 4 * h + 4 * h) + (4 * h * h + h)
    return V * h + P * h + L * layer + 2 * h  # the LM head is tied to the token embedding


def llama_params(c, qkv_bias=False):
    h, i, L, V = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["vocab_size"]
    kv = c["num_key_value_heads"] * (h // c["num_attention_heads"])
    attn = h * h + 2 * h * kv + h * h + ((h + 2 * kv) if qkv_bias else 0)  # Q, K, V (grouped), O
    layer = attn + 3 * h * i + 2 * h  # gate, up, down; two RMSNorms
    return 2 * V * h + L * layer + h  # embedding, untied LM head, final norm


def t5_params(c):
    d, f, L, V, heads, buckets = c["d_model"], c["d_ff"], c["num_layers"], c["vocab_size"], c["num_heads"], 32
    inner = heads * c["d_kv"]
    attn = 4 * d * inner
    enc = L * (attn + d + 2 * d * f + d) + heads * buckets + d
    dec = L * (2 * attn + 2 * d + 2 * d * f + d) + heads * buckets + d
    return V * d + enc + dec  # tied LM head


def vit_params(c):
    h, i, L, p, C = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["patch_size"], c["num_channels"]
    n = (c["image_size"] // p) ** 2 + 1
    layer = 2 * h + 3 * (h * h + h) + (h * h + h) + 2 * h + (h * i + i) + (i * h + h)
    return C * p * p * h + h + h + n * h + L * layer + 2 * h + (h * 1000 + 1000)  # patches, cls, positions, head


def whisper_params(c):
    d, f, mel, V = c["d_model"], c["encoder_ffn_dim"], c["num_mel_bins"], c["vocab_size"]
    attn = 4 * d * d + 3 * d  # K has no bias
    enc_layer = attn + 2 * d + (d * f + f) + (f * d + d) + 2 * d
    dec_layer = 2 * attn + 4 * d + (d * f + f) + (f * d + d) + 2 * d
    enc = (mel * d * 3 + d) + (d * d * 3 + d) + c["max_source_positions"] * d + c["encoder_layers"] * enc_layer + 2 * d
    dec = V * d + c["max_target_positions"] * d + c["decoder_layers"] * dec_layer + 2 * d
    return enc + dec  # proj_out tied to the token embedding


def mixtral_params(c):
    """(total, active): experts are 3·h·i each (gate, up, down); a token runs k of E."""
    h, i, L, V, E, k = (c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["vocab_size"],
                        c["num_local_experts"], c["num_experts_per_tok"])
    kv = c["num_key_value_heads"] * (h // c["num_attention_heads"])
    base = 2 * V * h + L * (2 * h * h + 2 * h * kv + 2 * h + h * E) + h  # attention, norms, router; embeddings, final norm
    return base + L * E * 3 * h * i, base + L * k * 3 * h * i


def qwen3_moe_params(c):
    h, L, V, H, kvh, hd = (c["hidden_size"], c["num_hidden_layers"], c["vocab_size"], c["num_attention_heads"],
                           c["num_key_value_heads"], c["head_dim"])
    E, k, mi = c["num_experts"], c["num_experts_per_tok"], c["moe_intermediate_size"]
    attn = h * H * hd + 2 * h * kvh * hd + H * hd * h + 2 * hd  # Q, K, V, O; per-head q/k RMSNorms
    base = 2 * V * h + L * (attn + 2 * h + h * E) + h
    return base + L * E * 3 * h * mi, base + L * k * 3 * h * mi


def deepseek_v3_params(c):
    """Multi-head latent attention: Q through a rank-q_lora bottleneck, K/V through the compressed
    latent (kv_lora) plus a decoupled RoPE key; the first k layers dense, the rest MoE with shared experts."""
    h, L, V, H = c["hidden_size"], c["num_hidden_layers"], c["vocab_size"], c["num_attention_heads"]
    ql, kl, nope, rope, vd = c["q_lora_rank"], c["kv_lora_rank"], c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"]
    E, k, mi, shared, dense = (c["n_routed_experts"], c["num_experts_per_tok"], c["moe_intermediate_size"],
                               c["n_shared_experts"], c["first_k_dense_replace"])
    attn = h * ql + ql + ql * H * (nope + rope) + h * (kl + rope) + kl + kl * H * (nope + vd) + H * vd * h
    dense_layers = dense * (attn + 2 * h + 3 * h * c["intermediate_size"])
    moe_base = (L - dense) * (attn + 2 * h + h * E + shared * 3 * h * mi)
    base = 2 * V * h + dense_layers + moe_base + h
    return base + (L - dense) * E * 3 * h * mi, base + (L - dense) * k * 3 * h * mi


def gpt_oss_params(c):
    """Attention with biases and a learned sink per head; experts with biases (gate-up fused)."""
    h, L, V, H, kvh, hd = (c["hidden_size"], c["num_hidden_layers"], c["vocab_size"], c["num_attention_heads"],
                           c["num_key_value_heads"], c["head_dim"])
    E, k, i = c["num_local_experts"], c["num_experts_per_tok"], c["intermediate_size"]
    attn = (h * H * hd + H * hd) + 2 * (h * kvh * hd + kvh * hd) + (H * hd * h + h) + H
    expert = h * 2 * i + 2 * i + i * h + h
    base = 2 * V * h + L * (attn + 2 * h + h * E + E) + h
    return base + L * E * expert, base + L * k * expert


def gemma2_params(c):
    """Tied embedding; four RMSNorms per layer (before and after attention and MLP)."""
    h, i, L, V, H, kvh, hd = (c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["vocab_size"],
                              c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"])
    return V * h + L * (2 * h * H * hd + 2 * h * kvh * hd + 3 * h * i + 4 * h) + h


MOE = {"Mixtral-8x7B-v0.1": mixtral_params, "Qwen3-30B-A3B": qwen3_moe_params, "DeepSeek-V3": deepseek_v3_params,
       "gpt-oss-20b": gpt_oss_params}

CLOSED = {
    **{name: (lambda total: lambda c: total(c)[0])(f) for name, f in MOE.items()},  # the total of (total, active)
    "bert-base-uncased": bert_params, "bert-large-uncased": bert_params,
    "gpt2": gpt2_params, "gpt2-medium": gpt2_params, "gpt2-large": gpt2_params, "gpt2-xl": gpt2_params,
    "Llama-2-7b": llama_params, "Llama-3-8B": llama_params, "Llama-3-70B": llama_params, "Mistral-7B-v0.1": llama_params,
    "Qwen2.5-7B": lambda c: llama_params(c, qkv_bias=True), "t5-small": t5_params, "Gemma-2-9B": gemma2_params,
    "vit-base-patch16-224": vit_params, "whisper-small": whisper_params,
}


def test_every_bundled_config_has_a_closed_form():
    assert set(bundled()) == set(CLOSED)
    assert len(bundled()) >= 14


@pytest.mark.parametrize("name", sorted(CLOSED))
def test_params_equal_the_closed_form(name):
    r = analyze_hf(name, seq=8, gen=2, llm=False)
    assert r.total.params == CLOSED[name](cfg(name))
    assert r.unsupported == {}


def test_published_counts():
    assert analyze_hf("bert-base-uncased", seq=8).total.params == 109_482_240
    assert analyze_hf("gpt2", seq=8, llm=False).total.params == 124_439_808
    assert analyze_hf("Llama-2-7b", seq=8, llm=False).total.params == 6_738_415_616


def test_model_classes_follow_the_task():
    assert analyze_hf("bert-base-uncased", seq=8).extra["hf"]["class"] == "BertModel"
    assert analyze_hf("gpt2", seq=8, llm=False).extra["hf"]["class"] == "GPT2LMHeadModel"
    assert analyze_hf("t5-small", seq=8, gen=4).extra["hf"]["class"] == "T5ForConditionalGeneration"
    assert analyze_hf("whisper-small", gen=4).extra["hf"]["class"] == "WhisperForConditionalGeneration"


# -- the LLM view ----------------------------------------------------------------------------------
@pytest.mark.parametrize("context", [2048, 8192])
def test_kv_cache_of_sliding_windows(context):
    """Mistral-7B-v0.1 keeps at most its 4,096-token window in every layer; Gemma-2-9B
    alternates windowed (4,096) and global layers, 21 of each."""
    per_token = lambda c: 2 * c["num_key_value_heads"] * (c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"])  # noqa: E731
    m, g = cfg("Mistral-7B-v0.1"), cfg("Gemma-2-9B")
    mistral = analyze_hf("Mistral-7B-v0.1", seq=context - 1, gen=1, dtype="bf16").extra["llm"]
    assert mistral["kv_cache_bytes"] == 32 * min(context, 4096) * per_token(m) * 2  # layers · cached tokens · K,V · bf16
    gemma = analyze_hf("Gemma-2-9B", seq=context - 1, gen=1, dtype="bf16").extra["llm"]
    assert gemma["kv_cache_bytes"] == (21 * min(context, 4096) + 21 * context) * per_token(g) * 2
    assert gemma["kv_cache_layout"]["windows"][:2] == [4096, None]


def test_latent_attention_caches_the_latent_and_the_rope_key():
    c = dict(cfg("DeepSeek-V3"), num_hidden_layers=2, first_k_dense_replace=1)
    llm = analyze_hf(c, seq=63, gen=1, dtype="bf16").extra["llm"]
    assert llm["kv_cache_bytes"] == 2 * 64 * (512 + 64) * 2  # layers · tokens · (kv_lora_rank + qk_rope_head_dim) · bf16
    # full K and V would be 2 · 128 heads · (192 + 128)/2 ... per token: the latent is 71× smaller than 128·(192 + 128)
    assert "latent" in llm["kv_cache_layout"]["what"]


def test_latent_attention_decode_reexpands_the_cached_latent():
    """transformers' DeepSeek-V3 attention multiplies the whole cached latent by kv_b_proj at every
    step: one more cached token costs kv_lora_rank·H·(qk_nope + v) MACs per layer, plus attention
    over one more key (H·(qk_nope + qk_rope) for q·k, H·v for p·v). Said in a note."""
    c = dict(cfg("DeepSeek-V3"), num_hidden_layers=2, first_k_dense_replace=1)
    d = {s: analyze_hf(c, seq=s) for s in (16, 17)}
    growth = d[17].extra["llm"]["decode_macs_per_token"] - d[16].extra["llm"]["decode_macs_per_token"]
    assert growth == 2 * (512 * 128 * (128 + 128) + 128 * (128 + 64) + 128 * 128)  # two layers
    assert any("expands the whole cached latent through kv_b_proj" in n for n in d[16].notes)


def test_decode_attention_of_a_windowed_layer_stops_growing():
    """Two Gemma 2 layers (one windowed to 8 tokens, one global): past the window, each more
    token of context adds attention only in the global layer — q·K and p·V over one more key."""
    c = dict(cfg("Gemma-2-9B"), num_hidden_layers=2, layer_types=["sliding_attention", "full_attention"], sliding_window=8)
    d = {s: analyze_hf(c, seq=s).extra["llm"]["decode_macs_per_token"] for s in (4, 5, 20, 21)}
    per_key = 2 * c["num_attention_heads"] * c["head_dim"]
    assert d[5] - d[4] == 2 * per_key  # below the window: both layers see one more key
    assert d[21] - d[20] == per_key  # past it: only the global layer


def test_kv_cache_llama3_8b_is_one_gib():
    llm = analyze_hf("Llama-3-8B", seq=8192, gen=0, dtype="bf16").extra["llm"]
    assert llm["kv_cache_bytes"] == 2 * 32 * 8192 * 8 * 128 * 2 == 2**30  # K and V · layers · ctx · kv heads · dim · bf16
    assert llm["weight_bytes"] == 8_030_261_248 * 2
    # int4, GPTQ/AWQ-style: the 7 linear weights of 32 layers packed two a byte, an fp16 scale and a 4-bit zero point
    # per 128 weights; the embedding, the LM head and the norms stay bf16 — 5.73 GB, the size of Llama-3-8B's 4-bit checkpoints
    linear = 32 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336)
    other = 8_030_261_248 - linear
    assert llm["weight_bytes_by_dtype"]["int4"] == linear // 2 + linear // 128 * 5 // 2 + other * 2 == 5_727_854_592
    assert llm["weight_quantization"] == {"group_size": 128, "quantized_params": linear, "other_params": other, "other_dtype": "bf16"}


def decode_closed_form_macs(c, context):
    """Per token: every non-embedding weight matrix once, the LM head, and attention over `context`."""
    h, L, V = c["hidden_size"], c["num_hidden_layers"], c["vocab_size"]
    heads, kvh, i = c["num_attention_heads"], c["num_key_value_heads"], c["intermediate_size"]
    hd = h // heads
    weights = L * (2 * h * h + 2 * h * kvh * hd + 3 * h * i) + h * V
    return weights + L * heads * context * hd * 2  # scores + values


@pytest.mark.parametrize(("name", "seq"), [("Llama-2-7b", 128), ("Llama-3-8B", 1000)])
def test_decode_per_token_matches_closed_form(name, seq):
    llm = analyze_hf(name, seq=seq, gen=0).extra["llm"]
    macs = decode_closed_form_macs(cfg(name), seq)
    assert llm["decode_macs_per_token"] == macs
    assert abs(llm["decode_flops_per_token"] - 2 * macs) / (2 * macs) < 0.01  # norms, SiLU, rotary: < 1 %


def test_decode_sum_over_generated_tokens_is_exact():
    c = cfg("gpt2")
    llm = analyze_hf("gpt2", seq=16, gen=4).extra["llm"]
    h, L, V = c["n_embd"], c["n_layer"], c["vocab_size"]
    per = [L * (3 * h * h + h * h + 8 * h * h) + h * V + L * 12 * ctx * (h // 12) * 2 for ctx in (17, 18, 19, 20)]
    assert llm["decode_total_macs"] == sum(per)


def test_prefill_split_adds_up_and_causal_half():
    llm = analyze_hf("gpt2", seq=64).extra["llm"]
    sp = llm["prefill_split"]
    assert sp["projections_mlp"]["macs"] + sp["attention"]["macs"] + sp["lm_head"]["macs"] == llm["prefill_macs"]
    assert sp["attention"]["macs"] == 12 * 12 * 64 * 64 * 64 * 2  # layers · heads · S · S · head_dim · (QK + PV)
    assert sp["attention"]["causal_useful_macs"] == 12 * 12 * (64 * 65 // 2) * 64 * 2
    assert sp["lm_head"]["macs"] == 64 * 768 * 50257


def test_training_per_token_is_measured_and_rules_are_shown():
    llm = analyze_hf("gpt2", seq=32).extra["llm"]
    r = llm["rules"]
    assert r["non_embedding_params"] == 124_439_808 - 50257 * 768 - 1024 * 768
    assert r["2N"] == 2 * r["non_embedding_params"] and r["6N"] == 6 * r["non_embedding_params"]
    assert r["kaplan_forward"] == r["2N"] + 2 * 12 * 32 * 768
    assert r["palm_train"] == r["6N"] + 12 * 12 * 12 * 64 * 32
    # the backward is measured: after the embedding every matmul input needs a gradient, so backward
    # MACs are exactly 2 × forward (grad input + grad weight; dQ, dK, dV, dP for attention)
    assert llm["train_macs_per_token"] * 32 == 3 * llm["prefill_macs"]


@settings(max_examples=6, deadline=None)
@given(s=st.integers(2, 40))
def test_prefill_attention_grows_as_s_squared(s):
    def att(n):
        return analyze_hf("gpt2", seq=n).extra["llm"]["prefill_split"]["attention"]["flops"]

    f1, f2, f3 = att(s), att(2 * s), att(3 * s)
    # f(S) = a·S² + b·S exactly: the second difference is 2·a·S², and the S² term dominates
    a = (f3 - 2 * f2 + f1) / (2 * s * s)
    b = (f1 - a * s * s) / s
    assert a > 0 and abs(f2 - (a * 4 * s * s + b * 2 * s)) < 1e-6 * f2


# -- inputs, errors, CLI ---------------------------------------------------------------------
def test_config_file_and_folder(tmp_path):
    c = cfg("Llama-2-7b") | {"num_hidden_layers": 2, "hidden_size": 256, "intermediate_size": 512, "num_attention_heads": 4,
                             "num_key_value_heads": 2, "vocab_size": 1000}
    (tmp_path / "config.json").write_text(json.dumps(c))
    by_file = analyze_hf(str(tmp_path / "config.json"), seq=8, llm=False).total.params
    by_dir = analyze_hf(str(tmp_path), seq=8, llm=False).total.params
    assert by_file == by_dir == llama_params(c)


@pytest.mark.parametrize(
    ("spec", "match"),
    [("gpt3", "no bundled config or file 'gpt3'"), ("Lama-3-8B", "did you mean Llama-3-8B")],
)
def test_unknown_config(spec, match):
    with pytest.raises(ModelSpecError, match=match):
        analyze_hf(spec)


def test_bad_config_file(tmp_path):
    p = tmp_path / "config.json"
    p.write_text("{not json")
    with pytest.raises(ModelSpecError, match="is not valid JSON"):
        analyze_hf(str(p))
    p.write_text('{"hidden_size": 4}')
    with pytest.raises(ModelSpecError, match="no 'model_type'"):
        analyze_hf(str(p))
    with pytest.raises(InputError, match="seq must be an int >= 1"):
        analyze_hf("gpt2", seq=0)


@pytest.mark.parametrize(("config", "message"), [
    ({"model_type": "nosuch"}, r"transformers \d+\.\S+ does not know model_type 'nosuch'$"),
    ({"model_type": "gpt2", "n_positions": "abc"}, "this gpt2 config is invalid: .*'n_positions' expected int, got str"),
    ({"model_type": "gpt2", "n_layer": 1, "n_embd": 65, "n_head": 2},
     "transformers cannot build gpt2 from this config: ValueError: `embed_dim` must be divisible by num_heads"),
    # Informer has no SDPA path, and its eager build fails for its own reason: that reason is the one given
    ({"model_type": "informer", "encoder_layers": 1, "decoder_layers": 1},
     "transformers cannot build informer from this config: ValueError: The `prediction_length` config needs to be specified"),
])
def test_configs_transformers_refuses_are_one_line_errors(tmp_path, capsys, config, message):
    from nncost.cli import main

    p = tmp_path / "config.json"
    p.write_text(json.dumps(config))
    with pytest.raises(ModelSpecError, match=message):
        analyze_hf(str(p), seq=8)
    assert main([f"hf:{p}", "--seq", "8"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and len(err) < 400  # one line, not transformers' list of 500 types


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "nncost", *args], capture_output=True, text=True,
                          env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})


def test_cli_hf_json_and_list():
    r = _cli("hf:gpt2", "--seq", "32", "--gen", "4", "--dtype", "bf16", "-f", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    llm = d["llm"]
    for key in ("prefill_macs", "prefill_flops", "decode_flops_per_token", "kv_cache_bytes", "weight_bytes",
                "train_flops_per_token"):
        assert isinstance(llm[key], int)
    assert d["frontend"] == "hf" and llm["kv_cache_bytes"] == 2 * 12 * 36 * 12 * 64 * 2
    r = _cli("hf", "--list")
    assert r.returncode == 0 and "hf:Llama-3-70B" in r.stdout.split()
    r = _cli("hf:nope")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "no bundled config" in r.stderr


def test_cli_hf_table_shows_llm_view():
    r = _cli("hf:gpt2", "--seq", "16", "--depth", "0")
    assert r.returncode == 0
    assert "LLM view" in r.stdout and "KV cache at context 16" in r.stdout and "PaLM" in r.stdout


# -- Hub ids: config.json only, from the cache, offline ---------------------------------------
def hub_cache(tmp_path, repo, config):
    """The layout huggingface_hub keeps: models--org--name/refs/main names a snapshot holding the files."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    root = tmp_path / "hub" / f"models--{repo.replace('/', '--')}"
    (root / "refs").mkdir(parents=True)
    (root / "refs" / "main").write_text(commit)
    snap = root / "snapshots" / commit
    snap.mkdir(parents=True)
    (snap / "config.json").write_text(json.dumps(config))
    return tmp_path / "hub"


def test_a_hub_id_reads_config_json_from_the_cache_offline(tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hub_cache(tmp_path, "openai-community/gpt2", cfg("gpt2"))))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    r = analyze_hf("openai-community/gpt2", seq=8, llm=False)
    assert r.total.params == 124_439_808  # gpt2's published count, from the cached config alone
    assert r.model == "hf:openai-community/gpt2"


def test_a_hub_id_not_cached_offline_is_one_line(tmp_path, monkeypatch, capsys):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelSpecError, match=r"not in the Hugging Face cache, and HF_HUB_OFFLINE is set; pass its config"):
        analyze_hf("meta-llama/Llama-3.1-8B", seq=8)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # online, but the network is cut (this file's fixture)
    with pytest.raises(ModelSpecError, match=r"huggingface.co cannot be reached .*pass its config instead"):
        analyze_hf("meta-llama/Llama-3.1-8B", seq=8)
    from nncost.cli import main

    assert main(["hf:meta-llama/Llama-3.1-8B", "--seq", "8"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nncost: error: ")


# -- any architecture: classes no Auto class maps, inputs from the signature, the CPU fallback --
def test_a_vision_tower_is_built_by_its_class_and_fed_an_image():
    import transformers as tf

    c = tf.AutoConfig.for_model("clip_vision_model", num_hidden_layers=2).to_dict()
    r = analyze_hf(c, seq=8)
    assert r.extra["hf"]["class"] == "CLIPVisionModel" and r.inputs[0]["name"] == "pixel_values"
    assert r.inputs[0]["shape"] == [1, 3, c["image_size"], c["image_size"]]
    h, i, p = c["hidden_size"], c["intermediate_size"], c["patch_size"]
    n = (c["image_size"] // p) ** 2 + 1  # patches and the class token
    layer = 4 * (h * h + h) + 2 * 2 * h + (h * i + i) + (i * h + h)  # Q, K, V, O; two LayerNorms; MLP
    assert r.total.params == 3 * p * p * h + h + n * h + 2 * h + 2 * layer + 2 * h  # patch conv, cls, positions, pre-LN, post-LN


def test_a_speech_encoder_is_fed_one_second_of_audio():
    import transformers as tf

    r = analyze_hf(tf.AutoConfig.for_model("wav2vec2", num_hidden_layers=2).to_dict(), seq=8)
    assert r.inputs[0]["name"] == "input_values" and r.inputs[0]["shape"] == [1, 16000]
    frames = (16000 - 10) // 5 + 1  # the first conv: kernel 10, stride 5
    assert r.layer("feature_extractor.conv_layers.0.conv").macs == 512 * 10 * frames  # C_out · k · L_out (one input channel)


def test_a_model_that_reads_values_on_meta_runs_on_the_cpu():
    import transformers as tf

    from nncost.frontends.hf import build

    # EnCodec's convolutions pad by lengths computed as tensors and read with .item()
    c = tf.AutoConfig.for_model("encodec", num_filters=4, hidden_size=16, codebook_size=32, codebook_dim=16,
                                num_lstm_layers=1).to_dict()
    r = analyze_hf(c, seq=8)
    assert r.notes[0].startswith("built and run on the CPU, as it reads values the meta device does not have")
    assert r.inputs[0]["name"] == "input_values" and r.inputs[0]["shape"] == [1, 1, 16000]  # mono: [batch, 1, samples]
    model, _, _ = build(c)
    assert r.total.params == sum(p.numel() for p in model.parameters())  # the same model, built on meta


def test_group_size_from_the_cli(capsys):
    from nncost.cli import main

    assert main(["hf:Llama-3-8B", "--seq", "8", "--group-size", "64", "-f", "json"]) == 0
    llm = json.loads(capsys.readouterr().out)["llm"]
    linear = 32 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336)
    assert llm["weight_bytes_by_dtype"]["int8"] == linear + linear // 64 * 3 + (8_030_261_248 - linear) * 2
    assert main(["torchvision:resnet18", "--group-size", "64"]) == 2
    assert "only hf: models take --group-size" in capsys.readouterr().err


def test_a_config_with_no_auto_class_finds_the_class_that_declares_it():
    import transformers as tf

    from nncost.frontends.hf import _model_class

    cfg = tf.AutoConfig.for_model("depth_anything")
    assert _model_class(tf, tf.AutoModel, cfg) is tf.DepthAnythingForDepthEstimation  # declares DepthAnythingConfig
    cfg = tf.AutoConfig.for_model("kosmos_2_text_model")
    assert _model_class(tf, tf.AutoModel, cfg).__name__ == "Kosmos2TextModel"  # declared beside Kosmos2TextConfig (not exported)
    assert _model_class(tf, tf.AutoModel, tf.AutoConfig.for_model("bert")) is tf.AutoModel


def test_behind_a_proxy_the_direct_reachability_check_is_skipped(monkeypatch):
    from nncost.frontends.hf import _reachable

    with pytest.raises(ModelSpecError, match="cannot be reached"):  # the network is cut (this file's fixture)
        _reachable("https://huggingface.co", "org/name", "hint")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    _reachable("https://huggingface.co", "org/name", "hint")  # huggingface_hub goes through the proxy: no direct check


def test_a_dual_encoder_gets_token_ids_and_an_image():
    import transformers as tf

    small = dict(num_hidden_layers=2, hidden_size=64, intermediate_size=128, num_attention_heads=2)
    cfg = tf.CLIPConfig(text_config=small, vision_config={**small, "image_size": 32, "patch_size": 8}, projection_dim=32)
    r = analyze_hf(cfg.to_dict(), seq=16)
    assert [(i["name"], i["shape"]) for i in r.inputs] == [("input_ids", [1, 16]), ("pixel_values", [1, 3, 32, 32])]
    assert r.total.params == sum(p.numel() for p in tf.CLIPModel(cfg).parameters())
    assert r.layer("vision_model.embeddings.patch_embedding").macs == 64 * 3 * 8 * 8 * (32 // 8) ** 2  # C_out·C_in·k·k·H·W
    assert r.layer("text_model").macs > 0 and r.layer("vision_model").macs > 0  # both towers ran
    with pytest.raises(InputError, match="text_config.max_position_embeddings"):
        analyze_hf(cfg.to_dict(), seq=1000)  # the text tower's 77 positions


def test_a_layout_model_gets_a_box_per_token():
    import transformers as tf

    cfg = tf.BrosConfig(num_hidden_layers=2, hidden_size=64, intermediate_size=128, num_attention_heads=2)
    r = analyze_hf(cfg.to_dict(), seq=16)
    assert {i["name"]: (i["shape"], i["dtype"]) for i in r.inputs}["bbox"] == ([1, 16, 4], "int64")
    assert r.total.params == sum(p.numel() for p in tf.BrosModel(cfg).parameters())


def test_an_encoder_decoder_detector_gets_an_image_and_a_time_series_model_its_past_values():
    import transformers as tf

    # DETR is an encoder-decoder whose forward takes pixel_values, not token ids
    cfg = tf.DetrConfig(encoder_layers=1, decoder_layers=1, d_model=32, encoder_attention_heads=2, decoder_attention_heads=2,
                        encoder_ffn_dim=64, decoder_ffn_dim=64, num_queries=10)
    r = analyze_hf(cfg.to_dict())
    assert [(i["name"], i["shape"]) for i in r.inputs] == [("pixel_values", [1, 3, 224, 224])]
    assert r.total.params == sum(p.numel() for p in tf.DetrModel(cfg).parameters())
    ts = tf.PatchTSTConfig(num_hidden_layers=1, context_length=64, num_input_channels=3, patch_length=8, patch_stride=8)
    r = analyze_hf(ts.to_dict())
    assert [(i["name"], i["shape"]) for i in r.inputs] == [("past_values", [1, 64, 3])]  # batch, context, channels
    assert r.total.params == sum(p.numel() for p in tf.PatchTSTModel(ts).parameters())
