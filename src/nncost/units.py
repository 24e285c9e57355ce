"""The one place where exact counts become human-readable strings."""

from __future__ import annotations

__all__ = ["si", "grouped", "bytes_iec"]

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
