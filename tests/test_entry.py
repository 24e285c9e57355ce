"""nncost.analyze takes anything the CLI takes, and dispatches on what it is given."""

from __future__ import annotations

import io
import subprocess
import sys
import warnings

import pytest

import nncost

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")


@pytest.fixture(scope="module")
def linear_onnx(tmp_path_factory):
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(torch.nn.Linear(8, 4), (torch.randn(2, 8),), buf, dynamo=False, input_names=["x"],
                          dynamic_axes={"x": {0: "batch"}})
    path = tmp_path_factory.mktemp("onnx") / "linear.onnx"
    path.write_bytes(buf.getvalue())
    return path


def test_an_onnx_path_a_proto_and_its_bytes(linear_onnx):
    proto = onnx.load(str(linear_onnx))
    for model in (str(linear_onnx), linear_onnx, proto, proto.SerializeToString()):
        r = nncost.analyze(model, x=(3, 8))
        assert r.frontend == "onnx" and r.total.macs == 3 * 8 * 4  # rows·in·out
    assert nncost.analyze(str(linear_onnx), (5, 8)).total.macs == 5 * 8 * 4  # a positional shape


def test_the_onnx_path_never_imports_torch(linear_onnx):
    code = ("import sys, nncost; r = nncost.analyze(sys.argv[1], x=(2, 8)); "
            "assert 'torch' not in sys.modules, 'torch imported'; print(r.total.macs)")
    out = subprocess.run([sys.executable, "-c", code, str(linear_onnx)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(2 * 8 * 4)


def test_spec_strings():
    pytest.importorskip("torchvision")
    r = nncost.analyze("torchvision:resnet18")
    assert r.total.params == 11_689_512 and round(r.total.macs / 1e9, 3) == 1.814  # torchvision's published _ops
    assert nncost.analyze("nncost:seednet", (1, 3, 224, 224), device="cpu").total.params == 251_826


def test_hugging_face_configs():
    tf = pytest.importorskip("transformers")
    cfg = {"model_type": "gpt2", "n_layer": 2, "n_embd": 64, "n_head": 2}
    # wte 50257·64 + wpe 1024·64 + 2 blocks · (12·64² + 13·64) + final LayerNorm 2·64
    params = 50257 * 64 + 1024 * 64 + 2 * (12 * 64 * 64 + 13 * 64) + 2 * 64
    assert nncost.analyze(cfg, seq=8).total.params == params
    assert nncost.analyze(tf.GPT2Config(n_layer=2, n_embd=64, n_head=2), seq=8).total.params == params
    assert nncost.analyze("hf:gpt2", seq=16).frontend == "hf"


def test_anything_else_says_what_is_accepted():
    with pytest.raises(nncost.InputError, match="spec string .* onnx.ModelProto .* Hugging Face config"):
        nncost.analyze(3)


# -- specs build their models on the meta device -----------------------------------------------
def test_zoo_specs_build_on_meta():
    pytest.importorskip("torchvision")
    from nncost.frontends import resolve_torch_model

    for spec in ("torchvision:resnet50", "torchvision:vit_h_14", "nncost:seednet"):
        r = resolve_torch_model(spec)
        assert r.note is None and {p.device.type for p in r.model.parameters()} == {"meta"}, spec
    # RegNet computes its widths with tensors in __init__: the constructor runs on the CPU, its weights land on meta
    r = resolve_torch_model("torchvision:regnet_y_128gf")
    assert r.note is None and {p.device.type for p in r.model.parameters()} == {"meta"}
    assert sum(p.numel() for p in r.model.parameters()) == 644_812_894  # torchvision's meta["num_params"]


def test_a_model_that_cannot_be_built_on_meta_is_built_on_the_cpu(tmp_path):
    f = tmp_path / "stubborn.py"
    f.write_text(
        "import torch\n"
        "class M(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.l = torch.nn.Linear(4, 2)\n"
        "        assert self.l.weight.device.type == 'cpu', 'needs real weights'\n"
        "    def forward(self, x):\n"
        "        return self.l(x)\n"
        "def build():\n"
        "    return M()\n")
    r = nncost.analyze(f"{f}:build", (3, 4))
    assert r.total.macs == 3 * 4 * 2
    assert "cannot be built on the meta device (needs real weights); built on the CPU" in r.notes[0]


def test_detection_models_download_nothing_and_fall_back_to_the_cpu():
    pytest.importorskip("torchvision")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nms and roi_align have no formula yet: a lower bound, warned
        r = nncost.analyze("torchvision:fasterrcnn_mobilenet_v3_large_320_fpn")
    # torchvision's meta["num_params"] for the COCO weight: built, as with pretrained weights, with the
    # backbone's BatchNorms frozen (FrozenBatchNorm2d keeps γ and β as buffers, not parameters)
    assert r.total.params == 19_386_354
    from nncost.frontends import resolve_torch_model

    backbone = resolve_torch_model("torchvision:fasterrcnn_mobilenet_v3_large_320_fpn").model.backbone
    assert not any(type(m) is torch.nn.BatchNorm2d for m in backbone.modules())
    assert "built on the CPU" in r.notes[0] and any("depends on the input's values" in n for n in r.notes)
