"""The progress line: shown on a terminal after its delay, never on a pipe, never with --quiet."""

from __future__ import annotations

import io
import subprocess
import sys

from rich.console import Console

import nncost
from nncost.progress import activity, step


def test_shows_steps_on_a_terminal_after_the_delay():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with activity("nncost nncost:seednet", delay=0.0, console=console):
        nncost.analyze("nncost:seednet")  # each top-level module that finishes is a step
    text = out.getvalue()
    assert "nncost nncost:seednet" in text and "forward: head" in text


def test_nothing_within_the_delay_and_no_activity_is_free():
    out = io.StringIO()
    with activity("quick", delay=60.0, console=Console(file=out, force_terminal=True)):
        step("one")
    assert out.getvalue() == ""
    step("no activity open: nothing happens")


def test_a_pipe_gets_no_progress():
    p = subprocess.run([sys.executable, "-m", "nncost", "nncost:seednet", "--backward"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == ""
    p = subprocess.run([sys.executable, "-m", "nncost", "nncost:seednet", "--quiet"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == ""
