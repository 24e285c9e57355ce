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


def test_a_published_vlm_config_is_built_with_the_generation_class_it_names(llava):
    """A Hub config names its class (``architectures``): a VLM's is the generation class, with its
    LM head, which published parameter counts include (Llama-3.2-11B-Vision's config: 10,670,220,835
    params with it, 128,256 · 4,096 fewer without). The image is placed as before."""
    r = analyze_hf({**LLAVA, "architectures": ["LlavaForConditionalGeneration"]}, seq=8)
    assert r.extra["hf"]["class"] == "LlavaForConditionalGeneration"
    assert [(d["name"], d["shape"]) for d in r.inputs] == [(d["name"], d["shape"]) for d in llava.inputs]
    assert r.total.params - llava.total.params == 48 * 1000  # the LM head: hidden · vocab
    assert r.total.macs - llava.total.macs == (PATCHES + 8) * 48 * 1000  # logits for the 16 image and 8 text positions
    assert {n.path: n for n in r.layers}["lm_head"].macs == (PATCHES + 8) * 48 * 1000
    assert r.notes[0] == ("built as LlavaForConditionalGeneration, the class its config's architectures name (its LM head "
                          "counted, as published parameter counts are)")

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

    # a parent that passes a child's weight to a function itself (Qwen3.5's causal conv kernel): not named
    class Direct(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1d = torch.nn.Conv1d(8, 8, 3, groups=8)

        def forward(self, x):
            return torch.nn.functional.conv1d(x, self.conv1d.weight, self.conv1d.bias, groups=8)

    r = nncost.analyze(Direct(), (1, 8, 16))
    assert not any("never ran" in n for n in r.notes)
    assert r.total.macs == 8 * 3 * 14  # depthwise: C·k·L_out, counted as the function it is


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


def _config(model_type, **kw):
    import json

    return json.loads(json.dumps(tf.AutoConfig.for_model(model_type, **kw).to_dict(), default=str))


def test_mask_helpers_on_meta_take_one_unpadded_sequence_and_are_restored():
    """transformers reads a mask's values before building it (is anything padded? are several
    sequences packed in a row?): on meta nncost answers from its own inputs (nothing padded, one
    sequence per row), so BioGPT runs on meta, counting exactly what a real CPU run counts."""
    from transformers import masking_utils

    from nncost.frontends.hf import build

    before = {n: getattr(masking_utils, n) for n in ("find_packed_sequence_indices", "_ignore_causal_mask_sdpa",
                                                     "_ignore_bidirectional_mask_sdpa")}
    cfg = _config("biogpt", num_hidden_layers=2, hidden_size=64, intermediate_size=128, num_attention_heads=4,
                  vocab_size=256)
    r = analyze_hf(cfg, seq=8, llm=False)
    assert not any(n.startswith("built and run on the CPU") or "depends on the input's values" in n for n in r.notes)
    model, _, _ = build(cfg, meta=False)
    real = nncost.analyze(model, input_ids=torch.randint(0, 256, (1, 8)), device="cpu")  # the helpers read real values
    assert (r.total.macs, r.total.flops) == (real.total.macs, real.total.flops)
    assert {n: getattr(masking_utils, n) for n in before} == before  # the originals again
    # the answers themselves: no packing, no padding, for meta tensors only
    from nncost.frontends.hf.masks import unpadded_on_meta

    with unpadded_on_meta():
        assert masking_utils.find_packed_sequence_indices(torch.zeros(1, 4, dtype=torch.long, device="meta")) is None
        packed = masking_utils.find_packed_sequence_indices(torch.tensor([[0, 1, 0, 1]]))  # two packed sequences, real
        assert packed.tolist() == [[0, 0, 1, 1]]
        assert masking_utils._ignore_causal_mask_sdpa(torch.ones(1, 4, dtype=torch.bool, device="meta"), 4, 4, 0, 0)
        assert not masking_utils._ignore_causal_mask_sdpa(torch.tensor([[True, True, False, False]]), 4, 4, 0, 0)


def test_a_speech_encoder_decoder_gets_its_decoder_tokens():
    cfg = _config("moonshine", hidden_size=32, intermediate_size=64, encoder_num_hidden_layers=1,
                  decoder_num_hidden_layers=1, encoder_num_attention_heads=2, decoder_num_attention_heads=2,
                  vocab_size=100)
    r = analyze_hf(cfg, seq=8, gen=3)
    assert [(d["name"], d["shape"]) for d in r.inputs] == [("input_values", [1, 16000]), ("decoder_input_ids", [1, 3])]
    layers = {n.path: n for n in r.layers}
    assert layers["decoder.layers.0.self_attn.q_proj"].macs == 3 * 32 * 32  # 3 decoder tokens · d · d
    assert layers["encoder.conv1"].macs == 32 * 127 * ((16000 - 127) // 64 + 1)  # C_out·k·L_out (kernel 127, stride 64)


def test_models_that_need_an_image_or_regions_beside_their_text_get_them():
    # LXMERT reads detector features: 36 regions of visual_feat_dim, and their boxes
    cfg = _config("lxmert", hidden_size=32, intermediate_size=64, num_attention_heads=2, l_layers=1, x_layers=1,
                  r_layers=1, visual_feat_dim=64, vocab_size=100)
    r = analyze_hf(cfg, seq=8)
    assert [(d["name"], d["shape"]) for d in r.inputs] == [
        ("input_ids", [1, 8]), ("visual_feats", [1, 36, 64]), ("visual_pos", [1, 36, 4])]
    layers = {n.path: n for n in r.layers}
    assert layers["encoder.visn_fc.visn_fc"].macs == 36 * 64 * 32  # regions · feature dim · hidden
    assert layers["encoder.visn_fc.box_fc"].macs == 36 * 4 * 32  # regions · box coordinates · hidden


def test_an_image_size_given_as_height_and_width_is_used_as_such():
    cfg = _config("vitpose_backbone", hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                  patch_size=[16, 16])
    r = analyze_hf(cfg, seq=8)
    assert r.inputs[0]["shape"] == [1, 3, 256, 192]  # ViTPose's image_size [256, 192]
    patches = (256 // 16) * (192 // 16)
    assert {n.path: n for n in r.layers}["embeddings.patch_embeddings.projection"].macs == patches * 32 * 3 * 16 * 16


def test_an_unnamed_input_is_shaped_by_the_first_layer():
    """A forward whose one input is ``hidden_states`` or ``spectrogram`` gets the shape its first
    layer reads: a Linear's [batch, seq, in_features]; a Conv1d's frames, [batch, C, 100] and
    then [batch, 100, C] when the first is refused."""
    cfg = _config("granite_speech_encoder", num_layers=1, hidden_dim=32, input_dim=20, num_heads=2, dim_head=16,
                  output_dim=10, feedforward_mult=2)
    r = analyze_hf(cfg, seq=8)
    assert [(d["name"], d["shape"]) for d in r.inputs] == [("hidden_states", [1, 8, 20])]
    assert {n.path: n for n in r.layers}["input_linear"].macs == 8 * 20 * 32  # seq · input_dim · hidden
    # SpeechT5's HiFi-GAN takes [batch, frames, mel]: the second layout
    cfg = _config("speecht5_hifigan", model_in_dim=16, upsample_initial_channel=16, upsample_rates=[2, 2],
                  upsample_kernel_sizes=[4, 4], resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1]])
    r = analyze_hf(cfg, seq=8)
    assert [(d["name"], d["shape"]) for d in r.inputs] == [("spectrogram", [1, 100, 16])]
    assert {n.path: n for n in r.layers}["conv_pre"].macs == 16 * 16 * 7 * 100  # C_out·C_in·k·frames


def test_inputs_of_other_modalities_follow_their_configs():
    # Pix2Struct's flattened patches: seq_len rows of (row, column, P·P·C values)
    r = analyze_hf(_config("pix2struct_vision_model", hidden_size=32, d_ff=64, num_hidden_layers=1, num_attention_heads=2,
                           d_kv=16, patch_embed_hidden_size=48, seq_len=64), seq=8)
    assert [(d["name"], d["shape"]) for d in r.inputs] == [("flattened_patches", [1, 64, 2 + 48])]
    assert {n.path: n for n in r.layers}["embeddings.patch_projection"].macs == 64 * 48 * 32  # patches · P·P·C · hidden
    # AST reads a spectrogram of max_length frames and num_mel_bins: [batch, frames, mel]
    r = analyze_hf(_config("audio-spectrogram-transformer", hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                           num_attention_heads=2, max_length=64, num_mel_bins=32, patch_size=16, frequency_stride=10,
                           time_stride=10), seq=8)
    assert [(d["name"], d["shape"]) for d in r.inputs] == [("input_values", [1, 64, 32])]
    patches = ((32 - 16) // 10 + 1) * ((64 - 16) // 10 + 1)  # 16×16 patches at stride 10 over mel × frames
    assert {n.path: n for n in r.layers}["embeddings.patch_embeddings.projection"].macs == patches * 32 * 16 * 16
    # MusicGen's decoder takes one row of ids per codebook: [batch · codebooks, seq]
    r = analyze_hf(_config("musicgen_decoder", hidden_size=32, ffn_dim=64, num_hidden_layers=1, num_attention_heads=2,
                           vocab_size=64, num_codebooks=4), seq=8)
    assert [(d["name"], d["shape"]) for d in r.inputs] == [("input_ids", [4, 8])]
    # Decision Transformer: a trajectory of seq steps, three tokens per step (return, state, action)
    r = analyze_hf(_config("decision_transformer", hidden_size=32, n_layer=1, n_head=2, state_dim=5, act_dim=3,
                           n_positions=64), seq=8)
    assert [(d["name"], d["shape"]) for d in r.inputs][:2] == [("states", [1, 8, 5]), ("actions", [1, 8, 3])]
    assert {n.path: n for n in r.layers}["encoder.h.0.ln_1"].input_shapes == [[1, 3 * 8, 32]]
    assert {n.path: n for n in r.layers}["embed_state"].macs == 8 * 5 * 32  # steps · state_dim · hidden
    # a keypoint matcher compares two images: [batch, 2, channels, height, width]
    r = analyze_hf(_config("efficientloftr"), seq=8)
    assert [(d["name"], d["shape"]) for d in r.inputs] == [("pixel_values", [1, 2, 3, 224, 224])]
    assert {n.path: n for n in r.layers}["backbone"].input_shapes == [[2, 1, 224, 224]]  # the pair, in grey, as a batch
    # Fun-ASR stacks 7 mel frames into one (low frame rate): 30 s of 80 mel bins, 3000 frames, become 428 of 560,
    # each with its mask entry
    r = analyze_hf(_config("fun_asr_nano_encoder", num_hidden_layers=1, hidden_size=32, num_attention_heads=2,
                           intermediate_size=64, num_timestamp_prediction_layers=1), seq=8)
    assert [(d["name"], d["shape"]) for d in r.inputs] == [("input_features", [1, 3000 // 7, 80 * 7]),
                                                           ("input_features_mask", [1, 3000 // 7])]


def test_a_model_with_no_forward_is_refused_in_one_line():
    from nncost.errors import ModelSpecError

    with pytest.raises(ModelSpecError, match=r"^ChameleonVQVAE \(chameleon_vqgan\) defines no forward\(\) \(it is used "
                                             r"through encode\(\)\), so it has no forward pass to count"):
        analyze_hf(_config("chameleon_vqgan", base_channels=32, channel_multiplier=[1, 2], num_res_blocks=1,
                           embed_dim=8, num_embeddings=16, latent_channels=8), seq=8)


def test_siglip2_gets_patches_and_a_real_grid():
    """SigLIP 2 takes native-resolution patches: [batch, patches, C·P²], a patch mask, and the real
    (height, width) grid it resizes its position table to (read as values, on the CPU)."""
    r = analyze_hf(_config("siglip2_vision_model", hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                           num_attention_heads=2, num_patches=16, patch_size=4), seq=8)
    assert [(d["name"], d["shape"]) for d in r.inputs] == [
        ("pixel_values", [1, 16, 3 * 4 * 4]), ("pixel_attention_mask", [1, 16]), ("spatial_shapes", [1, 2])]
    assert {n.path: n for n in r.layers}["embeddings.patch_embedding"].macs == 16 * 48 * 32  # patches · C·P² · hidden
    assert "the count depends on the patch grid built here (_local_scalar_dense x2)" in r.notes  # 4×4, not drawn


def test_more_encoders_get_the_inputs_their_config_implies():
    # TimesFM: one series of context_length values, in patches of patch_length, nothing padded, a frequency class
    r = analyze_hf(_config("timesfm", hidden_size=32, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                           head_dim=16, context_length=64, patch_length=16), seq=8)
    assert [(d["name"], d["shape"]) for d in r.inputs] == [("past_values", [1, 64]), ("past_values_padding", [1, 64]),
                                                           ("freq", [1, 1])]
    assert {n.path: n for n in r.layers}["input_ff_layer.input_layer"].macs == (64 // 16) * 32 * 32  # patches · 2·16 · hidden
    # Granite Speech 5 stacks 4 mel frames into its first Linear (16 mel bins → 64 features): 3000 frames become 750
    r = analyze_hf(_config("granite_speech5_encoder", hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                           num_attention_heads=2, num_key_value_heads=2, head_dim=16, num_mel_bins=16), seq=8)
    assert [(d["name"], d["shape"]) for d in r.inputs] == [("input_features", [1, 3000 * 16 // 64, 64])]
    assert {n.path: n for n in r.layers}["input_linear"].macs == 750 * 64 * 32
    # UDOP: its boxes as fractions (its relative bias averages them) and its decoder's tokens
    r = analyze_hf(_config("udop", d_model=32, d_ff=64, num_layers=1, num_decoder_layers=1, num_heads=2, d_kv=16,
                           vocab_size=100), seq=8)
    assert [(d["name"], d["shape"], d["dtype"]) for d in r.inputs] == [
        ("input_ids", [1, 8], "int64"), ("bbox", [1, 8, 4], "float32"), ("decoder_input_ids", [1, 1], "int64")]


def test_mistral3_gets_its_image_and_the_image_size_its_tower_reads():
    """Pixtral (Mistral 3's tower) takes each image at its own size: the size goes in as a real
    ``image_sizes``, which the model moves to its device and then lists; integer values moved to
    meta stay real for that (CpuValuesOnMeta)."""
    vision = {"model_type": "pixtral", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
              "num_attention_heads": 2, "head_dim": 16, "image_size": 64, "patch_size": 8}
    text = {"model_type": "mistral", "hidden_size": 48, "intermediate_size": 96, "num_hidden_layers": 1,
            "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1000, "head_dim": 12}
    r = analyze_hf(_config("mistral3", vision_config=vision, text_config=text, image_token_index=10,
                           spatial_merge_size=2), seq=8)
    features = (64 // 8 // 2) ** 2  # 8×8 patches, merged 2×2
    assert [(d["name"], d["shape"]) for d in r.inputs] == [
        ("input_ids", [1, features + 8]), ("pixel_values", [1, 3, 64, 64]), ("image_sizes", [1, 2])]
    layers = {n.path: n for n in r.layers}
    assert layers["vision_tower.patch_conv"].macs == 64 * 32 * 3 * 8 * 8  # patches · C_out · C_in · k²
    assert layers["multi_modal_projector.patch_merger"].macs == features * (4 * 32) * 32  # 2×2 patches → one
    assert layers["multi_modal_projector.linear_1"].macs == features * 32 * 48
    assert r.notes[0].startswith(f"one image of 3x64x64 per sequence, as {features} image tokens before the 8 text tokens")


def test_the_qwen_omni_audio_encoder_gets_its_features_side_by_side_and_their_real_lengths():
    r = analyze_hf(_config("qwen2_5_omni_audio_encoder", d_model=32, encoder_layers=1, encoder_attention_heads=2,
                           encoder_ffn_dim=64, num_mel_bins=16, output_dim=48), seq=8)
    assert [(d["name"], d["shape"]) for d in r.inputs] == [("input_features", [16, 3000]), ("feature_lens", [1])]
    layers = {n.path: n for n in r.layers}
    # 3000 frames cut into windows of 200 (n_window 100, doubled): 15 chunks through the convs, each C_out·C_in·k·200
    assert layers["conv1"].input_shapes == [[15, 16, 200]] and layers["conv1"].macs == 15 * 32 * 16 * 3 * 200
    assert layers["layers.0.self_attn.q_proj"].macs == 1500 * 32 * 32  # 3000 frames halved by conv2's stride
    assert "the count depends on the audio lengths built here (_local_scalar_dense x3, nonzero x1, repeat_interleave x2)" \
        in r.notes


BLIP_VISION = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
               "image_size": 32, "patch_size": 8}
BLIP_QFORMER = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
                "encoder_hidden_size": 32, "vocab_size": 100}
BLIP_TEXT = {"model_type": "opt", "hidden_size": 48, "ffn_dim": 96, "num_hidden_layers": 1, "num_attention_heads": 4,
             "vocab_size": 1000, "word_embed_proj_dim": 48}


def test_blip2_places_its_qformer_queries_at_image_tokens():
    """BLIP-2 and InstructBLIP put the Q-Former's num_query_tokens outputs at image tokens: the text
    gets that many (get_image_features returns the vision tower's output, which is not what is placed)."""
    for model_type in ("blip-2", "instructblip"):
        r = analyze_hf(_config(model_type, vision_config=BLIP_VISION, qformer_config=BLIP_QFORMER, text_config=BLIP_TEXT,
                               num_query_tokens=8, image_token_index=5), seq=8)
        shapes = {d["name"]: d["shape"] for d in r.inputs}
        assert shapes["input_ids"] == [1, 8 + 8] and shapes["pixel_values"] == [1, 3, 32, 32]
        layers = {n.path: n for n in r.layers}
        assert layers["language_projection"].macs == 8 * 32 * 48  # queries · Q-Former width · text width
        assert layers["language_model.decoder.layers.0.self_attn.q_proj" if model_type == "instructblip" else
                      "language_model.model.decoder.layers.0.self_attn.q_proj"].macs == 16 * 48 * 48  # 16 tokens
        assert not any("never ran" in n for n in r.notes)  # OPT's causal LM calls model.decoder, not model
    assert shapes["qformer_input_ids"] == [1, 8]  # InstructBLIP's instruction for its Q-Former


def test_blip2s_default_config_with_no_image_token_is_refused():
    from nncost.errors import ModelSpecError

    with pytest.raises(ModelSpecError, match=r"^Blip2Model places its image's features at image tokens, but its "
                                             r"image_token_id is null: give the id \(published configs do\)$"):
        analyze_hf(_config("blip-2", vision_config=BLIP_VISION, qformer_config=BLIP_QFORMER, text_config=BLIP_TEXT,
                           num_query_tokens=8), seq=8)


def test_instructblip_video_places_its_queries_for_each_frame_at_video_tokens():
    """A clip of 4 frames (its processor's); the Q-Former's queries for each frame go into the
    text at video tokens: 4 · 8 of them before the 8 text tokens. A null video token (the
    default config's) is refused: the clip's features would have nowhere to go."""
    from nncost.errors import ModelSpecError
    from nncost.frontends.hf.vision import QFORMER_VIDEO_FRAMES

    r = analyze_hf(_config("instructblipvideo", vision_config=BLIP_VISION, qformer_config=BLIP_QFORMER, text_config=BLIP_TEXT,
                           num_query_tokens=8, video_token_index=5), seq=8)
    frames = QFORMER_VIDEO_FRAMES
    assert frames == 4
    assert [(d["name"], d["shape"]) for d in r.inputs] == [
        ("input_ids", [1, frames * 8 + 8]), ("pixel_values", [1, frames, 3, 32, 32]), ("qformer_input_ids", [1, 8])]
    layers = {n.path: n for n in r.layers}
    assert layers["vision_model.embeddings.patch_embedding"].macs == frames * 16 * 3 * 8 * 8 * 32  # frames·patches·C·P²·hidden
    assert layers["language_projection"].macs == frames * 8 * 32 * 48  # frames · queries · Q-Former · text width
    assert layers["language_model.decoder.layers.0.self_attn.q_proj"].macs == (frames * 8 + 8) * 48 * 48
    assert r.notes[0] == ("one clip of 4 frames of 3x32x32 per sequence, as 32 video tokens (its Q-Former's 8 queries a "
                          "frame) before the 8 text tokens")
    with pytest.raises(ModelSpecError, match=r"^InstructBlipVideoModel places its clip's Q-Former outputs at video tokens, "
                                             r"but its video_token_index is null: give the id \(published configs do\)$"):
        analyze_hf(_config("instructblipvideo", vision_config=BLIP_VISION, qformer_config=BLIP_QFORMER, text_config=BLIP_TEXT,
                           num_query_tokens=8), seq=8)


def test_cpu_values_beside_meta():
    """The mode that keeps real values beside a model on meta: an op mixing the two runs on meta;
    integers moved to meta stay real (their values are read after the move); floats do move."""
    from nncost.frontends.torch.mixed import CpuValuesOnMeta

    sizes, w = torch.tensor([[64, 48]]), torch.empty(4, 4, device="meta")
    with CpuValuesOnMeta():
        moved = sizes.to(w.device)
        mixed = torch.ones(2, 4) @ w
        floats = torch.ones(3).to("meta")
    assert moved.device.type == "cpu" and moved.tolist() == [[64, 48]]
    assert mixed.device.type == "meta" and mixed.shape == (2, 4)
    assert floats.device.type == "meta"


def test_a_perceiver_gets_its_context_and_a_mask_of_ones():
    # Idefics2's perceiver resampler alone: context [batch, seq, hidden] from its first Linear, and its mask
    r = analyze_hf(_config("idefics2_perceiver", hidden_size=32, resampler_n_latents=4, resampler_depth=1,
                           resampler_n_heads=2, resampler_head_dim=16, num_key_value_heads=1), seq=8)
    assert [(d["name"], d["shape"], d["dtype"]) for d in r.inputs] == [
        ("context", [1, 8, 32], "float32"), ("attention_mask", [1, 8], "int64")]
    layers = {n.path: n for n in r.layers}
    assert layers["layers.0.self_attn.q_proj"].macs == 4 * 32 * 2 * 16  # 4 latents · hidden · heads·head_dim
    assert layers["layers.0.self_attn.k_proj"].macs == (4 + 8) * 32 * 16  # latents and context · hidden · one KV head


def test_oneformer_gets_its_task_prompt():
    from nncost.frontends.hf import build, default_inputs

    model, cfg, task = build(_config("oneformer"))
    inputs = default_inputs(cfg, task, 1, 8, 0, model)
    assert inputs == {"pixel_values": (1, 3, 224, 224), "task_inputs": (1, cfg.task_seq_len)}  # 77 ids
