"""The aten bindings added for the OpInfo sweep, each with its number written out.

Each case runs one torch call through ``nncost.analyze`` on meta and on CPU; both must
give the formula's count.
"""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import nncost  # noqa: E402
from fn_module import Fn  # noqa: E402


def lg(n: int) -> int:
    return math.ceil(math.log2(n))


X = (4, 8)  # 4 rows of 8
N = 4 * 8
CASES = {
    # rounding and special functions: one operation per element
    "round": (torch.round, [X], N), "floor": (torch.floor, [X], N), "ceil": (torch.ceil, [X], N),
    "trunc": (torch.trunc, [X], N), "frac": (torch.frac, [X], N),
    "lgamma": (torch.lgamma, [X], N), "digamma": (torch.digamma, [X], N), "i0": (torch.i0, [X], N),
    "bessel_j0": (torch.special.bessel_j0, [X], N), "erfcx": (torch.special.erfcx, [X], N),
    "asinh": (torch.asinh, [X], N), "acosh": (torch.acosh, [X], N), "atanh": (torch.atanh, [X], N),
    # √(a² + b²): 2 multiplies, an add, a square root
    "hypot": (torch.hypot, [X, X], 4 * N),
    # sort: n·⌈log₂ n⌉ comparisons per row of n = 8
    "sort": (lambda x: torch.sort(x, dim=1), [X], 4 * 8 * lg(8)),
    "argsort": (lambda x: torch.argsort(x, dim=1), [X], 4 * 8 * lg(8)),
    # top-3 of 8 per row, heap of 3: n − 1 + n·⌈log₂ k⌉
    "topk": (lambda x: torch.topk(x, 3, dim=1), [X], 4 * (8 - 1 + 8 * lg(3))),
    # one order statistic per row: bounded by the sort
    "kthvalue": (lambda x: torch.kthvalue(x, 2, dim=1), [X], 4 * 8 * lg(8)),
    "median.dim": (lambda x: torch.median(x, dim=1), [X], 4 * 8 * lg(8)),
    "median": (torch.median, [X], 32 * lg(32)),
    # running max along 8: 7 comparisons per row
    "cummax": (lambda x: torch.cummax(x, dim=1), [X], 4 * 7),
    # logaddexp per step after the first: compare, subtract, exp, add, log, add
    "logcumsumexp": (lambda x: torch.logcumsumexp(x, dim=1), [X], 4 * 7 * 6),
    # bias + Σ_b a_b @ b_b over a batch of 3 (2×4 @ 4×5): 3·2·4·5 MACs, sums of 3 products' worth
    "addbmm": (lambda c, a, b: torch.addbmm(c, a, b), [(2, 5), (3, 2, 4), (3, 4, 5)], 3 * 2 * 5 * (2 * 4 - 1) + 2 * 5 * 2 + 2 * 5),
    # complex FFT of 8 along the last dim, 4 lines: 5·8·⌈log₂ 8⌉ each
    "fft": (lambda x: torch.fft.fft(x.to(torch.complex64)), [X], 4 * 5 * 8 * 3),
    # real FFT: half of that
    "rfft": (lambda x: torch.fft.rfft(x), [X], 4 * (5 * 8 * 3) // 2),
    # NLL over 4 samples (PyTorch always has an ignore_index): compare and negate each, mean: 3 + 3 adds, 1 divide
    "nll_loss": (lambda x: nn.functional.nll_loss(x, torch.zeros(4, dtype=torch.long)), [X], 4 * 2 + 2 * 3 + 1),
    "nll_loss.sum": (lambda x: nn.functional.nll_loss(x, torch.zeros(4, dtype=torch.long), reduction="sum"), [X], 4 * 2 + 3),
    "nll_loss.weight": (lambda x: nn.functional.nll_loss(x, torch.zeros(4, dtype=torch.long), weight=torch.ones(8),
                                                         reduction="none"), [X], 4 * 3),  # and a weight multiply each
    "nll_loss2d": (lambda x: nn.functional.nll_loss(x, torch.zeros(2, 3, 3, dtype=torch.long), reduction="sum"),
                   [(2, 8, 3, 3)], 18 * 2 + 17),  # one loss per target pixel
    # cross-entropy: log-softmax of each row of 8 (5·8 − 1), then the NLL
    "cross_entropy": (lambda x: nn.functional.cross_entropy(x, torch.zeros(4, dtype=torch.long)), [X], 4 * 39 + 4 * 2 + 2 * 3 + 1),
    # 25 sample points on 2 channels, bilinear, zeros, align_corners=False: 2·(4 + 3) + 4 to place each point, 7 per channel
    "grid_sample": (lambda x, g: nn.functional.grid_sample(x, g, align_corners=False), [(1, 2, 8, 8), (1, 5, 5, 2)],
                    25 * (2 * 7 + 4) + 25 * 2 * 7),
    # nearest, border, aligned: per dim (x + 1)/2·(W − 1) (3), a clamp (2), a rounding (1); copies per channel
    "grid_sample.nearest": (lambda x, g: nn.functional.grid_sample(x, g, mode="nearest", padding_mode="border", align_corners=True),
                            [(1, 2, 8, 8), (1, 5, 5, 2)], 25 * 2 * (3 + 2 + 1)),
    # 3-D: 8 corners, 3 dims: 3·7 + 8·2 to place a point, 8 multiplies + 7 adds per channel
    "grid_sample.3d": (lambda x, g: nn.functional.grid_sample(x, g, align_corners=False), [(1, 2, 4, 4, 4), (1, 2, 2, 2, 3)],
                       8 * (3 * 7 + 8 * 2) + 8 * 2 * 15),
    # the affine grid of a 4×5 image: each point (x, y, 1) times θ (2×3): 2 outputs of 3 products, 2 adds
    "affine_grid": (lambda t: nn.functional.affine_grid(t, [1, 3, 4, 5], align_corners=False), [(1, 2, 3)], 20 * 2 * 5),
    # det of two 4×4 by LU: 14 multiply-adds, 6 divides, 9 pivot comparisons, 3 diagonal multiplies
    "det": (torch.linalg.det, [(2, 4, 4)], 2 * (2 * 14 + 6 + 9 + 3)),
    # A·X = B for two lower-triangular 4×4 and 3 right-hand sides: unknown i takes i multiply-adds (0+1+2+3 = 6)
    # and a divide, per right-hand side: 2·3·(2·6 + 4)
    "solve_triangular": (lambda a, b: torch.linalg.solve_triangular(a, b, upper=False), [(2, 4, 4), (2, 4, 3)],
                         2 * 3 * (2 * 6 + 4)),
    # X·A = B (left=False): 3 rows of X, each a substitution over 4 unknowns; a unit diagonal: no divides
    "solve_triangular.right": (lambda a, b: torch.linalg.solve_triangular(a, b, upper=True, left=False, unitriangular=True),
                               [(4, 4), (3, 4)], 3 * 2 * 6),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_binding_count(name, device):
    fn, shapes, flops = CASES[name]
    inputs = [torch.rand(s) + 1.5 for s in shapes]  # in every function's domain (acosh needs > 1; atanh is fine on meta)
    if name == "atanh":
        inputs = [torch.rand(s) * 0.5 for s in shapes]
    r = nncost.analyze(Fn(fn), *inputs, device=device)
    assert not r.unsupported
    assert r.total.flops == flops


def test_equal_is_compare_and_conjunction():
    r = nncost.analyze(Fn(lambda a, b: torch.tensor(torch.equal(a, b))), torch.ones(4, 8), torch.ones(4, 8), device="cpu")
    assert r.total.flops == N + (N - 1)  # one comparison per element, then n − 1 ANDs


def test_searchsorted_is_a_binary_search_per_value():
    seq = torch.arange(16.0)
    r = nncost.analyze(Fn(lambda s, v: torch.searchsorted(s, v)), seq, torch.rand(10) * 16, device="cpu")
    assert r.total.flops == 10 * math.ceil(math.log2(16 + 1))  # ⌈log₂(n + 1)⌉ comparisons for each of 10 values


def test_bucketize_searches_its_boundaries():
    r = nncost.analyze(Fn(lambda v, b: torch.bucketize(v, b)), torch.rand(10) * 16, torch.arange(16.0), device="cpu")
    assert r.total.flops == 10 * math.ceil(math.log2(16 + 1))  # the boundaries are the second argument


def test_unique_sorts_then_compares_neighbours():
    r = nncost.analyze(Fn(lambda x: torch.unique(x)), torch.tensor([3.0, 1.0, 3.0, 2.0]), device="cpu")
    assert r.total.flops == 4 * lg(4) + 3
    r = nncost.analyze(Fn(lambda x: torch.unique_consecutive(x)), torch.tensor([1.0, 1.0, 2.0, 2.0]), device="cpu")
    assert r.total.flops == 3


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_interpolation_gradient_is_its_adjoint(device):
    x = torch.randn(1, 2, 4, 4, requires_grad=True)
    up = Fn(lambda t: nn.functional.interpolate(t, scale_factor=2, mode="bilinear"))
    r = nncost.analyze(up, x, backward=True, device=device)
    assert r.total.flops == 2 * 8 * 8 * 9  # 9 per output (three lerps)
    assert r.total.backward_flops == 2 * 8 * 8 * 9  # the same taps and weights, spread back
    near = Fn(lambda t: nn.functional.interpolate(t, scale_factor=2, mode="nearest"))
    assert nncost.analyze(near, x, backward=True, device=device).total.backward_flops == 2 * 8 * 8  # one add per output


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_embedding_bags_reduce_their_rows(device):
    """nn.EmbeddingBag (aten._embedding_bag and its backward ops): 5 ids in bags of 2 and 3, rows of 4."""
    ids, offsets = torch.tensor([1, 2, 3, 4, 5]), torch.tensor([0, 2])
    r = nncost.analyze(nn.EmbeddingBag(10, 4, mode="sum"), torch.tensor([[1, 2, 3], [4, 5, 6]]), backward=True, device=device)
    assert (r.total.macs, r.total.flops) == (0, (6 - 2) * 4)  # (ids − bags) · dim adds: 2 bags of 3
    assert r.total.backward_flops == 6 * 4  # each id's row gradient added into the table
    r = nncost.analyze(nn.EmbeddingBag(10, 4, mode="mean"), ids, offsets=offsets, backward=True, device=device)
    assert r.total.flops == (5 - 2) * 4 + 2 * 4  # the sum's adds, a divide per bag element
    assert r.total.backward_flops == 5 * 4 * 2  # add and divide by its bag's size, per id and element
    r = nncost.analyze(nn.EmbeddingBag(10, 4, mode="max"), ids, offsets=offsets, backward=True, device=device)
    assert r.total.flops == (5 - 2) * 4 and r.total.backward_flops == 2 * 4  # comparisons; each bag's maxima get it
    weights = torch.rand(5, requires_grad=True)
    r = nncost.analyze(nn.EmbeddingBag(10, 4, mode="sum"), ids, offsets=offsets, per_sample_weights=weights,
                       backward=True, device=device)
    assert (r.total.macs, r.total.flops) == (5 * 4, (5 - 2) * 4 + 5 * 4)  # a dot product per bag: muls and adds
    # the table's gradient (add and weight: 5·4·2) and each weight's (its row · its bag's gradient: 2·4 − 1)
    assert r.total.backward_flops == 5 * 4 * 2 + 5 * (2 * 4 - 1)
    assert not r.unsupported


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_replication_pad_gradient_adds_the_padding(device):
    x = torch.randn(1, 2, 4, 4, requires_grad=True)
    r = nncost.analyze(nn.ReplicationPad2d(1), x, backward=True, device=device)
    assert r.total.backward_flops == 2 * (6 * 6 - 4 * 4)  # each padded position's gradient added into its source


def test_prims_from_decompositions_are_counted():
    """copysign decomposes (torch._refs) into prims.abs/neg/signbit/where: counted as their aten ops."""
    r = nncost.analyze(Fn(torch.copysign), torch.randn(3, 4), torch.randn(3, 4))
    assert not r.unsupported and r.total.flops == 12 * (1 + 2 + 1 + 1)  # signbit, abs twice, neg, where


# -- torchvision's detection ops --------------------------------------------------------------
def test_nms_counts_the_ious_its_kernel_computes():
    tv = pytest.importorskip("torchvision")
    boxes = torch.tensor([[0.0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    r = nncost.analyze(Fn(lambda b, s: tv.ops.nms(b, s, 0.5)), boxes, scores, device="cpu")
    # box 0 is kept and compared with the 2 after it (box 1 overlaps it: IoU 81/119, suppressed); box 2 is
    # kept with none after it. sort 3·⌈log₂ 3⌉ comparisons, 3 areas (3 each), 2 IoUs (12 + 1 comparison)
    assert r.total.flops == 3 * 2 + 3 * 3 + 2 * (12 + 1)
    assert not r.unsupported


@pytest.mark.parametrize(("ratio", "samples"), [(2, 4 * 2 * 2), (-1, 4 * 4 * 4)])
def test_roi_align_counts_its_samples(ratio, samples):
    tv = pytest.importorskip("torchvision")
    rois = torch.tensor([[0.0, 0, 0, 8, 8]])  # one 8×8 region, pooled to 2×2 bins
    r = nncost.analyze(Fn(lambda x, b: tv.ops.roi_align(x, b, (2, 2), 1.0, ratio)), torch.randn(1, 4, 16, 16), rois,
                       device="cpu")
    # sampling_ratio 2: 2·2 samples per bin; adaptive (-1): ⌈8/2⌉·⌈8/2⌉ = 16 per bin; 4 bins
    assert r.total.flops == 8 * 4 * samples + 14 * samples  # 8 per sample and channel (4 channels), 14 per position


def test_roi_pool_compares_within_each_bin():
    tv = pytest.importorskip("torchvision")
    rois = torch.tensor([[0.0, 0, 0, 7, 7]])  # an 8×8 region (inclusive corners), 2×2 bins of 4×4 cells
    r = nncost.analyze(Fn(lambda x, b: tv.ops.roi_pool(x, b, (2, 2), 1.0)), torch.randn(1, 2, 16, 16), rois, device="cpu")
    assert r.total.flops == 2 * (64 - 4)  # 2 channels · (cells − bins) comparisons


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_low_precision_matmuls(device):
    """fp8, int8 and int4 matmuls: the matmul's MACs, plus their scales (and the int4 weights' unpacking)."""
    a = torch.randn(16, 32).to(torch.float8_e4m3fn)
    b = torch.randn(64, 32).to(torch.float8_e4m3fn).t()
    one = torch.tensor(1.0)
    r = nncost.analyze(Fn(lambda a, b, x, y: torch._scaled_mm(a, b, x, y, out_dtype=torch.bfloat16)), a, b, one, one, device=device)
    assert (r.total.macs, r.total.flops) == (16 * 32 * 64, 16 * 64 * (2 * 32 - 1) + 16 * 64)  # one per-tensor scale multiply
    ai, bi = torch.randint(-5, 5, (32, 64), dtype=torch.int8), torch.randint(-5, 5, (64, 32), dtype=torch.int8)
    r = nncost.analyze(Fn(torch._int_mm), ai, bi, device=device)
    assert (r.total.macs, r.total.flops) == (32 * 64 * 32, 32 * 32 * (2 * 64 - 1))
    w, x, scales = torch.randint(-5, 5, (64, 32), dtype=torch.int8), torch.randn(16, 32), torch.randn(64)
    r = nncost.analyze(Fn(torch._weight_int8pack_mm), x, w, scales, device=device)
    assert (r.total.macs, r.total.flops) == (16 * 32 * 64, 16 * 64 * (2 * 32 - 1) + 16 * 64)  # a channel scale per output
    packed = torch._convert_weight_to_int4pack_for_cpu(torch.randint(0, 16, (64, 128), dtype=torch.int32), 1)
    r = nncost.analyze(Fn(lambda x, p, s: torch._weight_int4pack_mm_for_cpu(x, p, 32, s)), torch.randn(4, 128), packed,
                       torch.randn(128 // 32, 64, 2), device=device)
    assert (r.total.macs, r.total.flops) == (4 * 128 * 64, 4 * 64 * (2 * 128 - 1) + 128 * 64 * 2)  # each weight: − zero, · scale


def test_scaled_grouped_mm_is_the_grouped_matmul_and_its_scales():
    from nncost.frontends.torch.bindings import ATEN

    bind = ATEN.binding(torch.ops.aten._scaled_grouped_mm)
    a, b = torch.empty(12, 16, device="meta"), torch.empty(4, 16, 8, device="meta")
    out = torch.empty(12, 8, device="meta")
    cost = bind([a, b, torch.empty(12, device="meta"), torch.empty(4, 8, device="meta")], {}, out)
    assert (cost.macs, cost.flops) == (12 * 16 * 8, 12 * 8 * (2 * 16 - 1) + 12 * 8 * 2)  # row- and column-wise scales



def test_convolution_with_one_element_lists_for_every_dim():
    # aten.convolution takes stride=[4], padding=[0] for a 2-D conv (SigLIP's padding="valid" patch embedding
    # reaches it so); the meta fast path broadcasts them as the kernel does
    class Patches(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(8, 3, 4, 4))

        def forward(self, x):
            return torch.ops.aten.convolution(x, self.w, None, [4], [0], [1], False, [0], 1)

    for device in ("meta", "cpu"):
        r = nncost.analyze(Patches(), (1, 3, 16, 16), device=device)
        assert r.total.macs == 8 * 3 * 4 * 4 * 4 * 4  # C_out·C_in·k·k·H_out·W_out
        assert r.root.output_shapes == [[1, 8, 4, 4]]
