"""Every operator in PyTorch's OpInfo database: the same count on CPU and on meta.

The sweep itself is tests/opinfo_sweep.py (run it as a script for the full table). Here:
no op differs between the devices (beyond the listed reasons), none errors, and every op
that meets no formula is one of the documented kinds — never a silent zero.
"""

from __future__ import annotations

import pytest

pytest.importorskip("expecttest")  # torch.testing's OpInfo database needs it
torch = pytest.importorskip("torch")

from opinfo_sweep import KNOWN_DIFFERENCES, NO_FORMULA, sweep  # noqa: E402

DOCUMENTED = {op for ops in NO_FORMULA.values() for op in ops}


@pytest.fixture(scope="module", params=[False, True], ids=["forward", "forward+backward"])
def tally(request):
    return sweep(backward=request.param)


def test_meta_equals_cpu_for_every_op(tally):
    bad = [(r.name, r.detail) for r in tally.by("differ") if r.name not in KNOWN_DIFFERENCES]
    assert not bad


def test_no_op_errors(tally):
    assert not [(r.name, r.detail) for r in tally.by("error")]


def test_unsupported_ops_are_the_documented_ones(tally):
    met = {op for r in tally.by("unsupported") for op in r.detail.split(", ")}
    assert met <= DOCUMENTED, sorted(met - DOCUMENTED)


def test_most_ops_are_counted(tally):
    counts = tally.counts()
    assert counts["equal"] >= 540  # of ~700 OpInfos in torch 2.14; the rest: skipped, fallback, documented
