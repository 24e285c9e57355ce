"""Run a module once under counting modes and attribute every op to the module that ran it.

- A ``TorchFunctionMode`` catches the fused functions of :mod:`.functions` and counts
  them by formula (the ops they run underneath are not counted again).
- A ``TorchDispatchMode`` sees every aten op: counted by :mod:`.bindings`, ignored with
  a reason (:mod:`.ignored`), decomposed into counted parts, or tallied as unsupported.
- Global module pre/post hooks keep the stack of running modules; the innermost module
  in the model's tree owns each op.
- With ``backward=True`` every autograd node is tagged with the module that created it,
  and backward ops are attributed through ``torch._C._current_autograd_node()``.

The user's model is never moved or modified: its weights are swapped (as ``torch.func.functional_call`` does) for
stand-in tensors (meta by default) for the duration of the call.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves
from torch.utils.weak import WeakIdKeyDictionary

from ...cost import Cost
from ...formulas.memory import gather_read_bytes, tensor_bytes
from ...progress import step
from .bindings import ATEN, ATTENTION_OPS, SPARSE_AWARE
from .functions import FUNCTIONS, META_FUSED
from .ignored import TRAFFIC
from .lifetime import Lifetimes
from .metafast import FAST_META
from .pycalls import MODULE_CALL, logging_calls, original, requested, summary
from .quantized import unpack_linear
from .vision_ops import NeedsValues

__all__ = ["Capture", "run_capture", "output_tensors", "DATA_DEPENDENT"]

_TAG = "nncost_module"
_PRODUCERS = {torch.ops.aten.convolution, torch.ops.aten._convolution, torch.ops.aten.addmm, torch.ops.aten.mm}

_MASKED_FILL = torch.ops.aten.masked_fill.Tensor

# set while a frontend's helper reads values nncost itself supplied (a padding mask of ones, positions
# 0..n-1): what the count depends on there is known, not the input's data, and no note says otherwise
KNOWN_VALUES: contextvars.ContextVar[bool] = contextvars.ContextVar("nncost_known_values", default=False)

# ops whose output shape (and so everything after them) depends on the input's values
DATA_DEPENDENT = frozenset(p for p in (getattr(torch.ops.aten, n, None) for n in (
    "nonzero", "nonzero_static", "argwhere", "masked_select", "_local_scalar_dense", "unique", "_unique", "_unique2",
    "unique_dim", "unique_consecutive", "bincount", "repeat_interleave", "_assert_async")) if p is not None)

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
    data_dependent: Counter[str] = field(default_factory=Counter)  # ops whose result's shape depends on values
    backward_ran: bool = False
    recomputed: list[int] = field(default_factory=lambda: [0, 0])  # MACs, FLOPs of forwards re-run in the backward
    traffic: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # forward [read, written] bytes
    by_dtype: dict[str, dict[str, list[int]]] = field(default_factory=lambda: defaultdict(dict))  # forward [MACs, FLOPs] by dtype
    output: Any = None
    out_bytes: dict[str, int] = field(default_factory=dict)  # module -> bytes of its outputs (first call)
    ops: list[tuple[str, str, int, int, int, int, str | None, bool]] = field(default_factory=list)  # the op log (_State)
    py_calls: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]] | None = None  # Python-level calls (pycalls)


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
        self.producers: WeakIdKeyDictionary = WeakIdKeyDictionary()  # output tensor -> producing module (ids are reused)
        self.kinds: dict[Any, tuple[str, Any]] = {}
        # (id of the exception, innermost module it left): not the exception, whose traceback would keep every
        # frame's tensors alive (a checkpoint stops its recomputation by raising, and goes on)
        self.failed: tuple[int, str] | None = None
        self.life: Lifetimes | None = None  # tensor lifetimes, when memory is tracked
        self.pending: tuple[int, int, str | None] | None = None  # the last op's (MACs, FLOPs, dtype), for move()
        self.pending_path = ""
        self.dispatching = 0  # depth of aten-level handling (a Python call made there is not the model's)
        # the op log: (module, op, MACs, FLOPs, bytes read, bytes written, dtype, in the backward)
        self.ops: list[tuple[str, str, int, int, int, int, str | None, bool]] | None = self.cap.ops

    def add(self, cost: Cost, attention: Cost | None = None, dtype: str | None = None) -> None:
        self.pending = (cost.macs, cost.flops, dtype)  # the op's record is completed by move()
        if dtype is not None and not self.in_backward and (cost.macs or cost.flops):
            d = self.cap.by_dtype[self.stack[-1] if self.stack else ""].setdefault(dtype, [0, 0])
            d[0] += cost.macs
            d[1] += cost.flops
        if attention is not None and not self.in_backward:
            self.cap.attention[0] += attention.macs
            self.cap.attention[1] += attention.flops
        if self.in_backward and self.stack:  # activation checkpointing re-runs a forward inside the backward
            path = self.stack[-1]
            acc = self.cap.bwd[path]
            self.cap.recomputed[0] += cost.macs
            self.cap.recomputed[1] += cost.flops
        elif self.in_backward:
            node = torch._C._current_autograd_node()
            path = _metadata(node).get(_TAG, "") if node is not None else ""
            acc = self.cap.bwd[path]
        else:
            path = self.stack[-1] if self.stack else ""
            acc = self.cap.fwd[path]
        acc[0] += cost.macs
        acc[1] += cost.flops
        self.pending_path = path

    def move(self, mode: str, args: Any, kwargs: dict[str, Any], out: Any, op: str = "") -> None:
        """Record a forward op's memory traffic (formulas/memory.py) for the running module, and
        the op (its cost from add(), its bytes, its dtype) in the op log the roofline reads."""
        pending, self.pending = self.pending, None
        if mode == "none":
            return
        if self.in_backward:
            if pending is not None and self.ops is not None:  # the backward's own traffic: for the time of a step
                read = sum(_nbytes(t) for t in _flat(args))
                self.ops.append((self.pending_path, op, pending[0], pending[1], read,
                                 sum(_nbytes(t) for t in _flat(out)), pending[2] or _dtype(args), True))
            return
        if mode == "bn":
            mode = "first" if len(args) > 5 and args[5] is False else "rw"
        written = sum(_nbytes(t) for t in _flat(out[0] if mode in ("first", "bag") else out))
        if mode == "write":
            read = 0
        elif mode == "gather":
            read = gather_read_bytes(sum(_nbytes(t) for t in _flat(args) if not t.is_floating_point()), written)
        elif mode == "bag":  # its indices and offsets, the rows it reduces (not the table), any per-sample weights
            table, ids = args[0], args[1]
            rows = ids.numel() * table.shape[-1] * table.element_size()
            read = gather_read_bytes(sum(_nbytes(t) for t in _flat(args) if not t.is_floating_point()), rows)
            read += sum(_nbytes(t) for t in _flat(args[2:]) if t.is_floating_point())
        elif mode == "copy":
            read = _nbytes(args[1]) if len(args) > 1 and isinstance(args[1], torch.Tensor) else 0
        else:
            read = sum(_nbytes(t) for t in _flat(args)) + sum(_nbytes(t) for t in _flat(kwargs.values()) if t is not out)
            read += sum(_packed_bytes(a) for a in args if isinstance(a, torch.ScriptObject))
        path = self.stack[-1] if self.stack else ""
        acc = self.cap.traffic[path]
        acc[0] += read
        acc[1] += written
        if self.ops is not None:
            macs, flops, dtype = pending if pending is not None else (0, 0, None)
            self.ops.append((path, op, macs, flops, read, written, dtype or _dtype(args), False))

    def where(self) -> str:
        """The running module, marked when it is its backward that runs (for the memory peak)."""
        path = self.current()
        return f"{path or '(model)'} (backward)" if self.in_backward and not self.stack else path

    def current(self) -> str:
        if self.in_backward and not self.stack:
            node = torch._C._current_autograd_node()
            return _metadata(node).get(_TAG, "") if node is not None else ""
        return self.stack[-1] if self.stack else ""


def _flat(x: Any) -> list[torch.Tensor]:
    """The tensors among an op's arguments or outputs (one level of lists: cat's inputs, RNN weights)."""
    if isinstance(x, torch.Tensor):
        return [x]
    out: list[torch.Tensor] = []
    if isinstance(x, (tuple, list)) or type(x).__name__ == "dict_values":
        for a in x:
            if isinstance(a, torch.Tensor):
                out.append(a)
            elif isinstance(a, (tuple, list)):
                out.extend(t for t in a if isinstance(t, torch.Tensor))
    return out


def _nbytes(t: torch.Tensor) -> int:
    """Bytes of the distinct elements a tensor addresses: an expanded (stride-0) dim is read once."""
    if t.layout != torch.strided:
        return 0
    n = t.numel()
    if n and not t.is_contiguous():
        n = 1
        for size, stride in zip(t.shape, t.stride()):
            if stride:
                n *= size
    return tensor_bytes(n, 8 * t.element_size())


def _packed_bytes(obj: Any) -> int:
    """Bytes of a quantized linear's packed weight and bias (int8 or fp16 weights, as stored)."""
    try:
        w, b = unpack_linear(obj)
    except Exception:  # noqa: BLE001 - not a packed linear (an RNN cell's parameters): no weight bytes known
        return 0
    return w.numel() * w.element_size() + (b.numel() * b.element_size() if b is not None else 0)


