"""The ONNX frontend on hand-built graphs: exact numbers, scopes, reporting, bad files (no torch)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import warnings

import pytest

onnx = pytest.importorskip("onnx")
import numpy as np  # noqa: E402  (onnx needs it)
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

import nncost  # noqa: E402
from nncost import Cost, analyze_onnx  # noqa: E402
from nncost import formulas as fm  # noqa: E402
from nncost.errors import ModelSpecError, NncostError, ShapeError, UnsupportedError  # noqa: E402
from onnx_models import loop, lstm, single, tiny_cnn  # noqa: E402

CONV = 2 * 16 * 32 * 32 * 3 * 3 * 3  # N·C_out·H·W·C_in·k·k with N = 2
GEMM = 2 * 4096 * 10


def save(model, tmp_path, name="m.onnx"):
    path = tmp_path / name
    onnx.save(model, str(path))
    return str(path)


def test_tiny_cnn_exact(tmp_path):
    r = analyze_onnx(save(tiny_cnn(), tmp_path), {"X": (2, 3, 32, 32)})
    assert r.total.params == (16 * 27 + 16) + (10 * 4096 + 10)  # conv (k·k·C_in + 1)·C_out, fc (d_in + 1)·d_out
    assert r.total.macs == CONV + GEMM
    flops = (
        2 * 16 * 32 * 32 * (2 * 27 - 1 + 1)  # conv: [(C_in·k·k) + (C_in·k·k − 1) + 1] per output
        + 2 * 16 * 32 * 32  # relu: 1 per element
        + 2 * 16 * 16 * 16 * 4  # max pool: 2·2 window per output
        + 2 * 10 * (2 * 4096)  # gemm with bias
    )
    assert r.total.flops == flops
    assert r.unsupported == {}


def test_memory_traffic(tmp_path):
    r = analyze_onnx(tiny_cnn(2))
    weights = 4 * ((16 * 27 + 16) + (10 * 4096 + 10))  # float32 parameters, read once by their node
    acts = 4 * 2 * (3 * 32 * 32 + 16 * 32 * 32 + 16 * 32 * 32 + 16 * 16 * 16)  # conv, relu, pool, gemm inputs (Flatten: a view)
    written = 4 * 2 * (16 * 32 * 32 + 16 * 32 * 32 + 16 * 16 * 16 + 10)
    assert (r.total.read_bytes, r.total.write_bytes) == (weights + acts, written)
    assert r.layer("features.conv").write_bytes == 4 * 2 * 16 * 32 * 32
    assert r.total.arithmetic_intensity == r.total.flops / (weights + acts + written)
    assert r.total.by_dtype == {"float32": {"macs": r.total.macs, "flops": r.total.flops}}


def test_dtype_resizes_float_tensors_only():
    r = analyze_onnx(tiny_cnn(2))
    half = analyze_onnx(tiny_cnn(2), dtype="bf16")
    assert (half.total.read_bytes, half.total.write_bytes) == (r.total.read_bytes // 2, r.total.write_bytes // 2)
    assert half.inputs[0]["dtype"] == "bfloat16" and list(half.total.by_dtype) == ["bfloat16"]
    # a gather's int64 indices keep their 8 bytes: read = indices + rows copied
    g = single("Gather", {"T": (100, 16)}, (2, 5, 16), {})
    ids = helper.make_tensor_value_info("I", TensorProto.INT64, [2, 5])
    g.graph.input.append(ids)
    g.graph.node[0].input.append("I")
    for dt, item in (("float32", 4), ("fp16", 2)):
        t = analyze_onnx(g, dtype=dt).total
        assert (t.read_bytes, t.write_bytes) == (8 * 2 * 5 + item * 2 * 5 * 16, item * 2 * 5 * 16)
    with pytest.raises(NncostError, match="dtype must be one of"):
        analyze_onnx(tiny_cnn(2), dtype="int8")


def test_scope_tree_from_node_names(tmp_path):
    r = analyze_onnx(tiny_cnn(2))
    assert [(n.path, n.type) for n in r.layers] == [
        ("", "Graph"), ("fc", "Gemm"), ("features", "Scope"), ("features.conv", "Conv"), ("features.pool", "MaxPool"),
        ("features.relu", "Relu")]
    assert r.layer("features").macs == CONV and r.layer("fc").params.total == 10 * 4096 + 10
    assert r.layer("features.conv").output_shapes == [[2, 16, 32, 32]]


@pytest.mark.parametrize("name", ["/layer1/layer1.0/conv1/Conv", "/layers.0/self_attn/MatMul", "/Flatten", "MatMul_3"])
def test_scope_names(name):
    from nncost.frontends.onnx import scope_of

    assert scope_of(name) == {"/layer1/layer1.0/conv1/Conv": "layer1.0.conv1", "/layers.0/self_attn/MatMul": "layers.0.self_attn",
                              "/Flatten": "", "MatMul_3": None}[name]


def test_unbound_batch_becomes_a_formula():
    r = analyze_onnx(tiny_cnn("N"))
    s = r.extra["symbolic"]
    assert s["symbols"] == ["N"] and s["evaluated_at"] == {"N": 1}
    assert s["total"]["macs"] == f"{(CONV + GEMM) // 2}·N"  # per sample, times N
    assert s["layers"]["features.conv"]["macs"] == f"{CONV // 2}·N"
    weights = 4 * 41_418
    assert s["total"]["read_bytes"] == f"{weights} + {4 * (3 * 32 * 32 + 2 * 16 * 32 * 32 + 16 * 16 * 16)}·N"  # Flatten: a view
    assert r.total.macs == (CONV + GEMM) // 2  # the numbers are the formulas at N = 1, as the note says
    assert r.unsupported == {} and any("N = 1" in n for n in r.notes)


def test_a_dim_through_floor_division_is_not_a_polynomial():
    # a stride-2 conv over a dynamic height: output ⌊(H − 1)/2⌋ + 1 is no polynomial in H
    m = single("Conv", {"X": (1, 3, "H", 32)}, (1, 8, "Ho", 16), {"W": (8, 3, 3, 3)}, strides=[2, 2], pads=[1, 1, 1, 1])
    with pytest.warns(nncost.NncostWarning, match="shape unknown"):
        r = analyze_onnx(m)
    assert "symbolic" not in r.extra
    assert any("not a polynomial in H" in n for n in r.notes)
    bound = analyze_onnx(m, {"X": (1, 3, 32, 32)})
    assert bound.total.macs == 8 * 16 * 16 * 3 * 3 * 3


def test_binding_shapes_by_name_or_position():
    by_name = analyze_onnx(tiny_cnn("N"), {"X": (2, 3, 32, 32)}).total
    by_pos = analyze_onnx(tiny_cnn("N"), positional=[(2, 3, 32, 32)]).total
    assert by_name == by_pos and by_name.macs == CONV + GEMM
    with pytest.raises(ShapeError, match="no input 'Z'"):
        analyze_onnx(tiny_cnn("N"), {"Z": (1,)})
    with pytest.raises(ShapeError, match="has 4 dims"):
        analyze_onnx(tiny_cnn("N"), {"X": (2, 3)})
    with pytest.raises(ShapeError, match="fixed size 2"):
        analyze_onnx(tiny_cnn(2), {"X": (4, 3, 32, 32)})


def test_user_proto_is_not_modified():
    m = tiny_cnn("N")
    before = m.SerializeToString()
    analyze_onnx(m, {"X": (2, 3, 32, 32)})
    assert m.SerializeToString() == before


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (single("ConvTranspose", {"X": (1, 16, 8, 8)}, (1, 8, 16, 16), {"W": (16, 8, 4, 4)}, strides=[2, 2], pads=[1, 1, 1, 1]),
         fm.conv((1, 16, 8, 8), (16, 8, 4, 4), (1, 8, 16, 16), False, transposed=True, stride=2, padding=1)),
        (single("ConvTranspose", {"X": (1, 1, 2, 2)}, (1, 1, 4, 4), {"W": (1, 1, 1, 1)}, strides=[3, 3]),
         Cost(4, 4)),  # stride 3 > kernel 1: 4 products land on 4 of 16 outputs, no sums
        (single("Einsum", {"A": (2, 4, 6), "B": (2, 6, 5)}, (2, 4, 5), {}, equation="bij,bjk->bik"),
         fm.einsum("bij,bjk->bik", (2, 4, 6), (2, 6, 5))),
        (single("MatMul", {"A": (3, 4, 6)}, (3, 4, 5), {"B": (6, 5)}), fm.matmul((3, 4, 6), (6, 5))),
        (single("Softmax", {"X": (2, 12, 10)}, (2, 12, 10), {}, axis=-1), fm.softmax(2 * 12 * 10, 10)),
        (single("LayerNormalization", {"X": (2, 5, 64)}, (2, 5, 64), {"S": (64,), "Bb": (64,)}, axis=-1),
         fm.layer_norm(2 * 5 * 64, 64)),
        (single("GlobalAveragePool", {"X": (1, 2048, 7, 7)}, (1, 2048, 1, 1), {}), fm.adaptive_pool((1, 2048, 7, 7), (1, 1))),
        (single("Sigmoid", {"X": (1, 1000)}, (1, 1000), {}), fm.elementwise("sigmoid", 1000)),
        (single("ReduceMean", {"X": (4, 10)}, (4, 1), {}, keepdims=1), fm.mean_reduction(40, 4)),
        (single("Sum", {"A": (2, 5), "B": (2, 5), "C": (2, 5)}, (2, 5), {}), Cost(0, 10 * 2)),  # 3 inputs: 2 adds each
        (single("Mean", {"A": (2, 5), "B": (2, 5), "C": (2, 5)}, (2, 5), {}), Cost(0, 10 * (2 + 1))),  # 2 adds, 1 divide
        (single("Max", {"A": (2, 5), "B": (2, 5), "C": (2, 5)}, (2, 5), {}), Cost(0, 10 * 2)),  # 2 comparisons
    ],
    ids=["ConvTranspose", "ConvTranspose-stride-over-kernel", "Einsum", "MatMul", "Softmax", "LayerNorm", "GlobalAveragePool",
         "Sigmoid", "ReduceMean", "Sum-3", "Mean-3", "Max-3"],
)
def test_single_ops_use_the_shared_formulas(model, expected):
    r = analyze_onnx(model)
    assert (r.total.macs, r.total.flops) == (expected.macs, expected.flops)


def test_lstm_node():
    r = analyze_onnx(lstm(seq=5, batch=1, d=8, h=16))
    assert r.total.params == 4 * 16 * 8 + 4 * 16 * 16 + 8 * 16  # W, R and both bias vectors
    expected = fm.rnn(fm.RnnSpec("lstm", 8, 16), 5, 1)  # the same formula nn.LSTM(8, 16) gets
    assert (r.total.macs, r.total.flops) == (expected.macs, expected.flops)


def test_loop_with_constant_trip_count_multiplies_its_body():
    r = analyze_onnx(loop(trips=3, n=4))
    assert r.total.macs == 3 * 4 * 4  # three times a [1, 4] @ [4, 4]


def test_unknown_op_is_unsupported_and_strict_raises():
    m = single("Frobnicate", {"X": (2, 3)}, (2, 3), {}, domain="com.example")
    with pytest.warns(nncost.NncostWarning, match="com.example:Frobnicate x1"):
        r = analyze_onnx(m)
    assert r.unsupported == {"com.example:Frobnicate": 1}
    assert r.root.unsupported == {"com.example:Frobnicate": 1}
    with pytest.raises(UnsupportedError, match="Frobnicate"):
        analyze_onnx(m, strict=True)


def test_share_counted_is_reported():
    r = analyze_onnx(tiny_cnn(2))
    assert r.extra["onnx"]["counted"] == 4 and r.extra["onnx"]["free"] == 1 and r.extra["onnx"]["nodes"] == 5


# -- bad files -----------------------------------------------------------------------------------
def test_bad_files(tmp_path):
    good = save(tiny_cnn(2), tmp_path, "good.onnx")
    data = open(good, "rb").read()
    cases = {
        "missing.onnx": (None, "no such file"),
        "empty.onnx": (b"", "the file is empty"),
        "text.onnx": (b"this is not a model\n" * 10, "not a readable ONNX model"),
        "truncated.onnx": (data[: len(data) // 2], "not a readable ONNX model"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        with pytest.raises(ModelSpecError, match=message):
            analyze_onnx(str(path))
    with pytest.raises(ModelSpecError, match="is a folder"):
        analyze_onnx(str(tmp_path))


def test_invalid_graph_and_opset(tmp_path):
    m = tiny_cnn(2)
    m.graph.node[1].input[0] = "nowhere"
    with pytest.raises(ModelSpecError, match="invalid ONNX graph"):
        analyze_onnx(m)
    m = tiny_cnn(2)
    m.opset_import[0].version = 999
    with pytest.raises(ModelSpecError, match="opset 999 is newer"):
        analyze_onnx(m)


def test_file_is_only_read(tmp_path):
    path = save(tiny_cnn("N"), tmp_path)
    before = (hashlib.sha256(open(path, "rb").read()).hexdigest(), os.stat(path).st_mtime_ns)
    analyze_onnx(path, {"X": (2, 3, 32, 32)})
    assert (hashlib.sha256(open(path, "rb").read()).hexdigest(), os.stat(path).st_mtime_ns) == before


def only_nncost_errors(path, data: bytes) -> None:
    """Analysing these bytes either works or raises one of nncost's own errors."""
    path.write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            analyze_onnx(str(path))
        except NncostError:
            pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_fuzz_random_bytes_only_raise_nncost_errors(tmp_path, data):
    only_nncost_errors(tmp_path / "fuzz.onnx", data)


