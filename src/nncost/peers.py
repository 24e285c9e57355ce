"""What other tools would report for the same model: their conventions, applied to nncost's count.

``--convention NAME`` adds, next to nncost's own numbers, the number that tool prints —
computed from the report's op log (ops, their MACs and bytes) and module tree (each
module's type and shapes) by the tool's own rules, with what it counts, what it leaves
out and its known mistakes stated (docs/conventions.md). Each preset is checked against
the tool itself on resnet50, vit_b_16, BERT-base and a 2-layer LSTM.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import InputError
from .formulas.roofline import op_class
from .formulas.shapes import prod
from .report import Node, Report

__all__ = ["PRESETS", "apply_convention", "check_convention"]


@dataclass(frozen=True)
class Preset:
    tool: str
    version: str  # the version whose rules are modelled
    unit: str  # what its number means
    counts: str
    ignores: str
    mistakes: str
    rule: Callable[[Report], int]


def _numel(shapes: list[list[Any]]) -> int:
    """Elements of a module's first input or output (0 when a dim is symbolic)."""
    return prod(shapes[0]) if shapes and all(isinstance(d, int) for d in shapes[0]) else 0


def _modules(report: Report, *types: str) -> list[Node]:
    return [n for n in report.layers if n.type in types]


def _forward_ops(report: Report) -> list[Any]:
    return [o for o in report.op_logs.get("model", []) if not o[7]]


