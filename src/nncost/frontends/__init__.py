"""Frontends: turn what the user names into a :class:`~nncost.report.Report`.

``analyze_spec`` resolves a model spec string (the CLI's positional argument):

- ``nncost:seednet`` — built in (needs torch);
- ``torchvision:NAME`` — ``torchvision.models.get_model(NAME, weights=None)``, input at
  the default weights' crop size;
- ``timm:NAME`` — ``timm.create_model(NAME, pretrained=False)``, input from its config;
- ``package.module:factory`` or ``path/to/file.py:factory`` — imports (runs) that code
  and calls ``factory()``; give ``--input-shape``;
- ``model.onnx`` — the ONNX frontend (no torch needed);
- ``model.pt``/``.pth`` — a pickled full model, only with ``trust_pickle=True``
  (unpickling runs arbitrary code).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from ..errors import InputError, MetaDeviceError, ModelSpecError, NncostError, ShapeError, first_line, require
from ..report import Report

__all__ = ["Resolved", "analyze_spec", "build", "resolve_torch_model", "torchvision_model"]


def _torch() -> Any:
    return require("torch", "torch", "analysing a PyTorch model")


def build(builder: Any, what: str, meta: bool = True) -> tuple[Any, str | None]:
    """``builder()`` under ``torch.device("meta")``: no weight memory and no random
    initialisation (a 1B-parameter model builds in a fraction of a second, not 20 s). A
    model that cannot be built there is built on the CPU: (model, the reason) then."""
    torch = _torch()

    def seeded() -> Any:  # a CPU build draws its random weights from seed 0: the same model every time,
        with torch.random.fork_rng(devices=[]):  # and the user's RNG untouched
            torch.manual_seed(0)
            return builder()

    if not meta:
        return seeded(), None
    try:
        with torch.device("meta"):
            return builder(), None
    except ModelSpecError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure on meta: the two builds below decide
        first = first_line(exc, 120, named=False)
    try:  # the constructor computes with tensors (RegNet's widths): run it on the CPU, keep only its weights on meta
        with _weights_on_meta(torch):
            return seeded(), None
    except Exception:  # noqa: BLE001
        return seeded(), f"{what} cannot be built on the meta device ({first}); built on the CPU"


@contextlib.contextmanager
def _weights_on_meta(torch: Any) -> Iterator[None]:
    """Every parameter and buffer a module registers goes to the meta device the moment it
    is registered (PyTorch's global registration hooks), so initialisation runs on meta
    while the constructor's own arithmetic stays on the CPU."""
    nn = torch.nn

    def param(module: Any, name: str, p: Any) -> Any:
        if p is None or p.device.type == "meta":
            return None
        return nn.Parameter(p.detach().to("meta"), requires_grad=p.requires_grad)

    def buffer(module: Any, name: str, b: Any) -> Any:
        return None if b is None or b.device.type == "meta" else b.to("meta")

    h1 = nn.modules.module.register_module_parameter_registration_hook(param)
    h2 = nn.modules.module.register_module_buffer_registration_hook(buffer)
    try:
        yield
    finally:
        h1.remove()
        h2.remove()


def torchvision_model(name: str, weight: Any = None, meta: bool = True) -> tuple[Any, Any]:
    """(model, input shape) for torchvision:NAME; see :func:`_torchvision`."""
    model, shape, _ = _torchvision(name, weight, meta)
    return model, shape


def _torchvision(name: str, weight: Any = None, meta: bool = True) -> tuple[Any, Any, str | None]:
    """A torchvision model as its pretrained ``weight`` (default: the DEFAULT one) is built,
    with weights=None, and its input shape at that weight's crop size.

    The weight's number of classes; googlenet without its auxiliary heads (as its
    pretrained weights are built); inception_v3 with them (torchvision's published count
    includes them); ViTs at the weight's image size; video models with 16 frames.
    """
    tv: Any = require("torchvision", "vision", f"torchvision:{name}")
    models = tv.models
    available = models.list_models()
    if name not in available:
        import difflib

        close = difflib.get_close_matches(name, available, n=3)
        raise ModelSpecError(f"torchvision has no model {name!r}" + (f"; did you mean {', '.join(close)}?" if close else ""))
    kwargs: dict[str, Any] = {}
    size = 224
    try:
        w = weight if weight is not None else models.get_model_weights(name).DEFAULT
        if w.meta.get("categories"):
            kwargs["num_classes"] = len(w.meta["categories"])
        keywords = getattr(w.transforms, "keywords", {})
        crop = keywords.get("crop_size") or keywords.get("resize_size")  # segmentation weights resize, not crop
        if crop is None:
            crop = getattr(w.transforms(), "crop_size", [224])
        size = crop if isinstance(crop, int) else crop[0]
    except (ValueError, KeyError, AttributeError):
        pass
    if name.startswith("vit_"):
        kwargs["image_size"] = size
    if name in ("googlenet", "quantized_googlenet"):
        kwargs.update(aux_logits=False, init_weights=False)
    if name == "inception_v3":
        kwargs.update(aux_logits=True, init_weights=False)
    import inspect

    params = inspect.signature(models.get_model_builder(name)).parameters
    if "weights_backbone" in params:
        kwargs["weights_backbone"] = None  # never download a backbone to count a model
    if "aux_loss" in params:
        kwargs["aux_loss"] = True  # segmentation weights are built with their auxiliary head (torchvision counts it)
    model, note = build(lambda: models.get_model(name, weights=None, **kwargs), f"torchvision:{name}", meta)
    if name in _FROZEN_BN_BACKBONES:
        _freeze_backbone_norms(tv, model, meta and note is None)
    if name.startswith("quantized_"):
        float_build = ("built as its float model (quantize=False): the same layers, parameters and MACs as the int8 "
                       "model torchvision publishes")
        note = f"{note}; {float_build}" if note else float_build
    shape: tuple[int, ...]
    frames = 16 if name in ("r3d_18", "mc3_18", "r2plus1d_18", "s3d", "mvit_v1_b", "mvit_v2_s", "swin3d_t", "swin3d_s", "swin3d_b") else 0
    shape = (1, 3, frames, size, size) if frames else (1, 3, size, size)
    if name.startswith("raft_"):  # optical flow: two frames, sides divisible by 8 (Sintel's 436×1024 padded)
        return model, ((1, 3, 440, 1024), (1, 3, 440, 1024)), note
    return model, shape, note


# detection builders whose backbone uses FrozenBatchNorm2d when built with pretrained weights (and
# nn.BatchNorm2d without): torchvision's published parameter counts are of the frozen build
_FROZEN_BN_BACKBONES = frozenset({
    "fasterrcnn_resnet50_fpn", "fasterrcnn_mobilenet_v3_large_fpn", "fasterrcnn_mobilenet_v3_large_320_fpn",
    "fcos_resnet50_fpn", "keypointrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn", "retinanet_resnet50_fpn",
})


def _freeze_backbone_norms(tv: Any, model: Any, meta: bool) -> None:
    """Swap the backbone's BatchNorm2d for FrozenBatchNorm2d (γ, β, mean, var as buffers), as
    torchvision builds these models with pretrained weights."""
    torch = _torch()
    frozen = tv.ops.misc.FrozenBatchNorm2d
    for parent in list(model.backbone.modules()):
        for child_name, child in list(parent.named_children()):
            if type(child) is torch.nn.BatchNorm2d:
                with torch.device("meta") if meta else contextlib.nullcontext():
                    parent.add_module(child_name, frozen(child.num_features, eps=child.eps))


def _timm(name: str, meta: bool = True) -> tuple[Any, tuple[int, ...], str | None]:  # pragma: no cover - timm is optional
    timm: Any = require("timm", "timm", f"timm:{name}")
    try:
        model, note = build(lambda: timm.create_model(name, pretrained=False), f"timm:{name}", meta)
    except RuntimeError as exc:
        raise ModelSpecError(f"timm has no model {name!r}: {exc}") from None
    return model, (1, *model.default_cfg.get("input_size", (3, 224, 224))), note


def _factory(spec: str, meta: bool = True) -> tuple[Any, str | None]:
    target, _, attr = spec.rpartition(":")
    if target.endswith(".py"):
        if not os.path.isfile(target):
            raise ModelSpecError(f"no such file: {target}")
        mod_name = "nncost_user_" + os.path.splitext(os.path.basename(target))[0]
        loader = importlib.util.spec_from_file_location(mod_name, target)
        if loader is None or loader.loader is None:
            raise ModelSpecError(f"cannot import {target}")
        module = importlib.util.module_from_spec(loader)
        sys.modules[mod_name] = module
        try:
            loader.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(mod_name, None)
            raise ModelSpecError(f"running {target} failed: {first_line(exc)}") from None
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise ModelSpecError(f"cannot import module {target!r}: {exc}") from None
        except Exception as exc:
            raise ModelSpecError(f"importing module {target!r} failed: {first_line(exc)}") from None
    fn = getattr(module, attr, None)
    if fn is None or not callable(fn):
        raise ModelSpecError(f"{target} has no callable {attr!r}")
    try:
        return build(fn, spec, meta)
    except Exception as exc:
        what = "class" if isinstance(fn, type) else "factory"
        raise ModelSpecError(f"{spec}: calling {attr}() failed: {first_line(exc)} (a spec names a {what} that builds the "
                             "model with no arguments; write a small factory function for one that needs them)") from None


def _resolved(built: tuple[Any, Any, str | None], spec: str) -> Resolved:
    model, shape, note = built
    return Resolved(model, shape, spec, note)


class Resolved(NamedTuple):
    model: Any
    shape: Any  # the default input shape, a tuple of shapes for several inputs, or None
    name: str
    note: str | None = None  # why the model was not built on the meta device


def resolve_torch_model(spec: str, trust_pickle: bool = False, meta: bool = True) -> Resolved:
    """The model a spec string names, its default input shape and display name. Models
    are built on the meta device unless ``meta=False`` (or they cannot be built there)."""
    torch = _torch()
    scheme, sep, rest = spec.partition(":")
    if sep and scheme == "nncost":
        from .torch.zoo import MODELS

        if rest not in MODELS:
            raise ModelSpecError(f"no built-in model {rest!r}; built in: {', '.join(MODELS)}")
        cls, default = MODELS[rest]
        model, note = build(cls, spec, meta)
        return Resolved(model, default, spec, note)
    if sep and scheme == "torchvision":
        return _resolved(_torchvision(rest, meta=meta), spec)
    if sep and scheme == "timm":
        return _resolved(_timm(rest, meta), spec)
    if spec.endswith((".pt", ".pth")):
        if not os.path.isfile(spec):
            raise ModelSpecError(f"no such file: {spec}")
        if not trust_pickle:
            raise ModelSpecError(f"{spec} is a pickle; loading it runs arbitrary code. Pass --trust-pickle if you trust it, "
                                 "or use a package.module:factory spec")
        try:
            model = torch.load(spec, map_location="meta", weights_only=False)
        except Exception as exc:
            raise ModelSpecError(f"{spec} could not be loaded as a pickled model: {first_line(exc)}") from None
        if not isinstance(model, torch.nn.Module):
            raise ModelSpecError(f"{spec} holds a {type(model).__name__}, not a full nn.Module (a state_dict needs its model code)")
        return Resolved(model, None, spec)
    if sep and rest:
        model, note = _factory(spec, meta)
        if not isinstance(model, torch.nn.Module):
            raise ModelSpecError(f"{spec} returned a {type(model).__name__}, expected a torch.nn.Module")
        return Resolved(model, None, spec, note)
    raise ModelSpecError(
        f"cannot read model spec {spec!r}; expected torchvision:NAME, timm:NAME, package.module:factory, "
        "path/to/file.py:factory, a .pt file with --trust-pickle, or nncost:seednet"
    )


def analyze_spec(
    spec: str,
    input_shapes: Sequence[tuple[str | None, tuple[int, ...]]] = (),
    *,
    batch: int = 1,
    seq: int = 128,
    gen: int = 0,
    **options: Any,
) -> Report:
    """Resolve ``spec`` and analyse it; ``input_shapes`` are (name or None, shape) pairs.

    ``hf:NAME`` (a bundled config), ``hf:path/to/config.json`` or ``hf:model_dir`` go to the
    Hugging Face frontend with ``batch``, ``seq`` and ``gen``.
    """
    trust = bool(options.pop("trust_pickle", False))
    if spec.lower().endswith(".onnx"):  # never imports torch
        from .onnx import analyze_onnx

        for opt in ("backward", "fold_bn", "train", "optimizer", "precision", "checkpoint"):
            if options.get(opt):
                raise ModelSpecError(f"--{opt.replace('_', '-')} is not available for ONNX models")
        return analyze_onnx(spec, {n: s for n, s in input_shapes if n is not None},
                            positional=[s for n, s in input_shapes if n is None],
                            flops=options.get("flops", "seed"), strict=bool(options.get("strict", False)),
                            dtype=options.get("dtype"))
    if spec.startswith("hf:"):
        from .hf import analyze_hf

        if input_shapes:
            raise ModelSpecError("hf: models take --batch, --seq and --gen instead of --input-shape")
        dtype = options.pop("dtype", None)
        return analyze_hf(spec[3:], batch=batch, seq=seq, gen=gen, dtype=dtype, **options)
    r = resolve_torch_model(spec, trust)
    try:
        report = _analyze_model(r.model, r.shape, r.name, spec, input_shapes, options)
    except MetaDeviceError as exc:
        if spec.endswith((".pt", ".pth")):
            raise  # a pickle has no builder to run again
        # it reads values (.item(), nonzero, ...): build it for real and run it on the CPU
        r = resolve_torch_model(spec, trust, meta=False)
        report = _analyze_model(r.model, r.shape, r.name, spec, input_shapes, options)
        report.notes.insert(0, f"built on the CPU, as it reads values the meta device does not have "
                               f"({str(exc).split(': ', 1)[-1][:120]})")
    if r.note:
        report.notes.insert(0, r.note)
    return report


def _analyze_model(model: Any, default_shape: Any, name: str, spec: str,
                   input_shapes: Sequence[tuple[str | None, tuple[int, ...]]], options: dict[str, Any]) -> Report:
    from .torch import analyze

    positional = [s for n, s in input_shapes if n is None]
    named = {n: s for n, s in input_shapes if n is not None}
    if not positional and not named:
        from .torch.analyze import _needs_input

        if default_shape is None and not _needs_input(model):
            return analyze(model, name=name, **options)  # type: ignore[no-any-return]
        if default_shape is None:
            raise ShapeError(f"{spec} has no default input; give one with --input-shape, e.g. --input-shape 1,3,224,224")
        positional = list(default_shape) if isinstance(default_shape[0], tuple) else [default_shape]  # several inputs
    return analyze(model, *positional, inputs=named, name=name, **options)  # type: ignore[no-any-return]


def measure_spec(spec: str, report: Report, *, device: str = "cpu", runs: int = 10, backward: bool = False,
                 trust_pickle: bool = False, dtype: str | None = None) -> dict[str, float]:
    """Time the model ``spec`` names for real on ``device`` (torch.measure), with inputs of the
    shapes and dtypes ``report`` was counted on: {module path: median seconds}."""
    torch = _torch()
    if spec.lower().endswith(".onnx"):
        raise ModelSpecError("--measure times PyTorch models; for an ONNX file, time it in its runtime (onnxruntime)")
    from .torch.measure import measure_module

    if spec.startswith("hf:"):
        from .hf import _quiet, build, load_config
        from .hf import torch_dtype as hf_dtype

        with _quiet():
            model = build(load_config(spec[3:])[0], [], hf_dtype(dtype), meta=False)[0]
    else:
        model = resolve_torch_model(spec, trust_pickle, meta=False).model
        if dtype:
            from .torch.analyze import _dtype

            model = model.to(_dtype(dtype))
    dev = torch.device(device)
    model = model.to(dev).eval()
    gen = torch.Generator(device=dev).manual_seed(0)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for i in report.inputs:
        dt = getattr(torch, i["dtype"], None) if isinstance(i.get("dtype"), str) else None
        if not isinstance(dt, torch.dtype):
            kwargs[i["name"]] = None
            continue
        shape = tuple(i["shape"])
        t = (torch.randn(shape, dtype=dt, device=dev, generator=gen) if dt.is_floating_point
             else torch.zeros(shape, dtype=dt, device=dev))
        if i["name"].startswith("input") and i["name"][5:].isdigit():
            args.append(t)
        else:
            kwargs[i["name"]] = t
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    try:
        return measure_module(model, args, kwargs, device=device, runs=runs, backward=backward)
    except NncostError:
        raise
    except Exception as exc:  # noqa: BLE001 - the model's own failure on real tensors, in one line
        raise InputError(f"{spec} failed to run on {device} for --measure: {str(exc).splitlines()[0][:200]}") from None
