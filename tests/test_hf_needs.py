"""Inputs a forward names that its modality does not tell (``frontends/hf/needs.py`` and the
layouts tried after a refusal): each model gets what its processor would make for one image or
one second of audio, and the layer that first reads it counts exactly that; a part whose inputs
no config describes is refused in one line that names them."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
tf = pytest.importorskip("transformers")

from nncost.frontends.hf import analyze_hf  # noqa: E402


def _config(model_type, **kw):
    return json.loads(json.dumps(tf.AutoConfig.for_model(model_type, **kw).to_dict(), default=str))


def _inputs(r):
    return [(d["name"], d["shape"], d["dtype"]) for d in r.inputs]


def _layers(r):
    return {n.path: n for n in r.layers}


MLLAMA_VISION = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_global_layers=1, attention_heads=2,
                     image_size=28, patch_size=14, max_num_tiles=4, intermediate_layers_indices=[0], vision_output_dim=64)
MLLAMA_TEXT = dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2, cross_attention_layers=[1],
                   num_attention_heads=4, num_key_value_heads=2, vocab_size=1000, pad_token_id=0, bos_token_id=1,
                   eos_token_id=2)


def test_llama_3_2_vision_cross_attends_to_its_image_tiles():
    """Mllama's text cross-attends to the vision tower's output: one image of one tile, padded to
    max_num_tiles as its processor pads it (the tower runs every tile), and a cross-attention mask
    by which each text token sees the real tile. Before, it ran text-only and its cross-attention
    layers never ran."""
    r = analyze_hf(_config("mllama", vision_config=MLLAMA_VISION, text_config=MLLAMA_TEXT), seq=8)
    assert _inputs(r) == [("input_ids", [1, 8], "int64"), ("pixel_values", [1, 1, 4, 3, 28, 28], "float32"),
                          ("aspect_ratio_ids", [1, 1], "int64"), ("aspect_ratio_mask", [1, 1, 4], "int64"),
                          ("cross_attention_mask", [1, 8, 1, 4], "int64")]
    layers, patches = _layers(r), (28 // 14) ** 2
    assert layers["vision_model.patch_embedding"].macs == 4 * patches * 3 * 14 * 14 * 32  # tiles·patches·C·P²·hidden
    tokens = 4 * (patches + 1)  # each tile's patches and its class token
    assert layers["multi_modal_projector"].macs == tokens * 64 * 48  # · vision_output_dim · text hidden
    assert layers["language_model.layers.1.cross_attn.k_proj"].macs == tokens * 48 * 2 * 12  # · hidden · kv heads·head_dim
    assert layers["language_model.layers.1.cross_attn.q_proj"].macs == 8 * 48 * 48  # the 8 text tokens
    assert r.notes[0] == ("one image of 3x28x28 per sequence, one tile of the 4 its vision tower runs (the processor pads "
                          "every image to 4 tiles), cross-attended by the 8 text tokens")
    assert not any("never ran" in n for n in r.notes)


def test_mllamas_vision_tower_alone_gets_the_same_tiles():
    r = analyze_hf(_config("mllama_vision_model", **MLLAMA_VISION), seq=8)
    assert _inputs(r) == [("pixel_values", [1, 1, 4, 3, 28, 28], "float32"), ("aspect_ratio_ids", [1, 1], "int64"),
                          ("aspect_ratio_mask", [1, 1, 4], "int64")]
    assert _layers(r)["patch_embedding"].macs == 4 * 4 * 3 * 14 * 14 * 32


def test_idefics_cross_attends_to_an_image_given_beside_its_text():
    vision = dict(embed_dim=32, image_size=32, intermediate_size=64, patch_size=16, num_hidden_layers=1,
                  num_attention_heads=2)
    r = analyze_hf(_config("idefics", vision_config=vision, hidden_size=48, intermediate_size=96, num_hidden_layers=1,
                           num_attention_heads=4, vocab_size=1000), seq=8)
    assert _inputs(r) == [("input_ids", [1, 8], "int64"), ("pixel_values", [1, 1, 3, 32, 32], "float32"),
                          ("image_attention_mask", [1, 8, 1], "int64")]
    layers = _layers(r)
    assert layers["vision_model.embeddings.patch_embedding"].macs == (32 // 16) ** 2 * 3 * 16 * 16 * 32
    assert layers["gated_cross_attn_layers.0.cross_attn.k_proj"].macs == (4 + 1) * 32 * 48  # image tokens · vision · text
    assert r.notes[0] == "one image of 3x32x32 per sequence, cross-attended by the 8 text tokens"


def test_seggpt_gets_its_image_and_a_prompt_pair_stacked_to_its_configured_size():
    # image_size [64, 32] is the two images stacked: each is 32x32
    r = analyze_hf(_config("seggpt", hidden_size=32, num_hidden_layers=1, num_attention_heads=2, mlp_dim=64,
                           image_size=[64, 32], patch_size=16, decoder_hidden_size=16, intermediate_hidden_state_indices=[0],
                           merge_index=0, pretrain_image_size=32), seq=8)
    assert _inputs(r) == [("pixel_values", [1, 3, 32, 32], "float32"), ("prompt_pixel_values", [1, 3, 32, 32], "float32"),
                          ("prompt_masks", [1, 3, 32, 32], "float32")]
    # the prompt above the image, the prompt's mask above the mask to predict: each 64x32, 4x2 patches, both embedded
    projection = _layers(r)["embeddings.patch_embeddings.projection"]
    assert projection.input_shapes == [[1, 3, 64, 32]]
    assert projection.macs == 2 * (64 // 16) * (32 // 16) * 3 * 16 * 16 * 32  # two stacks · patches · C·P² · hidden


def test_gemma4s_tower_gets_patches_within_its_processors_soft_token_budget():
    """Gemma 4's processor fits an image in 280 soft tokens: a square one is 16x16 of them, each
    pooled from 3x3 patches: 48x48 patches, and each patch's real (x, y) position."""
    from nncost.frontends.hf.needs import GEMMA4_SOFT_TOKENS

    r = analyze_hf(_config("gemma4_vision", hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                           num_attention_heads=2, num_key_value_heads=2, head_dim=16, patch_size=4,
                           position_embedding_size=64), seq=8)
    side = 16 * 3  # floor(sqrt(280)) soft tokens a side, times the 3x3 pooling kernel
    assert GEMMA4_SOFT_TOKENS == 280 and _inputs(r) == [("pixel_values", [1, side * side, 3 * 4 * 4], "float32"),
                                                          ("pixel_position_ids", [1, side * side, 2], "int64")]
    layers = _layers(r)
    assert layers["patch_embedder.input_proj"].macs == side * side * 48 * 32  # patches · C·P² · hidden
    assert layers["encoder.layers.0.self_attn.q_proj"].macs == side * side * 32 * 2 * 16


