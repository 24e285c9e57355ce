"""nncost: what does this network cost?

Parameters, MACs and FLOPs (forward and training step), layer by layer, with the
formula behind every number — for PyTorch modules (on the meta device), single layers,
and more. See docs/getting-started.md.
"""

from __future__ import annotations

from typing import Any

from .cost import Cost, FlopsConvention, RnnBias
from .errors import (
    InputError,
    LayerSpecError,
    MissingDependencyError,
    ModelSpecError,
    NncostError,
    NncostWarning,
    ShapeError,
    UnsupportedError,
)
from .formulas.table import op_costs
from .layers import analyze_layer
from .report import Node, ParamCount, Report, Totals

__version__ = "0.1.0"

__all__ = [
    "Cost",
    "FlopsConvention",
    "InputError",
    "LayerSpecError",
    "MissingDependencyError",
    "ModelSpecError",
    "Node",
    "NncostError",
    "NncostWarning",
    "ParamCount",
    "Report",
    "RnnBias",
    "ShapeError",
    "Totals",
    "UnsupportedError",
    "__version__",
    "analyze",
    "analyze_hf",
    "analyze_layer",
    "analyze_onnx",
    "op_costs",
]


def analyze(model: Any, *example_inputs: Any, **kwargs: Any) -> Report:
    """Cost of anything the CLI takes, dispatched on what ``model`` is:

    - a ``torch.nn.Module`` -> the PyTorch frontend (:func:`nncost.frontends.torch.analyze`);
    - a spec string or path: ``"model.onnx"``, ``"torchvision:resnet50"``, ``"timm:NAME"``,
      ``"hf:NAME"``, ``"package.module:factory"``, ``"path/file.py:factory"``,
      ``"nncost:seednet"``, a ``.pt`` with ``trust_pickle=True``;
    - an ``onnx.ModelProto`` (or its bytes) -> the ONNX frontend, which never imports torch;
    - a Hugging Face config (``transformers.PretrainedConfig``, or a dict with a
      ``model_type``) -> :func:`analyze_hf`.

    Inputs are given as for the PyTorch frontend: positional shapes, ``input_shape=``,
    or named shapes (``inputs={"x": (1, 3, 224, 224)}`` or ``x=(1, 3, 224, 224)``);
    ``analyze_onnx`` and ``analyze_hf`` stay as the explicit forms.

    ``hardware="h100-sxm"`` (a catalogue name, ``"cpu"`` or a spec file) adds the time on
    that device (``report.roofline``, per layer ``time_s`` and ``bound``; docs/time.md), with
    ``efficiency="compute=0.7,memory=0.85"``, ``estimate=True`` (a calibrated spec) and
    ``measured_throughput=`` (for MFU and HFU).

    ``convention="fvcore"`` (or torch, torchvision, thop, ptflops, deepspeed) adds what that
    tool reports for the model (``report.extra["convention"]``; docs/conventions.md).
    """
    timing = {k: kwargs.pop(k) for k in ("hardware", "efficiency", "estimate", "measured_throughput") if k in kwargs}
    convention = kwargs.pop("convention", None)
    with _logging_calls_for(convention):
        report = _analyze(model, example_inputs, kwargs)
    if convention is not None:
        from .peers import apply_convention

        apply_convention(report, convention)
    if timing.get("hardware") is not None:
        from .roofline import apply_roofline

        apply_roofline(report, timing.pop("hardware"), **timing)
    elif any(v not in (None, False) for v in timing.values()):
        raise InputError(f"{', '.join(k for k, v in timing.items() if v not in (None, False))} need hardware= "
                         "(the device to time on)")
    return report


def _logging_calls_for(convention: str | None) -> Any:
    """A block in which captures log the Python-level calls ``convention`` counts (ptflops and
    DeepSpeed count by patching functions); a no-op for the other conventions."""
    import contextlib

    from .peers import python_calls

    names = python_calls(convention)
    if not names:
        return contextlib.nullcontext()
    from .errors import require

    require("torch", "torch", f"--convention {convention} (it reproduces a tool that runs PyTorch modules)")
    from .frontends.torch.pycalls import call_log

    return call_log(names)


def _analyze(model: Any, example_inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Report:
    import os

    if isinstance(model, (str, os.PathLike)):
        return _analyze_spec(os.fspath(model), example_inputs, kwargs)
    kind = f"{type(model).__module__}.{type(model).__name__}"
    if kind.startswith("onnx") and type(model).__name__ == "ModelProto" or isinstance(model, (bytes, bytearray)):
        positional, named, options = _shapes_and_options(example_inputs, kwargs)
        return analyze_onnx(model, named, positional=positional, **options)
    if _is_hf_config(model):
        cfg = model if isinstance(model, dict) else model.to_dict()
        if example_inputs:
            raise InputError("a Hugging Face config takes batch=, seq= and gen=, not example inputs")
        return analyze_hf(cfg, **kwargs)
    from .frontends.torch import analyze as _analyze

    return _analyze(model, *example_inputs, **kwargs)


def _is_hf_config(model: Any) -> bool:
    if isinstance(model, dict):
        return "model_type" in model
    return any(c.__name__.lower() == "pretrainedconfig" and c.__module__.startswith("transformers") for c in type(model).__mro__)


def _shapes_and_options(example_inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[list[Any], dict[str, Any], dict[str, Any]]:
    """Split the PyTorch-style arguments into positional shapes, named shapes and options."""
    options = dict(kwargs)
    positional = list(example_inputs)
    shape = options.pop("input_shape", None)
    if shape is not None:
        one = all(isinstance(d, int) for d in shape)
        positional.extend([tuple(shape)] if one else [tuple(s) for s in shape])
    named = dict(options.pop("inputs", None) or {})
    for key in [k for k, v in options.items() if isinstance(v, (tuple, list)) and v and all(isinstance(d, int) for d in v)]:
        named[key] = options.pop(key)
    for i, x in enumerate(positional):
        if not (isinstance(x, (tuple, list)) and all(isinstance(d, int) and not isinstance(d, bool) for d in x)):
            raise InputError(f"a model given by name takes input shapes such as (1, 3, 224, 224); input {i} is a "
                             f"{type(x).__name__}")
    return [tuple(x) for x in positional], {k: tuple(v) for k, v in named.items()}, options


def _analyze_spec(spec: str, example_inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Report:
    from .frontends import analyze_spec

    positional, named, options = _shapes_and_options(example_inputs, kwargs)
    if spec.lower().endswith(".onnx"):
        return analyze_onnx(spec, named, positional=positional, **options)
    pairs = [(None, s) for s in positional] + list(named.items())
    return analyze_spec(spec, pairs, **options)


def analyze_hf(config: Any, **kwargs: Any) -> Report:
    """Cost of a Hugging Face model from its config (see :func:`nncost.frontends.hf.analyze_hf`)."""
    from .frontends.hf import analyze_hf as _analyze_hf

    return _analyze_hf(config, **kwargs)


def analyze_onnx(model: Any, input_shapes: Any = None, **kwargs: Any) -> Report:
    """Cost of an ONNX model, a path, ``onnx.ModelProto`` or its bytes (see :func:`nncost.frontends.onnx.analyze_onnx`)."""
    from .frontends.onnx import analyze_onnx as _analyze_onnx

    return _analyze_onnx(model, input_shapes, **kwargs)
