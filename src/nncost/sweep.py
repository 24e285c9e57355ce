"""Sweep many models: one row per model, each analysed in a worker process.

``nncost sweep SPEC...`` expands globs (``'timm:convnext*'``, ``'torchvision:*'``,
``'hf:*'``, ``'models/*.onnx'``) and files of specs (``@specs.txt``), analyses each model
in a pool of worker processes, and streams one row per model to the output as it
finishes:

- a crash, a hang (``--timeout``) or an out-of-memory kill takes down one worker, not the
  sweep: the model's row records it and a fresh worker takes the next model;
- rows are written and flushed as they come, so an interrupted sweep loses nothing and
  ``--resume`` runs only the models the output file does not have yet;
- ``--shard I/N`` keeps every N-th model starting at I (0-based), so a Slurm array, a
  Ray or Dask job can split one sweep across machines without a scheduler of ours.

Columns: :data:`COLUMNS`. ``status`` is ``ok``, ``unsupported`` (counted, but some ops
have no formula: they are listed in ``unsupported``), ``error`` or ``timeout``.
"""

from __future__ import annotations

import csv
import fnmatch
import glob
import io
import json
import os
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from .errors import InputError, NncostError, first_line

__all__ = ["COLUMNS", "FORMATS", "RowWriter", "Sweep", "analyse_one", "done_specs", "expand", "rows", "shard", "sweep"]

COLUMNS = ("spec", "status", "params", "macs", "flops", "weights", "inference_peak", "input", "unsupported", "error",
           "seconds")
BACKWARD_COLUMNS = ("backward_macs", "backward_flops", "training_peak")
FORMATS = ("csv", "json", "markdown")
STATUSES = ("ok", "unsupported", "error", "timeout")
_GLOB = set("*?[")


# --- which models -----------------------------------------------------------------------

def expand(specs: Iterable[str]) -> list[str]:
    """The model specs that ``specs`` name, in order, each once: globs over a zoo's names
    (``timm:``, ``torchvision:``, ``hf:``, ``nncost:``) or over files, and ``@FILE`` (one
    spec or glob per line; ``#`` starts a comment)."""
    out: dict[str, None] = {}
    for spec in specs:
        for one in _expand_one(spec.strip(), depth=0):
            out.setdefault(one, None)
    return list(out)


