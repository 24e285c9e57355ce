"""Run a module once under counting modes and attribute every op to the module that ran it.

- A ``TorchFunctionMode`` catches the fused functions of :mod:`.functions` and counts
  them by formula (the ops they run underneath are not counted again).
- A ``TorchDispatchMode`` sees every aten op: counted by :mod:`.bindings`, ignored with
  a reason (:mod:`.ignored`), decomposed into counted parts, or tallied as unsupported.
- Global module pre/post hooks keep the stack of running modules; the innermost module
  in the model's tree owns each op.
- With ``backward=True`` every autograd node is tagged with the module that created it,
  and backward ops are attributed through ``torch._C._current_autograd_node()``.

The user's model is never moved or modified: ``torch.func.functional_call`` swaps in
stand-in tensors (meta by default) for the duration of the call.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from ...cost import Cost
from . import ignored as _ignored  # noqa: F401  (registers the ignore list)
from .bindings import ATEN, ATTENTION_OPS
from .functions import FUNCTIONS
from .metafast import FAST_META

__all__ = ["Capture", "run_capture"]

_TAG = "nncost_module"
_PRODUCERS = {torch.ops.aten.convolution, torch.ops.aten._convolution, torch.ops.aten.addmm, torch.ops.aten.mm}

try:  # decompositions let an op with no binding be counted through its parts
    from torch._decomp import decomposition_table as _DECOMP
except Exception:  # pragma: no cover
    _DECOMP = {}


@dataclass
class Capture:
    """What one run saw, keyed by module path ("" is the root)."""

    fwd: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    bwd: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    unsupported: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    ignored: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)
    in_shapes: dict[str, list[list[int]]] = field(default_factory=dict)
    out_shapes: dict[str, list[list[int]]] = field(default_factory=dict)
    bn_after: dict[str, str] = field(default_factory=dict)  # BatchNorm path -> producer path
    attention: list[int] = field(default_factory=lambda: [0, 0])  # forward MACs, FLOPs of attention kernels
    output: Any = None


class _State:
    def __init__(self, paths: dict[int, str], backward: bool, fast: bool, track_bn: bool) -> None:
        self.paths = paths
        self.stack: list[str] = []
        self.cap = Capture()
        self.backward = backward
        self.in_backward = False
        self.fast = fast
        self.suppress = 0
        self.track_bn = track_bn
        self.producers: dict[int, str] = {}
        self.kinds: dict[Any, tuple[str, Any]] = {}

    def add(self, cost: Cost, attention: Cost | None = None) -> None:
        if attention is not None and not self.in_backward:
            self.cap.attention[0] += attention.macs
            self.cap.attention[1] += attention.flops
        if self.in_backward:
            node = torch._C._current_autograd_node()
            path = _metadata(node).get(_TAG, "") if node is not None else ""
            acc = self.cap.bwd[path]
        else:
            acc = self.cap.fwd[self.stack[-1] if self.stack else ""]
        acc[0] += cost.macs
        acc[1] += cost.flops

    def current(self) -> str:
        if self.in_backward:
            node = torch._C._current_autograd_node()
            return _metadata(node).get(_TAG, "") if node is not None else ""
        return self.stack[-1] if self.stack else ""


def _metadata(node: Any) -> dict[str, Any]:
    """An autograd node's metadata dict (a property at run time; typed as a method)."""
    return node.metadata  # type: ignore[no-any-return]


def _kind(func: Any, fast: bool) -> tuple[str, Any]:
    packet = func.overloadpacket
    b = ATEN.binding(packet)
    if b is not None:
        quick = FAST_META.get(packet) if fast and func._overloadname in ("default", "Tensor", "Scalar") else None
        return ("quick", (b, quick)) if quick is not None else ("count", b)
    if ATEN.ignore_reason(packet) is not None:
        return "ignore", None
    if func in _DECOMP:
        return "decomp", _DECOMP[func]
    return "other", None


