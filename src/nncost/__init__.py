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
    """Cost of a PyTorch ``nn.Module`` (see :func:`nncost.frontends.torch.analyze`)."""
    from .frontends.torch import analyze as _analyze

    return _analyze(model, *example_inputs, **kwargs)


def analyze_hf(config: Any, **kwargs: Any) -> Report:
    """Cost of a Hugging Face model from its config (see :func:`nncost.frontends.hf.analyze_hf`)."""
    from .frontends.hf import analyze_hf as _analyze_hf

    return _analyze_hf(config, **kwargs)


def analyze_onnx(model: Any, input_shapes: Any = None, **kwargs: Any) -> Report:
    """Cost of an ONNX model, a path or ``onnx.ModelProto`` (see :func:`nncost.frontends.onnx.analyze_onnx`)."""
    from .frontends.onnx import analyze_onnx as _analyze_onnx

    return _analyze_onnx(model, input_shapes, **kwargs)