def _expand_one(spec: str, depth: int) -> list[str]:
    if not spec:
        return []
    if spec.startswith("@"):
        if depth > 8:
            raise InputError(f"spec files include each other too deeply at {spec}")
        path = spec[1:]
        try:
            with open(path, encoding="utf-8") as fh:
                lines = [line.split("#", 1)[0].strip() for line in fh]
        except OSError as exc:
            raise InputError(f"cannot read the spec file {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise InputError(f"the spec file {path} is not UTF-8 text (expected one model spec per line)") from None
        return [s for line in lines for s in _expand_one(line, depth + 1)]
    if not _GLOB & set(spec):
        return [spec]
    scheme, sep, pattern = spec.partition(":")
    names = _zoo(scheme) if sep and scheme in _ZOOS else None
    if names is not None:
        found = [f"{scheme}:{n}" for n in names if fnmatch.fnmatchcase(n, pattern)]
    else:
        found = sorted(glob.glob(spec, recursive=True))
    if not found:
        raise InputError(f"{spec!r} matches no models" + (f" (the {scheme} zoo has {len(names)})" if names is not None else ""))
    return found


def _zoo(scheme: str) -> list[str]:
    from .errors import require

    if scheme == "timm":
        timm: Any = require("timm", "timm", "a timm: glob")
        return list(timm.list_models())
    if scheme == "torchvision":
        tv: Any = require("torchvision", "vision", "a torchvision: glob")
        return list(tv.models.list_models())
    if scheme == "hf":
        from .frontends.hf import bundled

        return list(bundled())
    from .frontends.torch.zoo import MODELS

    return list(MODELS)


_ZOOS = ("timm", "torchvision", "hf", "nncost")


def shard(specs: Sequence[str], text: str | None) -> list[str]:
    """Models ``I, I+N, I+2N, ...`` of ``specs`` for ``--shard I/N`` (I from 0 to N-1):
    strided, so each shard gets a share of every model family."""
    if not text:
        return list(specs)
    i, sep, n = text.partition("/")
    if not sep or not i.strip().isdigit() or not n.strip().isdigit() or not 0 <= int(i) < int(n):
        raise InputError(f"expected --shard I/N with 0 <= I < N, such as 0/4, got {text!r}")
    return list(specs[int(i)::int(n)])


# --- one model ----------------------------------------------------------------------------

def analyse_one(spec: str, options: dict[str, Any]) -> dict[str, Any]:
    """One row: ``spec`` analysed with ``options`` (those of :func:`nncost.frontends.analyze_spec`)."""
    from .formulas.table import op_costs
    from .frontends import analyze_spec

    row: dict[str, Any] = {"spec": spec}
    opts = dict(options)
    costs = dict(opts.pop("op_cost", {}) or {})
    start = time.perf_counter()
    try:
        with op_costs(costs):
            report = analyze_spec(spec, **opts)
    except NncostError as exc:
        row.update(status="error", error=first_line(exc, 300))
    except MemoryError:
        row.update(status="error", error="out of memory")
    except Exception as exc:  # noqa: BLE001 - a model's own code may raise anything; the row records it
        row.update(status="error", error=first_line(exc, 300))
    else:
        t = report.total
        row.update(status="unsupported" if report.unsupported else "ok", params=t.params, macs=t.macs, flops=t.flops,
                   input=";".join(_shape(i) for i in report.inputs),
                   unsupported=" ".join(f"{op}×{n}" if n > 1 else op for op, n in report.unsupported.items()))
        m = report.memory
        if m is not None:  # bytes: parameters and buffers; the peak of an inference pass (docs/memory.md)
            row.update(weights=m.weights + m.buffers, inference_peak=m.inference_peak)
        if opts.get("backward"):
            row.update(backward_macs=t.backward_macs, backward_flops=t.backward_flops,
                       training_peak=m.training_peak if m is not None else None)
    row["seconds"] = round(time.perf_counter() - start, 3)
    return row


def _shape(inp: dict[str, Any]) -> str:
    shape = inp.get("shape")
    return "x".join(str(d) for d in shape) if isinstance(shape, (list, tuple)) else str(shape)


# --- workers ------------------------------------------------------------------------------

Task = tuple[int, str]
Worker = Callable[[str, dict[str, Any]], dict[str, Any]]


def _serve(conn: Any, work: Worker, options: dict[str, Any], warm: tuple[str, ...]) -> None:  # pragma: no cover - runs in a child process
    """A worker process: analyse the specs the parent sends, one at a time, one thread each."""
    import gc
    import signal
    import warnings

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    devnull = os.open(os.devnull, os.O_WRONLY)  # what a model's code (or a library's logger, or C code) prints goes
    os.dup2(devnull, 1)  # nowhere: the parent's output is the rows, the progress bar and the summary
    os.dup2(devnull, 2)
    os.close(devnull)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"  # the pool is the parallelism; a worker's BLAS threads would only fight it
    warnings.simplefilter("ignore")
    for module in warm:  # imported before the first model, so its seconds are its own
        try:
            __import__(module)
        except Exception:  # noqa: BLE001, S112 - a missing framework is reported by the model that needs it
            continue
    gc.collect()
    gc.freeze()
    threads_set = False
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        index, spec = task
        if not threads_set and "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(1)
            threads_set = True
        sink = io.StringIO()  # a model's own prints would interleave with the rows
        old_out, old_err = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = sink
        try:
            row = work(spec, options)
        except BaseException as exc:  # noqa: BLE001 - the row records it; the worker lives on
            row = {"spec": spec, "status": "error", "error": first_line(exc, 300)}
        finally:
            sys.stdout, sys.stderr = old_out, old_err
        gc.collect()  # the model's cycles go now; what survives (modules imported on the way) is frozen,
        gc.freeze()  # so the next collection scans only the next model's objects (a full one takes ~0.5 s with torch loaded)
        conn.send((index, row))


@dataclass
class _Proc:
    ctx: Any
    work: Worker
    options: dict[str, Any]
    warm: tuple[str, ...]
    proc: Any = None
    conn: Any = None
    task: Task | None = None
    started: float = 0.0
    done: int = 0

    def start(self) -> None:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_serve, args=(child, self.work, self.options, self.warm), daemon=True)
        try:
            proc.start()
        finally:  # a worker that never started leaves nothing to stop
            child.close()
        self.proc, self.conn, self.task, self.done = proc, parent, None, 0

    def give(self, task: Task) -> None:
        self.task, self.started = task, time.monotonic()
        self.conn.send(task)

    def stop(self, kill: bool = False) -> None:
        if self.proc is None:
            return
        if not kill:
            try:
                self.conn.send(None)
            except OSError:
                kill = True
            self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)
        self.conn.close()
        self.proc = None


