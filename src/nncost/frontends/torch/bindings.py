"""aten op -> formula bindings. Thin: pick shapes and attributes out of the call.

Each binding is ``fn(args, kwargs, out) -> Cost``; ``out`` is what the op returned.
Keys are overload packets (``aten.add`` covers ``add.Tensor`` and ``add.Scalar``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from ... import formulas as fm
from ...cost import Cost
from ...registry import Registry

__all__ = ["ATEN", "ATTENTION_OPS", "SPARSE_AWARE", "Binding", "first_tensor"]

aten = torch.ops.aten
ATEN: Registry[Any] = Registry("aten ops")
Binding = Callable[[Sequence[Any], dict[str, Any], Any], Cost]


def _ops(*names: str) -> list[Any]:
    """The aten overload packets that exist in this torch build."""
    return [getattr(aten, n) for n in names if hasattr(aten, n)]


def first_tensor(x: Any) -> torch.Tensor | None:
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, (tuple, list)):
        for item in x:
            t = first_tensor(item)
            if t is not None:
                return t
    return None


def _shape(t: Any) -> tuple[int, ...]:
    return tuple(t.shape)


def _numel(t: Any) -> int:
    return t.numel() if isinstance(t, torch.Tensor) else 0


def _arg(args: Sequence[Any], kwargs: dict[str, Any], i: int, name: str, default: Any = None) -> Any:
    if len(args) > i:
        return args[i]
    return kwargs.get(name, default)


# -- dot products ------------------------------------------------------------------------
def _sparse_mm(a: torch.Tensor, b: torch.Tensor, bias: int) -> Cost:
    """A sparse COO operand costs by its stored non-zeros (formulas.sparse_matmul)."""
    if a.layout == torch.sparse_coo:
        rows = a._indices()[0].unique().numel()
        return fm.sparse_matmul(a._nnz(), b.shape[-1], rows * b.shape[-1], bias)
    cols = b._indices()[1].unique().numel()
    return fm.sparse_matmul(b._nnz(), a.shape[0], cols * a.shape[0], bias)


def _is_sparse(t: Any) -> bool:
    return isinstance(t, torch.Tensor) and t.layout == torch.sparse_coo


@ATEN.register(*_ops("mm", "bmm", "mv", "dot", "vdot", "matmul"))
def _matmul(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    if _is_sparse(args[0]) or _is_sparse(args[1]):
        return _sparse_mm(args[0], args[1], 0)
    return fm.matmul(_shape(args[0]), _shape(args[1]))


@ATEN.register(*_ops("addbmm", "addbmm_"))
def _addbmm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    return fm.addbmm(_shape(args[1]), _shape(args[2]))


def _binary_search(sorted_at: int) -> Binding:
    """A binary search per value in the sorted row at argument ``sorted_at``."""
    def bind(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
        seq = args[sorted_at]
        n = seq.shape[-1] if isinstance(seq, torch.Tensor) and seq.dim() else 1
        return fm.binary_search(_numel(out), n)

    return bind


ATEN.register(*_ops("searchsorted"))(_binary_search(0))  # searchsorted(sorted_sequence, values)
ATEN.register(*_ops("bucketize"))(_binary_search(1))  # bucketize(values, boundaries)


@ATEN.register(*_ops("unique_consecutive"))
def _unique_consecutive(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """Runs of equal values: one comparison of each element with the one before it."""
    return fm.elementwise("compare", max(_numel(args[0]) - 1, 0))


@ATEN.register(*_ops("_unique2", "_unique", "unique_dim"))
def _unique(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """Sorted unique values (formulas.unique)."""
    return fm.unique(_numel(args[0]))


@ATEN.register(*_ops("addmm", "addmm_", "baddbmm", "baddbmm_", "addmv", "addmv_", "_sparse_addmm"))
def _addmm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """bias + a @ b: the matmul plus one add per output (= formulas.linear with bias)."""
    if _is_sparse(args[1]) or _is_sparse(args[2]):
        return _sparse_mm(args[1], args[2], _numel(out))
    return fm.addmm(_shape(args[1]), _shape(args[2]))


# ops whose binding reads a sparse COO operand by its non-zeros; any other op meeting a
# sparse tensor is reported unsupported rather than counted as if dense
SPARSE_AWARE = frozenset(_ops("mm", "addmm", "_sparse_addmm"))


@ATEN.register(*_ops("convolution", "_convolution"))
def _conv(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x, w, bias = args[0], args[1], args[2]
    transposed = bool(_arg(args, kwargs, 6, "transposed", False))
    return fm.conv(_shape(x), _shape(w), _shape(out), bias is not None, transposed,
                   stride=list(args[3]), padding=list(args[4]), dilation=list(args[5]))


@ATEN.register(*_ops("convolution_backward"))
def _conv_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    # (grad_output, input, weight, bias_sizes, stride, padding, dilation, transposed, output_padding, groups, output_mask)
    grad_out, x, w = args[0], args[1], args[2]
    transposed = bool(args[7])
    mask = args[10]
    return fm.conv_backward(_shape(x), _shape(w), _shape(grad_out), transposed, bool(mask[0]), bool(mask[1]), bool(mask[2]),
                            stride=list(args[4]), padding=list(args[5]), dilation=list(args[6]))


# -- normalisation -----------------------------------------------------------------------
def _bn(x: torch.Tensor, weight: Any, training: bool, running: bool) -> Cost:
    c = x.shape[1] if x.dim() > 1 else 1
    return fm.batch_norm(x.numel(), c, weight is not None, training, running)


@ATEN.register(*_ops("native_batch_norm", "_native_batch_norm_legit", "cudnn_batch_norm", "miopen_batch_norm"))
def _batch_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    # (input, weight, bias, running_mean, running_var, training, ...); the no_stats
    # overload of _native_batch_norm_legit is (input, weight, bias, training, ...)
    if isinstance(args[3], bool):
        return _bn(args[0], args[1], args[3], False)
    return _bn(args[0], args[1], bool(args[5]), args[3] is not None)


@ATEN.register(*_ops("_native_batch_norm_legit_no_training"))
def _batch_norm_eval(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    return _bn(args[0], args[1], False, True)


@ATEN.register(*_ops("_native_batch_norm_legit_functional"))
def _batch_norm_functional(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    return _bn(args[0], args[1], bool(args[5]), True)


@ATEN.register(*_ops("native_layer_norm"))
def _layer_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x, shape, weight, bias = args[0], args[1], _arg(args, kwargs, 2, "weight"), _arg(args, kwargs, 3, "bias")
    return fm.layer_norm(x.numel(), fm.prod(shape), weight is not None, bias is not None)


@ATEN.register(*_ops("native_group_norm"))
def _group_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x, weight, n, groups = args[0], args[1], args[3], args[6]
    return fm.group_norm(x.numel(), int(n), int(groups), weight is not None)


@ATEN.register(*_ops("_fused_rms_norm"))
def _fused_rms_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x, shape, weight = args[0], args[1], _arg(args, kwargs, 2, "weight")
    return fm.rms_norm(x.numel(), fm.prod(shape), weight is not None)


@ATEN.register(*_ops("native_layer_norm_backward"))
def _layer_norm_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x, shape, mask = args[1], args[2], args[7]
    rows = x.numel() // max(fm.prod(shape), 1)
    return fm.norm_backward(x.numel(), rows, bool(mask[0]), bool(mask[1]), bool(mask[2]))


@ATEN.register(*_ops("native_group_norm_backward"))
def _group_norm_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x, n, groups, mask = args[1], args[5], args[8], args[9]
    return fm.norm_backward(x.numel(), int(n) * int(groups), bool(mask[0]), bool(mask[1]), bool(mask[2]))


@ATEN.register(*_ops("native_batch_norm_backward", "cudnn_batch_norm_backward", "miopen_batch_norm_backward"))
def _batch_norm_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x = args[1]
    mask = args[-1] if isinstance(args[-1], (list, tuple)) else (True, True, True)
    c = x.shape[1] if x.dim() > 1 else 1
    return fm.norm_backward(x.numel(), c, bool(mask[0]), bool(mask[1]), bool(mask[2]))


# -- softmax and reductions --------------------------------------------------------------
def _dim_len(x: torch.Tensor, dim: int) -> int:
    return x.shape[dim] if x.dim() else 1


@ATEN.register(*_ops("_softmax", "_safe_softmax", "softmax"))
def _softmax(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    return fm.softmax(args[0].numel(), _dim_len(args[0], args[1]))


@ATEN.register(*_ops("_log_softmax", "log_softmax"))
def _log_softmax(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    return fm.log_softmax(args[0].numel(), _dim_len(args[0], args[1]))


@ATEN.register(*_ops("_softmax_backward_data", "_log_softmax_backward_data"))
def _softmax_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    return fm.softmax_backward(args[0].numel(), _dim_len(args[0], args[2]))


@ATEN.register(*_ops("sum", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "nansum", "any", "all"))
def _reduce(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    if len(args) > 1 and isinstance(args[1], torch.Tensor):  # max(a, b) / min(a, b): element-wise
        return fm.elementwise("max", _numel(out))
    return fm.reduction(args[0].numel(), _numel(first_tensor(out)))


@ATEN.register(*_ops("logsumexp"))
def _logsumexp(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x, dims = args[0], _arg(args, kwargs, 1, "dim", ())
    n = fm.prod(x.shape[d] for d in dims) if x.dim() and dims else max(x.numel(), 1)
    return fm.logsumexp(x.numel(), n)


@ATEN.register(*_ops("mean", "nanmean"))
def _mean(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    return fm.mean_reduction(args[0].numel(), _numel(first_tensor(out)))


@ATEN.register(*_ops("var", "var_mean"))
def _var(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    return fm.var_reduction(args[0].numel(), _numel(first_tensor(out)))


@ATEN.register(*_ops("std", "std_mean"))
def _std(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    return fm.var_reduction(args[0].numel(), _numel(first_tensor(out)), sqrt=True)


@ATEN.register(*_ops("linalg_vector_norm", "norm"))
def _vector_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    return fm.norm_reduction(args[0].numel())


@ATEN.register(*_ops("cumsum", "cumprod"))
def _cumsum(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x = args[0]
    return fm.cumulative(x.numel(), _dim_len(x, args[1]))


# -- mixture of experts ---------------------------------------------------------------------------
@ATEN.register(*_ops("_grouped_mm"))
def _grouped_mm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """_grouped_mm(self, mat2, offs, bias, out_dtype): the experts' matmul (formulas.grouped_matmul)."""
    a, b = args[0], args[1]
    bias = _arg(args, kwargs, 3, "bias")
    o = first_tensor(out)
    groups = o.shape[0] if o is not None and a.dim() == 2 and b.dim() == 2 else 1
    return fm.grouped_matmul(_shape(a), _shape(b), groups, bias is not None)


