"""Properties over random layer configurations, and the user's model left exactly as given.

- counts are never negative, and every report's tree adds up: a module's numbers are at
  least the sum of its children's (its own ops are the difference);
- the calculator, the PyTorch frontend (meta and CPU, forward and backward) and the ONNX
  frontend agree on random convolutions, including stride larger than the kernel,
  dilation, groups, padding modes and transposed convolutions with output padding;
- after analysis on any device, through the CPU fallback, in train mode and with a
  backward pass, the model is bit-identical: parameters, buffers, gradients, modes, hooks,
  and the global RNG state.
"""

from __future__ import annotations

import io
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import nncost  # noqa: E402
from nncost.layers import analyze_layer  # noqa: E402


def check_tree(report) -> None:
    """Every count >= 0, and every node >= the sum of its children."""
    children: dict[str, list] = {}
    for node in report.layers:
        if node.path:
            children.setdefault(node.path.rpartition(".")[0], []).append(node)
    for node in report.layers:
        fields = (node.macs, node.flops, node.backward_macs, node.backward_flops, node.params.total, node.params.buffers)
        assert min(fields) >= 0, (node.path, fields)
        kids = children.get(node.path, [])
        for f in ("macs", "flops", "backward_macs", "backward_flops"):
            assert getattr(node, f) >= sum(getattr(k, f) for k in kids), (node.path, f)
        assert node.params.total >= sum(k.params.total for k in kids), node.path


def _onnx(module: nn.Module, shape: tuple[int, ...]):
    pytest.importorskip("onnx")
    from nncost.frontends.onnx import analyze_onnx

    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), (torch.randn(shape),), buf, dynamo=False, opset_version=17, input_names=["x"])
    return analyze_onnx(buf.getvalue()).total


