"""Time on an accelerator: the device catalogue against its datasheets, the roofline per op and
per module, efficiencies, MFU, the LLM phases, calibration and measurement on this CPU."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import nncost
from nncost import analyze_layer
from nncost.errors import InputError
from nncost.formulas.roofline import attainable, compute_flops, op_class, op_time, ridge
from nncost.hardware import catalogue, load_hardware, parse_hardware
from nncost.roofline import apply_roofline, parse_efficiency

T = 1e12

# every catalogue entry against the figures its datasheet prints (TFLOP/s; "sparse" figures are halved to dense)
DATASHEETS = {
    # NVIDIA V100 datasheet, V100 SXM2: FP64 7.8, FP32 15.7, Tensor 125; 32 GB HBM2, 900 GB/s
    "v100-sxm2": ({"fp16": 125}, {"fp64": 7.8, "fp32": 15.7}, 32, 900),
    # NVIDIA T4 datasheet: FP32 8.1, FP16/FP32 mixed 65, INT8 130; 16 GB, 320 GB/s
    "t4": ({"fp16": 65, "int8": 130}, {"fp32": 8.1}, 16, 320),
    # NVIDIA A10 datasheet: FP32 31.2; TF32 125*, BF16/FP16 250*, INT8 500* (* sparse); 24 GB, 600 GB/s
    "a10": ({"tf32": 125 / 2, "bf16": 250 / 2, "fp16": 250 / 2, "int8": 500 / 2}, {"fp32": 31.2}, 24, 600),
    # NVIDIA A100 datasheet: FP64 9.7, FP64 TC 19.5, FP32 19.5, TF32 312*, BF16/FP16 624*, INT8 1248*; 40 GB 1,555 GB/s
    "a100-40gb-sxm": ({"fp64": 19.5, "tf32": 312 / 2, "bf16": 624 / 2, "fp16": 624 / 2, "int8": 1248 / 2},
                      {"fp64": 9.7, "fp32": 19.5}, 40, 1555),
    "a100-80gb-sxm": ({"fp64": 19.5, "tf32": 312 / 2, "bf16": 624 / 2, "fp16": 624 / 2, "int8": 1248 / 2},
                      {"fp64": 9.7, "fp32": 19.5}, 80, 2039),
    # NVIDIA L4 datasheet: FP32 30.3; TF32 120*, BF16/FP16 242*, FP8 485*, INT8 485*; 24 GB, 300 GB/s
    "l4": ({"tf32": 120 / 2, "bf16": 242 / 2, "fp16": 242 / 2, "fp8": 485 / 2, "int8": 485 / 2}, {"fp32": 30.3}, 24, 300),
    # NVIDIA L40S datasheet: FP32 91.6; TF32 366*, BF16/FP16 733*, FP8 1466*, INT8 1466*; 48 GB, 864 GB/s
    "l40s": ({"tf32": 183, "bf16": 362.05, "fp16": 362.05, "fp8": 1466 / 2, "int8": 1466 / 2}, {"fp32": 91.6}, 48, 864),
    # NVIDIA H100 datasheet, SXM: FP64 34, FP64 TC 67, FP32 67, TF32 989*, BF16/FP16 1979*, FP8/INT8 3958*; 3.35 TB/s
    "h100-sxm": ({"fp64": 67, "tf32": 989 / 2, "bf16": 1979 / 2, "fp16": 1979 / 2, "fp8": 3958 / 2, "int8": 3958 / 2},
                 {"fp64": 34, "fp32": 67}, 80, 3350),
    # PCIe: FP64 26, FP64 TC 51, FP32 51, TF32 756*, BF16/FP16 1513*, FP8/INT8 3026*; 2 TB/s
    "h100-pcie": ({"fp64": 51, "tf32": 756 / 2, "bf16": 1513 / 2, "fp16": 1513 / 2, "fp8": 3026 / 2, "int8": 3026 / 2},
                  {"fp64": 26, "fp32": 51}, 80, 2000),
    # NVIDIA H200 datasheet: H100 SXM's peaks; 141 GB HBM3e, 4.8 TB/s
    "h200": ({"fp64": 67, "tf32": 989 / 2, "bf16": 1979 / 2, "fp16": 1979 / 2, "fp8": 3958 / 2, "int8": 3958 / 2},
             {"fp64": 34, "fp32": 67}, 141, 4800),
    # NVIDIA HGX B200 (8 GPUs): FP64 296, TF32 18 PF*, FP16/BF16 36 PF*, FP8 72 PF*, INT8 72 POPS*; 1.44 TB, 62 TB/s
    "b200": ({"fp64": 296 / 8, "tf32": 1100, "bf16": 36000 / 8 / 2, "fp16": 36000 / 8 / 2, "fp8": 72000 / 8 / 2,
              "int8": 72000 / 8 / 2}, {"fp64": 296 / 8, "fp32": 75}, 180, 7700),
    # GA102 whitepaper, RTX 3090: FP32 35.6; FP16/BF16 tensor with FP32 accumulate 71; TF32 35.6; INT8 284; 936 GB/s
    "rtx-3090": ({"tf32": 35.6, "bf16": 71, "fp16": 71, "int8": 284}, {"fp32": 35.6}, 24, 936),
    # Ada whitepaper, RTX 4090: FP32 82.6; FP16/BF16 (FP32 acc.) 165.2; TF32 82.6; FP8 (FP32 acc.) 330.3; INT8 660.6
    "rtx-4090": ({"tf32": 82.6, "bf16": 165.2, "fp16": 165.2, "fp8": 330.3, "int8": 660.6}, {"fp32": 82.6}, 24, 1008),
    # RTX Blackwell whitepaper, RTX 5090: FP32 104.8; FP16/BF16 (FP32 acc.) 209.5; TF32 104.8; FP8 419; INT8 838
    "rtx-5090": ({"tf32": 104.8, "bf16": 209.5, "fp16": 209.5, "fp8": 419, "int8": 838}, {"fp32": 104.8}, 32, 1792),
    # AMD MI250X: FP64/FP32 vector 47.9, matrix 95.7; FP16/BF16 383; INT8 383; 128 GB, 3.2 TB/s
    "mi250x": ({"fp64": 95.7, "fp32": 95.7, "bf16": 383, "fp16": 383, "int8": 383}, {"fp64": 47.9, "fp32": 47.9}, 128, 3200),
    # AMD MI300X datasheet: FP64 vector 81.7, matrix 163.4; FP32 163.4; TF32 653.7; FP16/BF16 1307.4; FP8/INT8 2614.9
    "mi300x": ({"fp64": 163.4, "fp32": 163.4, "tf32": 653.7, "bf16": 1307.4, "fp16": 1307.4, "fp8": 2614.9, "int8": 2614.9},
               {"fp64": 81.7, "fp32": 163.4}, 192, 5300),
    # Cloud TPU v5e: 197 bf16 TFLOPs, 394 int8 TOPS, 16 GiB, 819 GBps; v5p: 459, 918, 95 GiB, 2,765 GBps
    "tpu-v5e": ({"bf16": 197, "int8": 394}, {}, 16, 819),
    "tpu-v5p": ({"bf16": 459, "int8": 918}, {}, 95, 2765),
    # Apple: 400 GB/s, 128 GB (M3 Max, 40-core GPU); FP32 derived: 5,120 ALUs · 2 · 1.398 GHz
    "m3-max": ({}, {"fp32": 14.3, "fp16": 14.3}, 128, 400),
}


def test_catalogue_has_every_device_the_issue_names():
    assert set(catalogue()) == set(DATASHEETS)


@pytest.mark.parametrize("name", sorted(DATASHEETS))
def test_catalogue_matches_its_datasheet(name):
    peak, vector, gib, gbs = DATASHEETS[name]
    hw = catalogue()[name]
    assert hw.peak_flops == pytest.approx({k: v * T for k, v in peak.items()}, rel=1e-3)
    assert hw.vector_flops == pytest.approx({k: v * T for k, v in vector.items()}, rel=1e-3)
    assert hw.memory_bytes == gib * 2**30 and hw.memory_bandwidth == gbs * 1e9
    assert hw.source["url"].startswith("https://") and hw.source["where"]


def test_l4_bandwidth_is_the_datasheets_not_inductors():
    """PyTorch's inductor table lists 3,350 GB/s for the L4; its datasheet says 300 GB/s."""
    assert load_hardware("l4").memory_bandwidth == 300e9


