"""Functional forms in the calculator take their own signatures and own no parameters."""

from __future__ import annotations

import pytest

from nncost import analyze_layer
from nncost.errors import LayerSpecError, ShapeError


def test_f_linear_takes_its_weight_as_a_shape():
    r = analyze_layer("F.linear((100, 300))", (1, 300))
    assert (r.total.params, r.total.macs, r.total.flops) == (0, 300 * 100, 100 * (300 + 299))  # no bias: no bias add
    r = analyze_layer("F.linear((100, 300), (100,))", (1, 300))
    assert (r.total.params, r.total.macs, r.total.flops) == (0, 30_000, 60_000)  # nn.Linear(300, 100)'s MACs and FLOPs
    r = analyze_layer("F.linear", [(1, 300), (100, 300)])  # the weight as the second input shape
    assert (r.total.params, r.total.macs) == (0, 30_000)
    assert analyze_layer("nn.Linear(300, 100)", (1, 300)).total.params == 30_100  # the class owns its weights


def test_f_conv2d_is_the_conv_formula_without_parameters():
    f = analyze_layer("F.conv2d((64, 3, 7, 7), (64,), stride=2, padding=3)", (1, 3, 224, 224)).total
    c = analyze_layer("nn.Conv2d(3, 64, 7, stride=2, padding=3)", (1, 3, 224, 224)).total
    assert (f.macs, f.flops) == (c.macs, c.flops) == (64 * 3 * 7 * 7 * 112 * 112, c.flops)
    assert f.params == 0 and c.params == 9_472


@pytest.mark.parametrize(("expr", "shapes", "error"), [
    ("F.linear()", [(1, 300)], LayerSpecError),  # no weight anywhere
    ("F.linear((100, 299))", [(1, 300)], ShapeError),
    ("F.conv2d((64, 4, 3, 3))", [(1, 3, 8, 8)], ShapeError),
    ("F.linear('w')", [(1, 300)], LayerSpecError),
])
def test_bad_functional_calls(expr, shapes, error):
    with pytest.raises(error):
        analyze_layer(expr, shapes)


torch = pytest.importorskip("torch")
from torch.nn import functional as F  # noqa: E402

import nncost  # noqa: E402
from fn_module import Fn  # noqa: E402

CASES = {
    "F.linear((8, 16), (8,))": (lambda x, w, b: F.linear(x, w, b), [(4, 16), (8, 16), (8,)]),
    "F.conv2d((8, 2, 3, 3), (8,), padding=1, groups=2)": (lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=2),
                                                          [(1, 4, 6, 6), (8, 2, 3, 3), (8,)]),
    "F.conv_transpose1d((4, 3, 3), stride=3)": (lambda x, w: F.conv_transpose1d(x, w, stride=3), [(2, 4, 5), (4, 3, 3)]),
    "F.layer_norm((6,), (6,), (6,))": (lambda x, w, b: F.layer_norm(x, (6,), w, b), [(3, 6), (6,), (6,)]),
    "F.group_norm(2, (4,), (4,))": (lambda x, w, b: F.group_norm(x, 2, w, b), [(2, 4, 5), (4,), (4,)]),
    "F.rms_norm((6,), (6,))": (lambda x, w: F.rms_norm(x, (6,), w), [(3, 6), (6,)]),
    "F.prelu((4,))": (lambda x, w: F.prelu(x, w), [(2, 4, 3), (4,)]),
}


@pytest.mark.parametrize("expr", sorted(CASES))
def test_functional_calculator_equals_the_torch_frontend(expr):
    fn, shapes = CASES[expr]
    calc = analyze_layer(expr, shapes[:1]).total
    got = nncost.analyze(Fn(fn), *shapes).total
    assert (got.params, got.macs, got.flops) == (calc.params, calc.macs, calc.flops) and calc.params == 0


def test_functional_batch_norm_equals_the_torch_frontend():
    calc = analyze_layer("F.batch_norm((4,), (4,), (4,), (4,))", (2, 4, 3)).total
    got = nncost.analyze(Fn(lambda x, m, v, w, b: F.batch_norm(x, m, v, w, b)), (2, 4, 3), (4,), (4,), (4,), (4,)).total
    assert (got.params, got.macs, got.flops) == (calc.params, calc.macs, calc.flops) == (0, 0, 2 * 4 * 3 * 4 + 2 * 4)
