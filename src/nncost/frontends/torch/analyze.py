"""``nncost.analyze(model, ...)``: the PyTorch frontend's entry point."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch.nn.utils.rnn import PackedSequence

from ...conventions import conventions
from ...cost import Cost, FlopsConvention
from ...errors import InputError, MetaDeviceError, NncostError, ShapeError, first_line
from ...report import ParamCount, Report
from ...tree import Entry, Own, build_layers, check_unsupported
from .capture import Capture, run_capture
from .quantized import packed_numel

__all__ = ["analyze"]

_DTYPES = {
    "float32": torch.float32, "fp32": torch.float32, "float": torch.float32,
    "float16": torch.float16, "fp16": torch.float16, "half": torch.float16,
    "bfloat16": torch.bfloat16, "bf16": torch.bfloat16, "float64": torch.float64, "fp64": torch.float64,
}
_INT_INPUT_HINTS = ("ids", "mask", "position", "token_type", "labels", "indices")
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
    return x  # scalars, None, flags: passed through as given


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
           inputs: list[dict[str, Any]], notes: list[str], extra_conv: dict[str, Any]) -> Report:
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
        ), cap.in_shapes.get(path, []), cap.out_shapes.get(path, []), cap.calls.get(path, 0)))
    nodes = build_layers(entries, flops)
    att = flops.apply(Cost(cap.attention[0], cap.attention[1]))
    return Report(
        model=name, frontend="torch", conventions=conventions(flops, None, **extra_conv), inputs=inputs,
        layers=nodes, unsupported=dict(nodes[0].unsupported), ignored=dict(cap.ignored), notes=notes,
        extra={"breakdown": {"attention": {"macs": att.macs, "flops": att.flops}}},
    )


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
    **kwargs: Any,
) -> Report:
    """Count ``model``'s cost for one forward pass (and its backward with ``backward=True``).

    Inputs: positional tensors or shapes (``analyze(m, (1, 3, 224, 224))``), or
    ``input_shape=`` (one shape or a list), and keyword inputs via ``inputs=dict(...)`` or
    plain keywords (``input_ids=(1, 128)``; names with ids/mask/position become int64).
    ``device="meta"`` (default) needs no weight memory; ``"cpu"``/``"cuda"`` run for real.
    The model is never moved or modified, and its train/eval modes are restored.
    """
    if not isinstance(model, torch.nn.Module):
        raise InputError(f"model must be a torch.nn.Module (nncost.analyze also takes a spec string such as "
                         f"'torchvision:resnet50', an .onnx path, an onnx.ModelProto or a Hugging Face config), "
                         f"got {type(model).__name__}")
    flops_conv = FlopsConvention(flops)
    dev = _device(device)
    dt = _dtype(dtype)
    args: list[Any] = list(example_inputs)
    if input_shape is not None:
        if _is_shape(input_shape):
            args.append(tuple(input_shape))  # type: ignore[arg-type]
        elif isinstance(input_shape, (list, tuple)) and all(_is_shape(s) for s in input_shape):
            args.extend(tuple(s) for s in input_shape)  # type: ignore[union-attr]
        else:
            raise ShapeError(f"input_shape must be a shape like (1, 3, 224, 224) or a list of shapes, got {input_shape!r}")
    kw: dict[str, Any] = {**(inputs or {}), **kwargs}
    if isinstance(model, torch.jit.ScriptModule):
        raise InputError(f"{type(model).__name__} is a TorchScript module (torch.jit.script/trace), which runs below the "
                         "level nncost captures; analyse the nn.Module it was made from, or export it to ONNX")
    if not args and not kw and _needs_input(model):
        raise ShapeError("no input given: pass example inputs, input_shape=(...), or keyword inputs such as input_ids=(1, 128)")

    if any(torch.nn.parameter.is_lazy(t) for t in [*model.parameters(), *model.buffers()]):
        return _analyze_lazy(model, args, kw, dict(dtype=dtype, device=device, backward=backward, fold_bn=fold_bn,
                                                   train=train, flops=flops, strict=strict, name=name))
    named = list(model.named_modules())
    paths = {id(m): p for p, m in named}
    modes = {m: m.training for _, m in named}
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

    def attempt(d: torch.device) -> tuple[Capture, list[Any], dict[str, Any]]:
        gen = torch.Generator(device=d).manual_seed(SEED) if d.type != "meta" else None
        a = [_materialise(x, f"input{i}", d, dt, gen) for i, x in enumerate(args)]
        k = {n: _materialise(v, n, d, dt, gen) for n, v in kw.items()}
        direct = d.type == "meta" and dt is None and not backward and all(
            t.device.type == "meta" for t in [*model.parameters(), *model.buffers()])
        stand = {} if direct else _stand_ins(model, d, dt)

        def call() -> Any:
            with torch.set_grad_enabled(backward):
                if direct:  # already shape-only, and nothing will be written to it
                    return model(*a, **k)
                return torch.func.functional_call(model, stand, tuple(a), k, strict=False)

        devices = [d.index or 0] if d.type == "cuda" else []
        real = d.type != "meta"  # meta kernels draw no random numbers: nothing to fork or seed
        with torch.random.fork_rng(devices=devices, enabled=real, device_type=d.type if d.type == "cuda" else "cuda"):
            if real:
                torch.manual_seed(SEED)  # the model's own draws (dropout, sampling) repeat; the user's RNG is restored
            try:
                cap = run_capture(model, call, paths, backward=backward, fast=d.type == "meta",
                                  bn_types=_BN_TYPES if fold_bn else ())
            finally:
                restore()
        return cap, a, k

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
                cap, a, k = attempt(dev)
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
                    cap, a, k = attempt(torch.device("cpu"))
                except NncostError:
                    raise
                except Exception:
                    raise failed(exc, dev) from exc  # it fails on CPU too: the first error is the one to fix
                notes.append(f"this model cannot run on the meta device ({first_line(exc, 120, named=False)}); "
                             "counted with real CPU tensors instead")
                ran = torch.device("cpu")
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
                    {"device": ran.type, "mode": "train" if train else "eval", "backward": backward, "fold_bn": fold_bn})
    check_unsupported(report.unsupported, strict, "ops with no formula")
    return report