def _dtype(args: Any, func: Any = None) -> str | None:
    """The dtype an op runs in: that of its first tensor operand; torch.ao's quantized kernels
    (``quantized::linear_dynamic`` quantizes its float input on the fly) run in int8, or fp16."""
    if func is not None and func.namespace == "quantized":
        return "float16" if "fp16" in func.overloadpacket.__name__ else "int8"
    for t in _flat(args):
        return str(t.dtype).removeprefix("torch.")
    return None


def _metadata(node: Any) -> dict[str, Any]:
    """An autograd node's metadata dict (a property at run time; typed as a method)."""
    return node.metadata  # type: ignore[no-any-return]


def _kind(func: Any, fast: bool) -> tuple[str, Any]:
    packet = func.overloadpacket
    if func.namespace == "torchvision":
        from .vision_ops import ensure_registered

        ensure_registered()
    if func.namespace == "prims" and hasattr(torch.ops.aten, packet.__name__):
        # decompositions written with torch._refs call prims (prims.abs, prims.where, ...): each is
        # the aten op of its name, with the same leading arguments
        packet = getattr(torch.ops.aten, packet.__name__)
    b = ATEN.binding(packet)
    quick = FAST_META.get(packet) if fast and func._overloadname in ("default", "Tensor", "Scalar", "dim") else None
    if b is not None:
        return ("quick", (b, quick)) if quick is not None else ("count", b)
    if ATEN.ignore_reason(packet) is not None:
        return ("ignore", quick)
    if func in _DECOMP:
        return "decomp", _DECOMP[func]
    return "other", None


