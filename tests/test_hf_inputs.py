"""Inputs built for a model's modality: vision-language models that read image features in place
of image tokens (LLaVA and kin) get an image and the matching image tokens, so the vision tower's
cost is counted; speech encoders get log-mel features in the layout they take; any module that
never runs is named, never silently zero."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
tf = pytest.importorskip("transformers")

import nncost  # noqa: E402
from nncost.frontends.hf import analyze_hf  # noqa: E402

VISION = {"model_type": "clip_vision_model", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
          "num_attention_heads": 2, "image_size": 32, "patch_size": 8}
TEXT = {"model_type": "llama", "hidden_size": 48, "intermediate_size": 96, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1000}
LLAVA = {"model_type": "llava", "vision_config": VISION, "text_config": TEXT, "image_token_id": 500}
PATCHES = (32 // 8) ** 2  # image tokens: one per patch (LLaVA's default strategy drops the class token)


@pytest.fixture(scope="module")
def llava():
    return analyze_hf(LLAVA, seq=8)


def test_llava_gets_an_image_and_one_token_per_feature(llava):
    shapes = {d["name"]: d["shape"] for d in llava.inputs}
    assert shapes == {"input_ids": [1, PATCHES + 8], "pixel_values": [1, 3, 32, 32]}
    assert any(n.startswith(f"one image of 3x32x32 per sequence, as {PATCHES} image tokens before the 8 text tokens")
               for n in llava.notes)
    assert not any("never ran" in n for n in llava.notes)


def test_llava_counts_its_vision_tower_and_projector(llava):
    layers = {n.path: n for n in llava.layers}
    # the projector maps each of the 16 patch features: Linear(32 → 48), GELU, Linear(48 → 48)
    assert layers["multi_modal_projector"].macs == PATCHES * (32 * 48 + 48 * 48)
    # the tower inside equals the tower alone on the same image (its 16 patches + the class token)
    tower = nncost.analyze(tf.CLIPVisionModel(tf.CLIPVisionConfig(**{k: v for k, v in VISION.items() if k != "model_type"})),
                           pixel_values=(1, 3, 32, 32))
    assert layers["vision_tower"].macs == tower.total.macs > 0
    # the language model reads 16 image + 8 text tokens: its q, k, v, o, gate, up, down projections per token
    per_token = 2 * (48 * 48 + 2 * 48 * 24 + 48 * 48 + 3 * 48 * 96)  # two layers; k and v have 2 heads of 12
    attention = 2 * 4 * (24 * 24 * 12) * 2  # two layers × 4 heads × (q·kᵀ and ·v) over 24 positions, head dim 12
    assert layers["language_model"].macs == 24 * per_token + attention


def test_a_module_that_never_runs_is_named():
    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.unused = torch.nn.Linear(8, 8), torch.nn.Linear(8, 4)

        def forward(self, x):
            return self.used(x)

    r = nncost.analyze(Model(), (2, 8))
    assert ("modules that never ran with these inputs, so none of their cost is counted (their parameters are): "
            "unused (Linear, 36 params)") in r.notes
    # nn.MultiheadAttention never calls its out_proj (it uses the weight itself): not named
    r = nncost.analyze(torch.nn.MultiheadAttention(8, 2), (3, 1, 8), (3, 1, 8), (3, 1, 8))
    assert not any("never ran" in n for n in r.notes)


def test_a_hybrid_whose_layers_are_all_recurrent_runs_without_a_cache():
    """transformers' cache raises on get_seq_length when no layer is attention (granitemoehybrid's
    layer types here are both linear attention): the forward needs no cache, so nncost runs it
    without one and says so."""
    import json

    from nncost.frontends.hf import build

    cfg = json.loads(json.dumps(tf.AutoConfig.for_model(
        "granitemoehybrid", num_hidden_layers=2, hidden_size=64, intermediate_size=128, shared_intermediate_size=128,
        num_attention_heads=4, num_key_value_heads=2, vocab_size=256, num_local_experts=4, num_experts_per_tok=2,
        mamba_n_heads=4, mamba_d_head=32, mamba_d_state=16, mamba_n_groups=1, layer_types=["mamba", "mamba"]).to_dict(),
        default=str))
    r = analyze_hf(cfg, seq=16)
    assert any(n.startswith("run without a cache (use_cache=False)") for n in r.notes)
    model, _, _ = build(cfg)
    model.config.use_cache = False
    direct = nncost.analyze(model, input_ids=(1, 16))  # the same model, told directly
    assert (r.total.params, r.total.macs, r.total.flops) == (
        sum(p.numel() for p in model.parameters()), direct.total.macs, direct.total.flops)
    assert r.total.macs > 0


def test_speech_encoders_get_features_in_the_layout_they_take():
    import json

    def config(model_type, **kw):
        return json.loads(json.dumps(tf.AutoConfig.for_model(model_type, **kw).to_dict(), default=str))

    # Qwen2-Audio's encoder (Whisper's layout): [batch, mel bins, 2 · max_source_positions frames]
    r = analyze_hf(config("qwen2_audio_encoder", d_model=64, encoder_layers=1, encoder_attention_heads=4,
                          encoder_ffn_dim=128, num_mel_bins=16, max_source_positions=50), seq=8)
    assert [d["shape"] for d in r.inputs] == [[1, 16, 100]]
    layers = {n.path: n for n in r.layers}
    assert layers["conv1"].macs == 64 * 16 * 3 * 100  # C_out·C_in·k·frames
    assert layers["conv2"].macs == 64 * 64 * 3 * 50  # stride 2 halves the frames
    assert not any("never ran" in n for n in r.notes)  # its position table is read as .weight: not named
    # Parakeet's conformer encoder takes [batch, frames, mel bins]: the other layout, tried when the first fails
    r = analyze_hf(config("parakeet_encoder", hidden_size=64, num_hidden_layers=1, num_attention_heads=4,
                          intermediate_size=128, num_mel_bins=16, subsampling_conv_channels=8), seq=8)
    assert [d["shape"] for d in r.inputs] == [[1, 3000, 16]]  # 30 s of 10 ms frames
    assert {n.path: n for n in r.layers}["subsampling.linear"].input_shapes == [[1, 375, 16]]  # 3000 / 8 frames


def test_qwen2_vl_gets_patches_and_a_real_grid():
    """Qwen2-VL's tower takes its image as patches with a (t, h, w) grid whose values it reads:
    the grid stays a real CPU tensor beside the model on meta."""
    import json

    cfg = tf.AutoConfig.for_model(
        "qwen2_vl", image_token_id=900, video_token_id=901, vision_start_token_id=902,
        text_config={"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                     "intermediate_size": 128, "vocab_size": 1000,
                     "rope_parameters": {"rope_type": "default", "mrope_section": [2, 3, 3], "rope_theta": 10000.0}},
        vision_config={"depth": 2, "embed_dim": 32, "num_heads": 2, "hidden_size": 64, "mlp_ratio": 2, "patch_size": 14,
                       "spatial_merge_size": 2, "temporal_patch_size": 2})
    r = analyze_hf(json.loads(json.dumps(cfg.to_dict(), default=str)), seq=8)
    side = 224 // (14 * 2) * 2  # patches per side: a multiple of the 2×2 merge
    tokens, merged = side * side, side * side // 4
    shapes = {d["name"]: d["shape"] for d in r.inputs}
    assert shapes == {"input_ids": [1, merged + 8], "pixel_values": [tokens, 3 * 2 * 14 * 14],  # C·T·P·P per patch
                      "image_grid_thw": [1, 3], "mm_token_type_ids": [1, merged + 8]}
    visual = (tokens * 32 * 3 * 2 * 14 * 14  # patch embedding: a Conv3d of kernel (2, 14, 14), 32 channels
              + 2 * tokens * (32 * 96 + 32 * 32 + 2 * 32 * 64)  # two blocks: qkv, proj, MLP 32 → 64 → 32
              + 2 * 2 * tokens * tokens * 32  # full attention over the image's patches: q·kᵀ and ·v
              + merged * (128 * 128 + 128 * 64))  # merger: 2×2 patches (4·32 = 128) → 128 → text width 64
    assert {n.path: n for n in r.layers}["visual"].macs == visual
    assert any(f"as a grid of {side}x{side} patches, as {merged} image tokens" in n for n in r.notes)
    assert not any("drawn with seed" in n for n in r.notes)  # the grid and positions are the ones built, not random
    # the tower alone (its config as a model type of its own) takes the same patches as hidden_states, and its grid
    tower = analyze_hf(json.loads(json.dumps(cfg.vision_config.to_dict(), default=str)), seq=8)
    assert {d["name"]: d["shape"] for d in tower.inputs} == {"hidden_states": [tokens, 3 * 2 * 14 * 14],
                                                              "grid_thw": [1, 3]}
    assert tower.total.macs == visual


def test_llava_next_gets_its_any_resolution_tiles():
    # pinpoints [h, w]: a 32×32 image fits 32×64 best (full resolution kept, least padding): two 32×32 crops + the base
    r = analyze_hf({**LLAVA, "model_type": "llava_next", "image_grid_pinpoints": [[32, 64], [64, 32], [64, 64]]}, seq=8)
    # image tokens: the base image's 4×4 patches, then the crops' 4×8 feature map cut back to the image's square
    # aspect (4×4) with a newline token closing each of its 4 rows
    tokens = 16 + 4 * (4 + 1)
    assert {d["name"]: d["shape"] for d in r.inputs} == {"input_ids": [1, tokens + 8], "pixel_values": [1, 3, 3, 32, 32],
                                                         "image_sizes": [1, 2]}
    layers = {n.path: n for n in r.layers}
    assert layers["multi_modal_projector"].macs == 3 * PATCHES * (32 * 48 + 48 * 48)  # every tile's 16 patch features
    assert any("as 3 tiles (any resolution), as 36 image tokens" in n for n in r.notes)


def test_video_models_get_a_clip_of_their_frames():
    import json

    cfg = tf.AutoConfig.for_model("videomae", image_size=32, patch_size=8, tubelet_size=2, num_frames=4, hidden_size=32,
                                  num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
    r = analyze_hf(json.loads(json.dumps(cfg.to_dict(), default=str)), seq=8)
    assert [d["shape"] for d in r.inputs] == [[1, 4, 3, 32, 32]]  # [batch, num_frames, channels, height, width]
    tokens = (4 // 2) * (32 // 8) ** 2  # tubelets of 2 frames × 8×8 patches
    layers = {n.path: n for n in r.layers}
    assert layers["embeddings"].macs == tokens * 32 * 3 * 2 * 8 * 8  # a Conv3d of kernel (2, 8, 8), 32 channels
    assert layers["encoder"].macs == tokens * (4 * 32 * 32 + 2 * 32 * 64) + 2 * tokens * tokens * 32  # one layer
