"""Read an .onnx file (only read) and say clearly what is wrong with a bad one."""

from __future__ import annotations

import os
from typing import Any

from ...errors import ModelSpecError, require

__all__ = ["load_model"]


def load_model(source: Any) -> tuple[Any, str]:
    """(ModelProto, display name) for a path or a ModelProto. External weights are not loaded."""
    onnx: Any = require("onnx", "onnx", "analysing an ONNX model")
    if isinstance(source, onnx.ModelProto):
        model, name = source, source.graph.name or "model"
    elif isinstance(source, (bytes, bytearray, memoryview)):  # a serialised model, e.g. torch.onnx.export into BytesIO
        try:
            model = onnx.load_from_string(bytes(source))
        except Exception as exc:
            raise ModelSpecError(f"these {len(source):,} bytes are not a readable ONNX model ({type(exc).__name__})") from None
        name = model.graph.name or "model"
    elif not isinstance(source, (str, os.PathLike)):
        raise ModelSpecError(f"expected an .onnx path, an onnx.ModelProto or its bytes, got {type(source).__name__}")
    else:
        path = os.fspath(source)
        if not os.path.exists(path):
            raise ModelSpecError(f"{path}: no such file")
        if os.path.isdir(path):
            raise ModelSpecError(f"{path}: is a folder, expected an .onnx file")
        if os.path.getsize(path) == 0:
            raise ModelSpecError(f"{path}: the file is empty, expected an ONNX model")
        try:
            model = onnx.load(path, load_external_data=False)
        except Exception as exc:  # protobuf's DecodeError and friends: not ONNX, or truncated
            raise ModelSpecError(f"{path}: not a readable ONNX model ({type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0][:120] if str(exc) else 'cannot parse'})") from None
        name = os.path.basename(path)
    _validate(onnx, model, name)
    return model, name


def _validate(onnx: Any, model: Any, name: str) -> None:
    if not model.HasField("graph") or not model.graph.node and not model.graph.output:
        raise ModelSpecError(f"{name}: not an ONNX model (no graph)")
    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    default = opsets.get("ai.onnx")
    newest = onnx.defs.onnx_opset_version()
    if default is None:
        raise ModelSpecError(f"{name}: the model imports no default-domain opset")
    if default > newest:
        raise ModelSpecError(f"{name}: opset {default} is newer than this onnx package supports ({newest}); upgrade onnx")
    if default < 7:
        raise ModelSpecError(f"{name}: opset {default} is not supported (7 or newer expected)")
    try:
        onnx.checker.check_model(_checkable(onnx, model), full_check=False)
    except onnx.checker.ValidationError as exc:
        first = str(exc).strip().splitlines()[0][:200]
        raise ModelSpecError(f"{name}: invalid ONNX graph: {first}") from None
    except Exception as exc:  # the checker can also fail on malformed protos
        raise ModelSpecError(f"{name}: invalid ONNX model: {type(exc).__name__}") from None


def _checkable(onnx: Any, model: Any) -> Any:
    """The model with its large initializers declared as graph inputs instead.

    The checker serialises the whole proto; for a 100 MB model that is most of the run
    time, and the values of weights are not what it checks.
    """
    from .shapes import light_copy

    if model.ir_version < 4:  # before IR 4 every initializer had to be an input already
        return model
    return light_copy(model, declare=True)