GOOD = tiny_cnn(2).SerializeToString()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pos=st.lists(st.integers(0, len(GOOD) - 1), min_size=1, max_size=6), value=st.integers(0, 255),
       cut=st.integers(1, len(GOOD)))
def test_fuzz_mutated_model_only_raises_nncost_errors(tmp_path, pos, value, cut):
    b = bytearray(GOOD[:cut])
    for p in pos:
        if p < len(b):
            b[p] = value
    only_nncost_errors(tmp_path / "mut.onnx", bytes(b))


# -- the CLI, without torch ----------------------------------------------------------------------
def test_cli_onnx_never_imports_torch(tmp_path):
    path = save(tiny_cnn("N"), tmp_path)
    code = (
        "import sys, json\n"
        "from nncost.cli import main\n"
        f"rc = main([{path!r}, '-i', 'X=2,3,32,32', '-f', 'json'])\n"
        "assert rc == 0\n"
        "print('torch' in sys.modules, file=sys.stderr)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines()[-1] == "False"
    import json

    assert json.loads(r.stdout)["total"]["macs"] == CONV + GEMM


@pytest.mark.parametrize("content", [b"", b"garbage" * 20])
def test_cli_bad_file_one_line_exit_2(tmp_path, content):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    r = subprocess.run([sys.executable, "-m", "nncost", str(path)], capture_output=True, text=True)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert str(path) in r.stderr


# -- more coverage -------------------------------------------------------------------------------
def test_external_weights_need_not_be_present(tmp_path):
    m = tiny_cnn(2)
    path = str(tmp_path / "ext.onnx")
    onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True, location="weights.bin",
                    size_threshold=0)
    os.remove(tmp_path / "weights.bin")
    r = analyze_onnx(path)
    assert r.total.params == (16 * 27 + 16) + (10 * 4096 + 10) and r.total.macs == CONV + GEMM