def _mha_projections(report: Report) -> int:
    """MACs of nn.MultiheadAttention's input and output projections (q, k, v in; out), which the
    tools count as the linear layers they are when grad is enabled — their documented usage —
    and nncost logs inside one fused attention op."""
    total = 0
    for n in _modules(report, "MultiheadAttention"):
        shapes = n.input_shapes
        if len(shapes) < 3 or not all(s and all(isinstance(d, int) for d in s) for s in shapes[:3]):
            continue
        q, k, v = shapes[:3]
        e = int(q[-1])
        tokens = [prod(s) // int(s[-1]) for s in (q, k, v)]
        total += n.calls * (tokens[0] * e * e + tokens[1] * int(k[-1]) * e + tokens[2] * int(v[-1]) * e + tokens[0] * e * e)
    return total


# -- torch.utils.flop_counter ---------------------------------------------------------------
def _torch(report: Report) -> int:
    """2 · MACs of the ops in flop_counter's registry (matmuls, convolutions, attention kernels),
    forward and, when counted, backward; nothing else — as ``with FlopCounterMode(): model(x)``
    counts on CPU tensors: SDPA runs a fused CPU kernel it has no formula for (0), while
    nn.MultiheadAttention's projections run as the linear layers they are."""
    try:
        from torch.utils.flop_counter import flop_registry
    except ImportError:  # pragma: no cover - torch is there whenever a torch report is
        raise InputError("--convention torch needs PyTorch (torch.utils.flop_counter's registry)") from None
    names = {getattr(p, "__name__", str(p)).split(".")[-1] for p in flop_registry}
    total = 2 * _mha_projections(report)
    for o in report.op_logs.get("model", []):
        name, macs = o[1], o[2]
        if macs and name in names:
            total += 2 * macs
    return total


# -- torchvision's meta["_ops"] -------------------------------------------------------------------
def _torchvision(report: Report) -> int:
    """The MACs of convolutions, linear layers, matmuls and attention (torchvision's "GFLOPS" are
    GMACs): nncost's forward MACs."""
    return sum(o[2] for o in _forward_ops(report))


# -- fvcore.nn.FlopCountAnalysis ------------------------------------------------------------------
_FVCORE_MATMUL = {"addmm", "mm", "bmm", "matmul", "einsum", "linear"}


def _fvcore(report: Report) -> int:
    """fvcore 0.1.5, as ``FlopCountAnalysis(model, x).total()`` counts (grad enabled): its "flops"
    are MACs of conv, addmm/mm/bmm/matmul/einsum/linear (no bias; nn.MultiheadAttention's projections);
    batch norm in eval 2·numel (affine; 1·numel without), in training 5·numel; layer, group and
    instance norm 5·numel (4 without affine); adaptive average pooling the input's numel;
    upsampling the output's numel. Everything else is skipped — attention kernels, LSTMs,
    element-wise ops and baddbmm among them."""
    total = _mha_projections(report)
    for o in _forward_ops(report):
        name = o[1]
        if op_class(name) == "conv" or name in _FVCORE_MATMUL:
            total += o[2]
    training = report.conventions.get("mode") == "train"
    for n in _modules(report, "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm"):
        affine = n.params.total > 0
        total += n.calls * _numel(n.input_shapes) * (5 if training and affine else 4 if training else 2 if affine else 1)
    for n in _modules(report, "LayerNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"):
        total += n.calls * _numel(n.input_shapes) * (5 if n.params.total > 0 else 4)
    for n in _modules(report, "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d"):
        total += n.calls * _numel(n.input_shapes)
    for n in _modules(report, "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"):
        total += n.calls * _numel(n.output_shapes)
    return total


# -- thop.profile ----------------------------------------------------------------------------------
def _rnn_cell(kind: str, i: int, h: int, bias: bool) -> int:
    """thop's per-step count of one RNN, GRU or LSTM cell."""
    b = 2 * h if bias else 0
    if kind == "RNN":
        return h * (i + h) + h + b
    if kind == "GRU":
        state = (h + i) * h + h + b
        return 2 * state + (h + i) * h + h + b + h + 3 * h
    state = (i + h) * h + h + b  # LSTM: four gates, then c = f·c + i·g and h = o·tanh(c)
    return 4 * state + 3 * h + h


def _thop(report: Report) -> int:
    """thop 0.1.1: per module of these exact types (a subclass is not counted): convolutions
    in·k·out MACs (no bias); Linear in_features · out numel; batch, layer and instance norm
    2·numel, doubled with affine; adaptive average pooling (kernel + 1) per output; average
    pooling 1 per output; softmax 3n − 1 per row; bilinear upsampling 11, linear 5 per output;
    RNN/GRU/LSTM by its cell formula per step. ReLU, max pooling, dropout, nearest upsampling:
    0. Modules it has no rule for (GELU, embeddings, attention, user modules) count 0."""
    total = 0
    for n in report.layers:
        t, ins, outs, calls = n.type, n.input_shapes, n.output_shapes, n.calls
        if t in ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"):
            total += n.macs  # every call's conv MACs (output numel · in/groups · kernel, no bias): thop's formula
        elif t == "Linear" and ins and outs:
            total += calls * int(ins[0][-1]) * _numel(outs)
        elif t in ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "InstanceNorm1d", "InstanceNorm2d",
                   "InstanceNorm3d"):
            total += calls * 2 * _numel(ins) * (2 if n.params.total > 0 else 1)
        elif t in ("AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d") and ins and outs:
            kernel = prod(int(a) // int(b) for a, b in zip(ins[0][2:], outs[0][2:]))
            total += calls * (kernel + 1) * _numel(outs)
        elif t in ("AvgPool1d", "AvgPool2d", "AvgPool3d"):
            total += calls * _numel(outs)
        elif t in ("RNN", "GRU", "LSTM"):
            total += calls * _thop_rnn(n)
    return total


def _thop_rnn(n: Node) -> int:
    """thop's count for an RNN/GRU/LSTM module: its configuration (bias, directions, layers) read
    back from its input and output widths and its parameter count; steps × batch from its input."""
    ins, outs = n.input_shapes[0] if n.input_shapes else [], n.output_shapes[0] if n.output_shapes else []
    if len(ins) != 3 or len(outs) != 3:
        return 0
    gates = {"RNN": 1, "GRU": 3, "LSTM": 4}[n.type]
    i, width, params = int(ins[-1]), int(outs[-1]), n.params.total
    for dirs in (1, 2):
        h = width // dirs
        for bias in (True, False):
            first = dirs * (gates * h * (i + h) + (2 * gates * h if bias else 0))
            later = dirs * (gates * h * (h * dirs + h) + (2 * gates * h if bias else 0))
            rest = params - first
            if rest >= 0 and (rest == 0 or (later and rest % later == 0)):
                layers = 1 + (rest // later if later else 0)
                per_step = _rnn_cell(n.type, i, h, bias) * dirs + (layers - 1) * _rnn_cell(n.type, h * dirs, h, bias) * dirs
                return per_step * int(ins[0]) * int(ins[1])  # steps × batch, whichever comes first
    return 0


PRESETS: dict[str, Preset] = {
    "torch": Preset("torch.utils.flop_counter", "PyTorch 2.4–2.14, on CPU tensors", "FLOPs (2 × MACs)",
                    "matmuls (mm, addmm, bmm, baddbmm) and convolutions, forward and backward; the attention kernels "
                    "of CUDA",
                    "norms, activations, pooling, element-wise ops, LSTMs (mkldnn_rnn_layer); on CPU SDPA's fused kernel",
                    "a transformer's attention scores and values are missing on CPU; under torch.no_grad() "
                    "nn.MultiheadAttention's fast path hides its projections too",
                    _torch),
    "torchvision": Preset("torchvision weights' meta['_ops']", "torchvision 0.19–0.29", "GMACs (named GFLOPS)",
                          "multiply-accumulates of convolutions, linear layers, matmuls and attention",
                          "norms, activations, pooling, element-wise ops",
                          "the field is called GFLOPS but holds GMACs", _torchvision),
    "fvcore": Preset("fvcore.nn.FlopCountAnalysis", "fvcore 0.1.5", "FLOPs, meaning MACs",
                     "MACs of conv, addmm/mm/bmm/matmul/einsum/linear; batch norm 2·numel in eval (affine); layer/group/"
                     "instance norm 5·numel; adaptive average pooling; upsampling",
                     "attention kernels (scaled_dot_product_attention), LSTM/GRU, baddbmm, element-wise ops, softmax",
                     "calls MACs 'flops'; skips SDPA, so a transformer's attention is missing (and under torch.no_grad() "
                     "nn.MultiheadAttention's projections, inside its fast path)", _fvcore),
    "thop": Preset("thop.profile", "thop 0.1.1", "MACs (and module-rule counts)",
                   "modules of known exact types: conv, Linear, norms, average pooling, softmax, upsampling, RNN/GRU/LSTM",
                   "any module type it has no rule for (GELU, embeddings, nn.MultiheadAttention's in-projection and its "
                   "NonDynamicallyQuantizableLinear out-projection), functional calls, torch ops in forward()",
                   "matches types exactly, so Linear subclasses count 0; counts a normalisation as 4·numel", _thop),
}


def check_convention(name: str) -> Preset:
    """The preset called ``name``, or a one-line InputError listing them."""
    preset = PRESETS.get(name)
    if preset is None:
        raise InputError(f"--convention must be one of {', '.join(PRESETS)}, got {name!r} (ptflops and deepspeed, which "
                         "count by how the Python code spells an op, are not modelled yet: docs/conventions.md)")
    return preset


def apply_convention(report: Report, name: str) -> dict[str, Any]:
    """Add the ``convention`` section: what ``name`` would report for this model."""
    preset = check_convention(name)
    if report.frontend not in ("torch", "hf"):
        raise InputError(f"--convention reproduces tools that run PyTorch modules; {report.model} is a {report.frontend} "
                         "report (analyse the nn.Module it came from)")
    value = preset.rule(report)
    section = {"tool": preset.tool, "version": preset.version, "unit": preset.unit, "value": value,
               "counts": preset.counts, "ignores": preset.ignores, "known_mistakes": preset.mistakes,
               "nncost_macs": report.total.macs, "nncost_flops": report.total.flops}
    report.extra["convention"] = section
    return section
