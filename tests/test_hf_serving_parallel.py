"""Serving memory of causal LMs (prefill and decode peaks, what fits in a device) and the
memory per GPU of a training step under tensor, pipeline and data parallelism with ZeRO."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers")
import torch  # noqa: E402

from nncost.errors import InputError  # noqa: E402
from nncost.formulas.memory import pipeline_in_flight, zero_per_rank  # noqa: E402
from nncost.frontends.hf import analyze_hf, build, load_config  # noqa: E402
from nncost.frontends.hf.serving import _quadratic_guess, largest_fitting  # noqa: E402
from nncost.frontends.torch import analyze  # noqa: E402
from nncost.units import parse_bytes  # noqa: E402

H, I, L, HEADS, KV, V = 64, 128, 4, 4, 2, 512  # a tiny Llama: hidden, MLP, layers, heads, key/value heads, vocabulary


def tiny_llama(**over):
    data = load_config("Llama-3-8B")[0]
    data.update(num_hidden_layers=L, hidden_size=H, intermediate_size=I, num_attention_heads=HEADS, num_key_value_heads=KV,
                vocab_size=V, bos_token_id=1, eos_token_id=2, max_position_embeddings=256, **over)
    return data


def memtracker():
    return pytest.importorskip("torch.distributed._tools.mem_tracker").MemTracker()


# -- a KV cache given as input: live from the start, freed when the cache replaces it ----
def test_decode_step_with_a_cache_matches_pytorchs_memtracker():
    """One decode step with a cache of 63 tokens on real CPU tensors: nncost's peak equals the
    peak PyTorch's MemTracker records inside the model during that step (its module peaks reset
    after the prefill), plus the 8-byte token id made before the tracker started."""
    model, _, _ = build(tiny_llama(), meta=False)
    with torch.no_grad():
        cache = model(input_ids=torch.zeros(1, 63, dtype=torch.long), use_cache=True)["past_key_values"]
    before = [t.shape for layer in cache.layers for t in (layer.keys, layer.values)]
    r = analyze(model, inputs={"input_ids": (1, 1), "cache": cache, "use_cache": True, "logits_to_keep": 1}, device="cpu")
    assert [t.shape for layer in cache.layers for t in (layer.keys, layer.values)] == before  # the user's cache: untouched
    kv = 2 * L * 63 * KV * (H // HEADS) * 4  # K and V · layers · tokens · kv heads · head dim · fp32
    assert r.memory.inputs == kv + 8  # the cache and one int64 token id

    tracker = memtracker()
    tracker.track_external(model)
    ids = torch.zeros(1, 1, dtype=torch.long)
    with tracker, torch.no_grad():
        c = model(input_ids=torch.zeros(1, 63, dtype=torch.long), use_cache=True)["past_key_values"]
        tracker.reset_mod_stats()
        model(input_ids=ids, cache=c, use_cache=True, logits_to_keep=1)
    measured = tracker.memory_tracking[model].local_peak[torch.device("cpu")]
    assert r.memory.inference_peak == measured + 8


def test_serving_peaks_match_pytorchs_memtracker():
    """The serving section's prefill (logits of the last position only, as generate asks) and
    last-decode-step peaks, measured on meta, equal MemTracker's on a CPU build of the same model."""
    data = tiny_llama()
    sv = analyze_hf(data, seq=48, gen=16).extra["llm"]["serving"]
    model, _, _ = build(data, meta=False)
    tracker = memtracker()
    tracker.track_external(model)
    ids, more = torch.zeros(1, 48, dtype=torch.long), torch.zeros(1, 63, dtype=torch.long)
    with tracker, torch.no_grad():
        model(input_ids=ids, use_cache=True, logits_to_keep=1)
    prefill = tracker.get_tracker_snapshot("peak")[torch.device("cpu")]["Total"]
    assert sv["prefill_peak"] == prefill + 48 * 8  # + the prompt's ids, made before the tracker
    tracker = memtracker()
    tracker.track_external(model)
    one = torch.zeros(1, 1, dtype=torch.long)
    with tracker, torch.no_grad():
        c = model(input_ids=more, use_cache=True)["past_key_values"]
        tracker.reset_mod_stats()
        model(input_ids=one, cache=c, use_cache=True, logits_to_keep=1)
    assert sv["decode_peak"] == tracker.memory_tracking[model].local_peak[torch.device("cpu")] + 8


