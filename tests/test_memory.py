"""The memory view of the torch frontend: weights, the inference peak, a training step's
gradients, optimizer states, saved activations and peak (docs/memory.md)."""

from __future__ import annotations

import contextlib
import warnings

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import nncost  # noqa: E402
from nncost.errors import InputError  # noqa: E402
from nncost.frontends.torch.zoo import SeedNet  # noqa: E402


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))


def test_inference_peak_by_hand():
    m = nncost.analyze(mlp(), (2, 8)).memory
    assert m.weights == 4 * ((8 * 16 + 16) + (16 * 4 + 4))  # fp32 weights and biases
    assert m.inputs == 4 * 2 * 8
    # Linear(8, 16) writes [2, 16]; ReLU writes a second [2, 16] while the first is alive: 2·128 bytes; then the
    # first dies, and Linear(16, 4) adds [2, 4] next to ReLU's output: 128 + 32. The peak is at the ReLU.
    assert m.activation_peak == 2 * 4 * 2 * 16
    assert m.inference_peak == m.weights + m.buffers + m.inputs + m.activation_peak and m.buffers == 0
    assert m.inference_peak_module == "1"
    assert m.training_peak is None and m.gradients is None  # no training step counted


def test_no_grad_frees_activations_as_it_goes():
    chain = nn.Sequential(*[nn.Linear(256, 256) for _ in range(10)])
    m = nncost.analyze(chain, (4, 256)).memory
    assert m.activation_peak == 2 * 4 * 4 * 256  # two [4, 256] activations alive at once, never ten


def test_views_share_their_storage():
    class Views(nn.Module):
        def forward(self, x):
            y = x * 2  # one allocation
            return y.view(4, 4), y.t(), y[0]  # three views of it: no more memory

    m = nncost.analyze(Views(), (4, 4)).memory
    assert m.activation_peak == 4 * 16


def test_each_layer_reports_its_output_bytes_and_saved_activations():
    r = nncost.analyze(mlp(), (2, 8), backward=True)
    assert [r.layer(p).output_bytes for p in ("0", "1", "2")] == [4 * 2 * 16, 4 * 2 * 16, 4 * 2 * 4]
    # Linear(8, 16) saves its input, which is the user's (not an activation); ReLU saves its output; Linear(16, 4)
    # saves its input, the same ReLU output: counted once
    assert r.layer("0").saved_activation_bytes == 0
    assert r.layer("1").saved_activation_bytes == 4 * 2 * 16
    assert r.layer("2").saved_activation_bytes == 0
    assert r.root.saved_activation_bytes == r.memory.saved_activations == 4 * 2 * 16
    assert nncost.analyze(mlp(), (2, 8)).root.saved_activation_bytes is None  # no backward pass: not measured


@pytest.mark.parametrize("optimizer,states", [("sgd", 0), ("momentum", 1), ("adam", 2), ("adamw", 2)])
def test_training_terms_follow_the_optimizer(optimizer, states):
    n = (8 * 16 + 16) + (16 * 4 + 4)
    m = nncost.analyze(mlp(), (2, 8), backward=True, optimizer=optimizer).memory
    assert (m.optimizer, m.precision) == (optimizer, "fp32")
    assert m.gradients == 4 * n and m.master_weights == 0
    assert m.optimizer_states == states * 4 * n
    assert m.training_peak >= m.weights + m.gradients + m.optimizer_states


def test_frozen_parameters_have_no_gradient_or_optimizer_state():
    model = mlp()
    model[0].requires_grad_(False)
    m = nncost.analyze(model, (2, 8), backward=True).memory
    trainable = 16 * 4 + 4
    assert (m.gradients, m.optimizer_states) == (4 * trainable, 2 * 4 * trainable)


def test_mixed_precision_keeps_fp32_master_weights_and_states():
    n = (8 * 16 + 16) + (16 * 4 + 4)
    m = nncost.analyze(mlp(), (2, 8), backward=True, precision="bf16-mixed").memory
    assert m.weights == 2 * n  # the bf16 weights the model runs with
    assert (m.gradients, m.master_weights, m.optimizer_states) == (2 * n, 4 * n, 8 * n)  # ZeRO's 2 + 2 + 12 bytes per param
    pure = nncost.analyze(mlp(), (2, 8), backward=True, precision="bf16").memory
    assert (pure.gradients, pure.master_weights, pure.optimizer_states) == (2 * n, 0, 4 * n)


def test_the_optimizer_step_can_be_the_peak():
    # a wide layer on a tiny input: Adam's step temporaries (2 tensors of the weight's size) outweigh the activations
    wide = nn.Linear(1024, 1024, bias=False)
    m = nncost.analyze(wide, (1, 1024), backward=True, optimizer="adam").memory
    n = 1024 * 1024
    assert m.optimizer_step_transient == 2 * 4 * n
    assert m.training_peak == m.optimizer_states + m.weights + m.gradients + m.optimizer_step_transient
    assert m.training_peak_module == "optimizer.step"


