"""Serving memory of a causal LM, measured on meta: what ``generate`` holds at its peak.

Generation has two phases, each measured with the torch frontend's tensor lifetimes
(docs/memory.md):

- **prefill**: the prompt, B × S tokens, in one forward with ``use_cache=True`` and
  ``logits_to_keep=1`` (as ``generate`` runs it: only the last position's logits are made);
  the peak holds the weights, the KV cache being written and the largest layer's
  activations;
- **decode**, at its last and largest step: one token per sequence with a KV cache of
  S + G − 1 tokens given as input (its tensors are live from the start and freed when the
  cache replaces them: transformers' ``DynamicCache`` grows a layer's K, then its V, by
  concatenation, so one copy exists at a time).

The serving peak is the larger of the two. With a device size, the largest batch and the
longest context that fit are searched with the same measurements: a guess from the peaks'
shape (linear in the batch; at most quadratic in the context), then checked at the
boundary — the answer fits when measured, and one more does not.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import torch

from ... import formulas as fm
from ...progress import step

__all__ = ["largest_fitting", "serving_memory"]


class _Phases:
    """Measures the serving peak of one model at any batch and context."""

    def __init__(self, model: Any, run_dtype: torch.dtype, weights: int, kv_per_token: Callable[[int, int], int]) -> None:
        params = inspect.signature(model.forward).parameters
        self.model = model
        self.cache_arg = "cache" if "cache" in params else "past_key_values"
        self.keep = {"logits_to_keep": 1} if "logits_to_keep" in params else {}
        self.run_dtype = run_dtype
        self.weights = weights  # bytes of the parameters as served (quantized ones included)
        self.kv = kv_per_token  # (batch, context) -> KV cache bytes at the run dtype
        self.measured: dict[tuple[int, int, int], tuple[int, int | None]] = {}

    def run_weights(self) -> tuple[int, int]:
        """(parameter bytes, buffer bytes) as the measured runs hold them."""
        from ..torch.analyze import _weights

        w = _weights(self.model, self.run_dtype)
        return w.params, w.buffers

    def peaks(self, batch: int, prompt: int, gen: int) -> tuple[int, int | None]:
        """(prefill peak, decode peak at context prompt + gen, or None without generation), in bytes."""
        key = (batch, prompt, gen)
        if key in self.measured:
            return self.measured[key]
        step(f"serving peak at batch {batch}, context {prompt + gen:,}")
        from ..torch import analyze

        swap = self.weights - self.run_weights()[0]  # the served weights instead of the ones the run holds
        pre = analyze(self.model, inputs={"input_ids": (batch, prompt), "use_cache": True, **self.keep},
                      dtype=self.run_dtype).memory
        assert pre is not None
        dec = None
        if gen:
            with torch.no_grad():
                out = self.model(input_ids=torch.zeros(batch, prompt + gen - 1, dtype=torch.long, device="meta"),
                                 use_cache=True, **self.keep)
            cache = out["cache"] if "cache" in out else out["past_key_values"]
            del out
            _cast_held(cache, self.run_dtype)
            mem = analyze(self.model, inputs={"input_ids": (batch, 1), self.cache_arg: cache, "use_cache": True, **self.keep},
                          dtype=self.run_dtype).memory
            assert mem is not None
            dec = mem.inference_peak + swap
        self.measured[key] = (pre.inference_peak + swap, dec)
        return self.measured[key]

    def peak(self, batch: int, prompt: int, gen: int) -> int:
        pre, dec = self.peaks(batch, prompt, gen)
        return max(pre, dec or 0)


def _cast_held(obj: Any, dtype: torch.dtype) -> None:
    """Floating tensors held in a cache object's attributes, cast to ``dtype`` in place of the
    ones there (a cache built by a forward in the model's own dtype, served in another)."""
    from ..torch.analyze import held_tensors

    for holder, key, t in list(held_tensors(obj)):
        if t.dtype.is_floating_point and t.dtype != dtype and not isinstance(holder, tuple):
            holder[key] = t.to(dtype)


def largest_fitting(fits: Callable[[int], bool], guess: int, low: int, high: int | None) -> int:
    """The largest n in [low, high] with ``fits(n)`` (fits is monotone: true, then false), found
    from ``guess`` by galloping away from it and bisecting; low − 1 when even ``low`` does not fit."""
    guess = max(low, guess if high is None else min(guess, high))
    if fits(guess):
        ok, step = guess, 1
        while True:  # gallop up until it no longer fits (or the bound)
            nxt = ok + step if high is None else min(ok + step, high)
            if nxt == ok:
                return ok
            if not fits(nxt):
                bad = nxt
                break
            ok, step = nxt, step * 2
    else:
        bad, step = guess, 1
        while True:
            nxt = max(bad - step, low)
            if fits(nxt):
                ok = nxt
                break
            if nxt == low:
                return low - 1
            bad, step = nxt, step * 2
    while bad - ok > 1:
        mid = (ok + bad) // 2
        if fits(mid):
            ok = mid
        else:
            bad = mid
    return ok


def _quadratic_guess(points: list[tuple[int, int]], budget: int) -> int:
    """The largest x with a·x² + b·x + c <= budget for the parabola through three (x, y) points
    (a straight line when they are collinear); a guess that the search then checks."""
    (x0, y0), (x1, y1), (x2, y2) = points
    d01, d12 = (y1 - y0) / (x1 - x0), (y2 - y1) / (x2 - x1)
    a = max((d12 - d01) / (x2 - x0), 0.0)
    b = d01 - a * (x0 + x1)
    c = y0 - a * x0 * x0 - b * x0
    if a == 0:
        return int((budget - c) / b) if b > 0 else x2
    disc = b * b - 4 * a * (c - budget)
    return int((-b + disc**0.5) / (2 * a)) if disc >= 0 else x0


def serving_memory(model: Any, cfg: Any, *, batch: int, seq: int, gen: int, run_dtype: torch.dtype, weights: int,
                   windows: list[int | None], per_token: int, max_positions: int | None,
                   device_memory: int | None = None) -> dict[str, Any]:
    """The ``serving`` section of the LLM view (see the module's docstring)."""
    dname = str(run_dtype).removeprefix("torch.")

    def kv(b: int, context: int) -> int:
        return fm.kv_cache_bytes_layers(b, context, windows, per_token, dname)

    phases = _Phases(model, run_dtype, weights, kv)
    weights += phases.run_weights()[1]  # and the buffers (rotary tables)
    pre, dec = phases.peaks(batch, seq, gen)
    peak = max(pre, dec or 0)
    cache = kv(batch, seq + gen)
    out: dict[str, Any] = {
        "batch": batch, "prompt": seq, "gen": gen, "context": seq + gen, "activation_dtype": dname,
        "weights": weights, "kv_cache": cache, "kv_cache_bytes_per_token": kv(1, 1) if not any(windows) else None,
        "prefill_peak": pre, "decode_peak": dec, "peak": peak,
        "peak_phase": "decode" if dec is not None and dec >= pre else "prefill",
        "activation_peak": peak - weights - cache,
    }
    if device_memory is not None:
        out["fit"] = _fit(phases, batch, seq, gen, weights, device_memory, max_positions)
    return out


def _fit(phases: _Phases, batch: int, seq: int, gen: int, weights: int, budget: int,
         max_positions: int | None) -> dict[str, Any]:
    """The largest batch at the given context, and the longest context (prompt + gen, with the
    given gen) at the given batch, that fit in ``budget`` bytes."""
    fit: dict[str, Any] = {"device_memory": budget, "weights_fit": weights <= budget}
    if weights > budget:
        fit.update(max_batch=0, max_context=0, limited_by="weights")
        return fit
    # the peaks are linear in the batch: two measurements give the guess
    p1, p2 = phases.peak(1, seq, gen), phases.peak(2, seq, gen)
    slope = max(p2 - p1, 1)
    guess = int((budget - (p1 - slope)) // slope)
    fit["max_batch"] = largest_fitting(lambda b: phases.peak(b, seq, gen) <= budget, guess, 1, None)
    # the context: at most quadratic (attention scores); three measurements give the guess
    low = gen + 1  # a prompt of at least one token
    xs = [max(low, seq + gen), max(low, 2 * (seq + gen)), max(low, 4 * (seq + gen))]
    xs = sorted(set(xs)) if len(set(xs)) == 3 else [low, low + 1, low + 2]
    guess = _quadratic_guess([(x, phases.peak(batch, x - gen, gen)) for x in xs], budget)
    longest = largest_fitting(lambda t: phases.peak(batch, t - gen, gen) <= budget, guess, low, max_positions)
    fit["max_context"] = longest if longest >= low else 0
    fit["limited_by"] = "positions" if max_positions is not None and longest == max_positions else "memory"
    return fit
