"""Read a layer expression such as ``nn.Conv2d(3, 64, kernel_size=3)`` without eval.

Only a call of a (dotted) name with literal arguments is accepted: numbers, strings,
booleans, None and tuples/lists of them. Anything else is a :class:`LayerSpecError`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from ..errors import LayerSpecError

__all__ = ["LayerCall", "parse_layer"]

_PREFIXES = ("torch.nn.functional.", "torch.nn.", "nn.functional.", "nn.", "F.", "torch.")


@dataclass(frozen=True)
class LayerCall:
    name: str  # without the nn./torch.nn. prefix
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    raise LayerSpecError(f"expected a layer name such as nn.Conv2d, got {ast.unparse(node)!r}")


def _literal(node: ast.expr, where: str) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise LayerSpecError(
            f"{where} must be a literal (number, string, True/False/None or a tuple of them), "
            f"got {ast.unparse(node)!r}"
        ) from None


def parse_layer(text: str) -> LayerCall:
    """Parse ``text``; the name keeps no ``nn.``/``torch.nn.`` prefix."""
    src = text.strip()
    if not src:
        raise LayerSpecError("empty layer expression; expected e.g. \"nn.Linear(300, 100)\"")
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        raise LayerSpecError(
            f"malformed layer expression {src!r} ({exc.msg}); expected e.g. \"nn.Linear(300, 100)\""
        ) from None
    body = tree.body
    if isinstance(body, (ast.Name, ast.Attribute)):  # "nn.ReLU" without parentheses
        body = ast.Call(func=body, args=[], keywords=[])
    if not isinstance(body, ast.Call):
        raise LayerSpecError(f"expected a layer call such as nn.Linear(300, 100), got {src!r}")
    name = _dotted(body.func)
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    args = []
    for i, a in enumerate(body.args):
        if isinstance(a, ast.Starred):
            raise LayerSpecError("*args are not supported in a layer expression")
        args.append(_literal(a, f"argument {i + 1} of {name}"))
    kwargs: dict[str, Any] = {}
    for kw in body.keywords:
        if kw.arg is None:
            raise LayerSpecError("**kwargs are not supported in a layer expression")
        kwargs[kw.arg] = _literal(kw.value, f"argument {kw.arg!r} of {name}")
    return LayerCall(name, tuple(args), kwargs)