GOOD = {"name": "x", "memory_bytes": 2**30, "memory_bandwidth": 1e11, "peak_flops": {"fp32": 1e13},
        "source": {"url": "https://example.com/datasheet.pdf", "where": "page 1"}}


@pytest.mark.parametrize("change, message", [
    ({"peak_flops": None}, "missing field peak_flops"),
    ({"source": None, "memory_bytes": None}, "missing fields memory_bytes, source"),
    ({"memory_bandwidth": -1}, "memory_bandwidth must be a positive number"),
    ({"peak_flops": {"fp32": 0}}, "peak_flops.fp32 must be a positive number"),
    ({"peak_flops": {"fp33": 1e12}}, "peak_flops.fp33 is not one of"),
    ({"efficiency": {"conv": 1.5}}, "efficiency.conv is a fraction of the roof"),
    ({"source": {"where": "p. 1"}}, "source must give the url"),
    ({"overhead_s": -1e-6}, "overhead_s is seconds per op"),
])
def test_schema_refuses_bad_specs_in_one_line(change, message):
    data = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    with pytest.raises(InputError, match=message) as err:
        parse_hardware(data, "spec.json")
    assert "\n" not in str(err.value)


def test_spec_files_json_and_toml(tmp_path):
    j = tmp_path / "dev.json"
    j.write_text(json.dumps(GOOD))
    t = tmp_path / "dev.toml"
    t.write_text('name = "x"\nmemory_bytes = 1073741824\nmemory_bandwidth = 1e11\n[peak_flops]\nfp32 = 1e13\n'
                 '[source]\nurl = "https://example.com/datasheet.pdf"\nwhere = "page 1"\n')
    assert load_hardware(str(j)) == load_hardware(str(t)) == parse_hardware(GOOD, "x")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(InputError, match="is not valid TOML"):
        load_hardware(str(bad))


