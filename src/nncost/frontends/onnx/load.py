"""Read an .onnx file (only read) and say clearly what is wrong with a bad one."""

from __future__ import annotations

import os
from typing import Any

from ...errors import ModelSpecError, require

__all__ = ["load_model"]


def load_model(source: Any) -> tuple[Any, str, list[str]]:
    """(ModelProto, display name, notes) for a path, a ModelProto or its bytes. External
    weights are not loaded. A model older than opset 7 is converted to opset 7 (a new
    proto; the user's is not changed) and a note says so."""
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
            model = _load_lightly(onnx, path)
        except Exception as exc:  # protobuf's DecodeError and friends: not ONNX, or truncated
            raise ModelSpecError(f"{path}: not a readable ONNX model ({type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0][:120] if str(exc) else 'cannot parse'})") from None
        name = os.path.basename(path)
    notes: list[str] = []
    model = _validate(onnx, model, name, notes)
    return model, name, notes


def _load_lightly(onnx: Any, path: str) -> Any:
    """The model without its weights' bytes (see :mod:`.wire`); the whole file when the
    light read cannot be used (then onnx's own errors say what is wrong)."""
    from .wire import read_without_weights

    data = read_without_weights(path)
    if data is not None:
        model = onnx.ModelProto()
        try:
            model.ParseFromString(data)
            return model
        except Exception:  # noqa: BLE001, S110 - parse the whole file below, for onnx's own message
            pass
    return onnx.load(path, load_external_data=False)


OLDEST = 7  # the oldest opset nncost's bindings read; older models are converted to it


def _validate(onnx: Any, model: Any, name: str, notes: list[str]) -> Any:
    if not model.HasField("graph") or not model.graph.node and not model.graph.output:
        raise ModelSpecError(f"{name}: not an ONNX model (no graph)")
    if not model.opset_import:
        raise ModelSpecError(f"{name}: the model imports no opset (every ONNX model names the operator sets it uses)")
    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    default = opsets.get("ai.onnx")  # None: only other domains (ai.onnx.ml, training, a vendor's)
    newest = onnx.defs.onnx_opset_version()
    if default is not None and default > newest:
        raise ModelSpecError(f"{name}: opset {default} is newer than this onnx package supports ({newest}); upgrade onnx")
    if default is not None and default < OLDEST:
        model = _convert(onnx, model, name, default)
        notes.append(f"converted from opset {default} to opset {OLDEST} with onnx.version_converter (the file is unchanged)")
    _check(onnx, model, name)
    return model


def _convert(onnx: Any, model: Any, name: str, opset: int) -> Any:
    from onnx import version_converter

    try:
        return version_converter.convert_version(model, OLDEST)
    except Exception as exc:  # the converter raises RuntimeError/ConvertError with a C++ message
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise ModelSpecError(f"{name}: opset {opset} is older than {OLDEST}, and onnx.version_converter could not convert it "
                             f"({first})") from None


def _check(onnx: Any, model: Any, name: str) -> None:
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

    if model.ir_version < 4:  # before IR 4 every initializer had to be an input already: keep them, less their bytes
        import numpy as np

        from .wire import UNREAD

        light = light_copy(model)
        for t in light.graph.initializer:  # the checker wants one value field: zeros stand in for bytes not read
            stub = t.ByteSize() <= 4096 and not t.raw_data and not any(
                len(getattr(t, f)) for f in ("float_data", "int32_data", "string_data", "int64_data", "double_data", "uint64_data"))
            if any(e.value == UNREAD for e in t.external_data) or stub:
                del t.external_data[:]
                t.data_location = onnx.TensorProto.DEFAULT
                itemsize = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(t.data_type)).itemsize
                t.raw_data = bytes(int(np.prod(t.dims, dtype=np.int64)) * itemsize)
        return light
    return light_copy(model, declare=True)
