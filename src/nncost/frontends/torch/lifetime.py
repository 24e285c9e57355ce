"""Tensor lifetimes during a captured run: live memory, its peak, and what autograd saves.

Every tensor an op returns is looked up by its storage: a storage seen for the first time
is an allocation of its ``nbytes``; views and in-place results share it. When the last
tensor on a storage dies (a ``weakref.finalize`` on each), the storage is freed. PyTorch
keeps a tensor's Python object alive while C++ holds it (autograd's saved tensors, a
parameter's ``.grad``), so what a real run keeps is what is kept here — on the meta
device, where nothing is allocated.

Weights and inputs exist before the run; they are counted apart (``known`` storages are
not tracked). Tensors made inside a fused function (the S×S scores of SDPA on meta) are
never seen: a fused kernel keeps them on chip.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import torch

__all__ = ["Lifetimes", "storage_key"]


def storage_key(t: torch.Tensor) -> tuple[int, int] | None:
    """(address of the storage object, bytes), or None for tensors without a plain storage (sparse, nested)."""
    if t.layout != torch.strided:
        return None
    try:
        s = t.untyped_storage()
    except (RuntimeError, NotImplementedError):
        return None
    return s._cdata, s.nbytes()


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
        self.peak = 0
        self.peak_module = ""
        self.timeline: list[tuple[str, str, int]] = []  # (module, "enter" | "exit", live bytes)
        self.saved: dict[str, int] = defaultdict(int)  # module -> bytes autograd saved for backward (each storage once)
        self._saved_keys: set[int] = set()
        self.enabled = True

    def produced(self, out: Any, module: str) -> None:
        """The tensors an op returned (lists of tensors included)."""
        if not self.enabled:
            return
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
        weakref.finalize(t, self._release, k[0])

    def _release(self, key: int) -> None:
        entry = self.live.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            self.current -= entry[0]
            del self.live[key]

    def event(self, module: str, what: str) -> None:
        if self.enabled:
            self.timeline.append((module, what, self.current))

    def pack(self, t: torch.Tensor, module: str) -> None:
        """A tensor autograd saves for backward (a saved-tensors hook): counted once per storage,
        for the module that saved it first; weights and inputs are not activations."""
        k = storage_key(t)
        if k is None or k[0] in self.known or k[0] in self._saved_keys:
            return
        self._saved_keys.add(k[0])
        self.saved[module] += k[1]