def test_unknown_hardware_suggests_close_names():
    with pytest.raises(InputError, match=r"unknown hardware 'h100'; did you mean .*h100-sxm"):
        load_hardware("h100")


# -- the roofline -------------------------------------------------------------------------
def test_roofline_formulas():
    assert op_time(2e12, 1e9, 1e12, 1e12) == (2.0, "compute")  # 2 TFLOP at 1 TFLOP/s beats 1 GB at 1 TB/s
    assert op_time(1e9, 2e12, 1e12, 1e12, memory_eff=0.5) == (4.0, "memory")
    assert attainable(0.5, 1e12, 1e11) == 5e10 and attainable(100, 1e12, 1e11) == 1e12
    assert ridge(67e12, 3.35e12) == pytest.approx(20.0)
    assert compute_flops(10, 25) == 20 and compute_flops(0, 25) == 25  # 2 per multiply-add, else the op's FLOPs
    assert [op_class(n) for n in ("addmm", "convolution_backward", "native_layer_norm", "max_pool2d", "relu",
                                  "_scaled_dot_product_flash_attention_for_cpu", "Gemm", "BatchNormalization")] == [
        "matmul", "conv", "norm", "pool", "elementwise", "attention", "matmul", "norm"]


def test_linear_at_batch_1_is_memory_bound_on_h100():
    r = analyze_layer("nn.Linear(4096, 4096)", [(1, 4096)])
    rf = apply_roofline(r, "h100-sxm")
    moved = 4 * (4096 + 4096 * 4096 + 4096) + 4 * 4096  # fp32: reads x, W, b; writes y
    assert rf["latency_s"] == pytest.approx(moved / 3.35e12, rel=1e-12)
    assert r.root.bound == "memory" and rf["bound_share"] == {"compute": 0.0, "memory": 1.0}


def test_conv_is_compute_bound_and_its_dtype_picks_the_peak():
    fp32 = analyze_layer("nn.Conv2d(64, 64, kernel_size=3, padding=1)", [(32, 64, 56, 56)])
    assert apply_roofline(fp32, "h100-sxm")["latency_s"] == pytest.approx(
        2 * 64 * 64 * 3 * 3 * 56 * 56 * 32 / 67e12, rel=1e-12)  # 2·C_out·C_in·k·k·H·W·N over the fp32 (CUDA core) peak
    bf16 = analyze_layer("nn.Conv2d(64, 64, kernel_size=3, padding=1)", [(32, 64, 56, 56)], dtype="bf16")
    rf = apply_roofline(bf16, "h100-sxm")
    moved = bf16.total.read_bytes + bf16.total.write_bytes
    # on bf16 tensor cores (989.5 TFLOP/s) the same conv needs 7.5 µs of compute but 7.7 µs to move its bytes
    assert rf["latency_s"] == pytest.approx(moved / 3.35e12, rel=1e-12)
    assert 2 * 64 * 64 * 9 * 56 * 56 * 32 / 989.5e12 < rf["latency_s"] and bf16.root.bound == "memory"