class _Dispatch(TorchDispatchMode):
    def __init__(self, st: _State) -> None:
        super().__init__()
        self.st = st

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        st = self.st
        if st.suppress:
            return func(*args, **kwargs)
        kind = st.kinds.get(func)
        if kind is None:
            kind = st.kinds[func] = _kind(func, st.fast and not st.backward)
        what, b = kind
        if what == "quick":
            if args and isinstance(args[0], torch.Tensor) and args[0].device.type == "meta" and not kwargs.get("out"):
                count, quick = b
                out = quick(args, kwargs)
            else:
                count = b[0]
                out = func(*args, **kwargs)
        elif what == "count":
            count = b
            out = func(*args, **kwargs)
        if what in ("quick", "count"):
            cost = count(args, kwargs, out)
            st.add(cost, cost if func.overloadpacket in ATTENTION_OPS else None)
            if st.track_bn and func.overloadpacket in _PRODUCERS and isinstance(out, torch.Tensor):
                st.producers[out._cdata] = st.current()
            return out
        if what == "ignore":
            st.cap.ignored[func.overloadpacket.__name__] += 1
            return func(*args, **kwargs)
        if what == "decomp":
            with self:
                return b(*args, **kwargs)
        with self:  # a CompositeImplicit op reached directly: count the ops it is made of
            r = func.decompose(*args, **kwargs)
        if r is not NotImplemented:
            return r
        st.cap.unsupported[st.current()][str(func.overloadpacket.__name__)] += 1
        return func(*args, **kwargs)


class _Functions(TorchFunctionMode):
    def __init__(self, st: _State) -> None:
        super().__init__()
        self.st = st

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        st = self.st
        b = FUNCTIONS.get(func)
        if b is None or st.suppress:
            out = func(*args, **kwargs)
        else:
            fast = st.fast and not (torch.is_grad_enabled() and any(
                isinstance(t, torch.Tensor) and t.requires_grad for t in tree_leaves((args, kwargs))))
            cost, quick, attention = b(args, kwargs, fast)
            st.add(cost, attention)
            if quick is not None:
                out = quick
            else:
                st.suppress += 1
                try:
                    out = func(*args, **kwargs)
                finally:
                    st.suppress -= 1
        if st.backward and not st.in_backward:
            _tag(out, st.stack[-1] if st.stack else "")
        return out


def _tag(out: Any, path: str) -> None:
    """Tag the autograd nodes this call created (walking back to already-tagged ones)."""
    todo = [t.grad_fn for t in tree_leaves(out) if isinstance(t, torch.Tensor) and t.grad_fn is not None]
    while todo:
        node = todo.pop()
        md = _metadata(node)
        if _TAG in md:
            continue
        md[_TAG] = path
        todo.extend(n for n, _ in node.next_functions if n is not None)


def _shapes(x: Any) -> list[list[int]]:
    if isinstance(x, torch.Tensor):
        return [list(x.shape)]
    if isinstance(x, tuple) and all(isinstance(t, torch.Tensor) for t in x):
        return [list(t.shape) for t in x]
    return [list(t.shape) for t in tree_leaves(x) if isinstance(t, torch.Tensor)]


def run_capture(
    model: torch.nn.Module,
    call: Callable[[], Any],
    paths: dict[int, str],
    *,
    backward: bool,
    fast: bool,
    bn_types: tuple[type, ...] = (),
) -> Capture:
    """Run ``call()`` (which runs ``model``) under the counting modes and hooks."""
    st = _State(paths, backward, fast, bool(bn_types))
    cap = st.cap

    def pre(module: torch.nn.Module, args: Any) -> None:
        path = paths.get(id(module))
        if path is None:
            return
        st.stack.append(path)
        cap.calls[path] += 1
        if path not in cap.in_shapes:
            cap.in_shapes[path] = _shapes(args)
        if bn_types and isinstance(module, bn_types) and args and isinstance(args[0], torch.Tensor):
            producer = st.producers.get(args[0]._cdata)
            if producer is not None:
                cap.bn_after[path] = producer

    def post(module: torch.nn.Module, args: Any, output: Any) -> None:
        path = paths.get(id(module))
        if path is None:
            return
        if path not in cap.out_shapes:
            cap.out_shapes[path] = _shapes(output)
        if st.stack and st.stack[-1] == path:
            st.stack.pop()

    h1 = torch.nn.modules.module.register_module_forward_pre_hook(pre)
    h2 = torch.nn.modules.module.register_module_forward_hook(post)
    try:
        try:
            _run(st, call, backward)
        except Exception as exc:
            exc.nncost_module = st.stack[-1] if st.stack else ""  # type: ignore[attr-defined]
            raise
    finally:
        h1.remove()
        h2.remove()
    return cap


def _run(st: _State, call: Callable[[], Any], backward: bool) -> None:
    with _Functions(st), _Dispatch(st):
        out = call()
        st.cap.output = out
        if backward:
            tensors = [t for t in tree_leaves(out) if isinstance(t, torch.Tensor) and t.requires_grad]
            if tensors:
                st.in_backward = True
                torch.autograd.backward(tensors, [torch.ones_like(t) for t in tensors])