def test_a_weight_shared_by_two_nodes_counts_once():
    from onnx import TensorProto, helper

    from onnx_models import _init

    nodes = [helper.make_node("MatMul", ["X", "W"], ["a"], name="/a/MatMul"),
             helper.make_node("MatMul", ["a", "W"], ["Y"], name="/b/MatMul")]
    g = helper.make_graph(nodes, "tied", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 8])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 8])], [_init("W", 8, 8)])
    r = analyze_onnx(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    assert r.total.params == 8 * 8 and r.total.macs == 2 * 8 * 8  # one weight, two uses


@pytest.mark.parametrize(
    ("model", "macs", "flops"),
    [
        (single("Attention", {"Q": (1, 8, 16, 64), "K": (1, 2, 16, 64), "V": (1, 2, 16, 64)}, (1, 8, 16, 64), {}, opset=23,
                is_causal=1),
         fm.sdpa((1, 8, 16, 64), (1, 8, 16, 64), (1, 8, 16, 64), True).macs,
         fm.sdpa((1, 8, 16, 64), (1, 8, 16, 64), (1, 8, 16, 64), True).flops),
        (single("Resize", {"X": (1, 3, 8, 8)}, (1, 3, 16, 16), {}, mode="linear"), 0, 3 * 16 * 16 * 9),  # bilinear: 3 lerps
        (single("MatMulNBits", {"A": (2, 64)}, (2, 32), {}, domain="com.microsoft", K=64, N=32, bits=4, block_size=32),
         2 * 64 * 32, 2 * 32 * (2 * 64 - 1)),
        (single("SkipLayerNormalization", {"X": (2, 5, 64), "S": (2, 5, 64)}, (2, 5, 64), {"G": (64,), "B": (64,)},
                domain="com.microsoft"), 0, 2 * 5 * 64 + fm.layer_norm(2 * 5 * 64, 64).flops),
        (single("GroupQueryAttention", {"Q": (1, 16, 8 * 64), "K": (1, 16, 2 * 64), "V": (1, 16, 2 * 64)}, (1, 16, 8 * 64), {},
                domain="com.microsoft", num_heads=8, kv_num_heads=2),
         fm.sdpa((1, 8, 16, 64), (1, 8, 16, 64), (1, 8, 16, 64), True).macs,
         fm.sdpa((1, 8, 16, 64), (1, 8, 16, 64), (1, 8, 16, 64), True).flops),
    ],
    ids=["Attention-23-gqa-causal", "Resize-linear", "MatMulNBits", "SkipLayerNormalization", "GroupQueryAttention"],
)
def test_more_ops(model, macs, flops):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the checker does not know every com.microsoft schema
        r = analyze_onnx(model) if model.opset_import[0].version <= onnx.defs.onnx_opset_version() else None
    if r is None:
        pytest.skip("this onnx package predates the opset")
    assert (r.total.macs, r.total.flops) == (macs, flops)
    assert r.unsupported == {}


def test_if_counts_the_costlier_branch():
    from onnx import TensorProto, helper

    from onnx_models import _init

    def branch(name, op):
        return helper.make_graph([helper.make_node(op, ["X", "W"], [f"{name}_y"], name=f"/{name}/{op}")], name, [],
                                 [helper.make_tensor_value_info(f"{name}_y", TensorProto.FLOAT, [4, 4])])

    nodes = [helper.make_node("If", ["C"], ["Y"], name="/cond/If", then_branch=branch("then", "MatMul"),
                              else_branch=branch("else", "Add"))]
    g = helper.make_graph(nodes, "if", [helper.make_tensor_value_info("C", TensorProto.BOOL, []),
                                        helper.make_tensor_value_info("X", TensorProto.FLOAT, [4, 4])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [4, 4])], [_init("W", 4, 4)])
    r = analyze_onnx(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    assert r.total.macs == 4 * 4 * 4  # the MatMul branch, not the Add


def test_if_reports_what_either_branch_cannot_count():
    from onnx import TensorProto, helper

    from onnx_models import _init

    def branch(name, op, domain=""):
        return helper.make_graph([helper.make_node(op, ["X", "W"], [f"{name}_y"], name=f"/{name}/{op}", domain=domain)], name,
                                 [], [helper.make_tensor_value_info(f"{name}_y", TensorProto.FLOAT, [4, 4])])

    nodes = [helper.make_node("If", ["C"], ["Y"], name="/cond/If", then_branch=branch("then", "MatMul"),
                              else_branch=branch("else", "Frobnicate", "com.example"))]
    g = helper.make_graph(nodes, "if", [helper.make_tensor_value_info("C", TensorProto.BOOL, []),
                                        helper.make_tensor_value_info("X", TensorProto.FLOAT, [4, 4])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [4, 4])], [_init("W", 4, 4)])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    with pytest.warns(nncost.NncostWarning, match="com.example:Frobnicate"):
        r = analyze_onnx(model)
    assert r.total.macs == 4 * 4 * 4 and r.unsupported == {"com.example:Frobnicate": 1}
    assert r.total.read_bytes == 4 * (4 * 4 + 4 * 4)  # the counted branch's MatMul reads X and W, float32
    assert r.total.write_bytes == 4 * 4 * 4  # and writes its 4×4 output


