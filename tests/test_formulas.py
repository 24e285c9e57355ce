"""The pure formulas: the seed's worked examples, every layer family, and properties."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nncost import formulas as fm
from nncost.cost import Cost, FlopsConvention
from nncost.errors import InputError, ShapeError


# -- the seed's worked examples (docs/seed-notes) ------------------------------------------
def test_seed_linear_300_100():
    assert fm.linear_params(300, 100) == 300 * 100 + 100 == 30_100  # (d_in + 1)·d_out
    c = fm.linear(1, 300, 100)
    assert c.macs == 300 * 100  # d_in·d_out
    assert c.flops == (300 + (300 - 1) + 1) * 100 == 60_000  # [d_in + (d_in − 1) + 1]·d_out


def test_seed_linear_without_bias_is_2din_minus_1_per_output():
    assert fm.linear(1, 300, 100, bias=False).flops == (2 * 300 - 1) * 100


def test_seed_max_pool_example():
    out = fm.pool_output_shape((1, 128, 112, 112), 2, 2, 2)
    assert out == (1, 128, 56, 56)
    assert fm.pool(out, (2, 2)) == Cost(0, 112 * 112 * 128)  # one op per input visited = 1,605,632
    assert 112 * 112 * 128 == 1_605_632


def test_overlapping_pool_windows_cost_more():
    out = fm.pool_output_shape((1, 64, 112, 112), 2, 3, 2, padding=1)
    assert out == (1, 64, 56, 56)
    assert fm.pool(out, (3, 3)).flops == 64 * 56 * 56 * 9  # window elements per output
    assert fm.pool(out, (3, 3)).flops > 64 * 112 * 112


def test_seed_conv_uses_output_size():
    out = fm.conv_output_shape((1, 3, 224, 224), 64, 7, stride=2, padding=3)
    assert out == (1, 64, 112, 112)  # the seed's erratum: w·h of the OUTPUT map
    c = fm.conv((1, 3, 224, 224), (64, 3, 7, 7), out, bias=True)
    assert c.macs == 64 * 3 * 7 * 7 * 112 * 112
    assert c.flops == ((3 * 7 * 7) + (3 * 7 * 7 - 1) + 1) * 64 * 112 * 112  # seed §2
    assert fm.conv_params(3, 64, (7, 7)) == (7 * 7 * 3 + 1) * 64


def test_seed_batch_norm_4c():
    trainable, buffers = fm.batch_norm_params(64)
    assert (trainable, buffers) == (2 * 64, 2 * 64)  # γ, β + running mean, var
    assert trainable + buffers == 4 * 64  # the seed's 4·C


def test_seed_lstm_params_both_conventions():
    torch_style = fm.RnnSpec("lstm", 128, 64)
    seed_style = fm.RnnSpec("lstm", 128, 64, biases_per_gate=1)
    assert fm.rnn_params(torch_style) == 4 * 64 * (128 + 64 + 2) == 49_664  # b_ih and b_hh
    assert fm.rnn_params(seed_style) == ((128 + 64) * 64 + 64) * 4 == 49_408  # the seed's formula


def test_seed_activations():
    assert fm.elementwise("relu", 1000).flops == 1000  # J outputs -> J FLOPs
    assert fm.elementwise("sigmoid", 1000).flops == 4 * 1000  # negate, exp, add, divide
    assert fm.elementwise("relu", 1000).macs == 0


# -- dot products ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "macs", "flops"),
    [
        ((4, 6), (6, 5), 4 * 5 * 6, 4 * 5 * (2 * 6 - 1)),  # M·N·K, M·N·(2K − 1)
        ((3, 4, 6), (3, 6, 5), 3 * 4 * 5 * 6, 3 * 4 * 5 * 11),  # batched
        ((2, 1, 4, 6), (3, 6, 5), 2 * 3 * 4 * 5 * 6, 2 * 3 * 4 * 5 * 11),  # broadcast batch 2×3
        ((6,), (6,), 6, 11),  # dot product of length 6
        ((4, 6), (6,), 4 * 6, 4 * 11),  # matrix-vector
    ],
)
def test_matmul(a, b, macs, flops):
    assert fm.matmul(a, b) == Cost(macs, flops)


def test_matmul_mismatch_raises():
    with pytest.raises(ShapeError, match="inner dims"):
        fm.matmul((2, 3), (4, 5))


@pytest.mark.parametrize(
    ("eq", "shapes", "macs"),
    [
        ("ij,jk->ik", [(4, 6), (6, 5)], 4 * 6 * 5),
        ("bhqd,bhkd->bhqk", [(2, 8, 16, 64), (2, 8, 32, 64)], 2 * 8 * 16 * 32 * 64),
        ("i,i->", [(7,), (7,)], 7),
        ("ij,ij->ij", [(3, 4), (3, 4)], 0),  # element-wise product: nothing summed, no MAC
        ("i,j->ij", [(5,), (6,)], 0),  # outer product: nothing summed, no MAC
    ],
)
def test_einsum(eq, shapes, macs):
    c = fm.einsum(eq, *shapes)
    assert c.macs == macs


@pytest.mark.parametrize(("eq", "shapes"), [("i,j->ij", [(5,), (6,)]), ("ij,ij->ij", [(5, 6), (5, 6)])])
def test_einsum_without_a_sum_is_one_multiply_per_output(eq, shapes):
    """What torch.einsum runs for these (a broadcast mul): 0 MACs, 5·6 multiplies."""
    assert fm.einsum(eq, *shapes) == Cost(0, 5 * 6)


def test_einsum_equals_matmul():
    assert fm.einsum("bij,bjk->bik", (3, 4, 6), (3, 6, 5)) == fm.matmul((3, 4, 6), (3, 6, 5))


@pytest.mark.parametrize("eq, shapes, cost", [
    ("...ij,...jk->...ik", [(2, 3, 4, 5), (5, 6)], Cost(2 * 3 * 4 * 6 * 5, 2 * 3 * 4 * 6 * (2 * 5 - 1))),  # |O|·|S|; ... broadcast
    ("...ij,jk", [(2, 3, 4), (4, 5)], Cost(2 * 3 * 5 * 4, 2 * 3 * 5 * (2 * 4 - 1))),  # implicit output: ... first, then j-free letters
    ("...ii->...i", [(3, 5, 5)], Cost()),  # a batch of diagonals: a view
    ("...ii", [(2, 4, 4)], Cost(0, 2 * (4 - 1))),  # implicit: the repeated i is summed, a batch of traces
    ("ii->", [(4, 4)], Cost(0, 4 - 1)),  # the trace reads the 4 diagonal elements only
])
def test_einsum_ellipsis_and_diagonals(eq, shapes, cost):
    """'...' covers the dims beyond the named ones, right-aligned (NumPy's rule)."""
    assert fm.einsum(eq, *shapes) == cost


def test_einsum_single_operand_is_a_reduction():
    assert fm.einsum("ij->i", (3, 4)) == Cost(0, 3 * 4 - 3)  # n − 1 adds per output


# -- convolutions ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("x", "c_out", "k", "kw", "out"),
    [
        ((1, 3, 224, 224), 64, 3, dict(padding=1), (1, 64, 224, 224)),
        ((1, 3, 224, 224), 64, 3, dict(padding="same"), (1, 64, 224, 224)),
        ((1, 3, 224, 224), 64, 3, dict(padding="valid"), (1, 64, 222, 222)),
        ((1, 16, 32, 32), 16, 3, dict(padding=2, dilation=2), (1, 16, 32, 32)),  # 32 + 4 − 2·2 − 1 + 1
        ((1, 8, 100), 4, 5, dict(stride=2), (1, 4, 48)),  # ⌊(100 − 5)/2⌋ + 1 = 48
        ((2, 4, 8, 16, 16), 8, (3, 3, 3), dict(padding=1), (2, 8, 8, 16, 16)),  # 3-D
        ((3, 10, 10), 6, 3, dict(nd=2), (6, 8, 8)),  # unbatched 2-D
        ((3, 10, 10), 6, (3, 3), {}, (6, 8, 8)),  # unbatched, nd from the kernel
    ],
)
def test_conv_output_shape(x, c_out, k, kw, out):
    assert fm.conv_output_shape(x, c_out, k, **kw) == out


