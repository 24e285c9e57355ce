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

import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence
from typing import Any

from ..errors import ModelSpecError, ShapeError, require
from ..report import Report

__all__ = ["analyze_spec", "resolve_torch_model", "torchvision_model"]


def _torch() -> Any:
    return require("torch", "torch", "analysing a PyTorch model")


def torchvision_model(name: str, weight: Any = None) -> tuple[Any, tuple[int, ...]]:
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
        crop = getattr(w.transforms, "keywords", {}).get("crop_size")
        if crop is None:
            crop = getattr(w.transforms(), "crop_size", [224])
        size = crop if isinstance(crop, int) else crop[0]
    except (ValueError, KeyError, AttributeError):
        pass
    if name.startswith("vit_"):
        kwargs["image_size"] = size
    if name == "googlenet":
        kwargs.update(aux_logits=False, init_weights=False)
    if name == "inception_v3":
        kwargs.update(aux_logits=True, init_weights=False)
    model = models.get_model(name, weights=None, **kwargs)
    shape: tuple[int, ...]
    frames = 16 if name in ("r3d_18", "mc3_18", "r2plus1d_18", "s3d", "mvit_v1_b", "mvit_v2_s", "swin3d_t", "swin3d_s", "swin3d_b") else 0
    shape = (1, 3, frames, size, size) if frames else (1, 3, size, size)
    return model, shape


def _timm(name: str) -> tuple[Any, tuple[int, ...]]:  # pragma: no cover - timm is optional
    timm: Any = require("timm", "timm", f"timm:{name}")
    try:
        model = timm.create_model(name, pretrained=False)
    except RuntimeError as exc:
        raise ModelSpecError(f"timm has no model {name!r}: {exc}") from None
    return model, (1, *model.default_cfg.get("input_size", (3, 224, 224)))


def _factory(spec: str) -> Any:
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
            raise ModelSpecError(f"running {target} failed: {_one_line(exc)}") from None
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise ModelSpecError(f"cannot import module {target!r}: {exc}") from None
        except Exception as exc:
            raise ModelSpecError(f"importing module {target!r} failed: {_one_line(exc)}") from None
    fn = getattr(module, attr, None)
    if fn is None or not callable(fn):
        raise ModelSpecError(f"{target} has no callable {attr!r}")
    try:
        return fn()
    except Exception as exc:
        what = "class" if isinstance(fn, type) else "factory"
        raise ModelSpecError(f"{spec}: calling {attr}() failed: {_one_line(exc)} (a spec names a {what} that builds the "
                             "model with no arguments; write a small factory function for one that needs them)") from None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, SyntaxError):
        text = f"{exc.msg} ({os.path.basename(exc.filename or '')}, line {exc.lineno})"
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def resolve_torch_model(spec: str, trust_pickle: bool = False) -> tuple[Any, tuple[int, ...] | None, str]:
    """(model, default input shape or None, display name) for a spec string."""
    torch = _torch()
    scheme, sep, rest = spec.partition(":")
    if sep and scheme == "nncost":
        from .torch.zoo import MODELS

        if rest not in MODELS:
            raise ModelSpecError(f"no built-in model {rest!r}; built in: {', '.join(MODELS)}")
        cls, default = MODELS[rest]
        return cls(), default, spec
    if sep and scheme == "torchvision":
        model, shape = torchvision_model(rest)
        return model, shape, spec
    if sep and scheme == "timm":
        model, shape = _timm(rest)
        return model, shape, spec
    if spec.endswith((".pt", ".pth")):
        if not os.path.isfile(spec):
            raise ModelSpecError(f"no such file: {spec}")
        if not trust_pickle:
            raise ModelSpecError(f"{spec} is a pickle; loading it runs arbitrary code. Pass --trust-pickle if you trust it, "
                                 "or use a package.module:factory spec")
        try:
            model = torch.load(spec, map_location="meta", weights_only=False)
        except Exception as exc:
            raise ModelSpecError(f"{spec} could not be loaded as a pickled model: {_one_line(exc)}") from None
        if not isinstance(model, torch.nn.Module):
            raise ModelSpecError(f"{spec} holds a {type(model).__name__}, not a full nn.Module (a state_dict needs its model code)")
        return model, None, spec
    if sep and rest:
        model = _factory(spec)
        if not isinstance(model, torch.nn.Module):
            raise ModelSpecError(f"{spec} returned a {type(model).__name__}, expected a torch.nn.Module")
        return model, None, spec
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

        for opt in ("backward", "fold_bn", "train"):
            if options.get(opt):
                raise ModelSpecError(f"--{opt.replace('_', '-')} is not available for ONNX models")
        return analyze_onnx(spec, {n: s for n, s in input_shapes if n is not None},
                            positional=[s for n, s in input_shapes if n is None],
                            flops=options.get("flops", "seed"), strict=bool(options.get("strict", False)))
    if spec.startswith("hf:"):
        from .hf import analyze_hf

        if input_shapes:
            raise ModelSpecError("hf: models take --batch, --seq and --gen instead of --input-shape")
        dtype = options.pop("dtype", None)
        return analyze_hf(spec[3:], batch=batch, seq=seq, gen=gen, dtype=dtype, **options)
    model, default_shape, name = resolve_torch_model(spec, trust)
    from .torch import analyze

    positional = [s for n, s in input_shapes if n is None]
    named = {n: s for n, s in input_shapes if n is not None}
    if not positional and not named:
        from .torch.analyze import _needs_input

        if default_shape is None and not _needs_input(model):
            return analyze(model, name=name, **options)  # type: ignore[no-any-return]
        if default_shape is None:
            raise ShapeError(f"{spec} has no default input; give one with --input-shape, e.g. --input-shape 1,3,224,224")
        positional = [default_shape]
    return analyze(model, *positional, inputs=named, name=name, **options)  # type: ignore[no-any-return]