def _death(code: int | None) -> str:
    import signal

    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        why = " (the kernel's out-of-memory killer, or another process)" if name == "SIGKILL" else ""
        return f"the worker process died from {name}{why}"
    return f"the worker process exited with status {code}"


@dataclass
class Sweep:
    """Counts of a finished (or interrupted) sweep."""

    total: int = 0  # models to run in this invocation
    skipped: int = 0  # already in the output (--resume)
    statuses: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    interrupted: bool = False

    @property
    def done(self) -> int:
        return sum(self.statuses.values())

    def summary(self) -> str:
        rate = f" ({self.done / self.seconds:.2f} models/s)" if self.seconds > 0 and self.done else ""
        counts = ", ".join(f"{self.statuses[s]} {s}" for s in STATUSES if self.statuses[s])
        skipped = f"; {self.skipped} already in the output" if self.skipped else ""
        head = "interrupted after" if self.interrupted else "swept"
        return f"{head} {self.done} of {self.total} models in {_clock(self.seconds)}{rate}: {counts or 'none run'}{skipped}"


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}m{s:02d}s" if m else f"{seconds:.1f}s"


def sweep(
    specs: Sequence[str],
    emit: Callable[[dict[str, Any]], None],
    *,
    jobs: int = 1,
    timeout: float | None = None,
    options: dict[str, Any] | None = None,
    work: Worker = analyse_one,
    progress: bool = False,
    max_tasks: int = 100,
) -> Sweep:
    """Analyse each spec in a pool of ``jobs`` worker processes; ``emit(row)`` for each as
    it finishes (in finishing order). A worker that exceeds ``timeout`` seconds on one
    model is killed, as is one that dies; its model gets a ``timeout``/``error`` row and a
    fresh worker goes on. Workers are renewed every ``max_tasks`` models, so memory a
    model's code leaks does not pile up."""
    import multiprocessing
    from multiprocessing.connection import wait

    options = dict(options or {})
    result = Sweep(total=len(specs))
    pending: deque[Task] = deque(enumerate(specs))
    ctx = multiprocessing.get_context("spawn")  # no inherited state (threads, CUDA, the user's modules)
    pool = [_Proc(ctx, work, options, _frameworks(specs)) for _ in range(max(1, min(jobs, len(specs))))]
    start = time.monotonic()

    def finish(row: dict[str, Any]) -> None:
        result.statuses[row.get("status", "error")] += 1
        emit(row)
        bar.advance(row)

    bar = _Bar(len(specs), progress)
    try:
        for p in pool:
            p.start()
        while pending or any(p.task is not None for p in pool):
            for p in pool:
                if p.task is None and pending:
                    if p.done >= max_tasks:
                        p.stop()
                        p.start()
                    p.give(pending.popleft())
            busy = [p for p in pool if p.task is not None]
            now = time.monotonic()
            wait_for = None if timeout is None else max(0.0, min(p.started + timeout - now for p in busy))
            ready = wait([p.conn for p in busy] + [p.proc.sentinel for p in busy], timeout=wait_for)
            for p in busy:
                assert p.task is not None
                index, spec = p.task
                if p.conn in ready or p.conn.poll():
                    try:
                        _, row = p.conn.recv()
                    except (EOFError, OSError):
                        p.proc.join(5)
                        row = {"spec": spec, "status": "error", "error": _death(p.proc.exitcode),
                               "seconds": round(time.monotonic() - p.started, 3)}
                        p.stop(kill=True)
                        p.start()
                    else:
                        p.done += 1
                    p.task = None
                    finish(row)
                elif p.proc.sentinel in ready or not p.proc.is_alive():
                    p.proc.join(5)
                    row = {"spec": spec, "status": "error", "error": _death(p.proc.exitcode),
                           "seconds": round(time.monotonic() - p.started, 3)}
                    p.stop(kill=True)
                    p.start()
                    finish(row)
                elif timeout is not None and time.monotonic() - p.started >= timeout:
                    p.stop(kill=True)
                    p.start()
                    finish({"spec": spec, "status": "timeout", "error": f"no result after {timeout:g} s; the worker was killed",
                            "seconds": round(time.monotonic() - p.started, 3)})
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        bar.close()
        for p in pool:
            p.stop(kill=result.interrupted)
        result.seconds = time.monotonic() - start
    return result