def test_same_padding_requires_stride_1():
    with pytest.raises(ShapeError, match="stride 1"):
        fm.conv_output_shape((1, 3, 8, 8), 4, 3, stride=2, padding="same")


def test_depthwise_conv():
    # MobileNet depthwise 3×3 on 32×112×112, groups = 32: each output reads 1 channel
    c = fm.conv((1, 32, 112, 112), (32, 1, 3, 3), (1, 32, 112, 112), bias=False)
    assert c.macs == 32 * 112 * 112 * 1 * 3 * 3
    assert c.flops == 32 * 112 * 112 * (2 * 9 - 1)


def test_conv_transpose_uses_input_size():
    # ConvTranspose2d(16, 8, 4, stride=2, padding=1): 8×8 -> 16×16
    out = fm.conv_transpose_output_shape((1, 16, 8, 8), 8, 4, stride=2, padding=1)
    assert out == (1, 8, 16, 16)  # (8 − 1)·2 − 2 + 3 + 1
    c = fm.conv((1, 16, 8, 8), (16, 8, 4, 4), out, bias=True, transposed=True, stride=2, padding=1)
    assert c.macs == 1 * 16 * 8 * 8 * 8 * 4 * 4  # N·C_in·∏I·(C_out/g)·∏k, not ∏O
    assert c.flops == 2 * c.macs - 8 * 16 * 16 + 8 * 16 * 16  # kernel 4 > stride 2: every output receives products