def test_module_times_add_up_and_efficiency_scales_them():
    r = nncost.analyze("nncost:seednet", hardware="a100-80gb-sxm")
    rf = r.roofline
    children = [n for n in r.layers if n.depth == 1]
    assert r.root.time_s == pytest.approx(rf["latency_s"]) == pytest.approx(sum(n.time_s for n in children))
    assert sum(v["time_s"] for v in rf["by_class"].values()) == pytest.approx(rf["latency_s"])
    assert rf["bound_share"]["compute"] + rf["bound_share"]["memory"] == pytest.approx(1.0)
    half = nncost.analyze("nncost:seednet", hardware="a100-80gb-sxm", efficiency="compute=0.5,memory=0.5").roofline
    assert half["latency_s"] == pytest.approx(2 * rf["latency_s"])
    assert rf["throughput_per_s"] == pytest.approx(1 / rf["latency_s"])  # one image per forward


def test_training_step_and_mfu():
    r = nncost.analyze("nncost:seednet", hardware="h100-sxm", backward=True, measured_throughput=1000.0)
    rf = r.roofline
    assert rf["train_step_s"] > 2 * rf["latency_s"]  # the backward does about twice the forward's work
    assert rf["mfu"] == pytest.approx(3 * rf["forward_flops"] * 1000.0 / 67e12)  # 3 forwards per step, fp32 peak
    with pytest.raises(InputError, match="measured throughput must be a positive number"):
        apply_roofline(r, "h100-sxm", measured_throughput=-1)


def test_estimate_divides_by_each_op_class_efficiency():
    """A conv op's bound divided by its class's efficiency — the memory-bound one when its bytes
    decide — plus the device's fixed time per op."""
    spec = {**GOOD, "efficiency": {"conv": 0.5, "conv_memory": 0.2, "elementwise": 0.25}, "overhead_s": 1e-6}
    hw = parse_hardware(spec, "x")
    small = analyze_layer("nn.Conv2d(3, 8, kernel_size=3)", [(1, 3, 32, 32)])  # 3·8·9·30·30 MACs, 2 per byte: memory-bound
    bound = apply_roofline(small, hw)["latency_s"]
    assert small.root.bound == "memory"
    assert apply_roofline(small, hw, estimate=True)["latency_s"] == pytest.approx(bound / 0.2 + 1e-6)
    big = analyze_layer("nn.Conv2d(64, 64, kernel_size=3)", [(1, 64, 56, 56)])  # 64 MACs per input byte: compute-bound
    bound = apply_roofline(big, hw)["latency_s"]
    assert big.root.bound == "compute"
    assert apply_roofline(big, hw, estimate=True)["latency_s"] == pytest.approx(bound / 0.5 + 1e-6)
    r = small
    with pytest.raises(InputError, match="estimate needs measured efficiencies"):
        apply_roofline(r, "h100-sxm", estimate=True)


@pytest.mark.parametrize("bad", ["compute=1.5", "compute", "speed=0.5", "memory=x", "memory=0"])
def test_efficiency_refuses(bad):
    with pytest.raises(InputError, match="--efficiency"):
        parse_efficiency(bad)


def test_torch_and_onnx_give_the_same_time(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)).eval()
    path = tmp_path / "mlp.onnx"
    torch.onnx.export(model, (torch.randn(8, 64),), str(path), dynamo=False)
    a = nncost.analyze(model, (8, 64), hardware="l4").roofline
    b = nncost.analyze(str(path), hardware="l4").roofline
    assert a["latency_s"] == pytest.approx(b["latency_s"], rel=1e-9)


def test_llama3_8b_decode_on_h100_is_memory_bound():
    """Llama-3-8B, bf16, batch 1, context 1024 on an H100 SXM (3.35 TB/s): a decode step reads the
    weights but the embedding table (a lookup reads one row) and the KV cache: (16,060,522,496 −
    128,256·4,096·2 + 2·32·1,023·8·128·2) / 3.35e12 = 4.52 ms. The 2 % more nncost finds is what
    transformers' DynamicCache adds: each layer's cache is copied as it grows by concatenation."""
    r = nncost.analyze("hf:Llama-3-8B", dtype="bf16", seq=1024, hardware="h100-sxm")
    llm = r.roofline["llm"]
    closed = (16_060_522_496 - 128_256 * 4096 * 2 + 2 * 32 * 1023 * 8 * 128 * 2) / 3.35e12
    assert closed == pytest.approx(4.5206e-3, rel=1e-4)
    assert llm["decode_s_per_token"] == pytest.approx(closed, rel=0.025) and llm["decode_s_per_token"] > closed
    assert llm["tokens_per_s"] == pytest.approx(1 / llm["decode_s_per_token"])
    assert r.roofline["throughput_unit"] == "tokens/s" and r.roofline["items_per_forward"] == 1024


