"""Read an .onnx file without reading its weights.

A model file is mostly initializer bytes (resnet50: 97 of its 97 MiB), and counting needs
only their dims and types. This module walks the protobuf wire format of the file, mapped
into memory, and copies everything but the data of large initializers; what remains (the
graph, the dims, the small tensors that shape arithmetic reads) is parsed as usual. The
weights' pages are never touched, so the cost no longer grows with the file's size.

A stripped initializer is marked as external data at location :data:`UNREAD`, which the
rest of the frontend already treats as "dims and type known, bytes not read". Anything
unexpected in the wire format returns ``None``, and the caller parses the whole file.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator

__all__ = ["UNREAD", "read_without_weights"]

UNREAD = "nncost:unread"  # the external-data location of an initializer whose bytes were skipped
KEEP = 4096  # tensors up to this many data bytes are kept (axes, shapes, scalars)

_MODEL_GRAPH = 7  # ModelProto.graph
_GRAPH_INITIALIZER = 5  # GraphProto.initializer
_TENSOR_DATA = {4, 5, 6, 7, 9, 10, 11}  # float/int32/string/int64/raw/double/uint64 data
_TENSOR_EXTERNAL = 13  # TensorProto.external_data
_TENSOR_LOCATION = 14  # TensorProto.data_location (1: EXTERNAL)


class _Malformed(Exception):
    pass


def _varint(buf: memoryview, i: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if i >= end or shift > 63:
            raise _Malformed
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def _encode(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _fields(buf: memoryview, start: int, end: int) -> Iterator[tuple[int, int, int, int, int]]:
    """(field number, wire type, start of the field, start of its value, end of its value)."""
    i = start
    while i < end:
        tag, j = _varint(buf, i, end)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            _, k = _varint(buf, j, end)
            yield field, wire, i, j, k
        elif wire == 1:
            yield field, wire, i, j, j + 8
            k = j + 8
        elif wire == 2:
            n, v = _varint(buf, j, end)
            k = v + n
            yield field, wire, i, v, k
        elif wire == 5:
            k = j + 4
            yield field, wire, i, j, k
        else:  # groups (3, 4) are not used by ONNX
            raise _Malformed
        if k > end:
            raise _Malformed
        i = k


def _delimited(field: int, payload: bytes) -> bytes:
    return _encode(field << 3 | 2) + _encode(len(payload)) + payload


def _tensor(buf: memoryview, start: int, end: int) -> bytes:
    parts: list[bytes] = []
    stripped = False
    for field, _wire, f0, v0, v1 in _fields(buf, start, end):
        if field in _TENSOR_DATA and v1 - v0 > KEEP:
            stripped = True
            continue
        if stripped is False or field not in (_TENSOR_EXTERNAL, _TENSOR_LOCATION):
            parts.append(bytes(buf[f0:v1]))
    if stripped:
        entry = _delimited(1, b"location") + _delimited(2, UNREAD.encode())
        parts.append(_delimited(_TENSOR_EXTERNAL, entry))
        parts.append(_encode(_TENSOR_LOCATION << 3 | 0) + _encode(1))
    return b"".join(parts)


def _graph(buf: memoryview, start: int, end: int) -> bytes:
    parts: list[bytes] = []
    for field, wire, f0, v0, v1 in _fields(buf, start, end):
        if field == _GRAPH_INITIALIZER and wire == 2:
            parts.append(_delimited(field, _tensor(buf, v0, v1)))
        else:
            parts.append(bytes(buf[f0:v1]))
    return b"".join(parts)


def _model(buf: memoryview) -> bytes:
    parts: list[bytes] = []
    for field, wire, f0, v0, v1 in _fields(buf, 0, len(buf)):
        if field == _MODEL_GRAPH and wire == 2:
            parts.append(_delimited(field, _graph(buf, v0, v1)))
        else:
            parts.append(bytes(buf[f0:v1]))
    return b"".join(parts)


def read_without_weights(path: str) -> bytes | None:
    """The file's bytes without the data of initializers over :data:`KEEP` bytes, or None
    when the file is not a protobuf this walk understands (the caller parses it whole)."""
    with open(path, "rb") as fh:
        try:
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError):  # an empty file, or one that cannot be mapped
            return None
        try:
            view = memoryview(mm)
            try:
                return _model(view)
            except (_Malformed, IndexError):
                return None
            finally:
                view.release()
        finally:
            mm.close()
