"""The command line: a thin layer over the API. Errors are one line on stderr, exit 2.

    nncost [MODEL] [options]            analyse a model (default: the built-in seednet)
    nncost layer "EXPR" --input-shape S  the single-layer calculator
    nncost sweep SPEC...                 one row per model, each in a worker process
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from typing import IO, Any, NoReturn

from . import __version__
from .errors import InputError, NncostError

__all__ = ["main"]

DEFAULT_MODEL = "nncost:seednet"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2 (argparse's own code)
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _shape(text: str) -> tuple[str | None, tuple[int, ...]]:
    name, _, dims = text.rpartition("=") if "=" in text else ("", "", text)
    parts = [p for p in dims.replace("x", ",").replace(" ", "").split(",") if p != ""]
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a shape such as 1,3,224,224 or NAME=1,3,224,224, got {text!r}") from None
    if not shape or any(d < 0 for d in shape):
        raise argparse.ArgumentTypeError(f"expected a shape of non-negative ints such as 1,3,224,224, got {text!r}")
    return (name or None), shape


def _count(low: int, what: str) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
        return value

    return parse


def _op_cost(text: str) -> tuple[str, int]:
    name, sep, value = text.partition("=")
    if not sep or not value.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected NAME=INT such as tanh=5, got {text!r}")
    return name.strip(), int(value)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input-shape", "-i", action="append", type=_shape, default=[], metavar="[NAME=]D,D,...",
                   help="input shape, repeatable (e.g. 1,3,224,224 or input_ids=1,128)")
    p.add_argument("--format", "-f", choices=("table", "json", "csv", "markdown", "html"), default="table",
                   help="table (default), json, csv, markdown, or html (one self-contained page with charts)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--flops", choices=("seed", "2mac"), default="seed",
                   help="seed: every operation (default); 2mac: flops = 2 x MACs (torch.utils.flop_counter)")
    p.add_argument("--op-cost", action="append", type=_op_cost, default=[], metavar="NAME=INT",
                   help="override a per-element cost from the table, e.g. tanh=5")
    p.add_argument("--width", type=_count(40, "an int >= 40 (columns)"), default=100, help="table width in columns (default 100)")


def _parser_layer() -> argparse.ArgumentParser:
    p = _Parser(prog="nncost layer", description="Cost of one layer, written as in PyTorch code.")
    p.add_argument("expression", help='e.g. "nn.Conv2d(3, 64, kernel_size=3, padding=1)"')
    _common(p)
    p.add_argument("--explain", action="store_true", help="print each formula with the numbers substituted")
    p.add_argument("--dtype", default=None, help="dtype the layer runs in, for its bytes (float32 default, bf16, fp16, fp64)")
    p.add_argument("--rnn-bias", choices=("torch", "single"), default="torch",
                   help="torch: two bias vectors per gate (nn.LSTM); single: one (the seed, Keras)")
    p.add_argument("--list", action="store_true", help=argparse.SUPPRESS)
    return p


def _parser_model() -> argparse.ArgumentParser:
    p = _Parser(
        prog="nncost",
        description="What does this network cost? Parameters, MACs and FLOPs, layer by layer.",
        epilog="Model specs: torchvision:NAME, timm:NAME, package.module:factory, path/file.py:factory, "
        "nncost:seednet (built in). The single-layer calculator: nncost layer --help.",
    )
    p.add_argument("model", nargs="?", default=DEFAULT_MODEL, help=f"model spec (default: {DEFAULT_MODEL})")
    _common(p)
    p.add_argument("--depth", "-d", type=_count(0, "an int >= 0 (0: the model only)"), default=None,
                   help="show modules down to this depth, in every format")
    p.add_argument("--dtype", default=None,
                   help="dtype of inputs and params (float32, bfloat16, float16; for hf: also bytes: fp32, bf16, fp8, int8, int4)")
    p.add_argument("--batch", type=_count(1, "an int >= 1"), default=None, help="hf: batch size (default 1)")
    p.add_argument("--seq", type=_count(1, "an int >= 1"), default=None, help="hf: prompt / encoder length in tokens (default 128)")
    p.add_argument("--gen", type=_count(0, "an int >= 0"), default=None,
                   help="hf: tokens to generate (decoder length for encoder-decoders; default 0)")
    p.add_argument("--group-size", type=_count(1, "an int >= 1"), default=None,
                   help="hf: weights per quantization scale for int8/int4/fp8 weight bytes (default 128, GPTQ/AWQ's)")
    p.add_argument("--device-memory", default=None, metavar="SIZE",
                   help="hf causal LMs: memory of one device (80GB, 80GiB, bytes): the largest batch and context that fit")
    for flag, what in (("--tp", "tensor-parallel"), ("--pp", "pipeline-parallel"), ("--dp", "data-parallel")):
        p.add_argument(flag, type=_count(1, "an int >= 1 (ranks)"), default=None,
                       help=f"hf decoder LMs, with --backward: {what} ranks, for the memory per GPU (default 1)")
    p.add_argument("--zero", type=int, choices=(0, 1, 2, 3), default=None,
                   help="hf decoder LMs, with --backward: ZeRO stage over the --dp ranks (default 0)")
    p.add_argument("--device", default="meta", help="meta (default: no memory, no compute), cpu or cuda")
    p.add_argument("--backward", action="store_true", help="also count the backward pass (a training step)")
    p.add_argument("--optimizer", default=None, metavar="NAME",
                   help="with --backward: sgd, momentum, adam or adamw (default) for the optimizer states")
    p.add_argument("--precision", default=None, metavar="P",
                   help="with --backward: fp32, bf16, fp16, bf16-mixed or fp16-mixed (default: the dtype the model runs in)")
    p.add_argument("--checkpoint", default=None, metavar="PATTERN",
                   help="with --backward: checkpoint the activations of modules matching PATTERN (globs, comma-separated)")
    p.add_argument("--hardware", default=None, metavar="NAME|FILE",
                   help="time on an accelerator: a catalogue name (nncost hardware --list), cpu, or a spec .json/.toml")
    p.add_argument("--efficiency", default=None, metavar="compute=F,memory=F",
                   help="with --hardware: fractions of peak compute and bandwidth reached (default 1: a pure bound)")
    p.add_argument("--estimate", action="store_true",
                   help="with a calibrated --hardware spec: divide each op's bound by its op class's measured efficiency")
    p.add_argument("--measured-throughput", type=float, default=None, metavar="X",
                   help="with --hardware: items (or tokens) per second you measured, for MFU and HFU")
    p.add_argument("--measure", action="store_true",
                   help="with --hardware and --device cpu|cuda: also time every module for real (median of --runs)")
    p.add_argument("--runs", type=_count(1, "an int >= 1"), default=10, help="--measure: timed runs (default 10)")
    p.add_argument("--plot", default=None, metavar="FILE", help="with --hardware: write the roofline chart (.png or .svg)")
    p.add_argument("--convention", default=None, metavar="TOOL",
                   help="also say what another tool reports for this model: torch, torchvision, fvcore, thop, ptflops or deepspeed")
    p.add_argument("--fold-bn", action="store_true", help="fold BatchNorm into the preceding conv/linear")
    p.add_argument("--train", action="store_true", help="run the model in train mode (default: eval)")
    p.add_argument("--strict", action="store_true", help="fail if any op is unsupported")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress line on stderr (shown only on a terminal, after 1 s)")
    p.add_argument("--trust-pickle", action="store_true", help="allow loading a pickled full model (.pt/.pth)")
    p.add_argument("--version", action="version", version=f"nncost {__version__}")
    return p


def _parser_diff() -> argparse.ArgumentParser:
    p = _Parser(prog="nncost diff", description="Compare two models or saved JSON reports: totals and per-module deltas "
                "(matched by path), modules added and removed; --fail-if budgets exit 1 when B breaks them.",
                epilog="Budgets: METRIC OP VALUE, e.g. 'macs>+5%' (B more than 5%% above A), 'params>+1M' (more than 1M "
                "added), 'flops>4G' (B above 4e9), 'training_peak>=20GiB'. Metrics: params, trainable_params, macs, flops, "
                "backward_flops, train_flops, read_bytes, write_bytes, weights, inference_peak, training_peak, "
                "saved_activations, latency_s, train_step_s.")
    p.add_argument("a", metavar="A", help="model spec or JSON report (nncost ... -f json)")
    p.add_argument("b", metavar="B", help="model spec or JSON report")
    p.add_argument("--format", "-f", choices=("table", "json", "markdown"), default="table")
    p.add_argument("--output", "-o", metavar="FILE", help="write the diff to FILE instead of stdout")
    p.add_argument("--fail-if", action="append", default=[], metavar="BUDGET", help="exit 1 if B breaks it (repeatable)")
    p.add_argument("--depth", "-d", type=_count(0, "an int >= 0"), default=None, help="show changed modules down to this depth")
    p.add_argument("--top", type=_count(1, "an int >= 1"), default=30, help="changed modules shown (default 30)")
    p.add_argument("--backward", action="store_true", help="analyse specs with a backward pass (training memory, FLOPs)")
    p.add_argument("--dtype", default=None, help="dtype to analyse specs in")
    p.add_argument("--hardware", default=None, help="also compare the time on this device (latency_s, train_step_s)")
    return p


def _run_diff(argv: Sequence[str]) -> int:
    from .diff import diff_reports, load_side, parse_budget, render_diff

    a = _parser_diff().parse_args(argv)
    budgets = [parse_budget(t) for t in a.fail_if]  # a bad budget is refused before anything runs
    options = {k: v for k, v in (("backward", a.backward), ("dtype", a.dtype), ("hardware", a.hardware)) if v}
    with _warnings_last():
        d = diff_reports(load_side(a.a, options), load_side(a.b, options))
    broken = []
    d["budgets"] = []
    for b in budgets:
        bad, got = b.check(d["totals"])
        d["budgets"].append({"budget": b.text, "metric": b.metric, "kind": b.kind, "value": got, "broken": bad})
        if bad:
            broken.append(b.text)
    _emit(render_diff(d, a.format, depth=a.depth, top=a.top), a.output)
    if broken:
        print(f"nncost diff: budget exceeded: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0


def _parser_hardware() -> argparse.ArgumentParser:
    p = _Parser(prog="nncost hardware", description="The accelerators nncost times models on: peaks, bandwidth, sources.")
    p.add_argument("--list", action="store_true", help="print the catalogue (the default)")
    p.add_argument("--format", "-f", choices=("table", "json"), default="table")
    return p


def _parser_calibrate() -> argparse.ArgumentParser:
    p = _Parser(prog="nncost calibrate", description="Measure this machine's peak FLOP/s per dtype, memory bandwidth and "
                "each op class's efficiency; write a hardware spec for --hardware (with --estimate).")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    p.add_argument("--output", "-o", metavar="FILE", help="write the spec (JSON) to FILE instead of stdout")
    p.add_argument("--name", default=None, help="the spec's name (default: cpu or cuda)")
    return p


def _run_hardware(argv: Sequence[str]) -> int:
    import json

    from .hardware import catalogue
    from .units import bytes_iec

    a = _parser_hardware().parse_args(argv)
    found = catalogue()
    if a.format == "json":
        print(json.dumps([hw.to_dict() for hw in found.values()], indent=2))
        return 0
    for hw in found.values():
        peaks = ", ".join(f"{d} {v / 1e12:g}" for d, v in hw.peak_flops.items())
        vector = ", ".join(f"{d} {v / 1e12:g}" for d, v in hw.vector_flops.items())
        print(f"{hw.name:14s} {hw.title}: {bytes_iec(hw.memory_bytes, 0)}, {hw.memory_bandwidth / 1e9:,.0f} GB/s; "
              f"dense TFLOP/s: matrix {peaks or '-'}" + (f"; vector {vector}" if vector else ""))
        print(f"{'':14s} source: {hw.source.get('url', '')}")
    print(f"{'cpu':14s} this machine, measured by nncost calibrate (once, then cached)")
    return 0


def _run_calibrate(argv: Sequence[str]) -> int:
    import json

    from .hardware.calibrate import calibrate

    a = _parser_calibrate().parse_args(argv)
    hw = calibrate(a.device, name=a.name)
    _emit(json.dumps(hw.to_dict(), indent=2) + "\n", a.output)
    return 0


def _parser_sweep() -> argparse.ArgumentParser:
    p = _Parser(
        prog="nncost sweep",
        description="Analyse many models, one row per model (spec, status, params, macs, flops, input, unsupported, error, "
        "seconds), each in a worker process; rows stream to the output as models finish.",
        epilog="Specs may be globs ('timm:convnext*', 'torchvision:*', 'hf:*', 'models/*.onnx') or @FILE (one spec or "
        "glob per line). A crash, hang or out-of-memory kill is recorded in the model's row. Exit status 0 when the "
        "sweep ran (failures are rows), 2 for bad input, 130 when interrupted.",
    )
    p.add_argument("specs", nargs="+", metavar="SPEC", help="model specs, globs or @FILE")
    p.add_argument("--format", "-f", choices=("csv", "json", "markdown"), default="csv",
                   help="csv (default), json (JSON Lines: one object per model) or markdown")
    p.add_argument("--output", "-o", metavar="FILE", help="write rows to FILE (default: stdout)")
    p.add_argument("--jobs", "-j", type=_count(1, "an int >= 1 (worker processes)"), default=None,
                   help="worker processes (default: the number of CPUs)")
    p.add_argument("--timeout", type=_seconds, default=600.0, metavar="S",
                   help="seconds one model may take before its worker is killed (default 600; 0: no limit)")
    p.add_argument("--resume", action="store_true", help="skip the models --output already has, append the rest")
    p.add_argument("--shard", metavar="I/N", help="run models I, I+N, I+2N, ... of the expanded list (0 <= I < N)")
    p.add_argument("--list", action="store_true", help="print the specs the sweep would run, and exit")
    p.add_argument("--input-shape", "-i", action="append", type=_shape, default=[], metavar="[NAME=]D,D,...",
                   help="input shape for every model, repeatable (default: each model's own)")
    p.add_argument("--dtype", default=None, help="dtype of inputs and params (as for nncost MODEL)")
    p.add_argument("--batch", type=_count(1, "an int >= 1"), default=1, help="hf: batch size (default 1)")
    p.add_argument("--seq", type=_count(1, "an int >= 1"), default=128, help="hf: prompt length in tokens (default 128)")
    p.add_argument("--gen", type=_count(0, "an int >= 0"), default=0, help="hf: tokens to generate (default 0)")
    p.add_argument("--device", default="meta", help="meta (default), cpu or cuda")
    p.add_argument("--backward", action="store_true", help="also count the backward pass (adds backward_macs, backward_flops)")
    p.add_argument("--flops", choices=("seed", "2mac"), default="seed", help="FLOPs convention (as for nncost MODEL)")
    p.add_argument("--op-cost", action="append", type=_op_cost, default=[], metavar="NAME=INT",
                   help="override a per-element cost from the table, e.g. tanh=5")
    p.add_argument("--progress", choices=("auto", "on", "off"), default="auto",
                   help="progress bar with ETA on stderr (auto: when stderr is a terminal)")
    return p


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds (a number >= 0), got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected seconds (a number >= 0), got {text!r}")
    return value


def _emit(text: str, output: str | None) -> None:
    """Write to stdout, or to ``output`` atomically: a temporary file beside it, renamed
    into place, so a failed write never leaves an empty or partial file."""
    if not output:
        sys.stdout.write(text)
        return
    import os
    import tempfile

    try:
        os.fsencode(output)
    except UnicodeError:
        raise InputError(f"the output path {output!r} cannot be encoded for this file system") from None
    folder = os.path.dirname(os.path.abspath(output))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".nncost-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, output)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _warnings_last() -> Any:
    """nncost's warnings (ops not counted) as one line each on stderr, after the report,
    so they do not land in the middle of it."""
    import warnings

    from .errors import NncostWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NncostWarning)
        yield
    for w in caught:
        if issubclass(w.category, NncostWarning):
            print(f"nncost: warning: {w.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _run_layer(argv: Sequence[str]) -> int:
    from .formulas.table import op_costs
    from .layers import analyze_layer, known_layers
    from .render import render

    if "--list" in argv:
        print("\n".join(known_layers()))
        return 0
    a = _parser_layer().parse_args(argv)
    with op_costs(dict(a.op_cost)), _warnings_last():
        report = analyze_layer(a.expression, [s for _, s in a.input_shape] or None, flops=a.flops, rnn_bias=a.rnn_bias,
                               dtype=a.dtype or "float32")
        _emit(render(report, a.format, width=a.width, explain=a.explain), a.output)
    return 0


def _run_model(argv: Sequence[str]) -> int:
    from .formulas.table import op_costs
    from .render import render

    a = _parser_model().parse_args(argv)
    from . import _logging_calls_for
    from .frontends import analyze_spec

    llm = {k: v for k, v in (("batch", a.batch), ("seq", a.seq), ("gen", a.gen), ("group_size", a.group_size),
                             ("device_memory", a.device_memory), ("tp", a.tp), ("pp", a.pp), ("dp", a.dp),
                             ("zero", a.zero)) if v is not None}
    if llm and not a.model.startswith("hf:"):
        given = ", ".join(f"--{k.replace('_', '-')}" for k in llm)
        raise InputError(f"only hf: models take {given}; give other models their inputs with --input-shape")

    timing = {k: v for k, v in (("--efficiency", a.efficiency), ("--estimate", a.estimate),
                                 ("--measured-throughput", a.measured_throughput), ("--measure", a.measure),
                                 ("--plot", a.plot)) if v not in (None, False)}
    if timing and not a.hardware:
        raise InputError(f"{', '.join(timing)} need{'s' if len(timing) == 1 else ''} --hardware (the device to time on)")
    if a.convention:
        from .peers import check_convention

        check_convention(a.convention)  # before anything is built
    if a.measure and a.device == "meta":
        raise InputError("--measure runs the model for real: give --device cpu or cuda, not meta")
    hardware = None
    if a.hardware:
        from .hardware import load_hardware
        from .roofline import parse_efficiency

        parse_efficiency(a.efficiency)  # a bad value is refused before the model is built
        hardware = load_hardware(a.hardware)
    from .progress import activity

    with op_costs(dict(a.op_cost)), _warnings_last():
        with activity(f"nncost {a.model}", quiet=a.quiet), _logging_calls_for(a.convention):
            report = analyze_spec(
                a.model,
                input_shapes=a.input_shape,
                dtype=a.dtype,
                device=a.device,
                backward=a.backward,
                fold_bn=a.fold_bn,
                train=a.train,
                flops=a.flops,
                strict=a.strict,
                trust_pickle=a.trust_pickle,
                **{k: v for k, v in (("optimizer", a.optimizer), ("precision", a.precision), ("checkpoint", a.checkpoint)) if v},
                **llm,
            )
            if a.convention:
                from .peers import apply_convention

                apply_convention(report, a.convention)
            if hardware is not None:
                from .roofline import apply_roofline, attach_measured

                apply_roofline(report, hardware, efficiency=a.efficiency, estimate=a.estimate,
                               measured_throughput=a.measured_throughput)
                if a.measure:
                    from .frontends import measure_spec

                    attach_measured(report, measure_spec(a.model, report, device=a.device, runs=a.runs, backward=a.backward,
                                                         trust_pickle=a.trust_pickle, dtype=a.dtype))
                if a.plot:
                    from .render.plot import plot_roofline

                    plot_roofline(report, a.plot)
        _emit(render(report, a.format, width=a.width, depth=a.depth), a.output)
    return 0


def _run_sweep(argv: Sequence[str]) -> int:
    import os

    from . import sweep as sw

    a = _parser_sweep().parse_args(argv)
    if a.resume and not a.output:
        raise InputError("--resume needs --output FILE (the rows to resume from)")
    specs = sw.shard(sw.expand(a.specs), a.shard)
    if a.list:
        sys.stdout.write("".join(f"{s}\n" for s in specs))
        return 0
    options: dict[str, Any] = {"device": a.device, "flops": a.flops, "backward": a.backward, "input_shapes": a.input_shape,
                               "batch": a.batch, "seq": a.seq, "gen": a.gen}
    if a.dtype:
        options["dtype"] = a.dtype
    if a.op_cost:
        options["op_cost"] = dict(a.op_cost)
    columns = sw.COLUMNS[:-1] + (sw.BACKWARD_COLUMNS if a.backward else ()) + sw.COLUMNS[-1:]
    done: set[str] = set()
    if a.resume:
        done = set(sw.done_specs(a.output, a.format, columns))
    todo = [s for s in specs if s not in done]
    fh: IO[str]
    if a.output:
        try:
            fh = open(a.output, "a" if a.resume else "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InputError(f"cannot write {a.output}: {exc.strerror or exc}") from None
    else:
        fh = sys.stdout
    show = a.progress == "on" or (a.progress == "auto" and sys.stderr.isatty())
    try:
        header = not (a.resume and os.path.getsize(a.output) > 0)  # resuming: the file has its header
        writer = sw.RowWriter(fh, a.format, columns, header=header)
        result = sw.sweep(todo, writer, jobs=a.jobs or os.cpu_count() or 1, timeout=a.timeout or None, options=options,
                          progress=show)
    finally:
        if fh is not sys.stdout:
            fh.close()
    result.skipped = len(specs) - len(todo)
    print(f"nncost sweep: {result.summary()}" + ("; rerun with --resume to go on" if result.interrupted and a.output else ""),
          file=sys.stderr)
    return 130 if result.interrupted else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] == "layer":
            return _run_layer(args[1:])
        if args and args[0] == "sweep":
            return _run_sweep(args[1:])
        if args and args[0] == "diff":
            return _run_diff(args[1:])
        if args and args[0] == "hardware":
            return _run_hardware(args[1:])
        if args and args[0] == "calibrate":
            return _run_calibrate(args[1:])
        if args[:1] == ["hf"]:
            if args[1:] == ["--list"]:
                from .frontends.hf import bundled

                print("\n".join(f"hf:{n}" for n in bundled()))
                return 0
            print("nncost: error: use 'nncost hf --list' to list the bundled configs, or 'nncost hf:NAME' to analyse one",
                  file=sys.stderr)
            return 2
        return _run_model(args)
    except NncostError as exc:
        print(f"nncost: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"nncost: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except SystemExit as exc:  # argparse: --help, --version, or a bad option (its message already printed)
        return exc.code if isinstance(exc.code, int) else 2
    except KeyboardInterrupt:  # pragma: no cover
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