def test_conv_transpose_needs_its_stride():
    with pytest.raises(ShapeError, match="stride"):
        fm.conv((1, 16, 8, 8), (16, 8, 4, 4), (1, 8, 16, 16), transposed=True)


@pytest.mark.parametrize(("bias", "flops"), [(False, 4), (True, 4 + 16)])
def test_conv_transpose_stride_larger_than_kernel(bias, flops):
    """ConvTranspose2d(1, 1, 1, stride=3) on 2×2 -> 4×4: 4 products land on 4 of 16 outputs,
    no sums; the other 12 outputs are zeros (plus the bias, when there is one)."""
    c = fm.conv((1, 1, 2, 2), (1, 1, 1, 1), (1, 1, 4, 4), bias=bias, transposed=True, stride=3)
    assert c == Cost(4, flops)  # 4 multiplies, 0 adds (+ 16 bias adds)


def test_conv_backward_stride_larger_than_kernel():
    """Conv2d(1, 1, 1, stride=3) on 6×6 -> 2×2. grad_input: 4 products land on 4 of 36
    inputs (4 FLOPs, no adds); grad_weight: 4 products summed into 1 weight (4 + 3)."""
    c = fm.conv_backward((1, 1, 6, 6), (1, 1, 1, 1), (1, 1, 2, 2), stride=3)
    assert c == Cost(4 + 4, 4 + (2 * 4 - 1))


def test_conv_backward_resnet18_downsample():
    """resnet18 layer2.0.downsample.0: 1×1 conv 64->128, stride 2, 56×56 -> 28×28. Its input
    gradient touches only the 64·28·28 = 50,176 inputs a window reads, of 64·56·56 = 200,704."""
    macs = 128 * 28 * 28 * 64
    c = fm.conv_backward((1, 64, 56, 56), (128, 64, 1, 1), (1, 128, 28, 28), stride=2)
    assert c == Cost(2 * macs, (2 * macs - 64 * 28 * 28) + (2 * macs - 128 * 64))
    assert c.flops == 25_631_744


def test_conv_backward_is_twice_forward_macs():
    x, w, out = (2, 8, 16, 16), (4, 8, 3, 3), (2, 4, 14, 14)
    fwd = fm.conv(x, w, out, bias=False).macs
    both = fm.conv_backward(x, w, out, input_grad=True, weight_grad=True)
    assert both.macs == 2 * fwd
    assert both.flops == (2 * fwd - 2 * 8 * 16 * 16) + (2 * fwd - 4 * 8 * 3 * 3)


dims = st.integers(min_value=1, max_value=6)


@given(n=st.integers(1, 3), g=st.integers(1, 4), cin_g=dims, cout_g=dims, k=st.integers(1, 3), hw=st.integers(3, 9),
       s=st.integers(1, 2), p=st.integers(0, 1))
def test_grouped_conv_is_sum_of_per_group_convs(n, g, cin_g, cout_g, k, hw, s, p):
    x = (n, g * cin_g, hw, hw)
    out = fm.conv_output_shape(x, g * cout_g, k, stride=s, padding=p)
    whole = fm.conv(x, (g * cout_g, cin_g, k, k), out, bias=True)
    one = fm.conv((n, cin_g, hw, hw), (cout_g, cin_g, k, k), (n, cout_g, *out[2:]), bias=True)
    assert whole == one * g