class _Dispatch(TorchDispatchMode):
    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # PyTorch wraps a mode's __torch_dispatch__ in torch._disable_dynamo, whose first call imports
        # torch._dynamo (1.5 s). Nothing here is compiled, so the wrapper is not needed.
        return False

    def __init__(self, st: _State) -> None:
        super().__init__()
        self.st = st

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        st = self.st
        if st.cap.py_calls is None:
            return self._dispatch(func, args, kwargs)
        st.dispatching += 1  # meta kernels and decompositions in Python call torch.mm & co.: not the model's calls
        try:
            return self._dispatch(func, args, kwargs)
        finally:
            st.dispatching -= 1

    def _dispatch(self, func: Any, args: Any, kwargs: dict[str, Any]) -> Any:
        st = self.st
        if func is _MASKED_FILL and args[0].device.type == "meta" and args[2].device.type == "cpu":
            args = (args[0], args[1], args[2].to("meta"))  # a CPU scalar value, as CUDA takes it (meta's check refuses it)
        if st.suppress:
            return func(*args, **kwargs)
        out = self._handle(func, args, kwargs)
        if st.life is not None:
            st.life.produced(out, st.where())
        return out

    def _handle(self, func: Any, args: Any, kwargs: dict[str, Any]) -> Any:
        st = self.st
        kind = st.kinds.get(func)
        if func.overloadpacket is torch.ops.aten.index and not st.in_backward and any(
                isinstance(i, torch.Tensor) and i.dtype in (torch.bool, torch.uint8) for i in args[1]) and not KNOWN_VALUES.get():
            st.cap.data_dependent["index (boolean mask)"] += 1
        if func.overloadpacket in DATA_DEPENDENT and not st.in_backward and not KNOWN_VALUES.get():
            if func.overloadpacket is not torch.ops.aten.repeat_interleave or (args and isinstance(args[0], torch.Tensor)
                                                                              and args[0].dtype in _INT_DTYPES):
                st.cap.data_dependent[func.overloadpacket.__name__] += 1
        if kind is None:
            kind = st.kinds[func] = _kind(func, st.fast and not st.backward)
        what, b = kind
        if what == "quick":
            count, quick = b
            out = None
            if (args and isinstance(args[0], torch.Tensor) and args[0].device.type == "meta" and args[0].dtype.is_floating_point
                    and not kwargs.get("out")):  # integer inputs may promote (int / int, sqrt(int)): the real meta kernel types those
                out = quick(args, kwargs)  # None: not a case the fast path builds
            if out is None:
                out = func(*args, **kwargs)
        elif what == "count":
            count = b
            out = func(*args, **kwargs)
        if what in ("quick", "count"):
            if func.overloadpacket is _BN and len(args) > 5 and args[5] is False and isinstance(out, tuple) \
                    and out[0].device.type == "meta":
                # eval-mode batch norm: the CPU kernel returns empty statistics (its backward reads the running
                # ones); meta fills them with C values, which autograd would then save. Keep what the CPU keeps.
                out = (out[0], out[1].new_empty(0), out[2].new_empty(0))
            if _sparse(args) and func.overloadpacket not in SPARSE_AWARE:
                st.cap.unsupported[st.current()][f"{func.overloadpacket.__name__} (sparse)"] += 1
                return out
            try:
                cost = count(args, kwargs, out)
            except NeedsValues:
                st.cap.unsupported[st.current()][f"{func.overloadpacket.__name__} (needs values)"] += 1
                st.move("rw", args, kwargs, out, func.overloadpacket.__name__)
                return out
            st.add(cost, cost if func.overloadpacket in ATTENTION_OPS else None, _dtype(args, func))
            st.move(TRAFFIC.get(func.overloadpacket, "rw"), args, kwargs, out, func.overloadpacket.__name__)
            if st.track_bn and func.overloadpacket in _PRODUCERS and isinstance(out, torch.Tensor):
                st.producers[out] = st.current()
            return out
        if what == "ignore":
            st.cap.ignored[func.overloadpacket.__name__] += 1
            out = b(args, kwargs) if b is not None and not kwargs.get("out") else None
            if out is None:
                out = func(*args, **kwargs)
            st.move(TRAFFIC.get(func.overloadpacket, "rw"), args, kwargs, out, func.overloadpacket.__name__)
            return out
        if what == "decomp":
            with self:
                return b(*args, **kwargs)
        with self:  # a CompositeImplicit op reached directly: count the ops it is made of
            r = func.decompose(*args, **kwargs)
        if r is not NotImplemented:
            return r
        st.cap.unsupported[st.current()][str(func.overloadpacket.__name__)] += 1
        out = func(*args, **kwargs)
        st.move("rw", args, kwargs, out, func.overloadpacket.__name__)
        return out


