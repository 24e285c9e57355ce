"""Attention: scaled dot-product attention (grouped-query aware) and multi-head attention."""

from __future__ import annotations

from collections.abc import Sequence

from ..cost import Cost
from ..errors import ShapeError
from .elementwise import softmax
from .linear import linear
from .shapes import prod
from .table import unit

__all__ = ["sdpa", "sdpa_backward", "sdpa_causal_useful_macs", "multi_head_attention"]


def sdpa(
    q: Sequence[int], k: Sequence[int], v: Sequence[int], masked: bool = False
) -> Cost:
    """softmax(Q·Kᵀ·scale + mask)·V for q [..., Hq, L, E], k [..., Hkv, S, E], v [..., Hkv, S, Ev].

    Grouped-query attention (Hkv < Hq) broadcasts K and V to Hq heads; the cost counts
    B = ∏q[:-2] query heads:
      scores  Q·Kᵀ: MACs B·L·S·E,  FLOPs B·L·S·(2E − 1)
      scale         FLOPs B·L·S
      mask / causal FLOPs B·L·S (one add per score) when ``masked``
      softmax       FLOPs B·L·(5S − 2)
      values  P·V:  MACs B·L·S·Ev, FLOPs B·L·Ev·(2S − 1)
    Causal attention is counted as the kernel computes it: the full L×S product. See
    :func:`sdpa_causal_useful_macs` for the part that is not masked out.
    """
    if len(q) < 2 or len(k) < 2 or len(v) < 2:
        raise ShapeError(f"attention needs q, k, v of at least 2 dims, got {tuple(q)}, {tuple(k)}, {tuple(v)}")
    L, E = q[-2], q[-1]
    S, Ek = k[-2], k[-1]
    Ev = v[-1]
    if Ek != E or v[-2] != S:
        raise ShapeError(f"attention shapes do not fit: q {tuple(q)}, k {tuple(k)}, v {tuple(v)}")
    b = prod(q[:-2])
    scores = b * L * S
    cost = Cost(scores * E, scores * (2 * E - 1))
    cost += Cost(0, scores * unit("mul"))
    if masked:
        cost += Cost(0, scores * unit("add"))
    cost += softmax(scores, S)
    cost += Cost(b * L * S * Ev, b * L * Ev * (2 * S - 1))
    return cost


def sdpa_backward(q: Sequence[int], k: Sequence[int], v: Sequence[int]) -> Cost:
    """Gradients of SDPA without recomputation: dV = Pᵀ·dO, dP = dO·Vᵀ, dQ = dS·K,
    dK = dSᵀ·Q (2× the forward MACs), softmax gradient 4S − 1 per score row and the
    scale once per score.
    NB: flash kernels also recompute Q·Kᵀ (one more B·L·S·E MACs); not counted here.
    """
    L, E, S, Ev = q[-2], q[-1], k[-2], v[-1]
    b = prod(q[:-2])
    macs = 2 * b * L * S * (E + Ev)
    flops = b * (S * Ev * (2 * L - 1) + L * S * (2 * Ev - 1) + L * E * (2 * S - 1) + S * E * (2 * L - 1))
    flops += b * L * (4 * S - 1) + b * L * S * unit("mul")
    return Cost(macs, flops)


def sdpa_causal_useful_macs(q: Sequence[int], k: Sequence[int], v: Sequence[int]) -> int:
    """MACs of the scores and values a causal mask keeps, PyTorch's alignment
    (``is_causal=True`` is top-left: query i sees keys 0..i, whatever S is).

    Kept pairs = Σ_{i<L} min(S, i + 1) = L·(L + 1)/2 for L ≤ S, else S·(S + 1)/2 + (L − S)·S.
    """
    L, E, S, Ev = q[-2], q[-1], k[-2], v[-1]
    m = min(L, S)
    kept = m * (m + 1) // 2 + (L - m) * S
    return prod(q[:-2]) * kept * (E + Ev)


def multi_head_attention(
    batch: int,
    tgt_len: int,
    src_len: int,
    embed_dim: int,
    num_heads: int,
    kdim: int | None = None,
    vdim: int | None = None,
    bias: bool = True,
    masked: bool = False,
    need_weights: bool = False,
) -> Cost:
    """nn.MultiheadAttention: Q, K, V projections, per-head SDPA, output projection.

      Q: linear(B·L, E, E); K: linear(B·S, kdim, E); V: linear(B·S, vdim, E)
      SDPA with B·heads heads, head dim E/heads
      out: linear(B·L, E, E)
      need_weights (PyTorch's default) also averages the weights over heads:
        B·L·S·(heads − 1) adds and B·L·S divides
    """
    if embed_dim % num_heads:
        raise ShapeError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
    kdim = kdim or embed_dim
    vdim = vdim or embed_dim
    hd = embed_dim // num_heads
    cost = linear(batch * tgt_len, embed_dim, embed_dim, bias)
    cost += linear(batch * src_len, kdim, embed_dim, bias)
    cost += linear(batch * src_len, vdim, embed_dim, bias)
    cost += sdpa((batch, num_heads, tgt_len, hd), (batch, num_heads, src_len, hd), (batch, num_heads, src_len, hd), masked)
    cost += linear(batch * tgt_len, embed_dim, embed_dim, bias)
    if need_weights:
        cost += Cost(0, batch * tgt_len * src_len * num_heads)  # (heads − 1) adds + 1 divide
    return cost