@pytest.mark.parametrize(("axis", "length"), [(0, 3), (1, 5), (-1, 5)])
def test_cumsum_reads_its_axis_from_input_1(axis, length):
    from onnx import TensorProto, helper, numpy_helper

    node = helper.make_node("CumSum", ["X", "A"], ["Y"], name="/c/CumSum")
    g = helper.make_graph([node], "c", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [3, 5])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [3, 5])],
                          [numpy_helper.from_array(np.array(axis, dtype=np.int64), "A")])
    r = analyze_onnx(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    assert r.total.flops == 15 - 15 // length  # n − 1 adds per line along the axis


def test_reduce_logsumexp_is_the_logsumexp_formula():
    r = analyze_onnx(single("ReduceLogSumExp", {"X": (4, 8)}, (4, 1), {}, axes=[1], opset=17))
    assert r.total.flops == 4 * (7 + 8 + 8 + 7 + 1 + 1) == 128  # as torch.logsumexp counts it


@pytest.mark.parametrize("op", ["QLinearAveragePool", "QLinearGlobalAveragePool"])
def test_qlinear_pools_live_in_the_microsoft_domain(op):
    from nncost.frontends.onnx.bindings import ONNX

    assert ONNX.binding(f"com.microsoft:{op}") is not None and ONNX.binding(op) is None


def test_integer_arithmetic_on_data_counts_but_shape_arithmetic_does_not():
    from onnx import TensorProto, helper, numpy_helper

    one = numpy_helper.from_array(np.array(1, dtype=np.int64), "one")
    nodes = [helper.make_node("Add", ["ids", "one"], ["ids1"], name="/a/Add"),  # data: counted (4·8 adds)
             helper.make_node("Shape", ["ids"], ["s"], name="/s/Shape"),
             helper.make_node("Mul", ["s", "one"], ["s2"], name="/m/Mul"),  # sizes from sizes: free
             helper.make_node("Reshape", ["ids1", "s2"], ["Y"], name="/r/Reshape")]
    g = helper.make_graph(nodes, "ints", [helper.make_tensor_value_info("ids", TensorProto.INT64, [4, 8])],
                          [helper.make_tensor_value_info("Y", TensorProto.INT64, [4, 8])], [one])
    r = analyze_onnx(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    assert r.total.flops == 4 * 8


def test_an_rnn_initial_state_is_not_a_parameter():
    """A bidirectional GRU(8, 16) exported with its zero initial state stored as an initializer:
    parameters are its weights only, as PyTorch counts them; the state is reported as a constant."""
    from onnx import TensorProto, helper

    from onnx_models import _init

    h, d = 16, 8
    node = helper.make_node("GRU", ["X", "W", "R", "B", "", "H0"], ["Y"], name="/gru/GRU", hidden_size=h,
                            direction="bidirectional")
    g = helper.make_graph([node], "gru", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [5, 1, d])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [5, 2, 1, h])],
                          [_init("W", 2, 3 * h, d), _init("R", 2, 3 * h, h), _init("B", 2, 6 * h), _init("H0", 2, 1, h)])
    r = analyze_onnx(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    torch = pytest.importorskip("torch")
    expected = sum(p.numel() for p in torch.nn.GRU(d, h, bidirectional=True).parameters())
    assert r.total.params == expected == 2 * (3 * h * (d + h) + 2 * 3 * h)  # not + 2·1·16 for the state
    assert r.extra["onnx"]["state_constants"] == 2 * 1 * h


def test_topk_costs_what_torch_topk_costs():
    from onnx import TensorProto, helper, numpy_helper

    node = helper.make_node("TopK", ["X", "K"], ["V", "I"], name="/t/TopK", axis=1)
    g = helper.make_graph([node], "t", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [4, 8])],
                          [helper.make_tensor_value_info("V", TensorProto.FLOAT, [4, 3]),
                           helper.make_tensor_value_info("I", TensorProto.INT64, [4, 3])],
                          [numpy_helper.from_array(np.array([3], dtype=np.int64), "K")])
    r = analyze_onnx(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    assert r.total.flops == 4 * (8 - 1 + 8 * 2) == fm.topk(32, 8, 3).flops  # n − 1 + n·⌈log₂ k⌉ per row


def test_an_opset_6_model_is_converted_with_a_note():
    from onnx import TensorProto, helper

    g = helper.make_graph([helper.make_node("Relu", ["X"], ["Y"])], "old",
                          [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2, 8])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 8])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 6)])
    r = analyze_onnx(model)
    assert r.total.flops == 2 * 8  # one comparison per element
    assert "converted from opset 6 to opset 7" in r.notes[0]
    assert model.opset_import[0].version == 6  # the user's proto is untouched


