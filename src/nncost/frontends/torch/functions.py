"""Function-level bindings: fused torch functions canonicalised to one formula.

Below these functions, what runs depends on the device and on grad mode: nn.LSTM is
``mkldnn_rnn_layer`` on CPU and a loop of ``addmm``/``sigmoid`` on meta;
``F.scaled_dot_product_attention`` is one flash kernel on CPU and five math ops on meta;
``nn.MultiheadAttention`` under ``no_grad`` is ``_native_multi_head_attention``. Counting
at this level gives one model one count everywhere. The ops they run are not counted
again (the capture suppresses them); their backward ops are counted at the aten level.

Each binding is ``fn(args, kwargs, fast) -> (Cost, outputs or None, attention part)``: on the meta device with
no gradient needed, the RNN and SDPA bindings also build their outputs directly, so a
100-step LSTM costs one formula instead of 100 steps of meta kernels.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from ... import formulas as fm
from ...cost import ZERO, Cost
from ...formulas.rnn import GATES
from .pycalls import RECORD
from .pycalls import original as unwrapped

__all__ = ["FUNCTIONS", "FnResult", "META_FUSED", "fused_sdpa", "fused_sdpa_in_recomputation"]

FnResult = tuple[Cost, Any, Cost]  # (cost, outputs built on meta, a call to run instead, or None; attention share)
FnBinding = Callable[[Sequence[Any], dict[str, Any], bool], FnResult]
FUNCTIONS: dict[Any, FnBinding] = {}
_VF = torch._C._VariableFunctions


def _register(*fns: Any) -> Callable[[FnBinding], FnBinding]:
    def deco(binding: FnBinding) -> FnBinding:
        for fn in dict.fromkeys(fns):  # aliases (F.x is torch.x) count once
            if fn in FUNCTIONS:
                raise KeyError(f"function {fn} is bound twice")
            FUNCTIONS[fn] = binding
        return binding

    return deco


def _meta(*shape: int, like: torch.Tensor) -> torch.Tensor:
    return torch.empty(shape, dtype=like.dtype, device="meta")


def _rnn_binding(mode: str) -> FnBinding:
    gates = GATES[mode]

    def bind(args: Sequence[Any], kwargs: dict[str, Any], fast: bool) -> FnResult:
        packed = isinstance(args[3], (list, tuple))  # the PackedSequence overload puts batch_sizes second
        if packed:  # (data, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional)
            data, hx, params, has_biases, num_layers, bidir = args[0], args[2], args[3], args[4], args[5], args[8]
            batch_first = False
        else:  # (input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)
            data, hx, params, has_biases, num_layers, bidir, batch_first = args[0], args[1], args[2], args[3], args[4], args[7], args[8]
        w_ih = params[0]
        hidden = w_ih.shape[0] // gates
        per = 2 + 2 * int(has_biases)
        proj = 0
        if mode == "lstm" and len(params) == num_layers * (2 if bidir else 1) * (per + 1):
            proj = params[per].shape[0]
        spec = fm.RnnSpec(mode, w_ih.shape[1], hidden, int(num_layers), bool(has_biases), bool(bidir), proj, 2)
        if packed:
            steps, batch = data.shape[0], 1
        elif batch_first:
            batch, steps = data.shape[0], data.shape[1]
        else:
            steps, batch = data.shape[0], data.shape[1]
        cost = fm.rnn(spec, steps, batch)
        if not fast:
            return cost, None, ZERO
        out_size = spec.out_size * spec.directions
        h0 = hx[0] if isinstance(hx, (list, tuple)) else hx
        out = _meta(*data.shape[:-1], out_size, like=data)
        h_n = _meta(*h0.shape, like=h0)
        if mode == "lstm":
            c0 = hx[1]
            return cost, (out, h_n, _meta(*c0.shape, like=c0)), ZERO
        return cost, (out, h_n), ZERO

    return bind


for _mode, _fn in (("lstm", _VF.lstm), ("gru", _VF.gru), ("rnn_tanh", _VF.rnn_tanh), ("rnn_relu", _VF.rnn_relu)):
    _register(_fn)(_rnn_binding(_mode))


def _get(args: Sequence[Any], kwargs: dict[str, Any], i: int, name: str, default: Any = None) -> Any:
    return args[i] if len(args) > i else kwargs.get(name, default)


def fused_sdpa(args: Sequence[Any], kwargs: dict[str, Any]) -> Callable[[], Any] | None:
    """On meta with a gradient to keep, SDPA would run its math decomposition, which saves the S×S
    probabilities for backward; the fused kernel every device runs in training saves only its
    output and log-sum-exp. A call of that fused kernel (or, with no gradient, of an empty
    output of the right shape), or None where SDPA runs as it is."""
    q, k, v = (_get(args, kwargs, i, n) for i, n in enumerate(("query", "key", "value")))
    if not (isinstance(q, torch.Tensor) and q.device.type == "meta"):
        return None
    if not (torch.is_grad_enabled() and any(t.requires_grad for t in (q, k, v))):  # nothing to save: the output's shape
        return lambda: torch.empty((*q.shape[:-1], v.shape[-1]), dtype=q.dtype, device="meta")
    if q.dim() != 4:
        return None
    mask = _get(args, kwargs, 3, "attn_mask")
    dropout, causal = float(_get(args, kwargs, 4, "dropout_p", 0.0)), bool(_get(args, kwargs, 5, "is_causal", False))
    scale = kwargs.get("scale")
    if v.shape[-1] == q.shape[-1]:
        flash = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu
        return lambda: flash(q, k, v, dropout, causal, attn_mask=mask, scale=scale)[0]
    efficient = torch.ops.aten._scaled_dot_product_efficient_attention  # a value head of its own width
    return lambda: efficient(q, k, v, mask, True, dropout, causal, scale=scale)[0]


# functions to run as their fused kernel on meta even where they are not counted on their own (inside MHA)
META_FUSED: dict[Any, Callable[[Sequence[Any], dict[str, Any]], Callable[[], Any] | None]] = {
    F.scaled_dot_product_attention: fused_sdpa, torch._C._nn.scaled_dot_product_attention: fused_sdpa}


@_register(F.scaled_dot_product_attention, torch._C._nn.scaled_dot_product_attention)
def _sdpa(args: Sequence[Any], kwargs: dict[str, Any], fast: bool) -> FnResult:
    q, k, v = (_get(args, kwargs, i, n) for i, n in enumerate(("query", "key", "value")))
    mask = _get(args, kwargs, 3, "attn_mask")
    causal = bool(_get(args, kwargs, 5, "is_causal", False))
    cost = fm.sdpa(tuple(q.shape), tuple(k.shape), tuple(v.shape), mask is not None or causal)
    if not fast:
        return cost, fused_sdpa(args, kwargs), cost
    return cost, _meta(*q.shape[:-1], v.shape[-1], like=q), cost


def _mha_core(batch: int, tgt: int, src: int, e: int, heads: int, masked: bool) -> Cost:
    """The SDPA inside multi-head attention (its share reported as attention)."""
    hd = e // heads
    return fm.sdpa((batch, heads, tgt, hd), (batch, heads, src, hd), (batch, heads, src, hd), masked)


@_register(F.multi_head_attention_forward)
def _mha(args: Sequence[Any], kwargs: dict[str, Any], fast: bool) -> FnResult:
    # query [L, N, E] or [L, E]; key [S, N, kdim]
    query, key = args[0], args[1]
    num_heads = args[4]
    in_proj_bias = args[6]
    need_weights = bool(_get(args, kwargs, 15, "need_weights", True))
    masked = any(_get(args, kwargs, i, n) is not None for i, n in ((14, "key_padding_mask"), (16, "attn_mask"))) \
        or bool(kwargs.get("is_causal", False))
    batch = query.shape[1] if query.dim() == 3 else 1
    separate = bool(_get(args, kwargs, 17, "use_separate_proj_weight", False))
    e = query.shape[-1]
    kdim = key.shape[-1] if separate else e
    vdim = _get(args, kwargs, 2, "value").shape[-1] if separate else e
    cost = fm.multi_head_attention(batch, query.shape[0], key.shape[0], e, int(num_heads), kdim, vdim,
                                   in_proj_bias is not None, masked, need_weights)
    run = None
    if query.device.type == "meta" and not need_weights:  # its SDPA: the fused kernel, or just its output's shape
        run = lambda: _with_fused_sdpa(unwrapped(F.multi_head_attention_forward), args, kwargs)  # noqa: E731
    return cost, run, _mha_core(batch, query.shape[0], key.shape[0], e, int(num_heads), masked)


@contextlib.contextmanager
def fused_sdpa_in_recomputation() -> Iterator[None]:
    """Activation checkpointing recomputes a forward inside the backward, which autograd runs on
    another thread for the meta device, where the function-level mode is not active: there
    ``F.scaled_dot_product_attention`` runs as the fused kernel too (as it did in the forward),
    else the recomputed tensors would not be those the forward saved."""
    original = F.scaled_dot_product_attention

    def sdpa(*a: Any, **k: Any) -> Any:
        run = None if torch._C._is_torch_function_mode_enabled() else fused_sdpa(a, k)
        return run() if run is not None else original(*a, **k)

    F.scaled_dot_product_attention = sdpa  # type: ignore[assignment]
    try:
        yield
    finally:
        F.scaled_dot_product_attention = original


def _with_fused_sdpa(fn: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """Run ``fn`` (which calls ``F.scaled_dot_product_attention`` by its module-level name, as
    ``F.multi_head_attention_forward`` does) with that SDPA running as its fused kernel on meta."""
    original = F.scaled_dot_product_attention

    record, plain = getattr(original, RECORD, None), unwrapped(original)  # a call log's wrapper (pycalls): still logged

    def sdpa(*a: Any, **k: Any) -> Any:
        if record is not None:
            record(a, k)
        run = fused_sdpa(a, k)
        return run() if run is not None else plain(*a, **k)

    F.scaled_dot_product_attention = sdpa  # type: ignore[assignment]
    try:
        return fn(*args, **kwargs)
    finally:
        F.scaled_dot_product_attention = original


@_register(torch._native_multi_head_attention)
def _native_mha(args: Sequence[Any], kwargs: dict[str, Any], fast: bool) -> FnResult:
    # (query [N, L, E], key, value, embed_dim, num_head, qkv_weight, qkv_bias, proj_weight, proj_bias,
    #  mask=None, need_weights=True, average_attn_weights=True, mask_type=None)
    query, key = args[0], args[1]
    e, heads, qkv_bias = int(args[3]), int(args[4]), args[6]
    mask = _get(args, kwargs, 9, "mask")
    need_weights = bool(_get(args, kwargs, 10, "need_weights", True))
    batch = query.shape[0] if query.dim() == 3 else 1
    cost = fm.multi_head_attention(batch, query.shape[-2], key.shape[-2], e, heads, e, e, qkv_bias is not None,
                                   mask is not None, need_weights)
    return cost, None, _mha_core(batch, query.shape[-2], key.shape[-2], e, heads, mask is not None)


@_register(torch._transformer_encoder_layer_fwd)
def _encoder_layer(args: Sequence[Any], kwargs: dict[str, Any], fast: bool) -> FnResult:
    """nn.TransformerEncoderLayer's fused inference kernel, as its unfused modules count:
    self-attention (need_weights=False) + 2 residual adds + 2 LayerNorms + FFN."""
    src, e, heads, qkv_bias = args[0], int(args[1]), int(args[2]), args[4]
    use_gelu = bool(args[7])
    ffn_w1, ffn_b1, ffn_b2 = args[14], args[15], args[17]
    mask = _get(args, kwargs, 18, "mask")
    n, L = (src.shape[0], src.shape[1]) if src.dim() == 3 else (1, src.shape[0])
    tokens, ff = n * L, ffn_w1.shape[0]
    cost = fm.multi_head_attention(n, L, L, e, heads, e, e, qkv_bias is not None, mask is not None, False)
    cost += 2 * fm.elementwise("add", tokens * e)
    cost += 2 * fm.layer_norm(tokens * e, e, args[10] is not None, args[11] is not None)
    cost += fm.linear(tokens, e, ff, ffn_b1 is not None) + fm.elementwise("gelu" if use_gelu else "relu", tokens * ff)
    cost += fm.linear(tokens, ff, e, ffn_b2 is not None)
    return cost, None, _mha_core(n, L, L, e, heads, mask is not None)


@_register(torch.rms_norm, F.rms_norm)
def _rms_norm(args: Sequence[Any], kwargs: dict[str, Any], fast: bool) -> FnResult:
    x, shape = args[0], _get(args, kwargs, 1, "normalized_shape")
    weight = _get(args, kwargs, 2, "weight")
    return fm.rms_norm(x.numel(), fm.prod(shape), weight is not None), None, ZERO


def _instance(x: torch.Tensor, weight: Any) -> Cost:
    """InstanceNorm = GroupNorm with one group per channel (below, it is a batch norm over
    N·C channels, which would count the statistics differently)."""
    n, c = (x.shape[0], x.shape[1]) if x.dim() > 2 else (1, x.shape[0])
    return fm.group_norm(x.numel(), n, c, weight is not None)


@_register(torch.instance_norm)
def _instance_norm(args: Sequence[Any], kwargs: dict[str, Any], fast: bool) -> FnResult:
    # (input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled)
    return _instance(args[0], _get(args, kwargs, 1, "weight")), None, ZERO


@_register(F.instance_norm)
def _f_instance_norm(args: Sequence[Any], kwargs: dict[str, Any], fast: bool) -> FnResult:
    # (input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True, ...)
    return _instance(args[0], _get(args, kwargs, 3, "weight")), None, ZERO
