"""Calculator entries for dot-product layers: linear, matmul, einsum, attention, RNNs."""

from __future__ import annotations

from typing import Any

from .. import formulas as fm
from ..cost import RnnBias
from ..errors import LayerSpecError, ShapeError
from ..formulas.shapes import prod
from ..formulas.table import unit
from ..report import ParamCount
from .base import Ctx, LayerResult, W, layer, mul, need_bool, need_int


@layer("Linear")
def linear(ctx: Ctx, in_features: int, out_features: int, bias: bool = True,
           device: Any = None, dtype: Any = None) -> LayerResult:
    """params = (d_in + 1)·d_out; FLOPs = [d_in + (d_in − 1) + 1]·d_out per row (seed §1)."""
    d_in = need_int("in_features", in_features, ctx.name)
    d_out = need_int("out_features", out_features, ctx.name)
    bias = need_bool("bias", bias, ctx.name)
    x = ctx.shape(0)
    if not x or x[-1] != d_in:
        raise ShapeError(f"{ctx.name} expects the last input dim to be {d_in}, got shape {list(x)}")
    rows = prod(x[:-1])
    cost = fm.linear(rows, d_in, d_out, bias)
    params = fm.linear_params(d_in, d_out, bias)
    b = " + 1" if bias else ""
    w = [
        W("params", f"(d_in{b})·d_out", f"({d_in}{b})·{d_out}", params),
        W("macs", "rows·d_in·d_out", mul(rows, d_in, d_out), cost.macs),
        W("flops", f"rows·[d_in + (d_in − 1){b}]·d_out", f"{rows}·[{d_in} + ({d_in} − 1){b}]·{d_out}", cost.flops),
    ]
    return LayerResult(ParamCount(trainable=params), cost, [tuple(x[:-1]) + (d_out,)], w)


@layer("matmul", "bmm", "mm")
def matmul(ctx: Ctx) -> LayerResult:
    """[..., M, K] @ [..., K, N]: MACs batch·M·N·K, FLOPs batch·M·N·(2K − 1)."""
    a, b = ctx.shape(0), ctx.shape(1)
    out, batch, m, k, n = fm.matmul_shape(a, b)
    cost = fm.matmul(a, b)
    w = [
        W("macs", "batch·M·N·K", mul(batch, m, n, k), cost.macs),
        W("flops", "batch·M·N·(2·K − 1)", f"{mul(batch, m, n)}·(2·{k} − 1)", cost.flops),
    ]
    return LayerResult(ParamCount(), cost, [out], w)


@layer("einsum")
def einsum(ctx: Ctx, equation: str) -> LayerResult:
    """General contraction, left to right; see formulas.einsum."""
    if not isinstance(equation, str):
        raise LayerSpecError(f"einsum: equation must be a string, got {equation!r}")
    shapes = ctx.shapes
    cost = fm.einsum(equation, *shapes)
    eq = equation.replace(" ", "")
    lhs, _, out_idx = eq.partition("->")
    sizes = {c: s for term, shp in zip(lhs.split(","), shapes) for c, s in zip(term, shp)}
    out = tuple(sizes[c] for c in out_idx) if "->" in eq else ()
    return LayerResult(ParamCount(), cost, [out], [W("macs", "∏(all index sizes) per contracted pair", str(cost.macs), cost.macs)])