def test_audio_towers_get_a_second_of_frames_and_what_their_forward_reads_beside_them():
    # Gemma 3n: [batch, frames, mel] and a mask that is True at padding (none)
    r = analyze_hf(_config("gemma3n_audio", hidden_size=32, conf_num_attention_heads=2, conf_num_hidden_layers=1,
                           input_feat_size=16, sscp_conv_channel_size=[8, 8]), seq=8)
    assert _inputs(r) == [("audio_mel", [1, 100, 16], "float32"), ("audio_mel_mask", [1, 100], "bool")]
    # two 3x3 convs of stride 2 over (frames, mel), padded: 100x16 → 50x8 → 25x4; then 8 channels · 4 mel → hidden
    assert _layers(r)["subsample_conv_projection.input_proj_linear"].macs == 25 * (8 * 4) * 32
    # Phi-4's conformer subsamples [batch, frames, mel] with a Conv2d over (time, mel): its mask beside it
    r = analyze_hf(_config("phi4_multimodal_audio", hidden_size=32, intermediate_size=64, num_blocks=1,
                           num_attention_heads=2, input_size=16, ext_pw_out_channel=32, depthwise_separable_out_channel=32,
                           nemo_conv_channels=32), seq=8)
    assert _inputs(r) == [("hidden_states", [1, 100, 16], "float32"), ("mask", [1, 100], "int64")]
    assert _layers(r)["embed.conv.0"].macs == 32 * 1 * 3 * 3 * 50 * 8  # C_out·C_in·k²·(frames/2)·(mel/2)
    # dots.3 note: [chunks, mel, frames] and each chunk's length in samples (100 frames at a hop of 160), real
    r = analyze_hf(_config("dots3_note_audio_encoder", hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                           num_attention_heads=2, num_key_value_heads=2, head_dim=16, feature_size=16,
                           downsample_hidden_size=16, adapter_input_size=32, adapter_out_dim=48, conv_output_size=32), seq=8)
    assert _inputs(r) == [("input_features", [1, 16, 100], "float32"), ("chunk_sample_lengths", [1], "int64")]
    assert any(n.startswith("the count depends on the audio lengths built here") for n in r.notes)
    # Inkling: frames of discretised mel bins, summed from one embedding per bin (lookups: no MACs)
    r = analyze_hf(_config("inkling_audio", n_mel_bins=8, mel_vocab_size=16, text_hidden_size=32), seq=8)
    assert _inputs(r) == [("audio_input_ids", [1, 100, 8], "int64")]
    assert r.total.macs == 0 and r.total.params == 8 * 16 * 32 + 32  # bins·vocab·hidden embeddings, the norm's weight