@given(n=st.integers(1, 4), cin=dims, cout=dims, h=st.integers(1, 9), w=st.integers(1, 9), bias=st.booleans())
def test_1x1_conv_equals_linear(n, cin, cout, h, w, bias):
    out = fm.conv_output_shape((n, cin, h, w), cout, 1)
    conv = fm.conv((n, cin, h, w), (cout, cin, 1, 1), out, bias)
    assert conv == fm.linear(n * h * w, cin, cout, bias)  # every pixel is one row
    assert fm.conv_params(cin, cout, (1, 1), 1, bias) == fm.linear_params(cin, cout, bias)


@given(n=st.integers(1, 2), g=st.integers(1, 3), cin_g=dims, cout_g=dims, k=st.integers(1, 4), s=st.integers(1, 3),
       p=st.integers(0, 2), d=st.integers(1, 2), size=st.integers(2, 8))
def test_transposed_conv_macs_equal_its_adjoint_conv(n, g, cin_g, cout_g, k, s, p, d, size):
    # ConvTranspose(C_in -> C_out) on `size` is the adjoint of Conv(C_out -> C_in) applied to its output
    x = (n, g * cin_g, size, size)
    try:
        out = fm.conv_transpose_output_shape(x, g * cout_g, k, s, p, 0, d)
        back = fm.conv_output_shape(out, g * cin_g, k, s, p, d)
    except ShapeError:
        return
    if back != x:
        return  # output_padding would be needed to make the pair exact
    t = fm.conv(x, (g * cin_g, cout_g, k, k), out, bias=False, transposed=True, stride=s, padding=p, dilation=d)
    fwd = fm.conv(out, (g * cin_g, cout_g, k, k), x, bias=False)
    assert t.macs == fwd.macs
    # and it is the very computation of that conv's input gradient: same MACs, same FLOPs
    grad_in = fm.conv_backward(out, (g * cin_g, cout_g, k, k), x, input_grad=True, weight_grad=False, stride=s, padding=p, dilation=d)
    assert t == grad_in
    assert t.flops >= t.macs >= 0  # never negative, whatever the stride


# -- pooling -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("in_len", "out_len", "visited"),
    [
        (7, 1, 7),  # global pooling visits every element once
        (7, 7, 7),
        (10, 3, 4 + 4 + 4),  # windows [0,4), [3,7), [6,10): PyTorch's start ⌊i·L/O⌋, end ⌈(i+1)·L/O⌉
        (5, 3, 2 + 3 + 2),  # [0,2), [1,4), [3,5)
    ],
)
def test_adaptive_windows(in_len, out_len, visited):
    assert fm.pool.__module__  # formulas.pool is importable by name
    from nncost.formulas.pool import adaptive_windows

    assert adaptive_windows(in_len, out_len) == visited


def test_global_average_pool():
    assert fm.adaptive_pool((1, 2048, 7, 7), (1, 1)) == Cost(0, 2048 * 7 * 7)


def test_pool_ceil_mode():
    # 3×3 stride 2 with ceil_mode on 112: ⌈(112 − 3)/2⌉ + 1 = 56
    assert fm.pool_output_shape((1, 64, 112, 112), 2, 3, 2, ceil_mode=True) == (1, 64, 56, 56)
    assert fm.pool_output_shape((1, 64, 112, 112), 2, 3, 2, ceil_mode=False) == (1, 64, 55, 55)


# -- normalisation -------------------------------------------------------------------------
def test_batch_norm_inference_and_training():
    numel, c = 2 * 64 * 8 * 8, 64
    assert fm.batch_norm(numel, c).flops == numel * 4 + 2 * c  # −mean, ÷std, ·γ, +β; ε-add and sqrt per channel
    assert fm.batch_norm(numel, c, affine=False).flops == numel * 2 + 2 * c
    assert fm.batch_norm(numel, c, training=True).flops == numel * 4 + 2 * c + 4 * numel + 7 * c


def test_layer_norm():
    rows, n = 197, 768
    assert fm.layer_norm(rows * n, n).flops == rows * (5 * n + 2) + rows * n * 2