@layer("scaled_dot_product_attention", "ScaledDotProductAttention")
def sdpa(ctx: Ctx, attn_mask: Any = None, dropout_p: float = 0.0, is_causal: bool = False,
         scale: Any = None, enable_gqa: bool = False) -> LayerResult:
    """softmax(Q·Kᵀ·scale + mask)·V; input shapes q, k, v (three --input-shape)."""
    q, k, v = ctx.shape(0), ctx.shape(1), ctx.shape(2)
    if len(q) >= 3 and len(k) >= 3 and q[-3] != k[-3]:
        if not enable_gqa:
            raise ShapeError(f"{ctx.name}: q has {q[-3]} heads and k {k[-3]}; pass enable_gqa=True for grouped-query attention")
        if q[-3] % k[-3]:
            raise ShapeError(f"{ctx.name}: q heads ({q[-3]}) must be a multiple of kv heads ({k[-3]})")
    masked = bool(is_causal) or attn_mask is not None
    cost = fm.sdpa(q, k, v, masked)
    B, L, E, S, Ev = prod(q[:-2]), q[-2], q[-1], k[-2], v[-1]
    m = " + B·L·S" if masked else ""
    mv = f" + {mul(B, L, S)}" if masked else ""
    w = [
        W("macs", "B·L·S·E + B·L·S·E_v", f"{mul(B, L, S, E)} + {mul(B, L, S, Ev)}", cost.macs),
        W("flops", f"B·L·S·(2·E − 1) + B·L·S{m} + B·L·(5·S − 2) + B·L·E_v·(2·S − 1)",
          f"{mul(B, L, S)}·(2·{E} − 1) + {mul(B, L, S)}{mv} + {mul(B, L)}·(5·{S} − 2) + {mul(B, L, Ev)}·(2·{S} − 1)",
          cost.flops),
    ]
    notes = []
    if is_causal:
        useful = fm.sdpa_causal_useful_macs(q, k, v)
        notes.append(f"causal: the kernel computes all {cost.macs:,} MACs; {useful:,} of them are not masked out")
    return LayerResult(ParamCount(), cost, [tuple(q[:-1]) + (Ev,)], w, notes)


@layer("MultiheadAttention")
def multihead_attention(ctx: Ctx, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                        add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: Any = None,
                        vdim: Any = None, batch_first: bool = False, device: Any = None,
                        dtype: Any = None) -> LayerResult:
    """Q/K/V projections, per-head SDPA, output projection; need_weights=True (forward's default)."""
    e = need_int("embed_dim", embed_dim, ctx.name)
    h = need_int("num_heads", num_heads, ctx.name)
    bias = need_bool("bias", bias, ctx.name)
    if add_bias_kv or add_zero_attn:
        raise LayerSpecError(f"{ctx.name}: add_bias_kv and add_zero_attn are not supported by the calculator")
    kd = e if kdim is None else need_int("kdim", kdim, ctx.name)
    vd = e if vdim is None else need_int("vdim", vdim, ctx.name)
    q = ctx.shape(0, (2, 3), "query")
    kv = ctx.shapes[1] if len(ctx.shapes) > 1 else q[:-1] + (kd,)
    if q[-1] != e:
        raise ShapeError(f"{ctx.name} expects query's last dim to be embed_dim={e}, got {list(q)}")
    if len(q) == 3:
        n, l = (q[0], q[1]) if batch_first else (q[1], q[0])
        s = kv[1] if batch_first else kv[0]
    else:
        n, l, s = 1, q[0], kv[0]
    cost = fm.multi_head_attention(n, l, s, e, h, kd, vd, bias, False, need_weights=True)
    params = e * e + kd * e + vd * e + (3 * e if bias else 0) + e * e + (e if bias else 0)
    b = " + 4·E" if bias else ""
    bv = f" + 4·{e}" if bias else ""
    w = [
        W("params", f"E·E + k_dim·E + v_dim·E + E·E{b}", f"{mul(e, e)} + {mul(kd, e)} + {mul(vd, e)} + {mul(e, e)}{bv}", params),
        W(
            "macs",
            "N·L·E·E + N·S·(k_dim + v_dim)·E + N·L·S·E·2 + N·L·E·E",
            f"{mul(n, l, e, e)} + {mul(n, s)}·({kd} + {vd})·{e} + {mul(n, l, s, e)}·2 + {mul(n, l, e, e)}",
            cost.macs,
        ),
    ]
    note = "need_weights=True (forward's default): head-averaged weights add N·L·S·heads FLOPs"
    return LayerResult(ParamCount(trainable=params), cost, [q], w, [note])


