"""Normalisations: batch, layer, group, instance and RMS norm; BN folding.

Seed §4: z = γ·(y − mean)/sqrt(var + ε) + β per element.
"""

from __future__ import annotations

from ..cost import Cost

__all__ = [
    "batch_norm",
    "batch_norm_params",
    "layer_norm",
    "group_norm",
    "rms_norm",
    "fold_bn_params",
    "norm_backward",
]


def batch_norm(
    numel: int, channels: int, affine: bool = True, training: bool = False, running_stats: bool = True
) -> Cost:
    """Batch norm over ``numel`` elements in ``channels`` channels.

    Inference, per channel: var + ε, sqrt (2); per element: − mean, ÷ std (2), ·γ, +β (2):
      FLOPs = numel·(2 + 2·affine) + 2·C
    Training adds the batch statistics, M = numel/C per channel: mean M (M − 1 adds,
    1 divide), variance 3M (subtract, square, M − 1 adds, 1 divide) -> 4·numel, and the
    running-stat updates (1 − m)·r + m·s for mean and var plus the unbiased M/(M − 1)
    factor: 7·C.
    MACs = 0 (no dot products). At inference BN folds into the preceding conv/linear
    (see :func:`fold_bn_params`) and then costs nothing (seed §4).
    """
    flops = numel * (2 + 2 * int(affine)) + 2 * channels
    if training:
        flops += 4 * numel + (7 * channels if running_stats else 0)
    return Cost(0, flops)


def batch_norm_params(channels: int, affine: bool = True, track_running_stats: bool = True) -> tuple[int, int]:
    """(trainable, buffers): γ and β are 2·C trainable; running mean and var are 2·C
    buffers. Trainable + running stats = the seed's 4·C. PyTorch's integer step counter
    ``num_batches_tracked`` is not a statistic and is not counted (docs/conventions.md).
    """
    trainable = 2 * channels if affine else 0
    buffers = 2 * channels if track_running_stats else 0
    return trainable, buffers


def layer_norm(numel: int, norm_size: int, weight: bool = True, bias: bool = True) -> Cost:
    """Normalise rows of n = ``norm_size`` elements (LayerNorm, GroupNorm's groups).

    Per row: mean n (n − 1 adds, 1 divide); variance 3n (subtract, square, n − 1 adds,
    1 divide); + ε and sqrt 2; normalise n divides  ->  5n + 2. Affine: +1 per element
    for the weight, +1 for the bias.
    """
    rows = numel // norm_size if norm_size else 0
    return Cost(0, rows * (5 * norm_size + 2) + numel * (int(weight) + int(bias)))


def group_norm(numel: int, batch: int, groups: int, affine: bool = True) -> Cost:
    """GroupNorm = layer_norm over N·G rows of (C/G)·spatial elements, per-channel affine.

    InstanceNorm is GroupNorm with G = C.
    """
    rows = batch * groups
    return layer_norm(numel, numel // rows if rows else 0, affine, affine)


def rms_norm(numel: int, norm_size: int, weight: bool = True) -> Cost:
    """RMSNorm: per row: square n, n − 1 adds, ÷ n, + ε, sqrt, ÷ rms n  ->  3n + 2;
    weight +1 per element."""
    rows = numel // norm_size if norm_size else 0
    return Cost(0, rows * (3 * norm_size + 2) + numel * int(weight))


def fold_bn_params(channels: int, conv_had_bias: bool) -> tuple[int, int]:
    """(params removed, params added) when BN folds into the preceding conv/linear.

    W' = W·γ/σ and b' = (b − mean)·γ/σ + β: BN's 2·C trainable and 2·C running stats
    disappear; the conv gains a C-element bias if it had none.
    """
    return 4 * channels, 0 if conv_had_bias else channels


def norm_backward(numel: int, groups: int, input_grad: bool = True, weight_grad: bool = True, bias_grad: bool = True) -> Cost:
    """Gradient of batch/layer/group/RMS norm over ``groups`` statistics groups.

    dx = (1/σ)·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·γ: per element ĝ 1, ĝ·x̂ 1, two
    sums 2, x̂·mean 1, two subtractions 2, ·(1/σ) 1 -> 8; per group two divides by n.
    dγ = Σ g·x̂ (2 per element), dβ = Σ g (1 per element).
    NB: RMSNorm's gradient has no mean term and costs slightly less; counted the same.
    """
    flops = (8 * numel + 2 * groups if input_grad else 0) + (2 * numel if weight_grad else 0) + (numel if bias_grad else 0)
    return Cost(0, flops)
