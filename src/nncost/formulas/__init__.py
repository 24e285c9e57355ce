"""Pure cost formulas: functions of shapes and attributes that return a :class:`~nncost.cost.Cost`.

Nothing here imports a framework; every frontend (PyTorch, ONNX, the layer calculator)
reaches the same function, so the same layer costs the same everywhere. Each docstring
is the formula, with named dimensions and its source.
"""

from __future__ import annotations

from .attention import multi_head_attention, sdpa, sdpa_backward, sdpa_causal_useful_macs
from .conv import conv, conv_backward, conv_coverage, conv_output_shape, conv_params, conv_transpose_output_shape
from .detection import nms, roi_align, roi_pool
from .elementwise import (
    accumulate,
    cumulative,
    elementwise,
    histogram,
    log_softmax,
    logcumsumexp,
    logsumexp,
    mean_reduction,
    norm_reduction,
    reduction,
    softmax,
    softmax_backward,
    var_reduction,
)
from .linear import addbmm, addmm, einsum, grouped_matmul, linear, linear_params, matmul, matmul_shape, scaled_matmul, sparse_matmul
from .llm import kv_cache_bytes, kv_cache_bytes_layers, quantized_weight_bytes, rule_2n, rule_6n, rule_kaplan, rule_palm, weight_bytes
from .memory import float_dtype, gather_read_bytes, intensity, tensor_bytes, training_state_bytes
from .misc import embedding, embedding_params, interpolate
from .norm import batch_norm, batch_norm_params, fold_bn_params, group_norm, layer_norm, norm_backward, rms_norm
from .pool import adaptive_pool, adaptive_pool_backward, pool, pool_backward, pool_output_shape
from .rnn import RnnSpec, rnn, rnn_params, rnn_step
from .select import binary_search, fft, fft_nd, select_kth, sort, topk, unique
from .shapes import prod
from .special import (
    affine_grid,
    cross_entropy,
    det,
    grid_sample,
    linear_attention,
    lp_normalize,
    lrn,
    mean_variance_normalize,
    nll_loss,
    rotary,
    shrink,
    stft,
    window,
)
from .table import DEFAULT_COSTS, REASONS, active_costs, op_costs, unit

__all__ = [
    "accumulate",
    "active_costs",
    "adaptive_pool",
    "adaptive_pool_backward",
    "addbmm",
    "addmm",
    "affine_grid",
    "batch_norm",
    "batch_norm_params",
    "binary_search",
    "conv",
    "conv_backward",
    "conv_coverage",
    "conv_output_shape",
    "conv_params",
    "conv_transpose_output_shape",
    "cross_entropy",
    "cumulative",
    "DEFAULT_COSTS",
    "det",
    "einsum",
    "elementwise",
    "embedding",
    "embedding_params",
    "fft",
    "fft_nd",
    "float_dtype",
    "fold_bn_params",
    "gather_read_bytes",
    "grid_sample",
    "group_norm",
    "grouped_matmul",
    "histogram",
    "intensity",
    "interpolate",
    "kv_cache_bytes",
    "kv_cache_bytes_layers",
    "layer_norm",
    "linear",
    "linear_attention",
    "linear_params",
    "log_softmax",
    "logcumsumexp",
    "logsumexp",
    "lp_normalize",
    "lrn",
    "matmul",
    "matmul_shape",
    "mean_reduction",
    "mean_variance_normalize",
    "multi_head_attention",
    "nll_loss",
    "nms",
    "norm_backward",
    "norm_reduction",
    "op_costs",
    "pool",
    "pool_backward",
    "pool_output_shape",
    "prod",
    "quantized_weight_bytes",
    "REASONS",
    "reduction",
    "rms_norm",
    "rnn",
    "rnn_params",
    "rnn_step",
    "RnnSpec",
    "roi_align",
    "roi_pool",
    "rotary",
    "rule_2n",
    "rule_6n",
    "rule_kaplan",
    "rule_palm",
    "scaled_matmul",
    "sdpa",
    "sdpa_backward",
    "sdpa_causal_useful_macs",
    "select_kth",
    "shrink",
    "softmax",
    "softmax_backward",
    "sort",
    "sparse_matmul",
    "stft",
    "tensor_bytes",
    "training_state_bytes",
    "topk",
    "unique",
    "unit",
    "var_reduction",
    "weight_bytes",
    "window",
]