@layer("Embedding")
def embedding(ctx: Ctx, num_embeddings: int, embedding_dim: int, padding_idx: Any = None, max_norm: Any = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False,
              _weight: Any = None, _freeze: bool = False, device: Any = None, dtype: Any = None) -> LayerResult:
    """A lookup: params num_embeddings·dim, 0 MACs, 0 FLOPs."""
    ne = need_int("num_embeddings", num_embeddings, ctx.name)
    d = need_int("embedding_dim", embedding_dim, ctx.name)
    x = ctx.shape(0)
    params = fm.embedding_params(ne, d)
    w = [W("params", "num_embeddings·embedding_dim", mul(ne, d), params),
         W("flops", "0 (a gather: data movement)", "0", 0)]
    return LayerResult(ParamCount(trainable=params), fm.embedding(), [tuple(x) + (d,)], w)


@layer("EmbeddingBag")
def embedding_bag(ctx: Ctx, num_embeddings: int, embedding_dim: int, max_norm: Any = None, norm_type: float = 2.0,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False, _weight: Any = None,
                  include_last_offset: bool = False, padding_idx: Any = None, device: Any = None,
                  dtype: Any = None) -> LayerResult:
    """Lookups reduced per bag, for a 2-D input [bags, ids per bag]: params num_embeddings·dim;
    FLOPs (formulas.embedding_bag) sum: (ids − bags)·dim adds, mean: those and bags·dim
    divides, max: (ids − bags)·dim comparisons."""
    ne = need_int("num_embeddings", num_embeddings, ctx.name)
    d = need_int("embedding_dim", embedding_dim, ctx.name)
    if mode not in fm.EMBEDDING_BAG_MODES:
        raise LayerSpecError(f"{ctx.name}: mode must be one of {', '.join(map(repr, fm.EMBEDDING_BAG_MODES))}, got {mode!r}")
    bags, per = ctx.shape(0, (2,), "[bags, ids per bag]")  # a 1-D input needs offsets, which a shape cannot give
    ids = bags * per
    cost = fm.embedding_bag(ids, bags, d, mode)
    params = fm.embedding_params(ne, d)
    op = {"sum": "adds", "mean": "adds + bags·dim divides", "max": "comparisons"}[mode]
    flops = (f"(ids − bags)·dim {op}", f"({mul(bags, per)} − {bags})·{d}" + (f" + {mul(bags, d)}" if mode == "mean" else ""))
    w = [W("params", "num_embeddings·embedding_dim", mul(ne, d), params),
         W("flops", *flops, cost.flops)]
    return LayerResult(ParamCount(trainable=params), cost, [(bags, d)], w)