def test_plot_writes_png_and_svg(tmp_path):
    pytest.importorskip("matplotlib")
    from nncost.render.plot import plot_roofline

    r = nncost.analyze("nncost:seednet", hardware="t4")
    png, svg = plot_roofline(r, str(tmp_path / "r.png")), plot_roofline(r, str(tmp_path / "r.svg"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert "<svg" in svg.read_text()
    with pytest.raises(InputError, match="writes .png or .svg"):
        plot_roofline(r, str(tmp_path / "r.jpg"))


# -- this machine: calibration and measurement ---------------------------------------------
def test_calibrate_writes_a_spec_that_loads(tmp_path):
    from nncost.hardware.calibrate import calibrate

    hw = calibrate("cpu", quick=True)
    assert hw.peak_flops["fp32"] > 1e9 and hw.memory_bandwidth > 1e9  # any CPU that runs the tests does this much
    # every op class measured, compute-bound or memory-bound as its probes are on this machine
    assert {k.removesuffix("_memory") for k in hw.efficiency} == {"conv", "matmul", "attention", "elementwise", "norm", "pool"}
    assert all(0 < e <= 1 for e in hw.efficiency.values()) and 0 < hw.overhead_s < 1e-3
    path = tmp_path / "cpu.json"
    path.write_text(json.dumps(hw.to_dict()))
    r = nncost.analyze("nncost:seednet", hardware=str(path), estimate=True)
    assert r.roofline["mode"] == "estimate" and r.roofline["latency_s"] > nncost.analyze(
        "nncost:seednet", hardware=str(path)).roofline["latency_s"]


def test_measure_times_every_module_on_the_cpu(tmp_path):
    spec = {**GOOD, "peak_flops": {"fp32": 1e11}, "memory_bandwidth": 2e10}
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(spec))
    out = subprocess.run([sys.executable, "-m", "nncost", "nncost:seednet", "--hardware", str(path), "--device", "cpu",
                          "--measure", "--runs", "3", "-f", "json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    root = d["layers"][0]
    assert root["measured_time_s"] > 0 and d["roofline"]["measured_latency_s"] == root["measured_time_s"]
    assert root["roofline_fraction"] == pytest.approx(root["time_s"] / root["measured_time_s"])
    moved = root["read_bytes"] + root["write_bytes"]
    assert root["achieved_bytes_per_s"] == pytest.approx(moved / root["measured_time_s"])
    assert root["achieved_flops_per_s"] == pytest.approx(root["intensity"] * moved / root["measured_time_s"])
    assert all("measured_time_s" in layer for layer in d["layers"])


@pytest.mark.parametrize("argv, message", [
    (["nncost:seednet", "--hardware", "h100", ], "unknown hardware 'h100'"),
    (["nncost:seednet", "--efficiency", "compute=0.5"], "--efficiency needs --hardware"),
    (["nncost:seednet", "--hardware", "t4", "--measure"], "--measure runs the model for real"),
    (["nncost:seednet", "--hardware", "t4", "--efficiency", "compute=2"], "--efficiency compute must be a fraction"),
    (["nncost:seednet", "--hardware", "missing.json"], "cannot read hardware spec missing.json"),
    (["calibrate", "--device", "meta"], "calibrate measures a real device"),
])
def test_cli_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    from nncost.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_hardware_list_json_has_the_documented_fields():
    p = subprocess.run([sys.executable, "-m", "nncost", "hardware", "--list", "--format", "json"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    entries = {e["name"]: e for e in json.loads(p.stdout)}
    assert entries["h100-sxm"]["peak_flops"]["bf16"] == 989.5e12 and entries["h100-sxm"]["memory_bandwidth"] == 3.35e12
    assert all({"name", "peak_flops", "memory_bandwidth", "memory_bytes", "source"} <= set(e) for e in entries.values())
