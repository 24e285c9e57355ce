"""The layer calculator: every entry, its shown working, the seed's examples, bad input."""

from __future__ import annotations

import ast
import operator
from fractions import Fraction

import pytest

from layer_samples import SAMPLES
from nncost import analyze_layer
from nncost.errors import LayerSpecError, ShapeError
from nncost.layers import known_layers
from nncost.layers.parse import parse_layer

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def evaluate(expr: str) -> Fraction:
    """Evaluate a shown working ('(3·3·3 + 1)·64') with exact arithmetic, nothing else allowed."""
    text = expr.replace("·", "*").replace("−", "-").replace("[", "(").replace("]", ")")

    def ev(node: ast.AST) -> Fraction:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return Fraction(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        raise AssertionError(f"not plain arithmetic: {ast.dump(node)} in {expr!r}")

    return ev(ast.parse(text, mode="eval"))


def test_every_catalogue_entry_has_a_sample():
    assert set(known_layers()) == set(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_shown_working_adds_up(name):
    expr, shapes = SAMPLES[name]
    report = analyze_layer(expr, shapes)
    node = report.root
    values = {"params": node.params.total, "buffers": node.params.buffers, "macs": node.macs, "flops": node.flops,
              "read_bytes": node.read_bytes, "write_bytes": node.write_bytes}
    assert report.working, f"{name} shows no working"
    for w in report.working:
        if any(ch.isdigit() for ch in w.substituted) and not w.substituted.isdigit() or w.substituted.isdigit():
            assert evaluate(w.substituted) == w.value, f"{name}: {w.name} = {w.substituted} != {w.value}"
        assert w.value == values[w.name], f"{name}: working for {w.name} says {w.value}, report says {values[w.name]}"


def test_seed_examples_exactly():
    r = analyze_layer("nn.Linear(300, 100)", (1, 300))
    assert (r.total.params, r.total.macs, r.total.flops) == (30_100, 30_000, 60_000)
    r = analyze_layer("nn.MaxPool2d(2, 2)", (1, 128, 112, 112))
    assert (r.total.params, r.total.macs, r.total.flops) == (0, 0, 1_605_632)
    r = analyze_layer("nn.BatchNorm2d(64)", (1, 64, 56, 56))
    assert r.total.trainable_params == 2 * 64 and r.total.buffers == 2 * 64  # the seed's 4·C
    assert analyze_layer("nn.LSTM(128, 64)", (10, 1, 128)).total.params == 49_664
    assert analyze_layer("nn.LSTM(128, 64)", (10, 1, 128), rnn_bias="single").total.params == 49_408
    assert analyze_layer("nn.ReLU()", (1, 1000)).total.flops == 1000  # J FLOPs
    assert analyze_layer("nn.Sigmoid()", (1, 1000)).total.flops == 4 * 1000  # 4·J
    r = analyze_layer("nn.Conv2d(3, 64, 7, stride=2, padding=3)", (1, 3, 224, 224))
    assert r.total.macs == 64 * 3 * 7 * 7 * 112 * 112  # the output map, not the input's 224·224
    assert r.root.output_shapes == [[1, 64, 112, 112]]


def test_seed_explain_lines():
    r = analyze_layer("nn.Conv2d(3, 64, kernel_size=3, padding=1)", (1, 3, 224, 224))
    params = next(w for w in r.working if w.name == "params")
    assert (params.formula, params.substituted, params.value) == ("(k_w·k_h·C_in + 1)·C_out", "(3·3·3 + 1)·64", 1_792)


def test_two_mac_convention_in_calculator():
    r = analyze_layer("nn.Conv2d(3, 64, 3, padding=1)", (1, 3, 32, 32), flops="2mac")
    assert r.total.flops == 2 * r.total.macs == 2 * 64 * 3 * 3 * 3 * 32 * 32
    assert r.working[-1].formula.startswith("2·MACs")


def test_argument_forms_match_pytorch():
    a = analyze_layer("nn.Conv2d(3, 64, 3, 1, 1)", (1, 3, 32, 32)).total
    b = analyze_layer("torch.nn.Conv2d(in_channels=3, out_channels=64, kernel_size=(3, 3), padding=1)", (1, 3, 32, 32)).total
    c = analyze_layer("Conv2d(3, 64, kernel_size=3, stride=1, padding='same')", (1, 3, 32, 32)).total
    assert a == b == c


@pytest.mark.parametrize(
    ("expr", "shapes", "error", "match"),
    [
        ("nn.Conv3x(3)", [(1, 2)], LayerSpecError, "unknown layer 'Conv3x'; did you mean"),
        ("nn.Conv2d(3,", [(1, 2)], LayerSpecError, "malformed layer expression"),
        ("nn.Linear(3, 4, foo=1)", [(2, 3)], LayerSpecError, "unexpected keyword argument 'foo'"),
        ("nn.Linear(3)", [(2, 3)], LayerSpecError, "missing a required argument: 'out_features'"),
        ("nn.Linear(x, 4)", [(2, 3)], LayerSpecError, "must be a literal"),
        ("__import__('os').system('true')", [(2, 3)], LayerSpecError, "expected a layer name"),
        ("nn.Linear(3, 4)", [], ShapeError, "needs an input shape"),
        ("nn.Linear(3, 4)", [(2, 5)], ShapeError, "last input dim to be 3"),
        ("nn.Conv2d(3, 8, 3)", [(1, 4, 8, 8)], ShapeError, "expects 3 input channels"),
        ("nn.Conv2d(3, 8, 3)", [(3, 8)], ShapeError, "expects a 3 or 4-D input"),
        ("nn.Conv2d(3, 8, 9)", [(1, 3, 4, 4)], ShapeError, "too small"),
        ("nn.Conv2d(3, 8, 3, groups=2)", [(1, 3, 8, 8)], LayerSpecError, "divisible by groups"),
        ("nn.Linear(-3, 4)", [(2, 3)], LayerSpecError, "in_features must be an int >= 1"),
        ("nn.GELU(approximate='fast')", [(2, 3)], LayerSpecError, "approximate must be"),
        ("nn.MultiheadAttention(64, 5)", [(10, 2, 64)], ShapeError, "divisible by num_heads"),
        ("F.scaled_dot_product_attention()", [(1, 8, 4, 8), (1, 2, 4, 8), (1, 2, 4, 8)], ShapeError, "enable_gqa"),
        ("", [(1,)], LayerSpecError, "empty layer expression"),
    ],
)
def test_bad_input_is_a_clear_error(expr, shapes, error, match):
    with pytest.raises(error, match=match):
        analyze_layer(expr, shapes)


def test_parser_accepts_bare_names_and_rejects_star_args():
    assert parse_layer("nn.ReLU").name == "ReLU"
    assert parse_layer("torch.nn.functional.relu()").name == "relu"
    with pytest.raises(LayerSpecError, match=r"\*args"):
        parse_layer("nn.Linear(*a)")


def test_embedding_bag_reduces_each_bag_of_its_2d_input():
    r = analyze_layer("nn.EmbeddingBag(1000, 64)", (8, 20))  # mode="mean", PyTorch's default: 8 bags of 20 ids
    assert (r.total.params, r.total.macs) == (1000 * 64, 0)
    assert r.total.flops == (8 * 20 - 8) * 64 + 8 * 64  # (ids − bags)·dim adds, then bags·dim divides
    assert r.root.output_shapes == [[8, 64]] and r.inputs[0]["dtype"] == "int64"
    with pytest.raises(ShapeError, match=r"^EmbeddingBag expects a 2-D \[bags, ids per bag\] shape, got \[160\] \(1-D\)$"):
        analyze_layer("nn.EmbeddingBag(1000, 64)", (160,))  # a 1-D input needs offsets: a shape cannot give them
    with pytest.raises(LayerSpecError, match=r"mode must be one of 'sum', 'mean', 'max', got 'min'"):
        analyze_layer("nn.EmbeddingBag(1000, 64, mode='min')", (8, 20))