def test_videollama3s_tower_gets_its_grid_and_merge_size():
    r = analyze_hf(_config("video_llama_3_vision", hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                           num_attention_heads=2, patch_size=4), seq=8)
    patches = (224 // 4) ** 2  # a 224-pixel square (no size in its config), one still frame
    assert _inputs(r) == [("pixel_values", [patches, 3 * 4 * 4], "float32"), ("grid_thw", [1, 3], "int64"),
                          ("merge_sizes", [1], "int64")]
    assert _layers(r)["embeddings.patch_embedding"].macs == patches * 48 * 32


def test_clap_reads_its_spectrogram_as_an_image():
    """CLAP's Swin audio tower: [batch, 1, frames, mel] of 10 s (1001 frames at 48 kHz, hop 480)
    at most spec_size · (spec_size / mel) frames; folded into a spec_size square."""
    r = analyze_hf(_config("clap_audio_model", hidden_size=32, num_hidden_layers=1, depths=[1, 1],
                           num_attention_heads=[2, 2], patch_embeds_hidden_size=16, spec_size=64, num_mel_bins=16,
                           window_size=4), seq=8)
    assert _inputs(r) == [("input_features", [1, 1, 64 * (64 // 16), 16], "float32"), ("is_longer", [1, 1], "bool")]
    projection = _layers(r)["audio_encoder.patch_embed.proj"]
    assert projection.input_shapes == [[1, 1, 64, 64]]
    assert projection.macs == (64 // 4) ** 2 * 16 * 4 * 4  # 4x4 patches of the 64x64 square · hidden · k²


def test_layouts_tried_after_a_refusal():
    # Muse Spark's audio: padded up to a multiple of its patch sizes' product (16·6 = 96): 16000 → 16032 samples
    r = analyze_hf(_config("muse_spark_audio", hidden_sizes=[16, 32], depths=[1, 1], patch_sizes=[16, 6],
                           num_hidden_layers=2, out_hidden_size=48), seq=8)
    assert _inputs(r) == [("input_values", [1, -(-16000 // 96) * 96], "float32")]
    # Perceiver without a preprocessor: inputs already d_model wide
    r = analyze_hf(_config("perceiver", num_latents=4, d_latents=32, d_model=16, num_blocks=1,
                           num_self_attends_per_block=1, num_self_attention_heads=2, num_cross_attention_heads=1), seq=8)
    assert _inputs(r) == [("inputs", [1, 8, 16], "float32")]
    # seq · d_model · qk_channels (unset in the config: the inputs' width, d_model)
    assert _layers(r)["encoder.cross_attention.attention.self.key"].macs == 8 * 16 * 16


def test_a_codec_with_a_semantic_branch_gets_audio_and_its_features():
    semantic = dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                    feature_projection_input_dim=24)
    r = analyze_hf(_config("xcodec2", hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                           num_key_value_heads=2, head_dim=16, encoder_hidden_size=8, quantization_dim=64,
                           semantic_model_config=semantic),
                   seq=8)
    # one second at 16 kHz; w2v-BERT's 50 steps of two stacked mel frames
    assert _inputs(r) == [("input_values", [1, 1, 16000], "float32"), ("input_features", [1, 50, 24], "float32")]


def test_a_part_whose_inputs_no_config_describes_is_refused_in_one_line():
    from nncost.errors import ModelSpecError

    with pytest.raises(ModelSpecError, match=r"^Blip2QFormerModel's forward requires query_embeds, which its config does "
                                             r"not describe \(the model that uses it, or its processor, makes them\): "
                                             r"analyse that model, or build this one and give them to "
                                             r"nncost.analyze\(model, inputs=...\)$"):
        analyze_hf(_config("blip_2_qformer", hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                           intermediate_size=64, encoder_hidden_size=32), seq=8)


def test_speech_beside_text_is_aligned_to_its_tokens():
    """Voxtral Realtime adds each token's audio to its embedding: audio_length_per_tok frames per
    text token (8 tokens: 64 frames; the conv's stride 2 and the 4-frame downsampling make 8)."""
    audio = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, num_mel_bins=16,
                 head_dim=16)
    text = dict(hidden_size=48, intermediate_size=96, num_hidden_layers=1, num_attention_heads=4, num_key_value_heads=2,
                head_dim=12, vocab_size=1000)
    r = analyze_hf(_config("voxtral_realtime", audio_config=audio, text_config=text, hidden_size=48), seq=8)
    assert _inputs(r) == [("input_ids", [1, 8], "int64"), ("input_features", [1, 16, 8 * 8], "float32")]
    layers = _layers(r)
    assert layers["audio_tower.embedder.conv1"].macs == 32 * 16 * 3 * 64  # C_out·C_in·k·frames
    assert layers["multi_modal_projector.linear_1"].macs == 8 * (4 * 32) * 48  # tokens · 4 frames·hidden · text hidden


def test_llama4_with_its_image_despite_transformers_output_bug():
    """transformers 5.24's Llama4ForConditionalGeneration reads ``image_outputs`` from its language
    model's output, which has none, after all its computation: nncost reads it as None and says so.
    Its image's 16 patches (56/14 squared), pixel-shuffled by 0.5, become 4 image tokens."""
    vision = dict(hidden_size=32, intermediate_size=128, num_hidden_layers=1, num_attention_heads=2, image_size=56,
                  patch_size=14, projector_input_dim=64, projector_output_dim=64, vision_output_dim=64)
    text = dict(hidden_size=48, intermediate_size=96, intermediate_size_mlp=96, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, head_dim=12, vocab_size=1000, num_local_experts=4, num_experts_per_tok=1,
                layer_types=["chunked_attention", "full_attention"], no_rope_layers=[1, 0], pad_token_id=0)
    r = analyze_hf(_config("llama4", vision_config=vision, text_config=text, image_token_index=500, boi_token_index=501,
                           eoi_token_index=502), seq=8)
    assert _inputs(r) == [("input_ids", [1, 4 + 8], "int64"), ("pixel_values", [1, 3, 56, 56], "float32")]
    layers = _layers(r)
    assert layers["vision_model.patch_embedding"].macs == 16 * 3 * 14 * 14 * 32  # patches · C·P² · hidden
    assert layers["multi_modal_projector"].macs == 4 * 64 * 48  # image tokens · vision_output_dim · text hidden
    assert r.notes[0] == ("transformers' Llama4ForConditionalGeneration reads a field its inner output lacks "
                          "(MoeCausalLMOutputWithPast.image_outputs) when it builds its own output, after its computation: "
                          "read as None")
    from transformers.utils.generic import ModelOutput

    assert "__getattr__" not in ModelOutput.__dict__  # transformers' own class again


def test_kosmos2_places_its_latent_queries_where_its_mask_says():
    r = analyze_hf(_config("kosmos-2", text_config=dict(vocab_size=1000, embed_dim=32, layers=1, ffn_dim=64,
                                                        attention_heads=2),
                           vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                              num_attention_heads=2, image_size=28, patch_size=14),
                           latent_query_num=4), seq=8)
    assert _inputs(r) == [("input_ids", [1, 4 + 8], "int64"), ("pixel_values", [1, 3, 28, 28], "float32"),
                          ("image_embeds_position_mask", [1, 4 + 8], "int64")]
    layers = _layers(r)
    assert layers["image_to_text_projection.dense"].macs == (4 + 1) * 32 * 32  # patches and class token · vision · text
    assert layers["text_model.model.layers.0.self_attn.q_proj"].macs == 12 * 32 * 32  # queries and text tokens
    assert r.notes[0] == ("one image of 3x28x28 per sequence, as its 4 latent queries at the positions "
                          "image_embeds_position_mask marks, before the 8 text tokens")


def test_minicpm_vs_tower_gets_its_image_and_patch_grid():
    r = analyze_hf(_config("minicpmv4_6_vision", hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                           num_attention_heads=2, image_size=64, patch_size=16, insert_layer_id=0), seq=8)
    assert _inputs(r) == [("pixel_values", [1, 3, 64, 64], "float32"), ("target_sizes", [1, 2], "int64")]
    layers = _layers(r)
    assert layers["embeddings.patch_embedding"].macs == 16 * 3 * 16 * 16 * 32  # 4x4 patches · C·P² · hidden
    assert layers["encoder.layers.1.self_attn.q_proj"].macs == (16 // 4) * 32 * 32  # merged 2x2 after layer 0


def test_audio_token_models_get_one_token_per_codebook_and_decoders_their_latents():
    # Dia: the decoder's audio tokens, one per codebook (delay_pattern's length) at each step
    enc = dict(num_hidden_layers=1, hidden_size=32, num_attention_heads=2, num_key_value_heads=2, head_dim=16,
               intermediate_size=64, vocab_size=256)
    dec = dict(num_hidden_layers=1, hidden_size=48, intermediate_size=96, num_attention_heads=4, num_key_value_heads=2,
               head_dim=12, cross_num_attention_heads=2, cross_head_dim=16, cross_num_key_value_heads=2,
               cross_hidden_size=32, vocab_size=64, num_channels=3, pad_token_id=61, eos_token_id=60, bos_token_id=62)
    r = analyze_hf(_config("dia", encoder_config=enc, decoder_config=dec, delay_pattern=[0, 1, 2]), seq=8, gen=4)
    assert _inputs(r) == [("input_ids", [1, 8], "int64"), ("decoder_input_ids", [1, 4, 3], "int64")]
    assert _layers(r)["decoder.layers.0.self_attention.q_proj"].macs == 4 * 48 * 48  # 4 steps
    # Mimi's decoder reads its latents channels first: [batch, hidden, frames]
    r = analyze_hf(_config("mimi_decoder", hidden_size=32, num_filters=4, upsampling_ratios=[2, 2], num_hidden_layers=1,
                           intermediate_size=64, num_attention_heads=2, num_key_value_heads=2, head_dim=16,
                           upsample_groups=32), seq=8)
    assert _inputs(r) == [("latents", [1, 32, 8], "float32")]


def test_a_video_beside_the_text_when_the_forward_hands_on_none():
    # TVP: a clip of num_frames frames at max_img_size, which its visual prompter pads
    backbone = dict(model_type="resnet", embedding_size=8, hidden_sizes=[16, 32], depths=[1, 1], out_features=["stage2"])
    r = analyze_hf(_config("tvp", hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                           num_frames=2, max_img_size=64, visual_prompt_size=8, vocab_size=100,
                           max_grid_row_position_embeddings=8, max_grid_col_position_embeddings=8,
                           backbone_config=backbone), seq=8)
    assert _inputs(r) == [("input_ids", [1, 8], "int64"), ("pixel_values", [1, 2, 3, 64, 64], "float32")]
    stem = _layers(r)["vision_model.backbone.embedder.embedder.convolution"]
    assert stem.macs == 2 * 8 * 3 * 7 * 7 * 32 * 32  # frames · C_out·C_in·k² · (64/2)²


def test_a_speech_tower_with_no_mel_bins_in_its_config_gets_its_feature_extractors():
    """Gemma 4's audio config names no mel bins; its feature extractor (built with its defaults,
    no file read) has 128: 30 s of them, subsampled 4x by two stride-2 convs."""
    from nncost.frontends.hf.needs import extractor_mel_bins

    cfg = tf.AutoConfig.for_model("gemma4_audio", num_hidden_layers=1)
    assert extractor_mel_bins(cfg) == tf.Gemma4AudioFeatureExtractor().feature_size == 128  # via gemma4, its parent
    assert extractor_mel_bins(tf.AutoConfig.for_model("wav2vec2")) is None  # raw audio: no mel bins
    r = analyze_hf(_config("gemma4_audio", num_hidden_layers=1), seq=8)
    assert _inputs(r)[0] == ("input_features", [1, 3000, 128], "float32")
    # 750 frames · (32 channels · 128/4 mel) · hidden 1024
    assert _layers(r)["subsample_conv_projection.input_proj_linear"].macs == 750 * (32 * 32) * 1024


def test_a_timm_tower_gets_its_own_input_size():
    pytest.importorskip("timm")
    from nncost.frontends.hf.needs import timm_input_size

    # PE Video's vision tower, two configs down: timm's vit_pe_core_large_patch14_336 takes 336 x 336
    assert timm_input_size(tf.AutoConfig.for_model("pe_video")) == (336, 336)
    assert timm_input_size(tf.AutoConfig.for_model("llama")) is None


def test_more_layouts_tried_after_a_refusal():
    # Kyutai: a text token and one per codebook at each step, summed into one embedding
    r = analyze_hf(_config("kyutai_speech_to_text", hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                           num_attention_heads=2, num_key_value_heads=2, head_dim=16, vocab_size=100, codebook_vocab_size=17,
                           num_codebooks=4, audio_pad_token_id=100 + 4 * 17, audio_bos_token_id=16), seq=8)
    assert _inputs(r) == [("input_ids", [1, 8, 4 + 1], "int64")]
    # SpeechT5's base model has no pre-nets: hidden states in, on both sides
    r = analyze_hf(_config("speecht5", hidden_size=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                           decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64), seq=8)
    assert _inputs(r) == [("input_values", [1, 8, 32], "float32"), ("decoder_input_values", [1, 1, 32], "float32")]
    assert _layers(r)["encoder.wrapped_encoder.layers.0.attention.q_proj"].macs == 8 * 32 * 32
    # Janus's VQ tokenizer is made for num_patches² tokens (4x4 here, downsampled 2x: an 8-pixel image)
    r = analyze_hf(_config("janus_vqgan", base_channels=32, channel_multiplier=[1, 1], num_res_blocks=1, latent_channels=32,
                           embed_dim=4, num_embeddings=16, num_patches=4, projection_dim=16, image_token_embed_dim=16), seq=8)
    assert _inputs(r) == [("pixel_values", [1, 3, 8, 8], "float32")]
    assert _layers(r)["encoder.conv_in"].macs == 32 * 3 * 3 * 3 * 8 * 8  # C_out·C_in·k²·H·W


def test_grid_towers_take_their_patches_in_the_form_their_embedding_reads():
    side = 224 // 4  # a 224-pixel square (no size in these configs) in patches of 4
    # Kimi K2.5: a Conv2d patch embedding, each patch a small image
    r = analyze_hf(_config("kimi_k25_vision", hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                           num_attention_heads=2, patch_size=4), seq=8)
    assert _inputs(r) == [("pixel_values", [side * side, 3, 4, 4], "float32"), ("grid_thw", [1, 3], "int64")]
    assert _layers(r)["patch_embed.proj"].macs == side * side * 3 * 4 * 4 * 32
    # PaddleOCR-VL: all of them as one sequence of such images
    r = analyze_hf(_config("paddleocr_vl_vision", hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                           num_attention_heads=2, patch_size=4, image_size=32), seq=8)
    assert _inputs(r) == [("pixel_values", [1, 8 * 8, 3, 4, 4], "float32"), ("grid_thw", [1, 3], "int64")]
    # Molmo 2: a Linear over patches cut beforehand, [batch, patches, C·P²]
    r = analyze_hf(_config("molmo2_vision", hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                           num_attention_heads=2, patch_size=4, image_size=[32, 32]), seq=8)
    assert _inputs(r) == [("pixel_values", [1, 8 * 8, 3 * 4 * 4], "float32")]
    assert _layers(r)["patch_embedding"].macs == 64 * 48 * 32
    # Muse Spark: two frames per temporal patch (patch_temporal), merged 2x2 (merge_size)
    r = analyze_hf(_config("muse_spark_vision", hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                           num_attention_heads=2, patch_size=4), seq=8)
    assert _inputs(r) == [("pixel_values", [side * side, 3 * 2 * 4 * 4], "float32"), ("grid_thw", [1, 3], "int64")]


def test_a_windowed_backbone_gets_whole_windows_of_patches():
    from nncost.frontends.hf import _image

    # RF-DETR's DINOv2 cuts its patch grid into 4 x 4 windows: 518 pixels (37 patches of 14) become 504 (4 · 9 patches)
    assert _image(tf.AutoConfig.for_model("rf_detr"), 1) == (1, 3, 4 * 9 * 14, 4 * 9 * 14)


@pytest.mark.parametrize("model_type", ["mllama", "kosmos-2", "gemma3n_audio"])
def test_the_inputs_built_here_count_the_same_on_meta_and_on_the_cpu(model_type):
    """The real tensors built beside a model on meta (Mllama's tile mask, Kosmos-2's image
    positions, Gemma 3n's padding mask) give the same count as a real CPU run."""
    configs = {
        "mllama": lambda: _config("mllama", vision_config=MLLAMA_VISION, text_config=MLLAMA_TEXT),
        "kosmos-2": lambda: _config("kosmos-2", text_config=dict(vocab_size=1000, embed_dim=32, layers=1, ffn_dim=64,
                                                                 attention_heads=2),
                                    vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                                       num_attention_heads=2, image_size=28, patch_size=14),
                                    latent_query_num=4),
        "gemma3n_audio": lambda: _config("gemma3n_audio", hidden_size=32, conf_num_attention_heads=2,
                                         conf_num_hidden_layers=1, input_feat_size=16, sscp_conv_channel_size=[8, 8]),
    }
    cfg = configs[model_type]()
    meta, cpu = analyze_hf(cfg, seq=8), analyze_hf(cfg, seq=8, device="cpu")
    assert (meta.total.macs, meta.total.flops) == (cpu.total.macs, cpu.total.flops)
    assert meta.total.macs > 0