class _Functions(TorchFunctionMode):
    def __init__(self, st: _State) -> None:
        super().__init__()
        self.st = st

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        st = self.st
        func = original(func)  # a Python function passes its module-level name, which a call log may have wrapped
        b = FUNCTIONS.get(func)
        if b is None or st.suppress:
            fused = META_FUSED.get(func)
            run = fused(args, kwargs) if fused is not None else None
            out = run() if run is not None else func(*args, **kwargs)
        else:
            fast = st.fast and not (torch.is_grad_enabled() and any(
                isinstance(t, torch.Tensor) and t.requires_grad for t in tree_leaves((args, kwargs))))
            cost, quick, attention = b(args, kwargs, fast)
            st.add(cost, attention, _dtype(args))
            if quick is not None and not callable(quick):
                out = quick
            else:
                st.suppress += 1
                try:
                    out = quick() if quick is not None else func(*args, **kwargs)
                finally:
                    st.suppress -= 1
            st.move("rw", args, kwargs, out, getattr(func, "__name__", str(func)))  # one fused kernel: operands, results
            if st.life is not None:
                st.life.produced(out, st.where())
        if st.backward and (not st.in_backward or st.stack):  # a forward re-run by checkpointing tags its nodes too
            _tag(out, st.stack[-1] if st.stack else "")
        return out


_BN = torch.ops.aten.native_batch_norm
_INT_DTYPES = (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8)