def _rnn(ctx: Ctx, mode: str, input_size: Any, hidden_size: Any, num_layers: Any, bias: Any,
         batch_first: Any, bidirectional: Any, proj_size: Any = 0) -> LayerResult:
    d_in = need_int("input_size", input_size, ctx.name)
    h = need_int("hidden_size", hidden_size, ctx.name)
    nl = need_int("num_layers", num_layers, ctx.name)
    p = need_int("proj_size", proj_size, ctx.name, minimum=0)
    bias = need_bool("bias", bias, ctx.name)
    single = ctx.rnn_bias is RnnBias.SINGLE
    spec = fm.RnnSpec(mode, d_in, h, nl, bias, need_bool("bidirectional", bidirectional, ctx.name), p, 1 if single else 2)
    x = ctx.shape(0, (2, 3))
    if x[-1] != d_in:
        raise ShapeError(f"{ctx.name} expects the last input dim to be input_size={d_in}, got {list(x)}")
    if len(x) == 3:
        n, L = (x[0], x[1]) if batch_first else (x[1], x[0])
    else:
        n, L = 1, x[0]
    params = fm.rnn_params(spec)
    cost = fm.rnn(spec, L, n)
    g, r, dirs = spec.gates, spec.out_size, spec.directions
    beta = (1 if single else 2) if bias else 0
    terms, terms_v, mterms, mterms_v, fterms, fterms_v = [], [], [], [], [], []
    for layer_i in range(nl):
        d = spec.layer_input(layer_i)
        proj, projv = (" + P·H", f" + {p}·{h}") if p else ("", "")
        bsym, bval = (f" + {beta}·H", f" + {beta}·{h}") if beta else ("", "")
        terms.append(f"[(D + R)·H{bsym}]·G{proj}")
        terms_v.append(f"[({d} + {r})·{h}{bval}]·{g}{projv}")
        mterms.append("G·H·(D + R)" + (" + P·H" if p else ""))
        mterms_v.append(f"{g}·{h}·({d} + {r})" + (f" + {p}·{h}" if p else ""))
        ew = _rnn_pointwise(mode, h)
        fterms.append(f"G·H·(2·(D + R) − 1) + β·G·H + {ew[0]}" + (" + P·(2·H − 1)" if p else ""))
        fterms_v.append(f"{g}·{h}·(2·({d} + {r}) − 1) + {beta}·{g}·{h} + {ew[1]}" + (f" + {p}·(2·{h} − 1)" if p else ""))
    pre = f"{dirs}·" if dirs > 1 else ""
    pre_s = "dirs·" if dirs > 1 else ""
    lead = mul(L, n) + (f"·{dirs}" if dirs > 1 else "")
    w = [
        W("params", _sum(pre_s, terms), _sum(pre, terms_v), params),
        W("macs", "L·N·" + pre_s + "(" + " + ".join(mterms) + ")", f"{lead}·(" + " + ".join(mterms_v) + ")", cost.macs),
        W("flops", "L·N·" + pre_s + "(" + " + ".join(fterms) + ")", f"{lead}·(" + " + ".join(fterms_v) + ")", cost.flops),
    ]
    out = tuple(x[:-1]) + (r * dirs,)
    notes = [f"{'one bias per gate (the seed/Keras convention)' if single else 'two bias vectors per gate (PyTorch: b_ih and b_hh)'}"]
    lead_n = (nl * dirs, n) if len(x) == 3 else (nl * dirs,)
    states = [lead_n + (r,)] + ([lead_n + (h,)] if mode == "lstm" else [])  # h0 (and c0 for an LSTM)
    return LayerResult(ParamCount(trainable=params), cost, [out], w, notes, states=states)


def _sum(prefix: str, terms: list[str]) -> str:
    """'t' for one layer and direction, else 'prefix(t1 + t2 + ...)'."""
    if len(terms) == 1 and not prefix:
        return terms[0]
    return prefix + "(" + " + ".join(f"({t})" for t in terms) + ")"


def _rnn_pointwise(mode: str, h: int) -> tuple[str, str]:
    """The per-step element-wise term of each cell, symbolic and with table values."""
    s, t, m, a, sub, r = unit("sigmoid"), unit("tanh"), unit("mul"), unit("add"), unit("sub"), unit("relu")
    if mode == "lstm":
        return ("3·H·σ + 2·H·tanh + 3·H·mul + H·add", f"3·{h}·{s} + 2·{h}·{t} + 3·{h}·{m} + {h}·{a}")
    if mode == "gru":
        return ("2·H·σ + H·tanh + 3·H·mul + H·sub + H·add", f"2·{h}·{s} + {h}·{t} + 3·{h}·{m} + {h}·{sub} + {h}·{a}")
    if mode == "rnn_relu":
        return ("H·relu", f"{h}·{r}")
    return ("H·tanh", f"{h}·{t}")


@layer("LSTM")
def lstm(ctx: Ctx, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
         batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
         device: Any = None, dtype: Any = None) -> LayerResult:
    """4 gates; input (L, N, D) or (N, L, D) with batch_first, or unbatched (L, D)."""
    return _rnn(ctx, "lstm", input_size, hidden_size, num_layers, bias, batch_first, bidirectional, proj_size)


@layer("GRU")
def gru(ctx: Ctx, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
        batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
        device: Any = None, dtype: Any = None) -> LayerResult:
    """3 gates."""
    return _rnn(ctx, "gru", input_size, hidden_size, num_layers, bias, batch_first, bidirectional)


@layer("RNN")
def rnn(ctx: Ctx, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
        bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
        device: Any = None, dtype: Any = None) -> LayerResult:
    """1 gate with tanh or relu."""
    if nonlinearity not in ("tanh", "relu"):
        raise LayerSpecError(f"{ctx.name}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return _rnn(ctx, f"rnn_{nonlinearity}", input_size, hidden_size, num_layers, bias, batch_first, bidirectional)


__all__: list[str] = []
