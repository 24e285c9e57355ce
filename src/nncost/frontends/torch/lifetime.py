"""Tensor lifetimes during a captured run: live memory, its peak, and what autograd saves.

Every tensor an op returns is looked up by its storage: a storage seen for the first time
is an allocation of its ``nbytes``; views and in-place results share it. When the last
tensor on a storage dies (a weak reference with a callback on each), the storage is freed. PyTorch
keeps a tensor's Python object alive while C++ holds it (autograd's saved tensors, a
parameter's ``.grad``), so what a real run keeps is what is kept here — on the meta
device, where nothing is allocated.

Weights and inputs exist before the run; they are counted apart (``known`` storages are
not tracked). Tensors held inside an input object (a KV cache) are *adopted*: live from the
start, freed when the model replaces them (a cache grown by ``torch.cat`` drops its old
tensors layer by layer). Tensors made inside a fused function (the S×S scores of SDPA on meta) are
never seen: a fused kernel keeps them on chip.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

__all__ = ["Lifetimes", "Track", "optimizer_step_transient", "storage_key"]


def storage_key(t: torch.Tensor) -> tuple[int, int] | None:
    """(address of the storage object, bytes), or None for tensors without a plain storage (sparse, nested)."""
    if t.layout != torch.strided:
        return None
    try:
        s = t.untyped_storage()
        return s._cdata, s.nbytes()
    except Exception:  # noqa: BLE001 - a tensor subclass or layout without a storage of its own
        return None


class Lifetimes:
    """Live bytes of the storages a run allocates; the peak and the module running at it."""

    def __init__(self, known: Iterable[torch.Tensor] = ()) -> None:
        self.known: set[int] = set()
        for t in known:
            k = storage_key(t)
            if k is not None:
                self.known.add(k[0])
        self.live: dict[int, list[int]] = {}  # storage -> [bytes, tensors alive on it]
        self.current = 0
        self.adopted = 0  # bytes of the adopted storages, live at the start
        self.peak = 0
        self.peak_module = ""
        self.timeline: list[tuple[str, str, int]] = []  # (module, "enter" | "exit", live bytes)
        self.saved: dict[str, int] = defaultdict(int)  # module -> bytes autograd saved for backward (each storage once)
        self._saved_keys: set[int] = set()
        self._refs: dict[int, tuple[weakref.ref[torch.Tensor], int]] = {}  # id(weak reference) -> (it, storage)

    def produced(self, out: Any, module: str) -> None:
        """The tensors an op returned (lists of tensors included)."""
        if isinstance(out, torch.Tensor):
            self._one(out, module)
        elif isinstance(out, (tuple, list)):
            for t in out:
                if isinstance(t, torch.Tensor):
                    self._one(t, module)
                elif isinstance(t, (tuple, list)):
                    for u in t:
                        if isinstance(u, torch.Tensor):
                            self._one(u, module)

    def adopt(self, tensors: Iterable[torch.Tensor]) -> None:
        """Tensors that exist before the run but may die during it (a KV cache's): live from the start."""
        for t in tensors:
            self._one(t, "")
        self.adopted = self.current

    def _one(self, t: torch.Tensor, module: str) -> None:
        k = storage_key(t)
        if k is None or k[0] in self.known:
            return
        entry = self.live.get(k[0])
        if entry is None:
            entry = self.live[k[0]] = [k[1], 0]
            self.current += k[1]
            if self.current > self.peak:
                self.peak, self.peak_module = self.current, module
        entry[1] += 1
        ref = weakref.ref(t, self._dead)  # a plain callback: a fifth of weakref.finalize's cost
        self._refs[id(ref)] = (ref, k[0])

    def _dead(self, ref: weakref.ref[torch.Tensor]) -> None:
        held = self._refs.pop(id(ref), None)
        if held is not None:
            self._release(held[1])

    def _release(self, key: int) -> None:
        entry = self.live.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            self.current -= entry[0]
            del self.live[key]

    def event(self, module: str, what: str) -> None:
        self.timeline.append((module, what, self.current))

    def pack(self, t: torch.Tensor, module: str) -> None:
        """A tensor autograd saves for backward (a saved-tensors hook): counted once per storage,
        for the module that saved it first; weights and inputs are not activations."""
        k = storage_key(t)
        if k is None or k[0] in self.known or k[0] in self._saved_keys:
            return
        self._saved_keys.add(k[0])
        self.saved[module] += k[1]


class Track(TorchDispatchMode):
    """Follow the lifetimes of what every op returns (outside a capture: an optimizer step)."""

    def __init__(self, life: Lifetimes, where: str) -> None:
        super().__init__()
        self.life, self.where = life, where

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        return False

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        self.life.produced(out, self.where)
        return out


_OPTIMIZERS = {"sgd": ("SGD", {}), "momentum": ("SGD", {"momentum": 0.9}), "adam": ("Adam", {}),
               "adamw": ("AdamW", {})}


def optimizer_step_transient(shape: tuple[int, ...], dtype: torch.dtype, optimizer: str) -> int:
    """Peak bytes of the temporaries one optimizer step makes for a parameter of ``shape``:
    PyTorch's for-loop implementation (the default off CUDA) updates one parameter at a
    time, so the largest parameter's temporaries are the step's. Measured on meta, at the
    second step (the first also allocates the states, which are counted apart)."""
    name, kw = _OPTIMIZERS[optimizer]
    p = torch.nn.Parameter(torch.empty(shape, dtype=dtype, device="meta"))
    p.grad = torch.empty_like(p)
    opt = getattr(torch.optim, name)([p], lr=1e-3, foreach=False, **kw)
    opt.step()
    life = Lifetimes([p, p.grad, *(t for t in opt.state[p].values() if isinstance(t, torch.Tensor))])
    with Track(life, "optimizer.step"):
        opt.step()
    return life.peak