def _sparse(args: Any) -> bool:
    for a in args:
        if isinstance(a, torch.Tensor):
            if a.layout != torch.strided:
                return True
        elif isinstance(a, (list, tuple)) and a and isinstance(a[0], torch.Tensor) and any(
                isinstance(t, torch.Tensor) and t.layout != torch.strided for t in a):
            return True
    return False


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
    life: Lifetimes | None = None,
) -> Capture:
    """Run ``call()`` (which runs ``model``) under the counting modes and hooks; with ``life``,
    every tensor's lifetime (and, with ``backward``, what autograd saves) is followed too."""
    st = _State(paths, backward, fast, bool(bn_types))
    st.life = life
    cap = st.cap

    def pre(module: torch.nn.Module, args: Any) -> None:
        path = paths.get(id(module))
        if path is None:
            return
        st.stack.append(path)
        cap.calls[path] += 1
        if life is not None and not st.in_backward:
            life.event(path, "enter")
        if path not in cap.in_shapes:
            cap.in_shapes[path] = _shapes(args)
        if bn_types and isinstance(module, bn_types) and args and isinstance(args[0], torch.Tensor):
            producer = st.producers.get(args[0])
            if producer is not None:
                cap.bn_after[path] = producer

    def post(module: torch.nn.Module, args: Any, output: Any) -> None:
        path = paths.get(id(module))
        if path is None:
            return
        exc = sys.exc_info()[1]
        if exc is not None:  # forward is raising (an always-called hook): remember the innermost module once
            if st.failed is None or st.failed[0] != id(exc):
                st.failed = (id(exc), path)
        elif path not in cap.out_shapes:
            cap.out_shapes[path] = _shapes(output)
            cap.out_bytes[path] = sum(_nbytes(t) for t in tree_leaves(output) if isinstance(t, torch.Tensor))
        if cap.py_calls is not None and exc is None and not st.in_backward:  # every call's shapes, for module hooks
            cap.py_calls.append((path, MODULE_CALL, summary(args), {"output": summary(output)}))
        if st.stack and st.stack[-1] == path:
            st.stack.pop()
        if life is not None and not st.in_backward:
            life.event(path, "exit")
        if path and "." not in path:  # a top-level module finished: the progress line's step (if one shows)
            step(f"{'backward' if st.in_backward else 'forward'}: {path}")

    names = requested()
    log: contextlib.AbstractContextManager[None]
    if names:  # the Python-level calls a convention counts by (peers.py): forward calls, by the module making them
        cap.py_calls = []
        log = logging_calls(names, lambda: None if st.in_backward or st.dispatching else st.stack[-1] if st.stack else "", cap.py_calls)
    else:
        log = contextlib.nullcontext()
    h1 = torch.nn.modules.module.register_module_forward_pre_hook(pre)
    h2 = torch.nn.modules.module.register_module_forward_hook(post, always_call=True)  # pops even when forward raises
    try:
        try:
            with log:
                _run(st, call, backward)
        except Exception as exc:
            where = st.failed[1] if st.failed is not None and st.failed[0] == id(exc) else st.stack[-1] if st.stack else ""
            exc.nncost_module = where  # type: ignore[attr-defined]
            raise
    finally:
        h1.remove()
        h2.remove()
    return cap


def output_tensors(x: Any, _depth: int = 0) -> list[torch.Tensor]:
    """Every tensor in a model's output: tuples, lists, dicts, named tuples, dataclasses
    (Hugging Face's ModelOutput is both) and plain objects' attributes, a few levels deep."""
    if isinstance(x, torch.Tensor):
        return [x]
    if _depth > 6 or x is None or isinstance(x, (str, bytes, int, float, bool, torch.nn.Module)):
        return []
    if isinstance(x, Mapping):
        items: Any = x.values()
    elif isinstance(x, (tuple, list, set, frozenset)):
        items = x
    elif dataclasses.is_dataclass(x) and not isinstance(x, type):
        items = [getattr(x, f.name, None) for f in dataclasses.fields(x)]
    elif hasattr(x, "__dict__") and not isinstance(x, type):
        items = list(vars(x).values())
    else:
        return []
    return [t for item in items for t in output_tensors(item, _depth + 1)]


def _unpack(t: torch.Tensor) -> torch.Tensor:
    return t


def _run(st: _State, call: Callable[[], Any], backward: bool) -> None:
    saving: Any = contextlib.nullcontext()
    life = st.life
    if backward and life is not None:

        def pack(t: torch.Tensor) -> torch.Tensor:
            life.pack(t, st.current())
            return t

        saving = torch.autograd.graph.saved_tensors_hooks(pack, _unpack)
    with _Functions(st), _Dispatch(st), saving:
        out = call()
        if not backward:
            st.cap.output = out
            return
        tensors = [t for t in output_tensors(out) if t.requires_grad and t.layout == torch.strided]
        del out  # a training loop keeps its loss, not the outputs: they are freed before the backward
        if tensors:
            st.suppress += 1  # the loss is not the model's arithmetic: neither counted nor followed
            try:
                loss = tensors[0].sum()
                for t in tensors[1:]:
                    loss = loss + t.sum()
            finally:
                st.suppress -= 1
            del tensors
            st.in_backward = True
            st.cap.backward_ran = True
            loss.backward()  # the gradient of output.sum() (summed over the outputs): ones, broadcast