def _scales(*scales: Any) -> int:
    """Multiplies per output for these scale tensors: a per-tensor scale folds into one."""
    per_tensor = [s for s in scales if s is not None and s.numel() == 1]
    return (1 if per_tensor else 0) + sum(1 for s in scales if s is not None and s.numel() > 1)


@ATEN.register(*_ops("_scaled_mm"))
def _scaled_mm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """_scaled_mm(self, mat2, scale_a, scale_b, bias, ...): an fp8 matmul, then its scales (formulas.scaled_matmul)."""
    a, b = args[0], args[1]
    bias = _arg(args, kwargs, 4, "bias")
    return fm.scaled_matmul(_shape(a), _shape(b), _scales(args[2], args[3]), bias is not None)


@ATEN.register(*_ops("_scaled_grouped_mm"))
def _scaled_grouped_mm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """The fp8 experts' matmul: the grouped matmul, then a scale multiply per output for each scale."""
    a, b = args[0], args[1]
    o = first_tensor(out)
    groups = o.shape[0] if o is not None and a.dim() == 2 and b.dim() == 2 else 1
    bias = _arg(args, kwargs, 5, "bias")
    return fm.grouped_matmul(_shape(a), _shape(b), groups, bias is not None) + Cost(0, _numel(o) * _scales(args[2], args[3]))


