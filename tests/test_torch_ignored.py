"""Every aten op nncost ignores as free really does no arithmetic.

Each ignored op runs on real CPU tensors of distinct random values; every floating-point
value it outputs must be one its inputs held, or a constant it was given (or 0/1 for
allocations). A sum, product or exp would make new values and fail.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from nncost.frontends.torch import capture  # noqa: E402,F401  (registers bindings and ignores)
from nncost.frontends.torch.bindings import ATEN  # noqa: E402

aten = torch.ops.aten


def X(*shape: int) -> torch.Tensor:
    n = 1
    for s in shape:
        n *= s
    return (torch.randperm(n, dtype=torch.float64) + 0.5).reshape(shape)  # distinct, non-zero, exact values


I = torch.tensor([0, 2], dtype=torch.long)
M = torch.tensor([[True, False, True, False], [False, True, False, True], [True, True, False, False]])

# op name -> a call on sample tensors (tensors first, then constants)
CALLS = {
    "view": lambda: aten.view(X(3, 4), [4, 3]), "_unsafe_view": lambda: aten._unsafe_view(X(3, 4), [12]),
    "reshape": lambda: aten.reshape(X(3, 4), [2, 6]), "_reshape_alias": lambda: aten._reshape_alias(X(3, 4), [12], [1]),
    "expand": lambda: aten.expand(X(3, 1), [3, 4]), "expand_as": lambda: aten.expand_as(X(3, 1), X(3, 4)),
    "permute": lambda: aten.permute(X(2, 3, 4), [2, 0, 1]), "transpose": lambda: aten.transpose(X(3, 4), 0, 1),
    "transpose_": lambda: aten.transpose_(X(3, 4), 0, 1), "t": lambda: aten.t(X(3, 4)), "t_": lambda: aten.t_(X(3, 4)),
    "squeeze": lambda: aten.squeeze(X(3, 1)), "squeeze_": lambda: aten.squeeze_(X(3, 1)),
    "unsqueeze": lambda: aten.unsqueeze(X(3), 0), "unsqueeze_": lambda: aten.unsqueeze_(X(3), 0),
    "select": lambda: aten.select(X(3, 4), 0, 1), "slice": lambda: aten.slice(X(3, 4), 1, 1, 3),
    "narrow": lambda: aten.narrow(X(3, 4), 1, 0, 2), "split": lambda: aten.split(X(4, 3), 2),
    "split_with_sizes": lambda: aten.split_with_sizes(X(4, 3), [1, 3]), "unsafe_split": lambda: aten.unsafe_split(X(4, 3), 2),
    "unsafe_split_with_sizes": lambda: aten.unsafe_split_with_sizes(X(4, 3), [1, 3]), "unbind": lambda: aten.unbind(X(3, 4)),
    "chunk": lambda: aten.chunk(X(4, 3), 2), "unsafe_chunk": lambda: aten.unsafe_chunk(X(4, 3), 2),
    "as_strided": lambda: aten.as_strided(X(3, 4), [2, 2], [4, 1]), "as_strided_": lambda: aten.as_strided_(X(3, 4), [2, 2], [4, 1]),
    "alias": lambda: aten.alias(X(3)), "detach": lambda: aten.detach(X(3)), "detach_": lambda: aten.detach_(X(3).clone()),
    "unfold": lambda: aten.unfold(X(8), 0, 3, 2), "diagonal": lambda: aten.diagonal(X(3, 3)),
    "movedim": lambda: aten.movedim(X(2, 3, 4), 0, 2), "view_as_real": lambda: aten.view_as_real(torch.complex(X(3), X(3))),
    "view_as_complex": lambda: aten.view_as_complex(X(3, 2)), "lift_fresh": lambda: aten.lift_fresh(X(3)),
    "flatten": lambda: aten.flatten(X(2, 3)), "unflatten": lambda: aten.unflatten(X(6), 0, [2, 3]),
    "swapaxes": lambda: aten.swapaxes(X(2, 3), 0, 1), "tensor_split": lambda: aten.tensor_split(X(6), 3),
    "_unsafe_index": lambda: aten._unsafe_index(X(3, 4), [I]),
    "nonzero_static": lambda: aten.nonzero_static(X(3), size=4), "put": lambda: aten.put(X(3, 4), I, X(2)),
    "put_": lambda: aten.put_(X(3, 4), I, X(2)), "resize_as_": lambda: aten.resize_as_(X(4), X(2)),
    "clone": lambda: aten.clone(X(3, 4)), "copy_": lambda: aten.copy_(torch.zeros(3), X(3)),
    "_to_copy": lambda: aten._to_copy(X(3), dtype=torch.float32), "to": lambda: aten.to(X(3), torch.float32),
    "contiguous": lambda: aten.contiguous(X(3, 4).t()), "cat": lambda: aten.cat([X(2, 3), X(1, 3)]),
    "stack": lambda: aten.stack([X(3), X(3)]), "hstack": lambda: aten.hstack([X(3), X(2)]), "vstack": lambda: aten.vstack([X(3), X(3)]),
    "repeat": lambda: aten.repeat(X(2, 3), [2, 1]), "repeat_interleave": lambda: aten.repeat_interleave(X(3), 2),
    "roll": lambda: aten.roll(X(5), [2]), "flip": lambda: aten.flip(X(2, 3), [1]), "tile": lambda: aten.tile(X(2), [3]),
    "constant_pad_nd": lambda: aten.constant_pad_nd(X(1, 3, 3), [1, 1], 0.0),
    "reflection_pad1d": lambda: aten.reflection_pad1d(X(1, 2, 5), [2, 2]),
    "reflection_pad2d": lambda: aten.reflection_pad2d(X(1, 2, 4, 4), [1, 1, 1, 1]),
    "reflection_pad3d": lambda: aten.reflection_pad3d(X(1, 1, 3, 3, 3), [1, 1, 1, 1, 1, 1]),
    "replication_pad1d": lambda: aten.replication_pad1d(X(1, 2, 5), [2, 2]),
    "replication_pad2d": lambda: aten.replication_pad2d(X(1, 2, 4, 4), [1, 1, 1, 1]),
    "replication_pad3d": lambda: aten.replication_pad3d(X(1, 1, 3, 3, 3), [1, 1, 1, 1, 1, 1]),
    "pixel_shuffle": lambda: aten.pixel_shuffle(X(1, 4, 2, 2), 2), "pixel_unshuffle": lambda: aten.pixel_unshuffle(X(1, 1, 4, 4), 2),
    "channel_shuffle": lambda: aten.channel_shuffle(X(1, 4, 2, 2), 2),
    "native_channel_shuffle": lambda: aten.native_channel_shuffle(X(1, 4, 2, 2), 2),
    "lift_fresh_copy": lambda: aten.lift_fresh_copy(X(3)),
    "slice_scatter": lambda: aten.slice_scatter(X(4, 3), X(2, 3), 0, 0, 2),
    "select_scatter": lambda: aten.select_scatter(X(4, 3), X(3), 0, 1),
    "diagonal_scatter": lambda: aten.diagonal_scatter(X(3, 3), X(3)),
    "as_strided_scatter": lambda: aten.as_strided_scatter(X(3, 3), X(2), [2], [1]),
    "_to_dense": lambda: aten._to_dense(X(2, 2).to_sparse()),
    "index": lambda: aten.index(X(3, 4), [I]), "index_select": lambda: aten.index_select(X(3, 4), 0, I),
    "gather": lambda: aten.gather(X(3, 4), 1, torch.tensor([[0], [3], [1]])),
    "scatter": lambda: aten.scatter(X(3, 4), 1, torch.tensor([[0], [3], [1]]), X(3, 1)),
    "scatter_": lambda: aten.scatter_(X(3, 4), 1, torch.tensor([[0], [3], [1]]), X(3, 1)),
    "masked_fill": lambda: aten.masked_fill(X(3, 4), M, -7.25), "masked_fill_": lambda: aten.masked_fill_(X(3, 4), M, -7.25),
    "masked_scatter": lambda: aten.masked_scatter(X(3, 4), M, X(12)), "masked_select": lambda: aten.masked_select(X(3, 4), M),
    "take": lambda: aten.take(X(3, 4), I), "tril": lambda: aten.tril(X(3, 3)), "tril_": lambda: aten.tril_(X(3, 3)),
    "triu": lambda: aten.triu(X(3, 3)), "triu_": lambda: aten.triu_(X(3, 3)), "nonzero": lambda: aten.nonzero(X(3)),
    "empty": lambda: aten.empty([3]).fill_(0), "empty_like": lambda: aten.empty_like(X(3)).fill_(0),
    "empty_strided": lambda: aten.empty_strided([3], [1]).fill_(0), "new_empty": lambda: aten.new_empty(X(3), [2]).fill_(0),
    "new_empty_strided": lambda: aten.new_empty_strided(X(3), [2], [1]).fill_(0),
    "zeros": lambda: aten.zeros([3]), "zeros_like": lambda: aten.zeros_like(X(3)), "new_zeros": lambda: aten.new_zeros(X(3), [2]),
    "ones": lambda: aten.ones([3]), "ones_like": lambda: aten.ones_like(X(3)), "new_ones": lambda: aten.new_ones(X(3), [2]),
    "full": lambda: aten.full([3], 2.5), "full_like": lambda: aten.full_like(X(3), 2.5), "new_full": lambda: aten.new_full(X(3), [2], 2.5),
    "fill": lambda: aten.fill(X(3), 2.5), "fill_": lambda: aten.fill_(X(3), 2.5), "zero_": lambda: aten.zero_(X(3)),
    "arange": lambda: aten.arange(3), "scalar_tensor": lambda: aten.scalar_tensor(2.5), "eye": lambda: aten.eye(3),
    "resize_": lambda: aten.resize_(X(4), [2]), "set_": lambda: aten.set_(torch.zeros(0, dtype=torch.float64), X(3)),
}
RANDOM_OR_META = {
    "random numbers (sampling, not model arithmetic)",
    "metadata and control (no tensor arithmetic)",
    "boolean and bitwise logic (bit manipulation, not arithmetic)",
}


def _values(x) -> set[float]:
    out: set[float] = set()
    for t in x if isinstance(x, (list, tuple)) else [x]:
        if isinstance(t, torch.Tensor) and (t.dtype.is_floating_point or t.dtype.is_complex):
            flat = torch.view_as_real(t).flatten() if t.dtype.is_complex else t.flatten()
            out |= set(flat.tolist())
    return out


def _ignored_with_reason():
    return [(p.__name__, reason) for p, reason in ATEN.ignored().items()]


@pytest.mark.parametrize(("name", "reason"), sorted(_ignored_with_reason()))
def test_ignored_op_does_no_arithmetic(name, reason):
    if reason in RANDOM_OR_META:
        return  # sampling and metadata: checked by test_random_and_metadata_ops_make_no_float_results
    assert name in CALLS, f"ignored op {name} has no sample call in this test"
    torch.manual_seed(0)
    inputs: set[float] = set()
    orig = X

    def recording_x(*shape: int) -> torch.Tensor:
        t = orig(*shape)
        inputs.update(t.flatten().tolist())
        return t

    globals()["X"] = recording_x
    try:
        out = CALLS[name]()
    finally:
        globals()["X"] = orig
    allowed = inputs | {0.0, 1.0, 2.5, -7.25, 0.5, 1.5, 2.0}  # constants the calls pass, allocations' 0 and 1
    made = _values(out) - allowed
    assert not made, f"{name} produced values its inputs did not hold: {sorted(made)[:5]}"


def test_boolean_ops_make_no_float_results():
    a, b = X(3) > 1.5, X(3) > 2.5
    for p, reason in ATEN.ignored().items():
        if reason.startswith("boolean"):
            args = (a,) if p.__name__.endswith(("_not", "_true")) else (a, b)  # _is_all_true(a): one operand
            assert not (p(*args).dtype.is_floating_point), p


def test_random_ops_only_sample():
    torch.manual_seed(1)
    for name in ("rand", "randn"):
        out = getattr(aten, name)([1000])
        assert out.dtype.is_floating_point and out.unique().numel() > 900  # fresh samples, not a function of inputs


def test_no_ignored_op_is_also_counted():
    for p in ATEN.ignored():
        assert ATEN.binding(p) is None
