"""nncost's exceptions, one hierarchy.

::

    NncostError                     base of everything nncost raises on purpose
    ├── InputError                  the user's input is wrong (also a ValueError)
    │   ├── LayerSpecError          a layer expression the calculator cannot read
    │   ├── ShapeError              a missing or mismatched input shape
    │   ├── ModelSpecError          a model spec (``torchvision:NAME``, file path) that cannot be resolved
    │   └── MetaDeviceError         a model whose weights are on the meta device needs real values to run
    ├── UnsupportedError            strict mode met an op with no formula
    └── MissingDependencyError      an optional framework (torch, onnx, ...) is not installed

Messages name what was wrong and what was expected; the CLI prints ``str(error)`` as
one line and exits with status 2.

Warnings (ops not counted) are :class:`NncostWarning`, printed as one line,
``nncost: warning: MESSAGE``, without Python's source file and line.
"""

from __future__ import annotations

import warnings

__all__ = [
    "NncostError",
    "InputError",
    "LayerSpecError",
    "ShapeError",
    "ModelSpecError",
    "MetaDeviceError",
    "UnsupportedError",
    "MissingDependencyError",
    "NncostWarning",
    "warn",
]


class NncostError(Exception):
    """Base class of every error nncost raises on purpose."""


class InputError(NncostError, ValueError):
    """The user's input is wrong; the message says what was expected."""


class LayerSpecError(InputError):
    """A layer expression such as ``nn.Conv2d(3, 64, 3)`` that cannot be read."""


class ShapeError(InputError):
    """An input shape that is missing, malformed or does not fit the layer."""


class ModelSpecError(InputError):
    """A model spec that cannot be resolved to a model."""


class MetaDeviceError(InputError):
    """A model built on the meta device failed there (it reads values: ``.item()``,
    ``nonzero``); a spec can rebuild it on the CPU and try again."""


class NncostWarning(UserWarning):
    """A result that holds with a caveat (ops not counted: totals are lower bounds).
    Filter it by category: ``warnings.filterwarnings("error", category=NncostWarning)``."""


def warn(message: str, stacklevel: int = 2) -> None:
    """Warn with :class:`NncostWarning`, pointing at the caller's caller."""
    warnings.warn(message, NncostWarning, stacklevel=stacklevel + 1)


_formatwarning = warnings.formatwarning


def _format(message: Warning | str, category: type[Warning], filename: str, lineno: int, line: str | None = None) -> str:
    if isinstance(category, type) and issubclass(category, NncostWarning):
        return f"nncost: warning: {message}\n"  # one line: the source line of nncost's call says nothing to a user
    return _formatwarning(message, category, filename, lineno, line)


warnings.formatwarning = _format  # only NncostWarning is formatted differently; others go to the previous formatter


class UnsupportedError(NncostError):
    """Raised in strict mode when an op has no formula."""


class MissingDependencyError(NncostError, ImportError):
    """An optional dependency is needed for this path and is not installed."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the '{package}' package, which is not installed; "
            f"install it with: pip install 'nncost[{extra}]'"
        )
        self.package = package
        self.extra = extra


def first_line(exc: BaseException, limit: int | None = None, named: bool = True, join: bool = False) -> str:
    """An exception as one line for a message: its type (when ``named``) and the first
    line of its text (all its lines joined, with ``join``), cut to ``limit`` characters;
    a SyntaxError says file and line."""
    text = " ".join(str(exc).split()) if join else str(exc).strip()
    if isinstance(exc, SyntaxError) and exc.msg:
        import os

        text = f"{exc.msg} ({os.path.basename(exc.filename or '')}, line {exc.lineno})"
    first = text.splitlines()[0] if text else ""
    if limit is not None and len(first) > limit:
        first = first[:limit].rstrip() + "…"
    if not first:
        return type(exc).__name__
    return f"{type(exc).__name__}: {first}" if named else first


def require(module: str, extra: str, purpose: str) -> object:
    """Import ``module`` lazily, or raise :class:`MissingDependencyError`."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise MissingDependencyError(module.split(".")[0], extra, purpose) from exc
