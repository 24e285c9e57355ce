"""A log of the Python-level calls a model makes to named functions (``torch.nn.functional.relu``,
``torch.add``, ``torch.Tensor.add``, ...), for the conventions of tools that count by patching
those functions (ptflops, DeepSpeed's profiler: nncost.peers).

Such a tool's number follows how the model's code spells an op: ``torch.add(a, b)`` goes through
the patched ``torch.add``, ``a + b`` does not, and both reach the dispatcher as one aten op. So
the log patches the same names, for the duration of one capture only, and records each call with
the module that made it and its arguments (tensors kept as their shapes). ``call_log(names)``
asks the captures run inside it to keep such a log (``Report.op_logs["python"]``).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

import torch

from ...formulas.shapes import TensorShape

__all__ = ["call_log", "requested", "logging_calls", "original", "summary", "MODULE_CALL", "RECORD"]

MODULE_CALL = "torch.nn.Module.__call__"  # the log's record of one module call: its inputs, {"output": ...}
ORIGINAL = "_nncost_original"  # the patched function a wrapper stands for
RECORD = "_nncost_record"  # the wrapper's recorder, for code that replaces the wrapper for a while

# (module path, dotted name, positional arguments, keyword arguments), as summarised by _summary
Call = tuple[str, str, tuple[Any, ...], dict[str, Any]]

_REQUESTED: ContextVar[tuple[str, ...]] = ContextVar("nncost_python_calls", default=())


@contextlib.contextmanager
def call_log(names: Sequence[str]) -> Iterator[None]:
    """Captures run inside this block log the calls of these dotted names."""
    token = _REQUESTED.set(tuple(names))
    try:
        yield
    finally:
        _REQUESTED.reset(token)


def requested() -> tuple[str, ...]:
    return _REQUESTED.get()


def original(func: Any) -> Any:
    """The function a logging wrapper stands for (``func`` itself when it is not one)."""
    return getattr(func, ORIGINAL, func)


def _resolve(name: str) -> tuple[Any, str] | None:
    """(owner, attribute) of a dotted name — ``torch.nn.functional.relu`` → (the module, "relu"),
    ``torch.Tensor.add`` → (torch.Tensor, "add"); None when its package is not installed."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            owner: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:-1]:
                owner = getattr(owner, attr)
            getattr(owner, parts[-1])
        except AttributeError:
            return None
        return owner, parts[-1]
    return None


def summary(x: Any, depth: int = 0) -> Any:
    """An argument as the log keeps it: a tensor as its shape, plain values as they are."""
    if isinstance(x, torch.Tensor):
        return TensorShape(int(d) for d in x.shape)
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if isinstance(x, (list, tuple)) and depth < 3:
        return type(x)(summary(v, depth + 1) for v in x) if type(x) in (list, tuple) else tuple(
            summary(v, depth + 1) for v in x)
    if isinstance(x, (torch.dtype, torch.device)):
        return str(x)
    if isinstance(x, (torch.SymInt, torch.SymFloat)):
        return str(x)
    return type(x).__name__


@contextlib.contextmanager
def logging_calls(names: Sequence[str], where: Callable[[], str | None], log: list[Call]) -> Iterator[None]:
    """Patch each dotted name with a wrapper that appends (``where()``, name, args, kwargs) to
    ``log`` — unless ``where()`` is None — and calls the original; everything is put back after."""
    undo: list[tuple[Any, str, Any, bool]] = []
    try:
        for name in dict.fromkeys(names):
            found = _resolve(name)
            if found is None:
                continue  # an optional package (einops) that is not installed: nothing calls it
            owner, attr = found
            own = attr in getattr(owner, "__dict__", {})
            fn = getattr(owner, attr)
            undo.append((owner, attr, owner.__dict__[attr] if own else None, own))
            setattr(owner, attr, _wrapper(name, original(fn), where, log))
        yield
    finally:
        for owner, attr, value, own in reversed(undo):
            if own:
                setattr(owner, attr, value)
            else:
                delattr(owner, attr)


def _wrapper(name: str, fn: Any, where: Callable[[], str | None], log: list[Call]) -> Callable[..., Any]:
    def record(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        path = where()
        if path is not None:
            log.append((path, name, tuple(summary(a) for a in args), {k: summary(v) for k, v in kwargs.items()}))

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        record(args, kwargs)
        return fn(*args, **kwargs)

    setattr(wrapper, ORIGINAL, fn)
    setattr(wrapper, RECORD, record)
    return wrapper