def _frameworks(specs: Sequence[str]) -> tuple[str, ...]:
    """The frameworks the specs need, for the workers to import up front."""
    need: dict[str, None] = {}
    for spec in specs:
        if spec.lower().endswith(".onnx"):
            need["onnx"] = None
            continue
        need["torch"] = None
        scheme = spec.partition(":")[0]
        if scheme in ("timm", "torchvision"):
            need[scheme] = None
        elif scheme == "hf":
            need["transformers"] = None
    return tuple(need)


class _Bar:
    """A rich progress bar with ETA on stderr (only on a terminal)."""

    def __init__(self, total: int, show: bool) -> None:
        self.progress: Any = None
        if not show or total == 0:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.counts: Counter[str] = Counter()
        self.progress = Progress(TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[counts]}"),
                                 TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                                 console=Console(stderr=True), transient=False)
        self.task = self.progress.add_task("sweep", total=total, counts="")
        self.progress.start()

    def advance(self, row: dict[str, Any]) -> None:
        if self.progress is None:
            return
        self.counts[row.get("status", "error")] += 1
        counts = " ".join(f"{self.counts[s]} {s}" for s in STATUSES if self.counts[s])
        self.progress.update(self.task, advance=1, counts=counts)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


# --- output -------------------------------------------------------------------------------

class RowWriter:
    """Rows to a stream as they come (flushed each time): CSV with a header, JSON Lines
    (one object per model, so an interrupted file stays valid), or a Markdown table."""

    def __init__(self, fh: IO[str], fmt: str, columns: Sequence[str], header: bool = True) -> None:
        self.fh, self.fmt, self.columns = fh, fmt, tuple(columns)
        if header and fmt == "csv":
            fh.write(",".join(self.columns) + "\n")
        elif header and fmt == "markdown":
            fh.write("| " + " | ".join(self.columns) + " |\n")
            fh.write("|" + "|".join("---:" if c in _NUMERIC else "---" for c in self.columns) + "|\n")
        fh.flush()

    def __call__(self, row: dict[str, Any]) -> None:
        values = {c: row.get(c, "") for c in self.columns}
        if self.fmt == "csv":
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerow([values[c] for c in self.columns])
            self.fh.write(buf.getvalue())
        elif self.fmt == "json":
            self.fh.write(json.dumps({c: (None if values[c] == "" else values[c]) for c in self.columns}, ensure_ascii=False) + "\n")
        else:
            cells = (str(values[c]).replace("|", "\\|").replace("\n", " ") for c in self.columns)
            self.fh.write("| " + " | ".join(cells) + " |\n")
        self.fh.flush()


_NUMERIC = frozenset({"params", "macs", "flops", "weights", "inference_peak", "seconds", *BACKWARD_COLUMNS})


def done_specs(path: str, fmt: str, columns: Sequence[str]) -> list[str]:
    """The specs an earlier run of the sweep wrote to ``path`` (for ``--resume``). A last
    line cut off by a kill is removed, so its model runs again."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise InputError(f"cannot read {path} to resume: {exc.strerror or exc}") from None
    if data and not data.endswith(b"\n"):  # a row cut off mid-write
        data = data[: data.rfind(b"\n") + 1]
        with open(path, "r+b") as fh:
            fh.truncate(len(data))
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a sweep output (not UTF-8 text); give another --output or drop --resume") from None
    if not lines:
        return []
    if fmt == "json":
        specs = []
        for n, line in enumerate(lines, 1):
            try:
                specs.append(json.loads(line)["spec"])
            except (ValueError, KeyError, TypeError):
                raise InputError(f"{path} line {n} is not a JSON row of a sweep; give another --output or drop --resume") from None
        return specs
    if fmt == "csv":
        rows = list(csv.reader(lines))
        header = rows[0]
        body = rows[1:]
    else:
        header = [c.strip() for c in lines[0].strip().strip("|").split("|")]
        body = [[c.strip() for c in line.strip().strip("|").split(" | ")] for line in lines[2:]]
    if tuple(header) != tuple(columns):
        raise InputError(f"{path} has the columns {', '.join(header)}, not those of this sweep ({', '.join(columns)}); "
                         "resume with the same options and format, or give another --output")
    return [r[0].replace("\\|", "|") for r in body if r]


def rows(path: str) -> Iterator[dict[str, Any]]:
    """The rows of a JSON Lines sweep output (``-f json``); none if the file is not there yet."""
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