def test_checkpointing_keeps_the_inputs_of_matching_modules_only():
    plain = nncost.analyze(SeedNet(), (1, 3, 224, 224), backward=True).memory
    ckpt = nncost.analyze(SeedNet(), (1, 3, 224, 224), backward=True, checkpoint="block").memory
    block_input = 4 * 128 * 56 * 56  # what the checkpoint keeps for its recomputation: block's input
    block_saved = nncost.analyze(SeedNet(), (1, 3, 224, 224), backward=True).layer("block").saved_activation_bytes
    # block's last ReLU no longer saves its output, so the pooling after it saves that tensor as its input
    block_output = 4 * 128 * 28 * 28
    assert ckpt.saved_activations == plain.saved_activations - block_saved + block_input + block_output
    assert ckpt.checkpoint == "block"
    with pytest.raises(InputError, match="matches no module"):
        nncost.analyze(SeedNet(), (1, 3, 224, 224), backward=True, checkpoint="decoder.*")


@pytest.mark.parametrize("kwargs,match", [
    ({"backward": True, "optimizer": "lion"}, "optimizer must be one of"),
    ({"backward": True, "precision": "int4"}, "precision must be one of"),
    ({"optimizer": "sgd"}, "describes a training step"),
    ({"backward": True, "precision": "bf16", "dtype": "fp16"}, "give one of them"),
])
def test_bad_training_options_are_refused(kwargs, match):
    with pytest.raises(InputError, match=match):
        nncost.analyze(mlp(), (2, 8), **kwargs)


@contextlib.contextmanager
def _mkldnn_off(name):
    # oneDNN's fused LSTM (the CPU default) saves a workspace of its own; with it off the CPU runs the
    # same per-step LSTM as meta (and as the docs count it)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # oneDNN's note about TF32 on Intel GPUs
        with torch.backends.mkldnn.flags(enabled=False) if name == "lstm2" else contextlib.nullcontext():
            yield


def _zoo(name):
    import torchvision as tv

    if name == "bert":
        tf = pytest.importorskip("transformers")
        return tf.BertModel(tf.BertConfig(attn_implementation="sdpa")).eval(), {"input_ids": torch.zeros(1, 128, dtype=torch.long)}
    if name == "lstm2":
        return nn.LSTM(128, 256, num_layers=2), {"input": (50, 4, 128)}
    return tv.models.get_model(name, weights=None), {"x": (1, 3, 224, 224)}


@pytest.mark.parametrize("name", ["resnet50", "vit_b_16", "bert", "lstm2"])
def test_saved_activations_on_meta_equal_those_on_cpu(name):
    model, inputs = _zoo(name)
    with _mkldnn_off(name):
        meta = nncost.analyze(model, inputs=inputs, backward=True)
        cpu = nncost.analyze(model, inputs=inputs, backward=True, device="cpu")
    assert meta.memory.saved_activations == cpu.memory.saved_activations > 0
    assert [n.saved_activation_bytes for n in meta.layers] == [n.saved_activation_bytes for n in cpu.layers]


def _memtracker_peak(model, x, optimizer=None):
    """PyTorch's own tracker (torch.distributed._tools.mem_tracker, private) on real CPU tensors: the peak of a
    second iteration (the first allocates the optimizer states), excluding the input made before it."""
    mem_tracker = pytest.importorskip("torch.distributed._tools.mem_tracker")
    tracker = mem_tracker.MemTracker()
    tracker.track_external(model, *([optimizer] if optimizer else []))
    with tracker:
        for i in range(2):
            if i == 1:
                tracker.reset_mod_stats()
            if optimizer is None:
                with torch.no_grad():
                    model(x)
            else:
                model(x).sum().backward()
                optimizer.step()
                optimizer.zero_grad()
    return tracker.get_tracker_snapshot("peak")[torch.device("cpu")]["Total"]


