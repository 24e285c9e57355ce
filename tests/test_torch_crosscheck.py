"""Every calculator formula equals what the PyTorch frontend counts for the real layer.

The calculator never imports torch; the PyTorch frontend counts aten ops. Both must land
on the same numbers for the same layer (params, buffers, MACs, FLOPs).
"""

from __future__ import annotations

import warnings

import pytest

from layer_samples import SAMPLES

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

import nncost  # noqa: E402
from fn_module import Fn  # noqa: E402
from nncost import analyze_layer  # noqa: E402


def _module(name: str, expr: str):
    """The torch module for a sample, or None for calculator-only spellings."""
    if name == "scaled_dot_product_attention":
        return Fn(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True))
    if name == "ScaledDotProductAttention":
        return Fn(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True))
    if name in ("matmul", "bmm", "mm"):
        return Fn(torch.matmul)
    if name == "einsum":
        return Fn(lambda a, b: torch.einsum("bij,bjk->bik", a, b))
    if not name[0].isupper() or not hasattr(nn, name):
        return None
    return eval(expr.replace("nn.", "nn.", 1), {"nn": nn, "torch": torch})  # trusted test data


CASES = [n for n, (e, _) in sorted(SAMPLES.items()) if _module(n, e) is not None]


@pytest.mark.parametrize("name", CASES)
def test_calculator_equals_torch_frontend(name):
    expr, shapes = SAMPLES[name]
    calc = analyze_layer(expr, shapes).total
    module = _module(name, expr)
    if name in ("Embedding", "EmbeddingBag"):
        inputs = [torch.zeros(shapes[0], dtype=torch.long)]
    elif name == "MultiheadAttention":
        inputs = [shapes[0]] * 3
    else:
        inputs = list(shapes)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=nncost.NncostWarning)  # an unsupported op would warn: fail instead
        got = nncost.analyze(module, *inputs).total
    assert (got.params, got.buffers, got.macs, got.flops) == (calc.params, calc.buffers, calc.macs, calc.flops)


def test_every_nn_class_in_the_catalogue_is_cross_checked():
    nn_names = {n for n in SAMPLES if n[0].isupper() and hasattr(nn, n)}
    assert nn_names <= set(CASES)
    assert len(CASES) >= 60


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(nd=st.integers(1, 3), g=st.integers(1, 3), cin_g=st.integers(1, 3), cout_g=st.integers(1, 3), k=st.integers(1, 3),
       s=st.integers(1, 2), p=st.integers(0, 1), d=st.integers(1, 2), size=st.integers(5, 9), bias=st.booleans(),
       transposed=st.booleans())
def test_random_convolutions_agree(nd, g, cin_g, cout_g, k, s, p, d, size, bias, transposed):
    cls = f"{'ConvTranspose' if transposed else 'Conv'}{nd}d"
    expr = f"nn.{cls}({g * cin_g}, {g * cout_g}, {k}, stride={s}, padding={p}, dilation={d}, groups={g}, bias={bias})"
    shape = (2, g * cin_g) + (size,) * nd
    calc = analyze_layer(expr, shape).total
    got = nncost.analyze(eval(expr, {"nn": nn}), shape).total
    assert (got.params, got.macs, got.flops) == (calc.params, calc.macs, calc.flops)


@settings(max_examples=25, deadline=None)
@given(nd=st.integers(1, 3), k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 1), size=st.integers(4, 9),
       ceil=st.booleans(), kind=st.sampled_from(["Max", "Avg"]), out=st.integers(1, 4))
def test_random_pools_agree(nd, k, s, p, size, ceil, kind, out):
    if 2 * p > k:
        return
    shape = (1, 3) + (size,) * nd
    for expr in (f"nn.{kind}Pool{nd}d({k}, stride={s}, padding={p}, ceil_mode={ceil})", f"nn.Adaptive{kind}Pool{nd}d({out})"):
        calc = analyze_layer(expr, shape).total
        got = nncost.analyze(eval(expr, {"nn": nn}), shape).total
        assert (got.macs, got.flops) == (calc.macs, calc.flops), expr
