"""The one place where exact counts become human-readable strings."""

from __future__ import annotations

__all__ = ["si", "grouped", "bytes_iec", "duration", "parse_bytes"]

_SI = ((10**15, "P"), (10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K"))


def si(n: int | None, digits: int = 2) -> str:
    """Scale an exact count to K/M/G/T/P with ``digits`` decimals: ``si(1_605_632) == '1.61M'``.

    Values below 1000 print exactly; ``None`` (not countable) prints ``'N/A'``.
    """
    if n is None:
        return "N/A"
    sign = "-" if n < 0 else ""
    a = abs(n)
    for base, suffix in _SI:
        if a >= base:
            return f"{sign}{a / base:.{digits}f}{suffix}"
    return f"{sign}{a}"


def grouped(n: int | None) -> str:
    """Exact count with thousands separators: ``grouped(30100) == '30,100'``."""
    return "N/A" if n is None else f"{n:,}"


def bytes_iec(n: int | None, digits: int = 2) -> str:
    """Bytes in binary units: ``bytes_iec(2**30) == '1.00 GiB'``."""
    if n is None:
        return "N/A"
    for power, suffix in ((50, "PiB"), (40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")):
        if abs(n) >= 1 << power:
            return f"{n / (1 << power):.{digits}f} {suffix}"
    return f"{n} B"


def duration(seconds: float | None, digits: int = 2) -> str:
    """Seconds in the unit that reads best: ``duration(0.00461) == '4.61 ms'``."""
    if seconds is None:
        return "N/A"
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
        if abs(seconds) >= scale:
            return f"{seconds / scale:.{digits}f} {unit}"
    return "0 s" if seconds == 0 else f"{seconds / 1e-9:.{digits}f} ns"


_BYTE_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30,
               "tib": 2**40}


def parse_bytes(value: int | str, what: str = "size") -> int:
    """A size in bytes from an int or a string with a unit: ``80GB`` (10^9), ``80GiB`` (2^30), ``1.5TB``.

    Raises InputError (one line, naming ``what``) for a negative, zero or unreadable size.
    """
    import re

    from .errors import InputError

    expected = f"{what} must be a positive size such as 80GB, 80GiB or 85899345920 (bytes), got {value!r}"
    if isinstance(value, bool):
        raise InputError(expected)
    if isinstance(value, int):
        n = value
    else:
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([a-z]*)\s*", str(value).lower())
        if m is None or m.group(2) not in _BYTE_UNITS:
            raise InputError(expected)
        n = int(float(m.group(1)) * _BYTE_UNITS[m.group(2)])
    if n <= 0:
        raise InputError(expected)
    return n