def test_a_model_of_another_domain_only_is_read_and_listed():
    from onnx import TensorProto, helper

    node = helper.make_node("Binarizer", ["X"], ["Y"], domain="ai.onnx.ml")
    g = helper.make_graph([node], "ml", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [4])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [4])])
    with pytest.warns(nncost.NncostWarning, match="ai.onnx.ml:Binarizer x1"):
        r = analyze_onnx(helper.make_model(g, opset_imports=[helper.make_opsetid("ai.onnx.ml", 3)]))
    assert r.unsupported == {"ai.onnx.ml:Binarizer": 1}


def test_a_count_that_needs_an_input_value_says_so():
    from onnx import TensorProto, helper

    node = helper.make_node("TopK", ["X", "K"], ["V", "I"])
    g = helper.make_graph([node], "topk", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [3, 10]),
                                           helper.make_tensor_value_info("K", TensorProto.INT64, [1])],
                          [helper.make_tensor_value_info("V", TensorProto.FLOAT, [3, "k"]),
                           helper.make_tensor_value_info("I", TensorProto.INT64, [3, "k"])])
    with pytest.warns(nncost.NncostWarning, match=r"TopK \(k is an input value\) x1"):
        r = analyze_onnx(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    assert any("depend on values the graph reads from its inputs" in n for n in r.notes)


def test_einsum_with_an_ellipsis_is_counted():
    m = single("Einsum", {"A": (2, 3, 4, 5), "B": (5, 6)}, (2, 3, 4, 6), {}, equation="...ij,jk->...ik")
    assert analyze_onnx(m).total.macs == 2 * 3 * 4 * 6 * 5  # |out|·K


def test_a_file_is_read_without_its_weights_and_counts_the_same(tmp_path):
    """Every model file onnx ships for its backend tests: analysed by path (the weights'
    bytes skipped) it counts what it counts fully loaded."""
    import glob
    import os

    from nncost.frontends.onnx.wire import KEEP, UNREAD, read_without_weights

    root = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")
    paths = sorted(glob.glob(os.path.join(root, "*", "*", "model.onnx")) + glob.glob(os.path.join(root, "light", "*.onnx")))
    assert len(paths) > 100
    stripped = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in paths:
            full = onnx.load(path)
            light = onnx.ModelProto()
            light.ParseFromString(read_without_weights(path))
            for t in light.graph.initializer:
                assert len(t.raw_data) <= KEEP
                stripped += any(e.value == UNREAD for e in t.external_data)
            try:
                a, b = analyze_onnx(path), analyze_onnx(full)
            except NncostError as exc:
                with pytest.raises(type(exc)):
                    analyze_onnx(full)
                continue
            assert (a.total, a.unsupported, a.notes) == (b.total, b.unsupported, b.notes), path
    assert stripped >= 1


def test_a_large_weight_is_never_read(tmp_path):
    from onnx import TensorProto, helper, numpy_helper

    from nncost.frontends.onnx.wire import read_without_weights

    w = numpy_helper.from_array(np.ones((256, 64, 3, 3), np.float32), "W")  # 589,824 bytes
    g = helper.make_graph([helper.make_node("Conv", ["X", "W"], ["Y"], pads=[1, 1, 1, 1])], "big",
                          [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 64, 8, 8])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 256, 8, 8])], [w])
    path = save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), tmp_path)
    assert len(read_without_weights(path)) < 1000  # the graph, the dims: not the 589,824 weight bytes
    r = analyze_onnx(path)
    assert r.total.params == 256 * 64 * 3 * 3
    assert r.total.macs == 256 * 8 * 8 * 64 * 3 * 3  # C_out·H·W·C_in·k·k
    assert r.total.read_bytes == 4 * (64 * 8 * 8 + 256 * 64 * 3 * 3)  # the weight's bytes still counted as traffic


def test_memory_held_by_a_run_of_the_graph():
    m = analyze_onnx(tiny_cnn(2)).memory
    assert m.weights == 4 * ((16 * 27 + 16) + (10 * 4096 + 10))  # every initializer, fp32
    assert m.inputs == 4 * 2 * 3 * 32 * 32
    # Conv's output stays alive while Relu writes its own (ONNX has no in-place ops): two [2, 16, 32, 32] values;
    # after the Relu the Conv output is dead, MaxPool adds [2, 16, 16, 16], Flatten aliases it, Gemm adds [2, 10]
    assert m.activation_peak == 2 * 4 * 2 * 16 * 32 * 32
    assert m.inference_peak_module == "features.relu"
    assert m.inference_peak == m.weights + m.inputs + m.activation_peak
    assert m.timeline[0] == ("features.conv", "enter", 0) and m.training_peak is None
    assert analyze_onnx(tiny_cnn(2)).layer("features.conv").output_bytes == 4 * 2 * 16 * 32 * 32