def test_serving_section_adds_up():
    sv = analyze_hf(tiny_llama(), batch=2, seq=32, gen=8).extra["llm"]["serving"]
    head_dim = H // HEADS
    assert sv["kv_cache"] == 2 * L * 2 * 40 * KV * head_dim * 4  # K and V · layers · batch · (32 + 8) · kv heads · dim · fp32
    weights = llama_params = 2 * V * H + L * (2 * H * H + 2 * H * KV * head_dim + 3 * H * I + 2 * H) + H
    # fp32 parameters + the rotary inverse frequencies (inv_freq and original_inv_freq, head_dim / 2 each)
    assert sv["weights"] == 4 * llama_params + 2 * 4 * (head_dim // 2)
    assert weights == llama_params
    assert sv["peak"] == max(sv["prefill_peak"], sv["decode_peak"])
    assert sv["weights"] + sv["kv_cache"] + sv["activation_peak"] == sv["peak"]
    # the last decode step holds the cache of 39 tokens as it starts, and makes more
    assert sv["decode_peak"] > sv["weights"] + 2 * L * 2 * 39 * KV * head_dim * 4


def test_llama3_8b_serving_bf16():
    """Llama-3-8B, bf16, batch 1, a prompt of 8192: 16,060,522,496 bytes of weights (+ 256 of rotary
    frequencies: two buffers of 64), a 1 GiB KV cache, and the prefill's activations beyond it."""
    sv = analyze_hf("Llama-3-8B", seq=8192, dtype="bf16").extra["llm"]["serving"]
    assert sv["weights"] == 16_060_522_496 + 2 * 64 * 2
    assert sv["kv_cache"] == 2 * 32 * 8192 * 8 * 128 * 2 == 2**30
    assert sv["decode_peak"] is None and sv["peak_phase"] == "prefill"
    # the last MLP holds four [8192, 14336] bf16 tensors (gate, up, SiLU(gate), their product) at its peak
    assert sv["activation_peak"] > 4 * 8192 * 14336 * 2


def test_quantized_weights_serve_with_bf16_activations():
    r = analyze_hf("Llama-3-8B", seq=512, gen=512, dtype="int4")
    sv, llm = r.extra["llm"]["serving"], r.extra["llm"]
    assert sv["activation_dtype"] == "bfloat16"
    assert sv["weights"] == llm["weight_bytes_by_dtype"]["int4"] + 2 * 64 * 2
    assert sv["kv_cache"] == 2 * 32 * 1024 * 8 * 128 * 2


# -- what fits in a device ---------------------------------------------------------------
def test_largest_batch_and_context_fit_and_one_more_does_not():
    data = tiny_llama()
    budget = 12 * 2**20
    fit = analyze_hf(data, seq=32, gen=8, device_memory=budget).extra["llm"]["serving"]["fit"]
    b, t = fit["max_batch"], fit["max_context"]
    assert b > 1 and 8 < t <= 256

    def peak(batch, context):
        return analyze_hf(data, batch=batch, seq=context - 8, gen=8).extra["llm"]["serving"]["peak"]

    assert peak(b, 40) <= budget < peak(b + 1, 40)
    if fit["limited_by"] == "positions":
        assert t == 256 and peak(1, 256) <= budget
    else:
        assert peak(1, t) <= budget < peak(1, t + 1)


def test_nothing_fits_when_the_weights_do_not():
    fit = analyze_hf("Llama-3-8B", dtype="bf16", device_memory="8GB").extra["llm"]["serving"]["fit"]
    assert fit == {"device_memory": 8 * 10**9, "weights_fit": False, "max_batch": 0, "max_context": 0, "limited_by": "weights"}


@pytest.mark.parametrize("answer", [1, 7, 100, 1000])
@pytest.mark.parametrize("guess", [1, 3, 99, 5000])
def test_largest_fitting_finds_the_boundary_from_any_guess(answer, guess):
    probes = []

    def fits(n):
        probes.append(n)
        return n <= answer

    assert largest_fitting(fits, guess, 1, None) == answer
    assert len(probes) <= 2 * (abs(guess - answer).bit_length() + 2)  # galloping, then bisection
    assert largest_fitting(fits, guess, 1, 50) == min(answer, 50)
    assert largest_fitting(lambda n: False, guess, 1, None) == 0


def test_quadratic_guess_inverts_a_parabola():
    def y(x):
        return 3 * x * x + 5 * x + 7

    assert _quadratic_guess([(10, y(10)), (20, y(20)), (40, y(40))], y(123)) == 123
    assert _quadratic_guess([(1, 10), (2, 20), (4, 40)], 95) == 9  # a line: 10·x <= 95


@pytest.mark.parametrize("text, expected", [("80GB", 80 * 10**9), ("80GiB", 80 * 2**30), ("1.5TB", 15 * 10**11),
                                            ("512 MiB", 512 * 2**20), ("4096", 4096), (2**30, 2**30)])
def test_parse_bytes(text, expected):
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("bad", ["-5GB", "0", "eighty GB", "80 parsecs", True, -1])
def test_parse_bytes_refuses(bad):
    with pytest.raises(InputError, match="must be a positive size"):
        parse_bytes(bad, "device_memory")


# -- parallel training: ZeRO and Megatron rules ------------------------------------------
def test_zero_reproduces_the_papers_figure_1():
    """ZeRO (Rajbhandari et al. 2020), Figure 1: Ψ = 7.5B parameters, mixed-precision Adam
    (K = 12), N_d = 64 ranks: 120 GB, then 31.4, 16.6 and 1.9 GB per device."""
    psi, nd = 7_500_000_000, 64
    for stage, gb in ((0, 120.0), (1, 31.4), (2, 16.6), (3, 1.9)):
        per_rank = sum(zero_per_rank(2 * psi, 2 * psi, 4 * psi, 8 * psi, nd, stage))  # 2 + 2 + (4 + 8 = K) bytes
        assert round(per_rank / 1e9, 1) == gb


def test_one_f_one_b_keeps_p_minus_s_micro_batches():
    assert [pipeline_in_flight(s, 4) for s in range(4)] == [4, 3, 2, 1]


def _parallel(data, **kw):
    return analyze_hf(data, seq=32, backward=True, **kw).memory


def test_one_gpu_is_the_single_device_step():
    m = _parallel(tiny_llama(), tp=1, pp=1, dp=1, zero=0)
    g = m.parallel["per_gpu"]
    assert (g["weights"], g["gradients"], g["master_weights"], g["optimizer_states"], g["activations"]) == (
        m.weights, m.gradients, m.master_weights, m.optimizer_states, m.saved_activations)


def test_tensor_and_pipeline_parallel_split_by_megatrons_rules():
    data = tiny_llama()
    r = analyze_hf(data, seq=32, backward=True, precision="bf16-mixed", tp=2, pp=2, dp=4, zero=1)
    par, m = r.memory.parallel, r.memory
    head_dim = H // HEADS
    linear = 2 * H * H + 2 * H * KV * head_dim + 3 * H * I  # Q, O, K, V; gate, up, down: split over tp
    norms = 2 * H  # replicated
    first = V * H // 2 + 2 * (linear // 2 + norms)  # the embedding (vocabulary-parallel) and layers 0–1
    last = 2 * (linear // 2 + norms) + H + V * H // 2  # layers 2–3, the final norm, the LM head
    s0, s1 = par["stages"]
    assert (s0["params"], s1["params"]) == (first, last)
    assert (s0["layers"], s1["layers"]) == ([0, 1], [2, 3])
    assert s0["weights"] == 2 * first and s0["gradients"] == 2 * first  # bf16
    assert s0["master_weights"] == 4 * first // 4 and s0["optimizer_states"] == 8 * first // 4  # ZeRO-1 over dp = 4
    saved = [r.layer(f"model.layers.{i}").saved_activation_bytes for i in range(L)]
    embed = r.layer("model.embed_tokens").saved_activation_bytes
    assert s0["activations"] == 2 * -(-(saved[0] + saved[1] + embed) // 2)  # 2 micro-batches in flight, / tp
    assert s1["activations"] == -(-(m.saved_activations - saved[0] - saved[1] - embed) // 2)
    assert par["gpus"] == 16 and par["per_gpu"]["total"] == max(s0["total"], s1["total"])


def test_tied_embeddings_keep_a_copy_on_the_last_stage():
    data = load_config("gpt2")[0]
    data.update(n_layer=2, n_embd=64, n_head=4, vocab_size=300, n_positions=64)
    par = _parallel(data, pp=2).parallel
    h = 64
    layer = 2 * h + (h * 3 * h + 3 * h) + (h * h + h) + 2 * h + (h * 4 * h + 4 * h) + (4 * h * h + h)
    assert par["stages"][0]["params"] == 300 * h + 64 * h + layer  # token and position embeddings, layer 0
    assert par["stages"][1]["params"] == layer + 2 * h + 300 * h  # layer 1, the final norm, the tied LM head's copy


@pytest.mark.parametrize("kw, message", [
    ({"tp": 3}, "--tp 3 must divide the 4 attention heads"),
    ({"tp": 4}, "--tp 4 must divide the 2 key/value heads"),
    ({"pp": 5}, "--pp 5 is more pipeline stages than the model's 4 layers"),
    ({"zero": 4}, "--zero must be a ZeRO stage"),
    ({"dp": 0}, "--dp must be an int >= 1"),
])
def test_parallel_refuses_bad_layouts(kw, message):
    with pytest.raises(InputError, match=message):
        _parallel(tiny_llama(), **kw)


def test_parallel_needs_a_training_step_and_a_decoder():
    with pytest.raises(InputError, match="add --backward"):
        analyze_hf(tiny_llama(), tp=2)
    with pytest.raises(InputError, match="decoder LMs; hf:bert-base-uncased is a bert base model"):
        analyze_hf("bert-base-uncased", backward=True, tp=2)


@pytest.mark.parametrize("argv, message", [
    (["hf:gpt2", "--device-memory=-5GB"], "device_memory must be a positive size"),
    (["hf:bert-base-uncased", "--device-memory", "5GB"], "--device-memory sizes serving"),
    (["hf:gpt2", "--tp", "2"], "add --backward"),
    (["torchvision:resnet18", "--tp", "2"], "only hf: models take --tp"),
])
def test_cli_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    from nncost.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_cli_prints_serving_and_per_gpu_lines(tmp_path, capsys):
    import json

    data = load_config("gpt2")[0]
    data.update(n_layer=2, n_embd=64, n_head=4, vocab_size=300)  # GPT-2's layout, small: the CLI is what is tested
    config = tmp_path / "config.json"
    config.write_text(json.dumps(data))
    from nncost.cli import main

    assert main([f"hf:{config}", "--gen", "16", "--device-memory", "1GB"]) == 0
    out = capsys.readouterr().out
    assert "serving 1 × 144 tokens" in out and "fits in 953.67 MiB: batch up to" in out
    assert main([f"hf:{config}", "--backward", "--tp", "2", "--pp", "2", "--dp", "2", "--zero", "3"]) == 0
    assert "per GPU       tp 2 × pp 2 × dp 2 = 8 GPUs, ZeRO-3, sequence parallel" in capsys.readouterr().out


def test_mixture_of_experts_serves_with_grouped_matmuls_in_bf16():
    """In bf16 the experts run as transformers' grouped_mm (tokens sorted by expert, as serving kernels
    do); in fp32 as batched_mm, which gathers each token's k expert weight matrices. Same MACs; the
    gathered copies show in the activations, and a note says so."""
    data = load_config("Qwen3-30B-A3B")[0]
    data.update(num_hidden_layers=2, hidden_size=64, intermediate_size=128, moe_intermediate_size=32,
                num_attention_heads=4, num_key_value_heads=2, head_dim=16, num_experts=8, num_experts_per_tok=2,
                vocab_size=256, max_position_embeddings=512)
    bf16 = analyze_hf(data, seq=64, dtype="bf16")
    fp32 = analyze_hf(data, seq=64, dtype="fp32")
    assert bf16.total.macs == fp32.total.macs
    assert not any("batched_mm" in n for n in bf16.notes) and any("batched_mm" in n for n in fp32.notes)
    one_layer = 64 * 2 * (3 * 64 * 32) * 4  # tokens · k · (gate, up, down weights of 64 × 32) · fp32 bytes
    assert fp32.memory.activation_peak > 2 * bf16.memory.activation_peak
    assert fp32.memory.activation_peak > one_layer  # one layer's gathered expert weights are alive at once