@settings(max_examples=30, deadline=None)
@given(nd=st.integers(1, 3), g=st.integers(1, 2), cin_g=st.integers(1, 3), cout_g=st.integers(1, 3), k=st.integers(1, 3),
       s=st.integers(1, 4), p=st.integers(0, 2), d=st.integers(1, 2), size=st.integers(3, 8), bias=st.booleans(),
       transposed=st.booleans(), op=st.integers(0, 3), mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
def test_random_convolutions_agree_everywhere(nd, g, cin_g, cout_g, k, s, p, d, size, bias, transposed, op, mode):
    c_in, c_out = g * cin_g, g * cout_g
    if transposed:
        op = op % max(s, d)  # PyTorch: output_padding < max(stride, dilation)
        expr = (f"nn.ConvTranspose{nd}d({c_in}, {c_out}, {k}, stride={s}, padding={p}, output_padding={op}, "
                f"dilation={d}, groups={g}, bias={bias})")
    else:
        if mode in ("reflect", "replicate", "circular") and p >= size:
            return  # PyTorch refuses padding at least the input size for these modes
        expr = f"nn.Conv{nd}d({c_in}, {c_out}, {k}, stride={s}, padding={p}, dilation={d}, groups={g}, bias={bias}, " \
               f"padding_mode='{mode}')"
    shape = (2, c_in) + (size,) * nd
    try:
        calc = analyze_layer(expr, shape).total
    except nncost.InputError:
        with pytest.raises((RuntimeError, ValueError)):  # the calculator refuses only what PyTorch refuses
            eval(expr, {"nn": nn})(torch.randn(shape))
        return
    module = eval(expr, {"nn": nn})
    assert min(calc.macs, calc.flops, calc.params) >= 0
    x = torch.randn(shape, requires_grad=True)
    reports = [nncost.analyze(module, x, device=dev, backward=True) for dev in ("meta", "cpu")]
    for r in reports:
        check_tree(r)
        assert (r.total.params, r.total.macs, r.total.flops) == (calc.params, calc.macs, calc.flops), expr
    assert (reports[0].total.backward_macs, reports[0].total.backward_flops) == \
        (reports[1].total.backward_macs, reports[1].total.backward_flops)
    if mode == "zeros" or transposed:  # other padding modes export as Pad nodes around the conv: compared below
        o = _onnx(module, shape)
        assert (o.params, o.macs) == (calc.params, calc.macs), expr
        assert o.flops == calc.flops, expr


def test_zoo_reports_add_up():
    tv = pytest.importorskip("torchvision")
    for name in ("resnet18", "mobilenet_v3_small", "squeezenet1_0"):
        with torch.device("meta"):
            model = tv.models.get_model(name, weights=None)
        check_tree(nncost.analyze(model, (2, 3, 224, 224), backward=True))


# -- the user's model, bit-identical after analysis ------------------------------------------
class Busy(nn.Module):
    """BatchNorm (running stats move in train mode), dropout (draws random numbers), a
    buffer its forward writes, a data-dependent branch (forces the CPU fallback on meta)."""

    def __init__(self, data_dependent: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.drop = nn.Dropout(0.5)
        self.head = nn.Linear(4, 2)
        self.register_buffer("calls", torch.zeros((), dtype=torch.long))
        self.data_dependent = data_dependent

    def forward(self, x):
        self.calls += 1
        h = self.drop(self.bn(self.conv(x))).mean((2, 3))
        if self.data_dependent:
            h = h[h[:, 0] > -1e9]  # nonzero: no meta kernel
        return self.head(h)


def _snapshot(m: nn.Module) -> dict:
    return {
        "state": {k: (v.dtype, v.device, v.clone()) for k, v in m.state_dict(keep_vars=True).items()},
        "grads": {k: None if p.grad is None else p.grad.clone() for k, p in m.named_parameters()},
        "requires_grad": {k: p.requires_grad for k, p in m.named_parameters()},
        "modes": {k: mod.training for k, mod in m.named_modules()},
        "hooks": {k: (dict(mod._forward_hooks), dict(mod._forward_pre_hooks), dict(mod._backward_hooks))
                  for k, mod in m.named_modules()},
        "ids": {k: id(v) for k, v in m.state_dict(keep_vars=True).items()},
    }


def _same(a: dict, b: dict) -> None:
    assert a["state"].keys() == b["state"].keys()
    for k, (dt, dev, v) in a["state"].items():
        dt2, dev2, v2 = b["state"][k]
        assert (dt, dev) == (dt2, dev2) and torch.equal(v, v2), k
    assert a["grads"].keys() == b["grads"].keys() and all(
        (g is None and b["grads"][k] is None) or torch.equal(g, b["grads"][k]) for k, g in a["grads"].items())
    for key in ("requires_grad", "modes", "hooks", "ids"):
        assert a[key] == b[key], key


@pytest.mark.parametrize("data_dependent", [False, True], ids=["meta-capable", "cpu-fallback"])
@pytest.mark.parametrize("device", ["meta", "cpu"])
@pytest.mark.parametrize("train", [False, True])
@pytest.mark.parametrize("backward", [False, True])
def test_model_and_rng_untouched(data_dependent, device, train, backward):
    torch.manual_seed(7)
    m = Busy(data_dependent)
    m.train()
    m.bn.eval()  # a mixed state must come back as it was
    m.conv.weight.requires_grad_(False)  # and a frozen weight
    calls: list[int] = []
    m.head.register_forward_hook(lambda mod, a, o: calls.append(1))
    with torch.no_grad():
        m.head.weight.grad = torch.full_like(m.head.weight, 0.25)  # a gradient the user accumulated
    before = _snapshot(m)
    x = torch.randn(4, 3, 8, 8)
    x_before = x.clone()
    rng = torch.get_rng_state()
    r = nncost.analyze(m, x, device=device, train=train, backward=backward)
    check_tree(r)
    _same(before, _snapshot(m))
    assert torch.equal(torch.get_rng_state(), rng)
    assert torch.equal(x, x_before)
    assert len(calls) >= 1  # the user's hook ran (it is the user's), and is still registered
