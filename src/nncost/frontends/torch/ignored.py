"""aten ops that do no arithmetic, each group with its reason.

tests/test_torch_ignored.py runs every one of them and checks that its outputs hold only
values its inputs held (or constants): a view, copy, allocation or index, never a sum.
"""

from __future__ import annotations

import torch

from .bindings import ATEN

__all__ = ["IGNORED_GROUPS", "TRAFFIC"]

aten = torch.ops.aten

IGNORED_GROUPS: dict[str, tuple[str, ...]] = {
    "view (same storage, no arithmetic)": (
        "view", "_unsafe_view", "reshape", "_reshape_alias", "expand", "expand_as", "permute", "transpose", "transpose_", "t", "t_",
        "squeeze", "squeeze_", "unsqueeze", "unsqueeze_", "select", "slice", "narrow", "split", "split_with_sizes",
        "unsafe_split", "unsafe_split_with_sizes", "unbind", "chunk", "unsafe_chunk", "as_strided", "as_strided_", "alias", "detach",
        "detach_", "unfold", "diagonal", "movedim", "view_as_real", "view_as_complex",
        "lift_fresh", "flatten", "unflatten", "swapaxes", "tensor_split", "_unsafe_index",
    ),
    "copy (moves or repeats values)": (
        "clone", "copy_", "_to_copy", "to", "contiguous", "cat", "stack", "hstack", "vstack", "repeat", "repeat_interleave",
        "roll", "flip", "tile", "constant_pad_nd", "reflection_pad1d", "reflection_pad2d", "reflection_pad3d",
        "replication_pad1d", "replication_pad2d", "replication_pad3d", "pixel_shuffle", "pixel_unshuffle",
        "channel_shuffle", "native_channel_shuffle", "lift_fresh_copy",
        "slice_scatter", "select_scatter", "diagonal_scatter", "as_strided_scatter", "_to_dense",
    ),
    "index (gathers or writes values, no arithmetic)": (
        "index", "index_select", "gather", "scatter", "scatter_", "masked_fill", "masked_fill_", "masked_scatter",
        "masked_select", "take", "tril", "tril_", "triu", "triu_", "nonzero", "_embedding_bag_dense_backward_fake",
        "nonzero_static", "put", "put_",
    ),
    "allocation or fill (constants, no arithmetic on data)": (
        "empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided", "zeros", "zeros_like", "new_zeros",
        "ones", "ones_like", "new_ones", "full", "full_like", "new_full", "fill", "fill_", "zero_", "arange", "scalar_tensor",
        "eye", "resize_", "resize_as_", "set_",
    ),
    "random numbers (sampling, not model arithmetic)": (
        "rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm", "normal", "normal_", "uniform_",
        "bernoulli", "bernoulli_", "exponential_", "multinomial",
    ),
    "metadata and control (no tensor arithmetic)": (
        "sym_size", "sym_stride", "sym_numel", "sym_storage_offset", "is_same_size", "_local_scalar_dense", "item",
        "_assert_async", "_assert_scalar", "_assert_tensor_metadata", "sym_constrain_range", "_has_compatible_shallow_copy_type",
        "is_nonzero", "_nested_tensor_from_mask_left_aligned", "record_stream", "_functional_sym_constrain_range",
        "_linalg_check_errors", "_conj", "conj", "_neg_view",  # the conjugate / negative bit: resolving it counts
    ),
    "boolean and bitwise logic (bit manipulation, not arithmetic)": (
        "logical_and", "logical_or", "logical_not", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_not",
        "bitwise_xor", "__and__", "__or__", "_is_all_true", "_is_any_true",
    ),
}

for _reason, _names in IGNORED_GROUPS.items():
    ATEN.ignore([getattr(aten, n) for n in _names if hasattr(aten, n) and getattr(aten, n) not in ATEN], _reason)

# Memory traffic of the ops above (formulas/memory.py): an op not listed reads every tensor operand once and
# writes its outputs. Views and metadata move nothing; allocations and random draws only write (``empty`` not
# even that); a gather reads its indices and the rows it copies (an embedding bag: the rows it reduces); ``copy_``
# reads its source, not its destination; "first": only the first output is written.
_NO_TRAFFIC = {*IGNORED_GROUPS["view (same storage, no arithmetic)"], *IGNORED_GROUPS["metadata and control (no tensor arithmetic)"],
               "empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided", "resize_", "resize_as_", "set_"}
_WRITE_ONLY = {*IGNORED_GROUPS["allocation or fill (constants, no arithmetic on data)"],
               *IGNORED_GROUPS["random numbers (sampling, not model arithmetic)"]} - _NO_TRAFFIC
_GATHER = {"embedding", "index", "index_select", "gather", "take", "_unsafe_index"}
TRAFFIC: dict[object, str] = {
    **{getattr(aten, n): "write" for n in _WRITE_ONLY if hasattr(aten, n)},
    **{getattr(aten, n): "none" for n in _NO_TRAFFIC - {"_unsafe_index"} if hasattr(aten, n)},
    **{getattr(aten, n): "gather" for n in _GATHER if hasattr(aten, n)},
    aten.copy_: "copy",
    # an embedding bag reads the rows it reduces; of its outputs only the first is data (the bookkeeping ones differ in
    # size between kernels: CPU, CUDA and meta)
    aten._embedding_bag: "bag", aten._embedding_bag_forward_only: "bag",
    # eval-mode batch norm also returns per-channel statistics that meta fills and the CPU leaves empty: not data
    aten._native_batch_norm_legit_no_training: "first",
    aten.native_batch_norm: "bn",  # "first" when its training argument is False
}
