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
from .formulas.shapes import TensorShape, prod
from .report import Node, Report

__all__ = ["PRESETS", "apply_convention", "check_convention", "python_calls"]


@dataclass(frozen=True)
class Preset:
    tool: str
    version: str  # the version whose rules are modelled
    unit: str  # what its number means
    counts: str
    ignores: str
    mistakes: str
    rule: Callable[[Report], int | dict[str, int]]  # its number, or {"value": ..., other numbers it prints}
    python_calls: tuple[str, ...] = ()  # functions it patches: the capture logs their calls (op_logs["python"])


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


def _rnn_config(n: Node) -> tuple[int, int, int, bool, int] | None:
    """(input size, hidden size, directions, bias, layers) of an RNN/GRU/LSTM module, read back
    from its input and output widths and its parameter count (None when they do not fit)."""
    ins, outs = n.input_shapes[0] if n.input_shapes else [], n.output_shapes[0] if n.output_shapes else []
    if len(ins) != 3 or len(outs) != 3:
        return None
    gates = {"RNN": 1, "GRU": 3, "LSTM": 4}[n.type]
    i, width, params = int(ins[-1]), int(outs[-1]), n.params.total
    for dirs in (1, 2):
        h = width // dirs
        for bias in (True, False):
            first = dirs * (gates * h * (i + h) + (2 * gates * h if bias else 0))
            later = dirs * (gates * h * (h * dirs + h) + (2 * gates * h if bias else 0))
            rest = params - first
            if rest >= 0 and (rest == 0 or (later and rest % later == 0)):
                return i, h, dirs, bias, 1 + (rest // later if later else 0)
    return None


def _thop_rnn(n: Node) -> int:
    """thop's count for an RNN/GRU/LSTM module; steps × batch from its input, whichever comes first."""
    config = _rnn_config(n)
    if config is None:
        return 0
    i, h, dirs, bias, layers = config
    per_step = _rnn_cell(n.type, i, h, bias) * dirs + (layers - 1) * _rnn_cell(n.type, h * dirs, h, bias) * dirs
    return per_step * int(n.input_shapes[0][0]) * int(n.input_shapes[0][1])


# -- tools that patch Python functions: ptflops, DeepSpeed ------------------------------------------
# Their number follows how the model's code spells an op (torch.add(a, b) is counted, a + b is not),
# so they are computed from the log of the Python-level calls (frontends/torch/pycalls.py), each
# argument a TensorShape (a tensor) or its plain value, with the module tree for their module hooks.
_F = "torch.nn.functional."
_POOLS = tuple(f"{kind}_pool{d}d" for kind in ("avg", "max", "adaptive_avg", "adaptive_max") for d in (1, 2, 3))
_MATMULS = ("torch.matmul", "torch.Tensor.matmul", "torch.mm", "torch.Tensor.mm", "torch.bmm", "torch.Tensor.bmm")
_ELEMENTWISE = ("torch.mul", "torch.Tensor.mul", "torch.add", "torch.Tensor.add")
_MHA_CALL = _F + "multi_head_attention_forward"  # not counted by the tools: the facts of their attention hooks
_MODULE_CALL = "torch.nn.Module.__call__"  # the log's record of a module call (its inputs; {"output": ...})


def _arg(call: tuple[Any, ...], i: int, name: str, default: Any = None) -> Any:
    """Argument ``name`` of a logged call, given by keyword or at position ``i``."""
    args, kwargs = call[2], call[3]
    if name in kwargs:
        return kwargs[name]
    return args[i] if i < len(args) else default


def _size(x: Any) -> int:
    """Elements of a tensor argument (the tools' ``numel()``)."""
    return prod(x) if isinstance(x, TensorShape) else 0


def _log(report: Report, tool: str) -> list[Any]:
    log = report.op_logs.get("python")
    if log is None:
        raise InputError(f"--convention {tool} counts the Python-level calls the model makes, which are logged only when "
                         f"asked before the run: nncost.analyze(model, ..., convention={tool!r}) (the CLI does this)")
    return log


def _root_batch(log: list[Any]) -> int:
    """ptflops' batch counter: over the model's calls, the length of its first positional input
    (1 for a call without one)."""
    total = 0
    for x, _ in _module_calls(log, ""):
        total += 1 if x is None else int(x[0]) if isinstance(x, TensorShape) else len(x) if isinstance(x, (list, tuple)) else 1
    return total or 1


def _top_level(report: Report, kinds: set[str]) -> list[Node]:
    """Nodes of these types that are not inside another of them (a hooked module's total is its own
    counter: the tools do not descend into it)."""
    chosen = {n.path for n in report.layers if n.type in kinds}
    return [n for n in report.layers if n.path in chosen and not any(
        p in chosen for p in (n.path.rsplit(".", i)[0] for i in range(1, n.path.count(".") + 1)))
        and not (n.path and "" in chosen)]


def _conv_bias(log: list[Any], path: str) -> bool:
    """Whether the convolution at ``path`` has a bias: the ``bias`` of the F.conv* calls it made."""
    return any(c[0] == path and c[1] in _CONV_CALLS and _arg(c, 2, "bias") is not None for c in log)


def _rnn_weights(n: Node) -> list[tuple[int, int, int, int]] | None:
    """Per layer: (w_ih numel, w_hh numel, bias numel b_ih + b_hh, hidden size) of the forward
    direction, as the tools read weight_ih_l{i} and weight_hh_l{i}."""
    config = _rnn_config(n)
    if config is None:
        return None
    i, h, dirs, bias, layers = config
    g = {"RNN": 1, "GRU": 3, "LSTM": 4}[n.type]
    return [(g * h * (i if k == 0 else h * dirs), g * h * h, 2 * g * h if bias else 0, h) for k in range(layers)]


def _rnn_extra(kind: str, h: int) -> int:
    """The element-wise work both tools add per step and layer: RNN h; GRU 7h; LSTM 10h."""
    return {"RNN": h, "GRU": 7 * h, "LSTM": 10 * h}[kind]


# ptflops 0.7.5 (its default pytorch backend)
_PTFLOPS_NUMEL = tuple(_F + f for f in ("relu", "prelu", "elu", "relu6", "gelu", "silu", "softmax", *_POOLS))
_PTFLOPS_INTERPOLATE = (_F + "upsample", _F + "interpolate")
_PTFLOPS_ADDMM = ("torch.addmm", "torch.baddbmm", "torch.Tensor.addmm")
_CONV_CALLS = tuple(f"{_F}conv{t}{d}d" for t in ("", "_transpose") for d in (1, 2, 3))  # facts for the conv hooks
_PTFLOPS_CALLS = (*_PTFLOPS_NUMEL, *_PTFLOPS_INTERPOLATE, *_MATMULS, *_PTFLOPS_ADDMM, *_ELEMENTWISE, _MHA_CALL,
                  *_CONV_CALLS)
_PTFLOPS_ACTIVATIONS = {"ReLU", "PReLU", "ELU", "LeakyReLU", "ReLU6", "GELU"}
_PTFLOPS_POOLS = {f"{k}Pool{d}d" for k in ("Max", "Avg", "AdaptiveMax", "AdaptiveAvg") for d in (1, 2, 3)}
_PTFLOPS_NORMS = {"BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
                  "GroupNorm", "LayerNorm"}
_CONVS = {"Conv1d", "Conv2d", "Conv3d"}
_CONV_TRANSPOSES = {"ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"}
_RNNS = {"RNN", "GRU", "LSTM"}
_CELLS = {"RNNCell", "GRUCell", "LSTMCell"}
_PTFLOPS_MODULES = (_CONVS | _CONV_TRANSPOSES | _PTFLOPS_ACTIVATIONS | _PTFLOPS_POOLS | _PTFLOPS_NORMS | _RNNS | _CELLS
                    | {"Linear", "Upsample", "MultiheadAttention"})


def _ptflops_call(call: tuple[Any, ...]) -> float:
    """What ptflops adds for one call of a function it patches."""
    name = call[1]
    x = _arg(call, 0, "input")
    if name in _PTFLOPS_NUMEL:
        return _size(x)
    if name in _PTFLOPS_INTERPOLATE:  # the output's numel, from size or scale_factor
        spatial = len(x) - 2
        size = _arg(call, 1, "size")
        if size is not None:
            per = prod(size) if isinstance(size, (tuple, list)) else int(size) ** spatial
            return per * prod(x[:2])
        scale = _arg(call, 2, "scale_factor")
        if isinstance(scale, tuple) and len(scale) == spatial:
            return _size(x) * int(prod(scale) if all(isinstance(v, int) for v in scale) else _fprod(scale))
        return _size(x) * scale ** spatial
    if name in _MATMULS:
        return _size(x) * int(_arg(call, 1, "other")[-1])
    if name in _PTFLOPS_ADDMM:
        mat1, mat2 = _arg(call, 1, "mat1" if "addmm" in name else "batch1"), _arg(call, 2, "mat2" if "addmm" in name else "batch2")
        return _size(mat1) * int(mat2[-1]) + (_size(x) if call[3].get("beta", 1) != 0 else 0)
    if name in _ELEMENTWISE:
        return _elementwise(x, _arg(call, 1, "other"), from_left=True)
    return 0


def _elementwise(x: Any, other: Any, from_left: bool) -> int:
    """Elements of an add or mul as the tools count them: a tensor's numel against a number, 1 for
    two numbers; for two tensors the broadcast shape, their dims lined up from the right (PyTorch's
    rule, DeepSpeed) or from the left (ptflops: a known mistake)."""
    if not isinstance(x, TensorShape):
        return prod(other) if isinstance(other, TensorShape) else 1
    if not isinstance(other, TensorShape):
        return prod(x)
    n = max(len(x), len(other))
    if from_left:
        a, b = tuple(x) + (1,) * (n - len(x)), tuple(other) + (1,) * (n - len(other))
    else:
        a, b = (1,) * (n - len(x)) + tuple(x), (1,) * (n - len(other)) + tuple(other)
    return prod(max(i, j) for i, j in zip(a, b))


def _fprod(xs: Any) -> float:
    out = 1.0
    for v in xs:
        out *= v
    return out


def _ptflops_mha(call: tuple[Any, ...]) -> int:
    """ptflops' nn.MultiheadAttention hook, from the F.multi_head_attention_forward call it made
    (sequence-first [L, N, E] operands; its number of heads; whether it has an input bias)."""
    q, k, v, heads = call[2][0], call[2][1], call[2][2], int(call[2][4])
    (ql, batch, qd), (kl, kd), (vl, vd) = q, (k[0], k[2]), (v[0], v[2])
    flops = ql * qd + ql * qd * qd + kl * kd * kd + vl * vd * vd
    if _arg(call, 6, "in_proj_bias") is not None:
        flops += (ql + kl + vl) * qd
    flops += heads * (ql * kl * (qd // heads) + ql * kl + ql * kl * (vd // heads))
    flops += ql * vd * (vd + 1)  # the output projection, its bias always counted
    return flops * batch


def _module_calls(log: list[Any], path: str) -> list[tuple[Any, Any]]:
    """(first input, output) of every call of the module at ``path``, from the log."""
    return [(c[2][0] if c[2] else None, c[3].get("output")) for c in log if c[1] == _MODULE_CALL and c[0] == path]


def _first(x: Any) -> Any:
    """The first tensor of an output (an RNN returns (output, state))."""
    while isinstance(x, (tuple, list)) and not isinstance(x, TensorShape) and x:
        x = x[0]
    return x


def _ptflops_module(n: Node, log: list[Any]) -> int:
    """ptflops' hook for one module of a type it knows, summed over its calls."""
    t = n.type
    calls = _module_calls(log, n.path)
    if t in _CONVS or t in _CONV_TRANSPOSES:
        bias = _conv_bias(log, n.path)
        return n.macs + (sum(_size(_first(out)) for _, out in calls) if bias else 0)
    if t in _PTFLOPS_ACTIVATIONS:
        return sum(_size(_first(out)) for _, out in calls)
    if t in _PTFLOPS_POOLS:
        return sum(_size(x) for x, _ in calls)
    if t in _PTFLOPS_NORMS:  # doubled when the module has an `affine` flag that is set: LayerNorm has none
        return sum(_size(x) for x, _ in calls) * (2 if t != "LayerNorm" and n.params.total > 0 else 1)
    if t == "Linear":
        total = 0
        for x, out in calls:
            i, o = int(x[-1]), int(_first(out)[-1])
            total += (i * o + (o if n.params.total > i * o else 0)) * (_size(x) // i)
        return total
    if t == "Upsample":  # it reads output[0], the first sample: numel per sample
        return sum(_size(_first(out)) // int(_first(out)[0]) for _, out in calls)
    if t in _RNNS:
        layers = _rnn_weights(n)
        if layers is None:
            return 0
        per = sum(w_ih + w_hh + _rnn_extra(t, h) + b for w_ih, w_hh, b, h in layers)
        dirs = 2 if int(n.output_shapes[0][-1]) != layers[0][3] else 1
        return sum(per * int(x[0]) * int(x[1]) * dirs for x, _ in calls)
    if t in _CELLS:
        return sum(_cell(n, x, ptflops=True) for x, _ in calls)
    if t == "MultiheadAttention":
        return sum(_ptflops_mha(c) for c in log if c[1] == _MHA_CALL and c[0] == n.path)
    return 0


def _cell(n: Node, x: Any, ptflops: bool) -> int:
    """RNNCell/GRUCell/LSTMCell for one call on input ``x``, as the tools count it: weights' numel
    (DeepSpeed: 2·numel − gates·h each), the element-wise extras and the biases, × batch."""
    kind = n.type.replace("Cell", "")
    g = {"RNN": 1, "GRU": 3, "LSTM": 4}[kind]
    i, h = int(x[-1]), int(n.output_shapes[0][-1])
    w_ih, w_hh = g * h * i, g * h * h
    bias = 2 * g * h if n.params.total > w_ih + w_hh else 0
    weights = w_ih + w_hh if ptflops else 2 * w_ih - g * h + 2 * w_hh - g * h
    return (weights + _rnn_extra(kind, h) + bias) * (int(x[0]) if len(x) == 2 else 1)


def _ptflops(report: Report) -> int:
    """ptflops 0.7.5, ``get_model_complexity_info(model, res, as_strings=False)`` (pytorch backend):
    hooks on modules of exact types (conv MACs + bias, Linear (in·out + bias) per row, activations
    and pools numel, norms numel ×2 with `affine`, MultiheadAttention's own formula, RNNs), divided by
    the batch; plus every call of the functions it patches — F.relu/gelu/silu/softmax/pools numel,
    F.interpolate, torch.matmul/mm/bmm, addmm/baddbmm, torch.add/mul and Tensor.add/mul — not
    divided. ``a + b``, ``a @ b`` and F.linear are not patched: 0."""
    log = _log(report, "ptflops")
    modules = sum(_ptflops_module(n, log) for n in _top_level(report, _PTFLOPS_MODULES))
    functional = sum(_ptflops_call(c) for c in log)
    return int(modules / _root_batch(log) + functional)


# DeepSpeed 0.19's flops profiler
_DS_NUMEL = tuple(_F + f for f in ("relu", "prelu", "elu", "leaky_relu", "relu6", "silu", "gelu", "softmax", *_POOLS))
_DS_CONV = _CONV_CALLS[:3]
_DS_CONV_T = _CONV_CALLS[3:]
_DS_NORMS = (_F + "batch_norm", _F + "layer_norm", _F + "group_norm", _F + "instance_norm")
_DS_MATMULS = (*_MATMULS, "torch.Tensor.__matmul__")
_DS_CALLS = (_F + "linear", *_DS_CONV, *_DS_CONV_T, *_DS_NUMEL, *_DS_NORMS, _F + "upsample", _F + "interpolate",
             _F + "embedding", _F + "scaled_dot_product_attention", *_DS_MATMULS, "torch.addmm", "torch.Tensor.addmm",
             "torch.baddbmm", *_ELEMENTWISE, "torch.einsum", "einops.einsum")


def _tuple(v: Any, n: int) -> tuple[Any, ...]:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _ds_conv(call: tuple[Any, ...], transposed: bool) -> tuple[int, int]:
    x, w, bias = _arg(call, 0, "input"), _arg(call, 1, "weight"), _arg(call, 2, "bias")
    n, spatial, k = int(x[0]), [int(d) for d in x[2:]], [int(d) for d in w[2:]]
    if transposed:  # (input, weight, bias, stride, padding, output_padding, groups, dilation)
        stride, tpad = _tuple(_arg(call, 3, "stride", 1), len(k)), _tuple(_arg(call, 4, "padding", 0), len(k))
        out_pad, groups = _tuple(_arg(call, 5, "output_padding", 0), len(k)), int(_arg(call, 6, "groups", 1))
        dil = _tuple(_arg(call, 7, "dilation", 1), len(k))
        out = [(d - 1) * s - 2 * p + dl * (kk - 1) + op + 1 for d, s, p, dl, kk, op in zip(spatial, stride, tpad, dil, k, out_pad)]
        macs = prod(k) * int(x[1]) * int(w[1]) * n * prod(spatial)
        return 2 * macs + (int(w[1]) * groups * n * prod(out) if bias is not None else 0), macs
    stride, dil = _tuple(_arg(call, 3, "stride", 1), len(k)), _tuple(_arg(call, 5, "dilation", 1), len(k))
    groups, padding = int(_arg(call, 6, "groups", 1)), _arg(call, 4, "padding", 0)
    if padding == "valid":
        pad: tuple[Any, ...] = (0,) * len(k)
    elif padding == "same":
        pad = tuple(dl * (kk - 1) // 2 for dl, kk in zip(dil, k))
    else:
        pad = _tuple(padding, len(k))
    out = [(d + 2 * p - (dl * (kk - 1) + 1)) // s + 1 for d, p, dl, kk, s in zip(spatial, pad, dil, k, stride)]
    positions = n * prod(out)
    macs = prod(k) * int(x[1]) * (int(w[0]) // groups) * positions
    return 2 * macs + (int(w[0]) * positions if bias is not None else 0), macs


def _ds_einsum(equation: str, shapes: list[Any]) -> int:
    """numpy's optimal contraction's flop count, which DeepSpeed reads from ``np.einsum_path``."""
    import numpy as np

    equation = equation.replace(" ", "")
    letters = list(dict.fromkeys(c for c in equation if c.isalpha()))
    equation = equation.translate({ord(c): 97 + i for i, c in enumerate(letters)})
    arrays = [np.broadcast_to(np.zeros(()), tuple(s)) for s in shapes]  # shapes only, no memory
    path = np.einsum_path(equation, *arrays, optimize="optimal")[1]
    return next(int(float(line.split(":")[-1])) for line in path.split("\n") if "optimized flop" in line.lower())


def _ds_call(call: tuple[Any, ...]) -> tuple[float, int]:
    """(FLOPs, MACs) DeepSpeed adds for one call of a function it patches."""
    name = call[1]
    x = _arg(call, 0, "input")
    if name == _F + "linear":
        macs = _size(x) * int(_arg(call, 1, "weight")[0])
        return 2 * macs, macs
    if name in _DS_CONV or name in _DS_CONV_T:
        return _ds_conv(call, name in _DS_CONV_T)
    if name in _DS_NUMEL:
        return _size(x), 0
    if name in _DS_NORMS:  # an estimate: 5 per element with an affine weight (4 without); batch norm in eval 2 (1)
        weight = _arg(call, {"batch_norm": 3, "layer_norm": 2, "group_norm": 2, "instance_norm": 3}[name[len(_F):]],
                      "weight")
        if name.endswith("batch_norm") and not _arg(call, 5, "training", False):
            return _size(x) * (2 if weight is not None else 1), 0
        return _size(x) * (5 if weight is not None else 4), 0
    if name in (_F + "upsample", _F + "interpolate"):
        size = _arg(call, 1, "size")
        if size is not None:  # the size it was given, without batch and channels (a known mistake)
            return (prod(size) if isinstance(size, (tuple, list)) else int(size)), 0
        scale = _arg(call, 2, "scale_factor")
        return _size(x) * (_fprod(scale) if isinstance(scale, (tuple, list)) else scale ** (len(x) - 2)), 0
    if name == _F + "scaled_dot_product_attention":
        q, k, v = x, _arg(call, 1, "key"), _arg(call, 2, "value")
        macs = prod(q) * int(k[-2]) + prod(q[:-1]) * int(k[-2]) * int(v[-1])
        return 2 * macs, macs
    if name in _DS_MATMULS:
        macs = _size(x) * int(_arg(call, 1, "other")[-1])
        return 2 * macs, macs
    if name in ("torch.addmm", "torch.Tensor.addmm", "torch.baddbmm"):
        mat1, mat2 = (_arg(call, 1, "mat1"), _arg(call, 2, "mat2")) if "addmm" in name else (
            _arg(call, 1, "batch1"), _arg(call, 2, "batch2"))
        macs = _size(mat1) * int(mat2[-1])
        return 2 * macs + _size(x), macs
    if name in _ELEMENTWISE:
        return _elementwise(x, _arg(call, 1, "other"), from_left=False), 0
    if name == "torch.einsum":
        operands = list(call[2][1:])
        if len(operands) == 1 and isinstance(operands[0], list):
            operands = operands[0]
        return _ds_einsum(call[2][0], operands), 0
    if name == "einops.einsum":
        return _ds_einsum(call[2][-1], list(call[2][:-1])), 0
    return 0, 0


def _ds_rnn(n: Node, log: list[Any]) -> int:
    """DeepSpeed's RNN hook: per layer 2·numel − gates·h of each weight, the element-wise extras and
    both biases; × batch × steps, × 2 for two directions (the forward direction's weights)."""
    layers = _rnn_weights(n)
    if layers is None:
        return 0
    g = {"RNN": 1, "GRU": 3, "LSTM": 4}[n.type]
    per = sum(2 * w_ih - g * h + 2 * w_hh - g * h + _rnn_extra(n.type, h) + b for w_ih, w_hh, b, h in layers)
    dirs = 2 if int(n.output_shapes[0][-1]) != layers[0][3] else 1
    return sum(per * int(x[0]) * int(x[1]) * dirs for x, _ in _module_calls(log, n.path))


def _deepspeed(report: Report) -> dict[str, int]:
    """DeepSpeed 0.19, ``get_model_profile(model, args=..., as_string=False)``: every call of the
    functions it patches — F.linear and F.conv* (2·MACs + bias), activations, pools and softmax
    numel, norms 5·numel (estimates), F.scaled_dot_product_attention, torch.matmul/mm/bmm and
    ``a @ b``, addmm/baddbmm, torch.add/mul and Tensor.add/mul, einsum — plus its RNN hooks."""
    log = _log(report, "deepspeed")
    flops = macs = 0.0
    for call in log:
        f, m = _ds_call(call)
        flops += f
        macs += m
    flops += sum(_ds_rnn(n, log) for n in report.layers if n.type in _RNNS)
    flops += sum(_cell(n, x, ptflops=False) for n in report.layers if n.type in _CELLS for x, _ in _module_calls(log, n.path))
    return {"value": int(flops), "macs": int(macs)}


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
    "ptflops": Preset("ptflops.get_model_complexity_info", "ptflops 0.7.5, pytorch backend (its default)",
                      "MACs, plus element counts of other ops",
                      "modules of exact types (conv and Linear MACs + bias, activations, pools, norms, upsampling, "
                      "nn.MultiheadAttention, RNNs) divided by the batch; calls of F.relu/gelu/silu/softmax/pools/"
                      "interpolate, torch.matmul/mm/bmm/addmm/baddbmm and torch.add/mul or Tensor.add/mul",
                      "`a + b`, `a * b`, `a @ b`, F.linear and F.scaled_dot_product_attention calls, embeddings, "
                      "any module type without a hook",
                      "counts by how the code spells an op; nn.ReLU, nn.GELU and pools count twice (hook and the "
                      "F function it calls); LayerNorm's affine is not seen; element-wise shapes are lined up from "
                      "the left; functional counts are not divided by the batch", _ptflops, _PTFLOPS_CALLS),
    "deepspeed": Preset("deepspeed.profiling.flops_profiler.get_model_profile", "DeepSpeed 0.19",
                        "FLOPs",
                        "calls of F.linear, F.conv*, activations, pools, softmax, norms, interpolate, "
                        "scaled_dot_product_attention, torch.matmul/mm/bmm/addmm/baddbmm, `a @ b`, torch.add/mul or "
                        "Tensor.add/mul, einsum; RNN modules",
                        "`a + b` and `a * b`, torch functions it does not patch (rms_norm, cumsum, ...), backward",
                        "counts by how the code spells an op; norms are flat estimates (5·numel); interpolate with "
                        "size= counts the size alone, without batch and channels", _deepspeed, _DS_CALLS),
}


def check_convention(name: str) -> Preset:
    """The preset called ``name``, or a one-line InputError listing them."""
    preset = PRESETS.get(name)
    if preset is None:
        raise InputError(f"--convention must be one of {', '.join(PRESETS)}, got {name!r}")
    return preset


def apply_convention(report: Report, name: str) -> dict[str, Any]:
    """Add the ``convention`` section: what ``name`` would report for this model."""
    preset = check_convention(name)
    if report.frontend not in ("torch", "hf"):
        raise InputError(f"--convention reproduces tools that run PyTorch modules; {report.model} is a {report.frontend} "
                         "report (analyse the nn.Module it came from)")
    got = preset.rule(report)
    numbers = got if isinstance(got, dict) else {"value": got}
    section = {"tool": preset.tool, "version": preset.version, "unit": preset.unit, **numbers,
               "counts": preset.counts, "ignores": preset.ignores, "known_mistakes": preset.mistakes,
               "nncost_macs": report.total.macs, "nncost_flops": report.total.flops}
    report.extra["convention"] = section
    return section


def python_calls(name: str | None) -> tuple[str, ...]:
    """The functions whose Python-level calls preset ``name`` counts (to log during the capture)."""
    return check_convention(name).python_calls if name else ()
