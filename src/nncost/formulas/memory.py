"""Memory traffic: the bytes an op moves, and FLOPs per byte.

The model every frontend shares (docs/memory.md): each op reads each of its operands from
memory once and writes each output once; nothing stays in cache between ops and no two
ops are fused. Views (reshape, transpose, slicing) move nothing; copies, pads and
concatenations read and write. A gather (embedding lookup, ``index_select``, ONNX
``Gather``) reads its indices and only the rows it copies, not the whole table.
"""

from __future__ import annotations

__all__ = ["tensor_bytes", "gather_read_bytes", "intensity"]


def tensor_bytes(numel: int, bits: int) -> int:
    """Bytes of ``numel`` elements of ``bits`` each, sub-byte types packed: ⌈numel·bits / 8⌉."""
    return (numel * bits + 7) // 8


def gather_read_bytes(index_bytes: int, out_bytes: int) -> int:
    """A gather reads its indices and the rows it copies out: index bytes + output bytes."""
    return index_bytes + out_bytes


def intensity(flops: int, read: int | None, written: int | None) -> float | None:
    """Arithmetic intensity: FLOPs / (bytes read + bytes written); None when the bytes are unknown or zero."""
    if read is None or written is None or read + written == 0:
        return None
    return flops / (read + written)