def test_group_norm_is_layer_norm_over_groups():
    numel = 2 * 32 * 8 * 8
    assert fm.group_norm(numel, 2, 4, affine=False) == fm.layer_norm(numel, numel // (2 * 4), False, False)


def test_rms_norm():
    assert fm.rms_norm(10 * 4096, 4096).flops == 10 * (3 * 4096 + 2) + 10 * 4096


def test_fold_bn_params():
    assert fm.fold_bn_params(64, conv_had_bias=False) == (4 * 64, 64)
    assert fm.fold_bn_params(64, conv_had_bias=True) == (4 * 64, 0)


# -- softmax and reductions ---------------------------------------------------------------
def test_softmax_and_log_softmax():
    assert fm.softmax(3 * 10, 10).flops == 3 * (5 * 10 - 2)  # max, subtract, exp, sum, divide
    assert fm.log_softmax(3 * 10, 10).flops == 3 * (5 * 10 - 1)
    assert fm.softmax_backward(3 * 10, 10).flops == 3 * (4 * 10 - 1)


def test_reductions():
    assert fm.reduction(100, 10) == Cost(0, 90)  # n − 1 adds for each of 10 outputs
    assert fm.mean_reduction(100, 10) == Cost(0, 100)  # plus one divide each


# -- recurrent layers -----------------------------------------------------------------------
def test_lstm_per_step_derivation():
    h, d = 64, 128
    step = fm.rnn_step(fm.RnnSpec("lstm", d, h), d)
    assert step.macs == 4 * h * (d + h)
    matmuls = 4 * h * (2 * (d + h) - 1)  # both matmuls and the add that joins them
    biases = 2 * 4 * h  # b_ih and b_hh
    pointwise = 3 * h * 4 + 2 * h * 6 + 3 * h + h  # 3 sigmoid, 2 tanh, 3 mul, 1 add
    assert step.flops == matmuls + biases + pointwise


def test_rnn_scales_with_layers_directions_sequence_and_batch():
    spec = fm.RnnSpec("gru", 10, 20, num_layers=2, bidirectional=True)
    first, second = fm.rnn_step(spec, 10), fm.rnn_step(spec, 2 * 20)
    assert fm.rnn(spec, 7, 3) == (first + second) * (2 * 7 * 3)


def test_lstm_projection():
    spec = fm.RnnSpec("lstm", 16, 32, proj_size=8)
    assert fm.rnn_params(spec) == 4 * 32 * (16 + 8) + 2 * 4 * 32 + 8 * 32  # W_hh reads the projection, plus W_hr
    assert fm.rnn_step(spec, 16).macs == 4 * 32 * (16 + 8) + 8 * 32


def test_rnn_spec_validation():
    with pytest.raises(ShapeError, match="proj_size"):
        fm.RnnSpec("gru", 4, 8, proj_size=2)
    with pytest.raises(ShapeError, match="mode"):
        fm.RnnSpec("lstn", 4, 8)


# -- attention ---------------------------------------------------------------------------------
def test_sdpa():
    b, h, L, S, E = 2, 8, 16, 32, 64
    c = fm.sdpa((b, h, L, E), (b, h, S, E), (b, h, S, E))
    assert c.macs == b * h * L * S * E * 2  # scores + values
    assert c.flops == b * h * (L * S * (2 * E - 1) + L * S + L * (5 * S - 2) + L * E * (2 * S - 1))


def test_sdpa_grouped_query_counts_query_heads():
    full = fm.sdpa((1, 32, 10, 128), (1, 32, 10, 128), (1, 32, 10, 128))
    gqa = fm.sdpa((1, 32, 10, 128), (1, 8, 10, 128), (1, 8, 10, 128))
    assert gqa == full  # K/V are shared, the arithmetic is not


def test_causal_useful_part():
    assert fm.sdpa_causal_useful_macs((1, 1, 4, 2), (1, 1, 4, 2), (1, 1, 4, 2)) == (1 + 2 + 3 + 4) * (2 + 2)


def test_multi_head_attention_is_projections_plus_sdpa():
    n, L, E, H = 1, 197, 768, 12
    c = fm.multi_head_attention(n, L, L, E, H)
    proj = fm.linear(n * L, E, E) * 4
    att = fm.sdpa((n, H, L, E // H), (n, H, L, E // H), (n, H, L, E // H))
    assert c == proj + att


# -- interpolation, embedding, conventions -------------------------------------------------
def test_interpolate():
    assert fm.interpolate(3 * 16 * 16, "nearest") == Cost()
    assert fm.interpolate(3 * 16 * 16, "bilinear") == Cost(0, 3 * 16 * 16 * 9)  # three lerps
    with pytest.raises(ShapeError, match="mode"):
        fm.interpolate(10, "area")


def test_embedding_is_free_and_has_params():
    assert fm.embedding() == Cost()
    assert fm.embedding_params(30522, 768) == 30522 * 768


def test_embedding_bag_reduces_each_bag():
    # 100 ids in 8 bags of rows of 64: 92 steps of a row
    assert fm.embedding_bag(100, 8, 64, "sum") == Cost(0, (100 - 8) * 64)
    assert fm.embedding_bag(100, 8, 64, "sum", weighted=True) == Cost(100 * 64, (100 - 8) * 64 + 100 * 64)
    assert fm.embedding_bag(100, 8, 64, "mean") == Cost(0, (100 - 8) * 64 + 8 * 64)
    assert fm.embedding_bag(100, 8, 64, "max") == Cost(0, (100 - 8) * 64)
    assert fm.embedding_bag_backward(100, 8, 64, "mean") == Cost(0, 100 * 64 * 2)
    assert fm.embedding_bag_backward(100, 8, 64, "max") == Cost(0, 8 * 64)
    with pytest.raises(ShapeError, match="embedding_bag mode must be one of sum, mean, max, got 'min'"):
        fm.embedding_bag(100, 8, 64, "min")


def test_two_mac_convention():
    assert FlopsConvention.TWO_MAC.apply(Cost(10, 7)) == Cost(10, 20)
    assert FlopsConvention.SEED.apply(Cost(10, 7)) == Cost(10, 7)


def test_cost_arithmetic():
    assert Cost(1, 2) + Cost(3, 4) == Cost(4, 6)
    assert sum([Cost(1, 1), Cost(2, 2)]) == Cost(3, 3)
    assert Cost(1, 2) * 3 == 3 * Cost(1, 2) == Cost(3, 6)


def test_small_reductions_and_accumulations():
    assert fm.cumulative(3 * 10, 10) == Cost(0, 3 * 9)  # n − 1 per row of 10
    assert fm.norm_reduction(4 * 8) == Cost(0, 2 * 4 * 8)  # square, add (and one root per output, in the n − 1 adds' place)
    assert fm.accumulate(7) == Cost(0, 7)  # one add per scattered element
    assert fm.adaptive_pool_backward(5) == Cost(0, 2 * 5)  # one divide, one add per output gradient


def test_addmm_is_linear_with_bias():
    assert fm.addmm((6, 4), (4, 5)) == fm.linear(6, 4, 5, bias=True)  # bias + a @ b


# -- losses, sampling, signal windows, linear algebra (formulas/special.py)
@pytest.mark.parametrize("reduction, weighted, ignore, flops", [
    ("none", False, True, 6 * 2),  # compare with ignore_index, negate
    ("none", True, False, 6 * 2),  # negate, weight
    ("sum", False, False, 6 + 5),  # negate; 5 adds
    ("mean", False, False, 6 + 5 + 1),  # the denominator is 6: 5 adds, 1 divide
    ("mean", True, True, 6 * 3 + 2 * 5 + 1),  # the denominator sums the weights of the counted samples: 5 more adds
])
def test_nll_loss(reduction, weighted, ignore, flops):
    assert fm.nll_loss(6, weighted, reduction, ignore) == Cost(0, flops)


def test_cross_entropy_is_log_softmax_then_nll():
    assert fm.cross_entropy(6, 10, False, "mean") == Cost(0, 6 * (5 * 10 - 1) + 6 * 2 + 2 * 5 + 1)


@pytest.mark.parametrize("n, macs, flops", [
    (1, 0, 0),
    (2, 1, 2 * 1 + 1 + 2 + 1),  # one multiply-add, one divide, pivot: 2 candidates + 0, diagonal: 1 multiply
    (3, 1 + 4, 2 * 5 + 3 + (3 + 2) + 2),  # Σ(n−k)² = 4 + 1; 2 + 1 divides; 3 + 2 comparisons; 2 multiplies
])
def test_det_by_lu(n, macs, flops):
    assert fm.det(n) == Cost(macs, flops)
    assert fm.det(n, batch=5) == Cost(5 * macs, 5 * flops)


def test_solve_triangular_by_substitution():
    # 3×3, one right-hand side: x0 = b0/a00; x1 takes 1 multiply-add; x2 takes 2; a divide each
    assert fm.solve_triangular(3, 1) == Cost(0 + 1 + 2, 2 * 3 + 3)
    assert fm.solve_triangular(3, 4, batch=2) == Cost(2 * 4 * 3, 2 * (2 * 4 * 3) + 2 * 4 * 3)
    assert fm.solve_triangular(3, 4, unit_diagonal=True) == Cost(4 * 3, 2 * 4 * 3)  # ones on the diagonal: no divides
    assert fm.solve_triangular(0, 4) == Cost()


def test_grid_sample_modes():
    assert fm.grid_sample(10, 3, 2, "bilinear", "zeros", False) == Cost(0, 10 * (2 * (4 + 3) + 4) + 10 * 3 * 7)
    assert fm.grid_sample(10, 3, 2, "nearest", "reflection", True) == Cost(0, 10 * 2 * (3 + 4 + 1))  # copies per channel
    assert fm.grid_sample(10, 3, 2, "bicubic", "zeros", False) == Cost(0, 10 * 2 * (4 + 18) + 10 * 3 * 35)
    with pytest.raises(ShapeError, match="grid sampling mode"):
        fm.grid_sample(10, 3, 2, "area")


@pytest.mark.parametrize("rule, macs, flops", [
    ("linear", 16 + 16, 32 + 4 * 7 + 4),
    ("gated", 16 + 16, 32 + 4 + 16 + 4 * 7 + 4),  # + 4 exps of the gate, 16 multiplies of the state
    ("delta", 2 * 16 + 16, 32 + 4 * 7 + 2 * 4 + 4 * 7 + 4),  # + Sᵀk (4 dots of 4), v − ·, β·
    ("gated_delta", 2 * 16 + 16, 32 + 4 + 16 + 4 * 7 + 2 * 4 + 4 * 7 + 4),
])
def test_linear_attention_rules(rule, macs, flops):
    """One token, one head, a 4×4 state."""
    assert fm.linear_attention(1, 1, 1, 4, 4, rule) == Cost(macs, flops)


def test_windows_stft_rotary_lrn():
    assert fm.window(16, "hann") == Cost(0, 16 * 4)  # angle, cos, coefficient, add
    assert fm.window(16, "blackman") == Cost(0, 16 * 8)  # two cosine terms
    assert fm.stft(3, 16, 16, real=True, windowed=True) == Cost(0, 3 * (5 * 16 * 4 // 2 + 16))
    assert fm.stft(3, 16, 16, real=False, windowed=False) == Cost(0, 3 * 5 * 16 * 4)
    assert fm.rotary(64) == Cost(0, 64 * 3)
    assert fm.lrn(100, 5) == Cost(0, 100 * 9)  # square, 4 adds, scale, + bias, power, divide
    assert fm.affine_grid(2, 20, 2) == Cost(2 * 20 * 2 * 3, 2 * 20 * 2 * 5)


@pytest.mark.parametrize("dtype, per_weight, per_group", [
    ("int4", Fraction(1, 2), Fraction(5, 2)),  # two weights a byte; an fp16 scale and a 4-bit zero point per group
    ("int8", Fraction(1), Fraction(3)),  # a byte a weight; an fp16 scale and an 8-bit zero point
    ("fp8", Fraction(1), Fraction(4)),  # a byte a weight; an fp32 scale, no zero point (symmetric)
])
def test_quantized_weight_bytes(dtype, per_weight, per_group):
    # two tensors, 4096·4096 weights and 4096·1000 + 64, in groups of 128: the 64 left over make a group of their own
    n = [4096 * 4096, 4096 * 1000 + 64]
    groups = 4096 * 4096 // 128 + (4096 * 1000 + 64 + 127) // 128  # the 64 left over make a group of their own
    expected = sum(n) * per_weight + groups * per_group + 300 * 2  # 300 other parameters in bf16
    assert fm.quantized_weight_bytes(n, 300, dtype, 128) == int(expected + Fraction(1, 2))
    with pytest.raises(InputError, match="quantized dtype must be one of"):
        fm.quantized_weight_bytes(n, 0, "bf16")