@ATEN.register(*_ops("_int_mm"))
def _int_mm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """An int8 × int8 → int32 matmul: the matmul (integer arithmetic counts as any other)."""
    return fm.matmul(_shape(args[0]), _shape(args[1]))


@ATEN.register(*_ops("_weight_int8pack_mm"))
def _int8pack_mm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """x [M, K] @ int8 weight [N, K]ᵀ, then one scale multiply per output channel's output."""
    x, w = args[0], args[1]
    return fm.scaled_matmul(_shape(x), (w.shape[1], w.shape[0]), 1)


@ATEN.register(*_ops("_weight_int4pack_mm", "_weight_int4pack_mm_for_cpu"))
def _int4pack_mm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """x [M, K] @ int4 weight (packed), group scales and zeros [K/g, N, 2]: each weight is
    unpacked once ((w − zero)·scale), then the matmul."""
    x, o = args[0], first_tensor(out)
    k, n = x.shape[-1], o.shape[-1] if o is not None else 0
    return fm.scaled_matmul(_shape(x), (k, n), 0, dequantized=k * n)


@ATEN.register(*_ops("histc"))
def _histc(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """The router's tokens-per-expert count (formulas.histogram)."""
    return fm.histogram(args[0].numel())


# -- losses, sampling, linear algebra (the formulas the ONNX ops use too) ------------------------
_REDUCTION = {0: "none", 1: "mean", 2: "sum"}  # at::Reduction


@ATEN.register(*_ops("nll_loss_forward", "nll_loss2d_forward"))
def _nll_loss(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """nll_loss_forward(self, target, weight, reduction, ignore_index): one loss per target element."""
    target, weight = args[1], _arg(args, kwargs, 2, "weight")
    reduction = _REDUCTION[int(_arg(args, kwargs, 3, "reduction", 1))]
    return fm.nll_loss(target.numel(), weight is not None, reduction)


_GRID_MODE = {0: "bilinear", 1: "nearest", 2: "bicubic"}
_GRID_PADDING = {0: "zeros", 1: "border", 2: "reflection"}


@ATEN.register(*_ops("grid_sampler_2d", "grid_sampler_3d", "_grid_sampler_2d_cpu_fallback", "cudnn_grid_sampler"))
def _grid_sampler(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners); cuDNN's is bilinear, zeros, aligned."""
    x, grid = args[0], args[1]
    mode = _GRID_MODE[int(_arg(args, kwargs, 2, "interpolation_mode", 0))]
    padding = _GRID_PADDING[int(_arg(args, kwargs, 3, "padding_mode", 0))]
    align = bool(_arg(args, kwargs, 4, "align_corners", True))
    return fm.grid_sample(grid.numel() // grid.shape[-1], x.shape[1], grid.shape[-1], mode, padding, align)


@ATEN.register(*_ops("affine_grid_generator"))
def _affine_grid(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """affine_grid_generator(theta, size, align_corners): size is N, C, *spatial."""
    size = [int(d) for d in args[1]]
    return fm.affine_grid(size[0], fm.prod(size[2:]), len(size) - 2)


@ATEN.register(*_ops("_linalg_det", "linalg_det", "det"))
def _det(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    a = args[0]
    n = a.shape[-1] if a.dim() else 0
    return fm.det(n, a.numel() // (n * n) if n else 0)


@ATEN.register(*_ops("linalg_solve_triangular"))
def _solve_triangular(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """linalg_solve_triangular(self, B, *, upper, left=True, unitriangular=False): A is [*, n, n];
    X is [*, n, k] (left) or [*, k, n], one substitution per right-hand side."""
    a, x = args[0], out  # the solution X, one tensor
    n = a.shape[-1]
    left = bool(_arg(args, kwargs, 3, "left", True))
    columns = x.shape[-1] if left else x.shape[-2]
    batch = x.numel() // (n * columns) if n and columns else 0
    return fm.solve_triangular(n, columns, batch, bool(_arg(args, kwargs, 4, "unitriangular", False)))


# -- pooling -----------------------------------------------------------------------------
@ATEN.register(*_ops("max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
                     "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d", "mkldnn_max_pool2d"))
def _pool(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x, kernel = args[0], args[1]
    o = first_tensor(out)
    nd = len(kernel) if len(kernel) > 1 else x.dim() - 2 if x.dim() > 2 else 1
    return fm.pool(_shape(o), tuple(kernel) * (nd if len(kernel) == 1 else 1))


@ATEN.register(*_ops("_adaptive_avg_pool2d", "_adaptive_avg_pool3d", "adaptive_max_pool2d", "adaptive_max_pool3d",
                     "adaptive_max_pool1d", "adaptive_avg_pool1d"))
def _adaptive_pool(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x, size = args[0], args[1]
    o = first_tensor(out)
    return fm.adaptive_pool(_shape(x), _shape(o)[-len(size):])


@ATEN.register(*_ops("max_pool2d_with_indices_backward", "max_pool3d_with_indices_backward"))
def _max_pool_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    return fm.pool_backward(args[0].numel(), 1, "max")


@ATEN.register(*_ops("avg_pool2d_backward", "avg_pool3d_backward"))
def _avg_pool_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    return fm.pool_backward(args[0].numel(), fm.prod(args[2]) if len(args[2]) > 1 else args[2][0] ** (args[0].dim() - 2), "avg")


@ATEN.register(*_ops("_adaptive_avg_pool2d_backward", "_adaptive_avg_pool3d_backward", "adaptive_max_pool2d_backward",
                     "adaptive_max_pool3d_backward"))
def _adaptive_pool_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    return fm.adaptive_pool_backward(args[0].numel())


# -- interpolation -----------------------------------------------------------------------
def _interp(mode: str) -> Binding:
    def bind(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
        return fm.interpolate(_numel(out), mode)

    return bind


_INTERP_OPS = {
    "nearest": ("upsample_nearest1d", "upsample_nearest2d", "upsample_nearest3d", "_upsample_nearest_exact1d",
                "_upsample_nearest_exact2d", "_upsample_nearest_exact3d"),
    "linear": ("upsample_linear1d",),
    "bilinear": ("upsample_bilinear2d", "_upsample_bilinear2d_aa"),
    "bicubic": ("upsample_bicubic2d", "_upsample_bicubic2d_aa"),
    "trilinear": ("upsample_trilinear3d",),
}
for _mode, _names in _INTERP_OPS.items():
    ATEN.register(*_ops(*_names))(_interp(_mode))


def _interp_backward(mode: str) -> Binding:
    """The adjoint of an interpolation: each output gradient is spread over the same input
    taps with the same weights (the forward's arithmetic); nearest adds each output
    gradient into its source element (one add each)."""
    def bind(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
        g = _numel(args[0])
        return fm.accumulate(g) if mode == "nearest" else fm.interpolate(g, mode)

    return bind


for _mode, _names in _INTERP_OPS.items():
    ATEN.register(*_ops(*(n + "_backward" for n in _names)))(_interp_backward(_mode))


@ATEN.register(*_ops("replication_pad1d_backward", "replication_pad2d_backward", "replication_pad3d_backward",
                     "reflection_pad1d_backward", "reflection_pad2d_backward", "reflection_pad3d_backward"))
def _pad_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """Each padded position's gradient is added into the element it copied: one add per padding element."""
    return fm.accumulate(max(_numel(args[0]) - _numel(args[1]), 0))


# -- embedding ---------------------------------------------------------------------------
@ATEN.register(*_ops("embedding"))
def _embedding(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    return fm.embedding()


Named = Callable[[Sequence[Any], dict[str, Any], str], Any]


def _by_name(packet: Any) -> Named:
    """A reader of an op's arguments by their schema names, for a family of ops that put the
    same argument at different positions (the embedding bags and their gradients)."""
    names = [a.name for a in packet.default._schema.arguments]

    def get(args: Sequence[Any], kwargs: dict[str, Any], name: str) -> Any:
        return _arg(args, kwargs, names.index(name), name) if name in names else None

    return get


def _embedding_bag_binding(get: Named) -> Binding:
    def bind(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
        weight, indices, offsets = get(args, kwargs, "weight"), get(args, kwargs, "indices"), get(args, kwargs, "offsets")
        bags = (_numel(offsets) - int(bool(get(args, kwargs, "include_last_offset"))) if offsets is not None
                else _shape(indices)[0])  # a 2-D input with no offsets: one bag per row
        mode = fm.EMBEDDING_BAG_MODES[int(get(args, kwargs, "mode") or 0)]
        weighted = get(args, kwargs, "per_sample_weights") is not None
        return fm.embedding_bag(_numel(indices), bags, _shape(weight)[1], mode, weighted)

    return bind


def _embedding_bag_backward_binding(get: Named) -> Binding:
    """The table's gradient (dense or sparse); the bags are the rows of ``grad``."""

    def bind(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
        bags, dim = _shape(get(args, kwargs, "grad"))
        mode = fm.EMBEDDING_BAG_MODES[int(get(args, kwargs, "mode") or 0)]
        weighted = get(args, kwargs, "per_sample_weights") is not None
        return fm.embedding_bag_backward(_numel(get(args, kwargs, "indices")), bags, dim, mode, weighted)

    return bind


def _embedding_bag_weights_backward(get: Named) -> Binding:
    """Each sample weight's gradient: its row · its bag's gradient, a dot product of dim."""

    def bind(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
        return fm.linear(_numel(get(args, kwargs, "indices")), _shape(get(args, kwargs, "grad"))[1], 1, bias=False)

    return bind


for _names, _make in ((("_embedding_bag", "_embedding_bag_forward_only"), _embedding_bag_binding),
                      (("_embedding_bag_backward", "_embedding_bag_dense_backward", "_embedding_bag_sparse_backward"),
                       _embedding_bag_backward_binding),
                      (("_embedding_bag_per_sample_weights_backward",), _embedding_bag_weights_backward)):
    for _packet in _ops(*_names):
        ATEN.register(_packet)(_make(_by_name(_packet)))


@ATEN.register(*_ops("embedding_dense_backward", "embedding_backward"))
def _embedding_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    return fm.accumulate(args[0].numel())  # each row's gradient added into its table row


# -- attention kernels (the function level canonicalises forward; these catch direct calls and backward)
def _sdpa_binding(packet: Any) -> Binding:
    """Each fused SDPA kernel puts is_causal and its mask at its own position: read them by name."""
    names = [a.name for a in packet.default._schema.arguments]
    causal_at = names.index("is_causal") if "is_causal" in names else None
    mask_at = next((names.index(n) for n in ("attn_mask", "attn_bias") if n in names), None)

    def bind(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
        q, k, v = args[0], args[1], args[2]
        causal = bool(_arg(args, kwargs, causal_at, "is_causal", False)) if causal_at is not None else False
        mask = _arg(args, kwargs, mask_at, names[mask_at], None) if mask_at is not None else None
        return fm.sdpa(_shape(q), _shape(k), _shape(v), causal or mask is not None)

    return bind


for _packet in _ops("_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_flash_attention",
                    "_scaled_dot_product_efficient_attention", "_scaled_dot_product_cudnn_attention",
                    "_efficient_attention_forward", "_flash_attention_forward", "scaled_dot_product_attention",
                    "_scaled_dot_product_attention_math"):
    ATEN.register(_packet)(_sdpa_binding(_packet))


ATTENTION_OPS = frozenset(_ops("_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_flash_attention",
                                "_scaled_dot_product_efficient_attention", "_scaled_dot_product_cudnn_attention",
                                "_efficient_attention_forward", "_flash_attention_forward", "scaled_dot_product_attention",
                                "_scaled_dot_product_attention_math"))


@ATEN.register(*_ops("_scaled_dot_product_flash_attention_for_cpu_backward", "_scaled_dot_product_flash_attention_backward",
                     "_scaled_dot_product_efficient_attention_backward", "_scaled_dot_product_cudnn_attention_backward",
                     "_efficient_attention_backward", "_flash_attention_backward"))
def _sdpa_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    q, k, v = args[1], args[2], args[3]
    return fm.sdpa_backward(_shape(q), _shape(k), _shape(v))


# -- element-wise ------------------------------------------------------------------------
def _elementwise(name: str) -> Binding:
    def bind(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
        return fm.elementwise(name, _numel(first_tensor(out)))  # any dtype: see docs/conventions.md

    bind.__name__ = f"elementwise_{name}"
    return bind


def _with_inplace(*names: str) -> list[str]:
    return [n for base in names for n in (base, base + "_")]


ELEMENTWISE: dict[str, tuple[str, ...]] = {
    "add": ("add", "add_", "rsub", "sub", "sub_", "__iadd__"),
    "mul": tuple(_with_inplace("mul", "square")),
    "div": tuple(_with_inplace("div", "floor_divide", "remainder", "fmod")),
    "neg": tuple(_with_inplace("neg", "_conj_physical", "conj_physical")),
    "abs": tuple(_with_inplace("abs", "sign", "sgn")),
    "exp": tuple(_with_inplace("exp", "exp2", "expm1")),
    "log": tuple(_with_inplace("log", "log2", "log10", "log1p")),
    "sqrt": tuple(_with_inplace("sqrt")),
    "rsqrt": tuple(_with_inplace("rsqrt")),
    "pow": tuple(_with_inplace("pow", "float_power")),
    "reciprocal": tuple(_with_inplace("reciprocal")),
    "erf": tuple(_with_inplace("erf", "erfc", "erfinv")),
    "sin": tuple(_with_inplace("sin", "asin", "sinh", "atan", "atan2", "asinh", "atanh", "angle")),
    "cos": tuple(_with_inplace("cos", "acos", "cosh", "tan", "acosh")),
    "max": ("maximum", "minimum", "fmax", "fmin"),
    "clamp": tuple(_with_inplace("clamp", "clip")),
    "min": tuple(_with_inplace("clamp_min", "clamp_max")),
    "where": ("where",),
    "compare": tuple(_with_inplace("eq", "ne", "lt", "le", "gt", "ge", "isnan", "isinf", "isfinite", "signbit")),
    "addcmul": tuple(_with_inplace("addcmul", "addcdiv")),
    "lerp": tuple(_with_inplace("lerp")),
    "relu": tuple(_with_inplace("relu", "threshold")),
    "relu6": ("relu6",),
    "leaky_relu": tuple(_with_inplace("leaky_relu", "rrelu_with_noise")),
    "prelu": ("_prelu_kernel", "prelu"),
    "celu": tuple(_with_inplace("celu")),
    "selu": tuple(_with_inplace("selu")),
    "sigmoid": tuple(_with_inplace("sigmoid")),
    "tanh": tuple(_with_inplace("tanh")),
    "silu": tuple(_with_inplace("silu")),
    "softplus": ("softplus",),
    "mish": tuple(_with_inplace("mish")),
    "hardswish": tuple(_with_inplace("hardswish")),
    "hardsigmoid": tuple(_with_inplace("hardsigmoid")),
    "hardtanh": tuple(_with_inplace("hardtanh")),
    "logsigmoid": ("log_sigmoid_forward", "log_sigmoid"),
    "glu": ("glu",),
    "dropout_train": ("native_dropout",),
    "threshold_backward": ("threshold_backward",),
    "sigmoid_backward": ("sigmoid_backward",),
    "tanh_backward": ("tanh_backward",),
    "silu_backward": ("silu_backward",),
    "hardswish_backward": ("hardswish_backward",),
    "hardsigmoid_backward": ("hardsigmoid_backward",),
    "leaky_relu_backward": ("leaky_relu_backward",),
    "elu_backward": ("elu_backward",),
    "softplus_backward": ("softplus_backward",),
    "mish_backward": ("mish_backward",),
    "hardtanh_backward": ("hardtanh_backward",),
    "dropout_backward": ("native_dropout_backward",),
}

for _name, _ops_names in ELEMENTWISE.items():
    ATEN.register(*_ops(*_ops_names))(_elementwise(_name))


# -- rounding, special functions -------------------------------------------------------------
_SPECIAL = ("lgamma", "digamma", "polygamma", "mvlgamma", "zeta", "i0", "erfcx", "ndtri", "igamma", "igammac",
            "special_i0e", "special_i1", "special_i1e", "special_ndtri", "special_log_ndtr", "special_erfcx",
            "special_bessel_j0", "special_bessel_j1", "special_bessel_y0", "special_bessel_y1",
            "special_modified_bessel_i0", "special_modified_bessel_i1", "special_modified_bessel_k0",
            "special_modified_bessel_k1", "special_scaled_modified_bessel_k0", "special_scaled_modified_bessel_k1",
            "special_spherical_bessel_j0", "special_airy_ai", "special_zeta", "special_entr", "special_erfcx",
            "special_chebyshev_polynomial_t", "special_chebyshev_polynomial_u", "special_chebyshev_polynomial_v",
            "special_chebyshev_polynomial_w", "special_shifted_chebyshev_polynomial_t",
            "special_shifted_chebyshev_polynomial_u", "special_shifted_chebyshev_polynomial_v",
            "special_shifted_chebyshev_polynomial_w", "special_hermite_polynomial_h", "special_hermite_polynomial_he",
            "special_laguerre_polynomial_l", "special_legendre_polynomial_p")
for _name, _names in {"round": ("round", "round_", "floor", "floor_", "ceil", "ceil_", "trunc", "trunc_", "frac", "frac_",
                                "nextafter", "nextafter_", "frexp"),
                      "special": tuple(dict.fromkeys(_SPECIAL)), "hypot": ("hypot", "hypot_")}.items():
    ATEN.register(*_ops(*_names))(_elementwise(_name))


# -- sorting, selection, cumulative extremes, FFT ----------------------------------------------
def _dim_arg(args: Sequence[Any], kwargs: dict[str, Any], i: int, default: int = -1) -> int:
    d = _arg(args, kwargs, i, "dim", default)
    return int(d) if d is not None else default


@ATEN.register(*_ops("sort", "argsort", "msort"))
def _sort(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x = args[0]
    dim = kwargs.get("dim", args[1] if len(args) > 1 and isinstance(args[1], int) and not isinstance(args[1], bool) else -1)
    return fm.sort(x.numel(), _dim_len(x, dim) if x.dim() else 1)


@ATEN.register(*_ops("topk"))
def _topk(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x, k = args[0], int(_arg(args, kwargs, 1, "k"))
    return fm.topk(x.numel(), _dim_len(x, _dim_arg(args, kwargs, 2)) if x.dim() else 1, k)


@ATEN.register(*_ops("kthvalue"))
def _kthvalue(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x = args[0]  # (self, k, dim=-1, keepdim=False)
    return fm.select_kth(x.numel(), _dim_len(x, _dim_arg(args, kwargs, 2)) if x.dim() else 1)


@ATEN.register(*_ops("median", "nanmedian", "mode"))
def _median(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x = args[0]  # (self) over everything, or (self, dim, keepdim=False); mode's dim defaults to -1
    if not x.dim():
        return Cost()
    if len(args) < 2 and "dim" not in kwargs and not isinstance(out, (tuple, list)):
        return fm.select_kth(x.numel(), x.numel())
    return fm.select_kth(x.numel(), _dim_len(x, _dim_arg(args, kwargs, 1)))


@ATEN.register(*_ops("cummax", "cummin", "_cummax_helper", "_cummin_helper"))
def _cum_extreme(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x = args[0]
    return fm.cumulative(x.numel(), _dim_len(x, _dim_arg(args, kwargs, 1, 0)) if x.dim() else 1)


@ATEN.register(*_ops("logcumsumexp", "_logcumsumexp"))
def _logcumsumexp(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x = args[0]
    return fm.logcumsumexp(x.numel(), _dim_len(x, _dim_arg(args, kwargs, 1, 0)) if x.dim() else 1)


@ATEN.register(*_ops("equal"))
def _equal(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """torch.equal: one comparison per element, then their conjunction (n − 1)."""
    n = _numel(args[0]) if _shape(args[0]) == _shape(args[1]) else 0
    return fm.elementwise("compare", n) + fm.reduction(n, 1 if n else 0)


@ATEN.register(*_ops("_fft_c2c"))
def _fft_c2c(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x, dims, norm = args[0], [int(d) % max(args[0].dim(), 1) for d in args[1]], int(args[2])
    return fm.fft_nd(_shape(x), dims, None, norm != 0, _numel(out))


@ATEN.register(*_ops("_fft_r2c"))
def _fft_r2c(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    x, dims, norm = args[0], [int(d) % max(args[0].dim(), 1) for d in args[1]], int(args[2])
    return fm.fft_nd(_shape(x), dims, dims[-1] if dims else None, norm != 0, _numel(out))


@ATEN.register(*_ops("_fft_c2r"))
def _fft_c2r(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    o, dims, norm = first_tensor(out), [int(d) % max(args[0].dim(), 1) for d in args[1]], int(args[2])
    return fm.fft_nd(_shape(o), dims, dims[-1] if dims else None, norm != 0, _numel(o))


@ATEN.register(*_ops("elu", "elu_"))
def _elu(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """elu(x, alpha, scale, input_scale): SELU and CELU run as elu with a scale ≠ 1, one
    more multiply each (so selu = 5 and celu = 5 per element, as in the table)."""
    scale = _arg(args, kwargs, 2, "scale", 1)
    input_scale = _arg(args, kwargs, 3, "input_scale", 1)
    per = fm.unit("elu") + int(scale != 1) + int(input_scale != 1)
    return Cost(0, _numel(out) * per)


@ATEN.register(*_ops("gelu", "gelu_"))
def _gelu(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    approx = _arg(args, kwargs, 1, "approximate", "none")
    return fm.elementwise("gelu_tanh" if approx == "tanh" else "gelu", _numel(out))


@ATEN.register(*_ops("gelu_backward"))
def _gelu_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    approx = _arg(args, kwargs, 2, "approximate", "none")
    return fm.elementwise("gelu_tanh_backward" if approx == "tanh" else "gelu_backward", _numel(out))


@ATEN.register(*_ops("index_put", "index_put_", "_index_put_impl_"))
def _index_put(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """x[idx] = v is a copy; with accumulate=True each value is added once."""
    accumulate = bool(_arg(args, kwargs, 3, "accumulate", False))
    return fm.accumulate(_numel(args[2])) if accumulate else Cost()


@ATEN.register(*_ops("index_add", "index_add_", "scatter_add", "scatter_add_", "scatter_reduce", "scatter_reduce_"))
def _scatter_add(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """Each source element is added (reduced) into the output once."""
    src = args[3] if len(args) > 3 and isinstance(args[3], torch.Tensor) else first_tensor(args[1:])
    return fm.accumulate(_numel(src))


# -- quantized (torch.ao) ----------------------------------------------------------------
_Q = torch.ops.quantized


def _qops(*names: str) -> list[Any]:
    return [getattr(_Q, n) for n in names if hasattr(_Q, n)]


def _quantized_linear_cost(args: Sequence[Any], relu: bool, out: Any) -> Cost:
    """x @ Wᵀ + b with W packed (int8 or fp16): the linear formula, sizes read from the package."""
    from .quantized import unpack_linear

    x, packed = args[0], args[1]
    w, b = unpack_linear(packed)
    rows = x.numel() // max(x.shape[-1], 1) if x.dim() else 1
    cost = fm.linear(rows, int(w.shape[1]), int(w.shape[0]), b is not None)
    return cost + fm.elementwise("relu", _numel(out)) if relu else cost


@ATEN.register(*_qops("linear_dynamic", "linear_dynamic_fp16", "linear"))
def _quantized_linear(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    return _quantized_linear_cost(args, False, out)


@ATEN.register(*_qops("linear_relu_dynamic", "linear_relu_dynamic_fp16", "linear_relu"))
def _quantized_linear_relu(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    return _quantized_linear_cost(args, True, out)


@ATEN.register(*_ops("quantized_lstm", "quantized_gru"))
def _quantized_rnn(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> Cost:
    """quantized_lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first, ...):
    the LSTM/GRU formula of :mod:`nncost.formulas.rnn`; sizes from the input and hidden state."""
    data, hx = args[0], args[1]
    mode = "lstm" if isinstance(hx, (list, tuple)) and len(hx) == 2 else "gru"
    h0 = hx[0] if isinstance(hx, (list, tuple)) else hx
    has_biases, num_layers, bidir, batch_first = bool(args[3]), int(args[4]), bool(args[7]), bool(args[8])
    spec = fm.RnnSpec(mode, int(data.shape[-1]), int(h0.shape[-1]), num_layers, has_biases, bidir, 0, 2)
    steps, batch = (data.shape[1], data.shape[0]) if batch_first else (data.shape[0], data.shape[1] if data.dim() == 3 else 1)
    return fm.rnn(spec, int(steps), int(batch))
