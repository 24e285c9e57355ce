"""The op registry: maps op keys (layer names, aten ops, ONNX op types) to bindings.

Every op a frontend meets is in exactly one of three states:

- **counted**: a binding turns it into a :class:`~nncost.cost.Cost` via a formula;
- **ignored**: it does no floating-point arithmetic (views, copies, allocation); the
  registry keeps the reason, and a test proves each ignored op really is free;
- **unsupported**: nothing is known; frontends tally it per op and per module, warn
  once, and never report it as zero.

One decorator registers one binding under several keys; registering a key twice raises.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Generic, TypeVar

__all__ = ["Registry", "DuplicateRegistrationError"]

F = TypeVar("F", bound=Callable[..., object])
K = TypeVar("K", bound=Hashable)


class DuplicateRegistrationError(KeyError):
    """A key was registered twice: a programming error, raised at import time."""


class Registry(Generic[K]):
    """Bindings and ignore reasons for one frontend's op keys."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._bindings: dict[K, Callable[..., object]] = {}
        self._ignored: dict[K, str] = {}

    def _claim(self, key: K) -> None:
        if key in self._bindings or key in self._ignored:
            raise DuplicateRegistrationError(f"{self.name}: {key!r} is registered twice")

    def register(self, *keys: K) -> Callable[[F], F]:
        """Decorator: ``@REG.register(aten.mm.default, aten.bmm.default)``."""
        if not keys:
            raise ValueError("register() needs at least one key")

        def deco(fn: F) -> F:
            for key in keys:
                self._claim(key)
                self._bindings[key] = fn
            return fn

        return deco

    def ignore(self, keys: Iterable[K], reason: str) -> None:
        """Declare ``keys`` free of arithmetic, with the reason shown to users."""
        for key in keys:
            self._claim(key)
            self._ignored[key] = reason

    def binding(self, key: K) -> Callable[..., object] | None:
        return self._bindings.get(key)

    def ignore_reason(self, key: K) -> str | None:
        return self._ignored.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._bindings or key in self._ignored

    def keys(self) -> Iterator[K]:
        """Counted keys."""
        return iter(self._bindings)

    def ignored(self) -> dict[K, str]:
        return dict(self._ignored)