@pytest.mark.parametrize("name", ["resnet18", "seednet", "seednet checkpointed"])
def test_peaks_agree_with_pytorchs_memtracker(name):
    import torchvision as tv
    from torch.utils.checkpoint import checkpoint

    model = SeedNet() if name.startswith("seednet") else tv.models.resnet18().eval()
    x = torch.randn(2, 3, 224, 224)
    pattern = "block" if name.endswith("checkpointed") else None
    if pattern:
        block = model.block.forward
        model.block.forward = lambda inp: checkpoint(block, inp, use_reentrant=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inference = _memtracker_peak(model, x)
        training = _memtracker_peak(model, x, torch.optim.AdamW(model.parameters(), foreach=False))
    if pattern:
        del model.block.forward
    m = nncost.analyze(model, x, backward=True, checkpoint=pattern).memory
    assert abs((m.inference_peak - m.inputs) - inference) <= 0.05 * inference  # equal to the byte for resnet18
    assert abs((m.training_peak - m.inputs) - training) <= 0.05 * training


def test_weights_by_dtype_keep_fp32_buffers_apart():
    class Rotary(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.proj = nn.Linear(64, 64, bias=False).to(torch.bfloat16)
            self.register_buffer("inv_freq", torch.ones(32), persistent=False)  # fp32, as Hugging Face keeps it

        def forward(self, x):
            return self.proj(x) * self.inv_freq.repeat(2).to(x.dtype)

    m = nncost.analyze(Rotary(), torch.zeros(2, 64, dtype=torch.bfloat16)).memory
    assert (m.weights, m.buffers) == (2 * 64 * 64, 4 * 32)
    assert m.weights_by_dtype == {"bfloat16": 2 * 64 * 64, "float32": 4 * 32}


def test_llama_3_8b_in_bf16_at_8192_tokens():
    pytest.importorskip("transformers")
    from nncost.frontends.hf import analyze_hf

    r = analyze_hf("Llama-3-8B", seq=8192, dtype="bf16")
    m = r.memory
    assert m.weights == 16_060_522_496  # 8,030,261,248 parameters × 2 bytes
    assert m.buffers == 4 * 64  # the rotary inverse frequencies, kept in fp32: head_dim / 2 of them
    assert r.extra["llm"]["kv_cache_bytes"] == 2**30  # 32 layers × 8192 tokens × 2·8·128 × 2 bytes
    # the forward over 8192 tokens returns the logits of every position: [1, 8192, 128256] in bf16, 2.1 GB, alive
    # next to the last hidden states when the LM head has just run
    logits = 8192 * 128_256 * 2
    assert m.inference_peak_module == "lm_head" and m.activation_peak >= logits
    assert m.inference_peak == m.weights + m.buffers + m.inputs + m.activation_peak


@pytest.mark.parametrize("s,b", [(512, 1), (256, 2)])
def test_gpt2_saved_activations_term_by_term_against_korthikanti(s, b):
    """Korthikanti et al. 2022 (Reducing Activation Recomputation in Large Transformer Models, §4.1): a
    transformer layer saves 34·s·b·h + 5·a·s²·b bytes in 16-bit with dropout. What GPT-2 (transformers 5,
    SDPA) saves in bf16, measured, is that closed form with each difference accounted for (docs/memory.md)."""
    tf = pytest.importorskip("transformers")
    model = tf.GPT2LMHeadModel(tf.GPT2Config(n_layer=2, attn_implementation="sdpa"))
    r = nncost.analyze(model, input_ids=torch.zeros(b, s, dtype=torch.long), backward=True, train=True, dtype="bf16")
    h, a = 768, 12
    korthikanti = 34 * s * b * h + 5 * a * s * s * b
    expected = (korthikanti
                - 5 * a * s * s * b  # the fused attention kernel keeps no scores, softmax or dropout mask over them ...
                + 4 * a * s * b  # ... but its fp32 log-sum-exp per row
                + 4 * s * b * h  # transformers copies q and k contiguous before SDPA (v stays a view of c_attn's output)
                + 2 * s * b * h  # two dropout masks in bf16 (the CPU/meta decomposition), not 1-byte bool (CUDA's kernel)
                + 24 * s * b * h  # GPT-2's tanh GELU written out in Python saves 4 tensors of 4h, not its input alone
                + 2 * 2 * 4 * s * b)  # each layer norm's fp32 mean and 1/std per token
    assert r.layer("transformer.h.1").saved_activation_bytes == expected


def test_a_checkpointed_transformer_recomputes_on_meta_as_on_cpu():
    # autograd runs the meta device's backward on a thread of its own, where the recomputed attention must still
    # be the fused kernel the forward ran: the tensors it recomputes are then those the forward saved
    tf = pytest.importorskip("transformers")
    cfg = tf.LlamaConfig(num_hidden_layers=2, hidden_size=64, intermediate_size=128, num_attention_heads=4,
                         num_key_value_heads=2, vocab_size=100)
    model = tf.LlamaForCausalLM(cfg)
    plain = nncost.analyze(model, input_ids=(1, 16), backward=True)
    meta = nncost.analyze(model, input_ids=(1, 16), backward=True, checkpoint="model.layers.*")
    cpu = nncost.analyze(model, input_ids=(1, 16), backward=True, checkpoint="model.layers.*", device="cpu")
    assert meta.memory.saved_activations == cpu.memory.saved_activations < plain.memory.saved_activations
    # the backward re-runs the layers' forward, up to the last tensor the backward still needs (checkpoint stops there)
    recomputed = meta.total.backward_macs - plain.total.backward_macs
    assert meta.total.backward_macs == cpu.total.backward_macs
    assert 0 < recomputed <= meta.layer("model.layers").macs
