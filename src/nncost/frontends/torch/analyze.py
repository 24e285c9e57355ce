"""``nncost.analyze(model, ...)``: the PyTorch frontend's entry point."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.nn.utils.rnn import PackedSequence
from torch.nn.utils.stateless import _reparametrize_module

from ...conventions import conventions
from ...cost import Cost, FlopsConvention
from ...errors import InputError, MetaDeviceError, NncostError, ShapeError, first_line
from ...formulas.memory import OPTIMIZER_STATES, PRECISIONS, training_state_bytes
from ...report import Memory, Node, ParamCount, Report
from ...tree import Entry, Own, build_layers, check_unsupported
from .capture import Capture, run_capture
from .functions import fused_sdpa_in_recomputation
from .lifetime import Lifetimes, optimizer_step_transient, storage_key
from .quantized import packed_numel

__all__ = ["analyze"]

_DTYPES = {
    "float32": torch.float32, "fp32": torch.float32, "float": torch.float32,
    "float16": torch.float16, "fp16": torch.float16, "half": torch.float16,
    "bfloat16": torch.bfloat16, "bf16": torch.bfloat16, "float64": torch.float64, "fp64": torch.float64,
}
_INT_INPUT_HINTS = ("ids", "mask", "position", "token_type", "labels", "indices")
_ALL_VALID = ("attention_mask", "features_mask")  # masks whose 1 marks a real position: all ones, nothing padded
_BN_TYPES = (torch.nn.modules.batchnorm._BatchNorm,)


def _dtype(value: str | torch.dtype | None) -> torch.dtype | None:
    if value is None or isinstance(value, torch.dtype):
        return value
    try:
        return _DTYPES[str(value).lower()]
    except KeyError:
        raise InputError(f"dtype must be one of {', '.join(sorted(_DTYPES))}, got {value!r}") from None


def _device(value: str | torch.device) -> torch.device:
    try:
        dev = torch.device(value)
    except (RuntimeError, TypeError):
        raise InputError(f"device must be meta, cpu or cuda[:N], got {value!r}") from None
    if dev.type not in ("meta", "cpu", "cuda"):
        raise InputError(f"device must be meta, cpu or cuda[:N], got {value!r}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError("device 'cuda' was asked for, but torch sees no CUDA device here")
    return dev


def _is_shape(x: Any) -> bool:
    return isinstance(x, (tuple, list, torch.Size)) and len(x) > 0 and all(
        isinstance(d, int) and not isinstance(d, bool) for d in x)


_MAX_NUMEL = 2**63 - 1
SEED = 0  # random inputs and the model's own random draws (dropout) on a real device use this seed


def _check_shape(x: Sequence[int], name: str) -> None:
    if any(d < 0 for d in x):
        raise ShapeError(f"input {name} has a negative dimension: {list(x)}")
    n = 1
    for d in x:
        n *= d
    if n > _MAX_NUMEL:
        raise ShapeError(f"input {name} of shape {list(x)} has {n:,} elements, more than a tensor can hold (2^63 − 1)")


def _materialise(x: Any, name: str, device: torch.device, dtype: torch.dtype | None,
                 gen: torch.Generator | None = None) -> Any:
    """A tensor stand-in for an input: shapes become tensors, tensors are copied to ``device``
    (always a copy: the model may write into its inputs; the user's tensors stay as they are)."""
    if isinstance(x, torch.Tensor):
        floating = x.dtype.is_floating_point
        want = dtype if (dtype is not None and floating) else x.dtype
        if device.type == "meta" and x.layout == torch.strided:
            t = torch.empty(x.shape, dtype=want, device="meta")
        else:
            t = x.detach().to(device=device, dtype=want, copy=True)
        return t.requires_grad_(x.requires_grad and floating)
    if _is_shape(x):
        _check_shape(x, name)
        if name.lower().endswith(_ALL_VALID):  # every position attends / holds data (on a real device: ones)
            return torch.ones(tuple(x), dtype=torch.long, device=device)
        if any(h in name.lower() for h in _INT_INPUT_HINTS):
            return torch.zeros(tuple(x), dtype=torch.long, device=device)
        if device.type == "meta":
            return torch.empty(tuple(x), dtype=dtype or torch.float32, device="meta")
        return torch.randn(tuple(x), dtype=dtype or torch.float32, device=device, generator=gen)
    if isinstance(x, PackedSequence):  # batch_sizes stays an int64 CPU tensor, as PyTorch requires
        data = _materialise(x.data, f"{name}.data", device, dtype, gen)
        return PackedSequence(data, x.batch_sizes, x.sorted_indices, x.unsorted_indices)
    if isinstance(x, Mapping):
        return {k: _materialise(v, f"{name}.{k}", device, dtype, gen) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        items = [_materialise(v, f"{name}[{i}]", device, dtype, gen) for i, v in enumerate(x)]
        return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
    if next(held_tensors(x), None) is not None:  # an object holding tensors (a KV cache): a copy, as the model
        # may grow or replace them
        import copy

        return copy.deepcopy(x)
    return x  # scalars, None, flags: passed through as given


def held_tensors(x: Any, depth: int = 0) -> Iterator[tuple[Any, Any, torch.Tensor]]:
    """(where it is held, its key there, the tensor) for each tensor reachable through an input
    object that is not a tensor or a module (a transformers ``DynamicCache``: its layers' keys and
    values; an older cache's lists of them), a few levels deep. The holder is an object's
    ``__dict__``, a dict, a list or a tuple (read-only)."""
    if depth > 4 or isinstance(x, (torch.Tensor, torch.nn.Module, str, bytes, int, float, bool, type(None))):
        return
    if isinstance(x, Mapping):
        slots: Any = list(x.items())
    elif isinstance(x, (tuple, list)):
        slots = list(enumerate(x))
    else:
        attrs = getattr(x, "__dict__", None)
        if not isinstance(attrs, dict):
            return
        x, slots = attrs, list(attrs.items())
    for key, v in slots:
        if isinstance(v, torch.Tensor):
            yield x, key, v
        else:
            yield from held_tensors(v, depth + 1)


def _has_sparse(x: Any) -> bool:
    if isinstance(x, torch.Tensor):
        return x.layout != torch.strided
    if isinstance(x, Mapping):
        return any(_has_sparse(v) for v in x.values())
    if isinstance(x, (tuple, list)):
        return any(_has_sparse(v) for v in x)
    return False


def _needs_input(model: torch.nn.Module) -> bool:
    """Whether ``forward`` has a required argument (a model may take none)."""
    import inspect

    try:
        sig = inspect.signature(model.forward)
    except (TypeError, ValueError):
        return True
    return any(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
               for p in sig.parameters.values())


def _stand_ins(model: torch.nn.Module, device: torch.device, dtype: torch.dtype | None) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        want = dtype if (dtype is not None and t.dtype.is_floating_point) else t.dtype
        if device.type == "meta" or t.device.type == "meta":
            s = torch.empty(t.shape, dtype=want, device=device)
            if device.type != "meta":
                s.zero_()
        else:  # a copy: a forward that writes its buffers (BatchNorm in train mode, counters) must not reach the user's
            s = t.detach().to(device=device, dtype=want, copy=True)
        out[name] = s.requires_grad_(t.requires_grad and t.dtype.is_floating_point)
    return out


def _params(model: torch.nn.Module, paths: Sequence[tuple[str, torch.nn.Module]]) -> dict[str, ParamCount]:
    """Own parameters and buffers per module; a shared tensor belongs to its first owner.
    Weights packed by quantization (not listed by ``named_parameters``) are frozen parameters."""
    seen: set[int] = set()
    own: dict[str, ParamCount] = {}
    for path, module in paths:
        tr, nt, bf = 0, packed_numel(module), 0
        for p in module._parameters.values():
            if p is None or id(p) in seen:
                continue
            seen.add(id(p))
            if p.requires_grad:
                tr += p.numel()
            else:
                nt += p.numel()
        for b in module._buffers.values():
            if b is None or id(b) in seen or not b.dtype.is_floating_point:
                continue
            seen.add(id(b))
            bf += b.numel()
        own[path] = ParamCount(tr, nt, bf)
    return own


def _fold_bn(cap: Capture, own: dict[str, ParamCount], modules: dict[str, torch.nn.Module]) -> int:
    """Fold each BatchNorm that directly follows a conv/linear (seed §4): its cost and traffic go,
    and a producer without a bias gains one (C parameters, read with the weight)."""
    folded = 0
    for bn_path, producer in cap.bn_after.items():
        bn = modules[bn_path]
        c = int(bn.num_features)  # type: ignore[arg-type]
        cap.fwd[bn_path] = [0, 0]
        cap.traffic[bn_path] = [0, 0]
        cap.by_dtype[bn_path] = {}
        own[bn_path] = ParamCount()
        prod_mod = modules.get(producer)
        if prod_mod is not None and getattr(prod_mod, "bias", None) is None:
            own[producer] = own[producer] + ParamCount(trainable=c)
            weight = getattr(prod_mod, "weight", None)
            cap.traffic[producer][0] += c * (weight.element_size() if isinstance(weight, torch.Tensor) else 4)
        folded += 1
    return folded


def _build(model: torch.nn.Module, name: str, cap: Capture, flops: FlopsConvention, fold_bn: bool,
           inputs: list[dict[str, Any]], notes: list[str], extra_conv: dict[str, Any],
           saved: Mapping[str, int] | None = None) -> Report:
    named = list(model.named_modules())
    modules = dict(named)
    own = _params(model, named)
    if fold_bn:
        n = _fold_bn(cap, own, modules)
        notes.append(f"fold-BN: {n} BatchNorm layer{'s' if n != 1 else ''} folded into the preceding conv/linear "
                     "(their params and FLOPs removed; a bias added where the conv had none)")
    entries = []
    for path, module in named:
        f, b = cap.fwd.get(path, (0, 0)), cap.bwd.get(path, (0, 0))
        rw = cap.traffic.get(path, (0, 0))
        entries.append(Entry(path, type(module).__name__, Own(
            params=own[path], forward=Cost(f[0], f[1]), backward=Cost(b[0], b[1]), read_bytes=rw[0], write_bytes=rw[1],
            unsupported=cap.unsupported.get(path, {}), by_dtype={k: Cost(*v) for k, v in cap.by_dtype.get(path, {}).items()},
            saved_bytes=saved.get(path, 0) if saved is not None else 0,
        ), cap.in_shapes.get(path, []), cap.out_shapes.get(path, []), cap.calls.get(path, 0), cap.out_bytes.get(path)))
    nodes = build_layers(entries, flops, saved=saved is not None)
    idle = _never_ran(nodes, dict(named))
    if idle:
        shown = ", ".join(f"{n.path} ({n.type}, {n.params.total:,} params)" for n in idle[:5])
        more = f" and {len(idle) - 5} more" if len(idle) > 5 else ""
        notes.append(f"modules that never ran with these inputs, so none of their cost is counted (their parameters "
                     f"are): {shown}{more}")
    att = flops.apply(Cost(cap.attention[0], cap.attention[1]))
    return Report(
        model=name, frontend="torch", conventions=conventions(flops, None, **extra_conv), inputs=inputs,
        layers=nodes, unsupported=dict(nodes[0].unsupported), ignored=dict(cap.ignored), notes=notes,
        extra={"breakdown": {"attention": {"macs": att.macs, "flops": att.flops}}},
    )


_CONTAINERS = {"ModuleList", "ModuleDict", "ParameterList", "ParameterDict"}  # no forward: never called themselves
_USED_UNCALLED = {"NonDynamicallyQuantizableLinear", "Embedding"}
_SHARE = 0.001  # a module that never ran is named when it holds at least this share of the parameters


def _never_ran(nodes: list[Node], modules: dict[str, torch.nn.Module]) -> list[Node]:
    """The outermost modules that never ran (a vision tower given no image, an auxiliary head in
    eval) and hold at least 0.1% of the parameters: their cost is missing from the count. Modules
    whose weight their parent uses without calling them (nn.MultiheadAttention's out_proj; an
    embedding table read as ``.weight``, a lookup that costs no MACs either way; a conv whose
    parent's code passes ``self.conv1d.weight`` to a kernel function) are left out."""
    total = nodes[0].params.total if nodes else 0
    by_path = {n.path: n for n in nodes}

    def ran_above(path: str) -> bool:
        while path:
            path = path.rpartition(".")[0]
            parent = by_path.get(path)
            if parent is not None and parent.type not in _CONTAINERS:
                return parent.calls > 0
        return True

    def read_by_parent(path: str) -> bool:  # the parent's own code reads this module's weight
        parent, _, attr = path.rpartition(".")
        above = modules.get(parent)
        return above is not None and f"self.{attr}.weight" in _class_source(type(above))

    called = [n.path for n in nodes if n.calls]

    def ran_below(path: str) -> bool:  # its parent called one of its children directly (OPT's causal LM: model.decoder)
        return any(p.startswith(f"{path}.") for p in called)

    return [n for n in nodes[1:] if n.calls == 0 and n.type not in _CONTAINERS and n.type not in _USED_UNCALLED
            and n.params.total and n.params.total >= _SHARE * total and ran_above(n.path) and not read_by_parent(n.path)
            and not ran_below(n.path)]


def _class_source(cls: Any) -> str:
    """The source of a module class (its forward and helpers), or '' where Python cannot show it;
    read only for the few modules that never ran."""
    import inspect

    try:
        return inspect.getsource(cls)
    except (OSError, TypeError):
        return ""


def _analyze_lazy(model: torch.nn.Module, args: list[Any], kw: dict[str, Any], options: dict[str, Any]) -> Report:
    """A model with lazy modules (nn.LazyLinear, ...) learns its shapes from its first input:
    a copy runs that first forward on the CPU (seeded inputs, no gradient), and the
    initialised copy is analysed. The user's model stays uninitialised."""
    import copy

    twin = copy.deepcopy(model)
    gen = torch.Generator().manual_seed(SEED)
    a = [_materialise(x, f"input{i}", torch.device("cpu"), None, gen) for i, x in enumerate(args)]
    k = {n: _materialise(v, n, torch.device("cpu"), None, gen) for n, v in kw.items()}
    try:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(SEED)
            twin.eval()(*a, **k)
    except Exception as exc:
        raise InputError(f"{type(model).__name__} has lazy modules, and their first forward failed: {first_line(exc)}") from exc
    twin.train(model.training)
    for (_, m), (_, t) in zip(model.named_modules(), twin.named_modules()):
        t.training = m.training
    report = analyze(twin, *args, **{**options, "name": options.get("name") or type(model).__name__}, **kw)
    report.notes.insert(0, "lazy modules: their shapes were learnt by a first forward of a copy on the CPU (your model "
                           "is left uninitialised)")
    return report


_PRECISION_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16, "bf16-mixed": torch.bfloat16,
                     "fp16-mixed": torch.float16}


def _training_options(optimizer: str | None, precision: str | None, checkpoint: str | None, backward: bool,
                      dt: torch.dtype | None) -> tuple[str, str | None, torch.dtype | None]:
    """Check the training-step options; (optimizer, precision, the dtype the model runs in)."""
    given = [f"{n}={v!r}" for n, v in (("optimizer", optimizer), ("precision", precision), ("checkpoint", checkpoint)) if v]
    if given and not backward:
        raise InputError(f"{', '.join(given)} {'describe' if len(given) > 1 else 'describes'} a training step: count one "
                         "with backward=True (--backward)")
    opt = (optimizer or "adamw").lower()
    if opt not in OPTIMIZER_STATES:
        raise InputError(f"optimizer must be one of {', '.join(OPTIMIZER_STATES)}, got {optimizer!r}")
    if precision is None:
        return opt, None, dt
    prec = precision.lower()
    if prec not in _PRECISION_DTYPES:
        raise InputError(f"precision must be one of {', '.join(_PRECISION_DTYPES)}, got {precision!r}")
    want = _PRECISION_DTYPES[prec]
    if dt is not None and dt != want:
        raise InputError(f"precision {prec} computes in {str(want).removeprefix('torch.')}, but dtype "
                         f"{str(dt).removeprefix('torch.')} was given: give one of them")
    return opt, prec, want


def _checkpoint_targets(named: Sequence[tuple[str, torch.nn.Module]], pattern: str) -> list[tuple[str, torch.nn.Module]]:
    """The modules whose paths match one of the comma-separated glob patterns (outermost ones only)."""
    import fnmatch

    pats = [p.strip() for p in pattern.split(",") if p.strip()]
    hits = [(p, m) for p, m in named if p and any(fnmatch.fnmatchcase(p, q) for q in pats)]
    outer = [(p, m) for p, m in hits if not any(p.startswith(q + ".") for q, _ in hits)]
    if not outer:
        sample = ", ".join(p for p, _ in named[1:6])
        raise InputError(f"checkpoint pattern {pattern!r} matches no module (module paths look like: {sample})")
    return outer


def _checkpointed(targets: Sequence[tuple[str, torch.nn.Module]], life: Lifetimes) -> None:
    """Run each target's forward under torch.utils.checkpoint (non-reentrant): it keeps its inputs, not its insides."""
    from torch.utils.checkpoint import checkpoint as ckpt

    for path, m in targets:
        forward = m.forward

        def run(*a: Any, _f: Any = forward, _p: str = path, **k: Any) -> Any:
            if not torch.is_grad_enabled():
                return _f(*a, **k)
            given = _tensors(list(a)) + _tensors(k)
            for t in given:  # what the checkpoint keeps for its recomputation
                life.pack(t, _p)
            real = any(t.device.type != "meta" for t in given)  # meta draws no random numbers to replay
            return ckpt(_f, *a, use_reentrant=False, preserve_rng_state=real, **k)

        m.__dict__["forward"] = run


def _tensors(x: Any) -> list[torch.Tensor]:
    from torch.utils._pytree import tree_leaves

    return [t for t in tree_leaves(x) if isinstance(t, torch.Tensor)]


def _storage_bytes(ts: Sequence[torch.Tensor]) -> int:
    seen: dict[int, int] = {}
    for t in ts:
        key = storage_key(t)
        if key is not None:
            seen[key[0]] = key[1]
    return sum(seen.values())


@dataclass
class _Weights:
    params: int = 0  # bytes of the parameters, at the dtype the model runs in
    buffers: int = 0
    by_dtype: dict[str, int] = field(default_factory=dict)
    trainable: int = 0  # elements
    largest: tuple[int, ...] | None = None  # shape of the largest trainable parameter


def _weights(model: torch.nn.Module, dt: torch.dtype | None) -> _Weights:
    """What the parameters and buffers hold: shared ones once; torch.ao's packed weights at their stored width."""
    from .capture import _packed_bytes

    w, seen = _Weights(), set()
    params = {id(p) for p in model.parameters()}
    for t in [*model.parameters(), *model.buffers()]:
        if id(t) in seen:
            continue
        seen.add(id(t))
        want = dt if dt is not None and t.dtype.is_floating_point else t.dtype
        n = t.numel() * want.itemsize
        key = str(want).removeprefix("torch.")
        w.by_dtype[key] = w.by_dtype.get(key, 0) + n
        if id(t) in params:
            w.params += n
            if t.requires_grad:
                w.trainable += t.numel()
                if w.largest is None or t.numel() > math.prod(w.largest):
                    w.largest = tuple(t.shape)
        else:
            w.buffers += n
    for m in model.modules():
        packed = m.__dict__.get("_packed_params")
        if isinstance(packed, torch.ScriptObject):
            n = _packed_bytes(packed)
            w.params += n
            w.by_dtype["packed"] = w.by_dtype.get("packed", 0) + n
    return w


def _memory(model: torch.nn.Module, dt: torch.dtype | None, inputs: list[torch.Tensor], infer: Lifetimes,
            train: Lifetimes | None, optimizer: str, precision: str | None, checkpoint: str | None) -> Memory:
    w = _weights(model, dt)
    weights, trainable, largest = w.params + w.buffers, w.trainable, w.largest
    ins = _storage_bytes(inputs)  # the adopted tensors of input objects (a KV cache) are inputs too, live in the peaks
    mem = Memory(weights=w.params, buffers=w.buffers, weights_by_dtype=w.by_dtype, inputs=ins + infer.adopted,
                 activation_peak=infer.peak - infer.adopted, inference_peak=weights + ins + infer.peak,
                 inference_peak_module=infer.peak_module, timeline=infer.timeline)
    if train is None:
        return mem
    run_dtype = dt or next((p.dtype for p in model.parameters() if p.dtype.is_floating_point), torch.float32)
    prec = precision or {torch.bfloat16: "bf16", torch.float16: "fp16", torch.float64: "fp64"}.get(run_dtype, "fp32")
    grads, master, states = training_state_bytes(trainable, optimizer, prec)
    step_dtype = torch.float32 if PRECISIONS[prec][1] else run_dtype
    transient = optimizer_step_transient(largest, step_dtype, optimizer) if largest is not None else 0
    fwd_bwd = weights + master + ins + train.peak  # gradients are made (and kept) during the backward: in train.peak
    step = weights + master + grads + transient
    mem.optimizer, mem.precision, mem.checkpoint = optimizer, prec, checkpoint
    mem.gradients, mem.master_weights, mem.optimizer_states = grads, master, states
    mem.saved_activations = sum(train.saved.values())
    mem.optimizer_step_transient = transient
    mem.training_peak = states + max(fwd_bwd, step)
    mem.training_peak_module = train.peak_module if fwd_bwd >= step else "optimizer.step"
    return mem


def analyze(
    model: torch.nn.Module,
    *example_inputs: Any,
    input_shape: Sequence[int] | Sequence[Sequence[int]] | None = None,
    inputs: Mapping[str, Any] | None = None,
    dtype: str | torch.dtype | None = None,
    device: str | torch.device = "meta",
    backward: bool = False,
    fold_bn: bool = False,
    train: bool = False,
    flops: str | FlopsConvention = FlopsConvention.SEED,
    strict: bool = False,
    name: str | None = None,
    optimizer: str | None = None,
    precision: str | None = None,
    checkpoint: str | None = None,
    **kwargs: Any,
) -> Report:
    """Count ``model``'s cost for one forward pass (and its backward with ``backward=True``).

    Inputs: positional tensors or shapes (``analyze(m, (1, 3, 224, 224))``), or
    ``input_shape=`` (one shape or a list), and keyword inputs via ``inputs=dict(...)`` or
    plain keywords (``input_ids=(1, 128)``; names with ids/mask/position become int64).
    ``device="meta"`` (default) needs no weight memory; ``"cpu"``/``"cuda"`` run for real.
    The model is never moved or modified, and its train/eval modes are restored.

    Memory (``report.memory``, docs/memory.md): weights, inputs and the peak of live
    tensors in an inference pass (no_grad) always; with ``backward=True`` also a training
    step's gradients, optimizer states (``optimizer``: sgd, momentum, adam, adamw — the
    default), saved activations and peak, at ``precision`` (fp32, bf16, fp16, bf16-mixed,
    fp16-mixed; default: the dtype the model runs in). ``checkpoint="layers.*"`` checkpoints
    the activations of the modules whose paths match (comma-separated glob patterns).
    """
    if not isinstance(model, torch.nn.Module):
        raise InputError(f"model must be a torch.nn.Module (nncost.analyze also takes a spec string such as "
                         f"'torchvision:resnet50', an .onnx path, an onnx.ModelProto or a Hugging Face config), "
                         f"got {type(model).__name__}")
    flops_conv = FlopsConvention(flops)
    dev = _device(device)
    dt = _dtype(dtype)
    opt, prec, dt = _training_options(optimizer, precision, checkpoint, backward, dt)
    args: list[Any] = list(example_inputs)
    if input_shape is not None:
        if _is_shape(input_shape):
            args.append(tuple(input_shape))  # type: ignore[arg-type]
        elif isinstance(input_shape, (list, tuple)) and all(_is_shape(s) for s in input_shape):
            args.extend(tuple(s) for s in input_shape)  # type: ignore[union-attr]
        else:
            raise ShapeError(f"input_shape must be a shape like (1, 3, 224, 224) or a list of shapes, got {input_shape!r}")
    if inputs is not None and not isinstance(inputs, Mapping):
        raise InputError(f"inputs must map the forward's argument names to shapes or tensors, such as "
                         f"inputs={{'x': (1, 3, 224, 224)}}, got a {type(inputs).__name__}; positional inputs go after the "
                         f"model: analyze(model, (1, 3, 224, 224))")
    kw: dict[str, Any] = {**(inputs or {}), **kwargs}
    if isinstance(model, torch.jit.ScriptModule):
        raise InputError(f"{type(model).__name__} is a TorchScript module (torch.jit.script/trace), which runs below the "
                         "level nncost captures; analyse the nn.Module it was made from, or export it to ONNX")
    if not args and not kw and _needs_input(model):
        raise ShapeError("no input given: pass example inputs, input_shape=(...), or keyword inputs such as input_ids=(1, 128)")

    if any(torch.nn.parameter.is_lazy(t) for t in [*model.parameters(), *model.buffers()]):
        return _analyze_lazy(model, args, kw, dict(dtype=dtype, device=device, backward=backward, fold_bn=fold_bn,
                                                   train=train, flops=flops, strict=strict, name=name, optimizer=optimizer,
                                                   precision=precision, checkpoint=checkpoint))
    named = list(model.named_modules())
    paths = {id(m): p for p, m in named}
    modes = {m: m.training for _, m in named}
    ckpt_modules = _checkpoint_targets(named, checkpoint) if checkpoint else []
    # a forward may rebind plain attributes (torchvision's AnchorGenerator moves its cell anchors to the
    # input's device; caches): each module's attributes are put back as they were after the run
    # taken once the modes are set (restoring keeps them): module -> (attributes, their names, their ids)
    attrs: dict[torch.nn.Module, tuple[dict[str, Any], tuple[str, ...], tuple[int, ...]]] = {}
    notes: list[str] = []
    if dev.type == "meta" and (_has_sparse(args) or _has_sparse(kw)):
        dev = torch.device("cpu")  # a sparse tensor's non-zeros are data: the meta device cannot hold them
        notes.append("sparse inputs: counted with real CPU tensors (sparse ops cost by their non-zeros)")

    def restore() -> None:
        for m, (saved, keys, ids) in attrs.items():
            now = m.__dict__
            if tuple(now) != keys or tuple(map(id, now.values())) != ids:  # a key added, removed or rebound
                now.clear()
                now.update(saved)

    def attempt(d: torch.device, bw: bool = backward) -> tuple[Capture, list[Any], dict[str, Any], Lifetimes]:
        gen = torch.Generator(device=d).manual_seed(SEED) if d.type != "meta" else None
        a = [_materialise(x, f"input{i}", d, dt, gen) for i, x in enumerate(args)]
        k = {n: _materialise(v, n, d, dt, gen) for n, v in kw.items()}
        direct = d.type == "meta" and dt is None and not bw and all(
            t.device.type == "meta" for t in [*model.parameters(), *model.buffers()])
        stand = {} if direct else _stand_ins(model, d, dt)
        life = Lifetimes([*stand.values(), *_tensors(a), *_tensors(k),
                          *([*model.parameters(), *model.buffers()] if direct else [])])
        life.adopt(t for _, _, t in held_tensors([a, k]))
        if bw and checkpoint:
            _checkpointed(ckpt_modules, life)  # undone by restore() with every attribute the run changed

        def call() -> Any:
            with torch.set_grad_enabled(bw):
                return model(*a, **k)

        # the stand-ins replace the weights for the forward and the backward (a checkpoint recomputes in it):
        # what torch.func.functional_call does for a call, held for the whole run
        swapped = contextlib.nullcontext() if direct else _reparametrize_module(model, stand, tie_weights=True, strict=False)

        devices = [d.index or 0] if d.type == "cuda" else []
        real = d.type != "meta"  # meta kernels draw no random numbers: nothing to fork or seed
        with torch.random.fork_rng(devices=devices, enabled=real, device_type=d.type if d.type == "cuda" else "cuda"):
            if real:
                torch.manual_seed(SEED)  # the model's own draws (dropout, sampling) repeat; the user's RNG is restored
            try:
                with swapped, fused_sdpa_in_recomputation() if bw and checkpoint else contextlib.nullcontext():
                    cap = run_capture(model, call, paths, backward=bw, fast=d.type == "meta",
                                      bn_types=_BN_TYPES if fold_bn else (), life=life)
            finally:
                restore()
        return cap, a, k, life

    def failed(exc: Exception, d: torch.device) -> InputError:
        where = f" in module '{exc.nncost_module}'" if getattr(exc, "nncost_module", "") else ""  # type: ignore[attr-defined]
        first = first_line(exc, named=not isinstance(exc, (RuntimeError, NncostError)))
        hint = ""
        if train and "more than 1 value per channel when training" in first:
            hint = " (batch norm in train mode needs a batch of at least 2: give a larger first dim)"
        return InputError(f"{type(model).__name__} failed to run on {d.type}{where}: {first}{hint}")

    try:
        model.train(train)
        attrs.update((m, (dict(m.__dict__), tuple(m.__dict__), tuple(map(id, m.__dict__.values())))) for _, m in named)
        with torch.inference_mode(False):
            try:
                cap, a, k, life = attempt(dev)
                ran = dev
            except NncostError:
                raise
            except Exception as exc:
                on_meta = any(t.device.type == "meta" for t in [*model.parameters(), *model.buffers()])
                if dev.type == "meta" and on_meta:
                    err = failed(exc, dev)
                    raise MetaDeviceError(str(err)) from exc
                if dev.type != "meta":
                    raise failed(exc, dev) from exc
                try:
                    cap, a, k, life = attempt(torch.device("cpu"))
                except NncostError:
                    raise
                except Exception:
                    raise failed(exc, dev) from exc  # it fails on CPU too: the first error is the one to fix
                notes.append(f"this model cannot run on the meta device ({first_line(exc, 120, named=False)}); "
                             "counted with real CPU tensors instead")
                ran = torch.device("cpu")
            life_inf = life
            if backward:  # the inference memory is that of a no_grad pass, which frees activations as it goes
                try:
                    life_inf = attempt(ran, False)[3]
                except NncostError:
                    raise
                except Exception as exc:
                    raise failed(exc, ran) from exc
    finally:  # each attempt restored the attributes it changed; the modes come back here
        for m, mode in modes.items():
            m.training = mode
    if backward and not cap.backward_ran:
        raise InputError(f"backward=True, but no output of {type(model).__name__} needs a gradient (no parameter or "
                         "input that requires grad reaches it): there is no backward pass to count")
    if cap.recomputed[0] or cap.recomputed[1]:
        notes.append(f"activation checkpointing: forwards re-run during the backward ({cap.recomputed[0]:,} MACs, "
                     f"{cap.recomputed[1]:,} FLOPs) are counted in the backward columns of the modules that re-ran them")
    if cap.data_dependent:
        ops = ", ".join(f"{op} x{n}" for op, n in sorted(cap.data_dependent.items()))
        notes.append(f"the count depends on the input's values ({ops}): counted on random inputs drawn with seed {SEED}, "
                     "so the same input gives the same number; other data can give another")

    def describe(n: str, t: Any) -> dict[str, Any]:
        if isinstance(t, torch.Tensor):
            return {"name": n, "shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", "")}
        return {"name": n, "shape": [], "dtype": type(t).__name__}

    in_desc = [describe(f"input{i}", t) for i, t in enumerate(a)] + [describe(n, t) for n, t in k.items()]
    report = _build(model, name or type(model).__name__, cap, flops_conv, fold_bn, in_desc, notes,
                    {"device": ran.type, "mode": "train" if train else "eval", "backward": backward, "fold_bn": fold_bn},
                    saved=life.saved if backward else None)
    report.memory = _memory(model, dt, _tensors(a) + _tensors(k), life_inf, life if backward else None, opt, prec, checkpoint)
    report.op_logs["model"] = cap.ops
    if cap.py_calls is not None:
        report.op_logs["python"] = cap.py_calls
    check_unsupported(report.unsupported, strict, "ops with no formula")
    return report
