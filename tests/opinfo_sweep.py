"""Every operator in PyTorch's OpInfo database through the capture, on CPU and on meta.

    python tests/opinfo_sweep.py [--backward] [--limit N] [--only NAME] [--verbose]

For each OpInfo (``torch.testing._internal.common_methods_invocations.op_db``) its first
float32 sample runs through ``nncost.analyze`` on the CPU and on the meta device. The two
counts must be equal (MACs, FLOPs, and with ``--backward`` the backward pass too); for
the dot-product ops (matmul, linear, convolution, attention) the MACs must also equal
``torch.utils.flop_counter.FlopCounterMode`` / 2. Each op lands in one bucket:

- ``equal``: meta = CPU (and = FlopCounterMode/2 where that applies);
- ``differ``: the counts differ (a bug, or a reason listed in KNOWN_DIFFERENCES);
- ``unsupported``: an op without a formula was met (listed, never counted as zero);
- ``meta-fallback``: the op cannot run on meta at all (data-dependent), so nncost ran it on
  the CPU both times — equal by construction, and noted in the report;
- ``skipped``: no float32 CPU sample, or the sample itself fails in plain PyTorch.

tests/test_opinfo.py runs this sweep (the whole database under ``-m opinfo``).
"""

from __future__ import annotations

import argparse
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils._pytree import tree_flatten, tree_unflatten

import nncost

# ops whose dot products torch.utils.flop_counter counts (2 FLOPs per MAC)
DOT_OPS = ("matmul", "mm", "bmm", "addmm", "addbmm", "baddbmm", "addmv", "mv", "dot", "vdot", "inner", "linalg.multi_dot",
           "nn.functional.linear", "nn.functional.bilinear", "einsum", "nn.functional.conv1d", "nn.functional.conv2d",
           "nn.functional.conv3d", "nn.functional.conv_transpose1d", "nn.functional.conv_transpose2d",
           "nn.functional.conv_transpose3d", "nn.functional.scaled_dot_product_attention", "__rmatmul__", "tensordot",
           "chain_matmul", "linalg.matmul")

# op name -> why meta and CPU may legitimately differ
KNOWN_DIFFERENCES: dict[str, str] = {
    "nn.functional.scaled_dot_product_attention": (
        "backward only: on meta PyTorch runs the math decomposition, which scales Q and K (L·E + S·E multiplies, "
        "and so their gradients); the fused CPU/CUDA kernels scale the scores (L·S); MACs are equal"),
}

# dot-product ops torch.utils.flop_counter has no formula for: it reports 0 for them (its
# registry covers mm, bmm, addmm, baddbmm, convolution and the fused attention kernels)
FLOP_COUNTER_GAPS = {
    "mv": "aten.mv", "addmv": "aten.addmv", "addbmm": "aten.addbmm", "dot": "aten.dot", "vdot": "aten.vdot",
    "inner": "aten.dot (1-D inputs)",
    "matmul": "aten.dot (this sample's 1-D inputs)", "__rmatmul__": "aten.dot (this sample's 1-D inputs)",
    "nn.functional.scaled_dot_product_attention": "the CPU flash kernel _scaled_dot_product_flash_attention_for_cpu",
}


# ops with no formula yet, by kind: each is reported as unsupported (never counted as zero)
NO_FORMULA: dict[str, tuple[str, ...]] = {
    "matrix decompositions and solvers (their cost depends on the algorithm and pivoting)": (
        "_linalg_det", "_linalg_eigh", "_linalg_slogdet", "_linalg_solve_ex", "_linalg_svd", "cholesky_inverse",
        "cholesky_solve", "geqrf", "linalg_cholesky_ex", "linalg_eig", "linalg_householder_product", "linalg_inv_ex",
        "linalg_ldl_factor_ex", "linalg_ldl_solve", "linalg_lstsq", "linalg_lu", "linalg_lu_factor_ex", "linalg_lu_solve",
        "linalg_matrix_exp", "linalg_matrix_sqrth", "linalg_pinv", "linalg_polar", "linalg_qr", "lu_unpack", "ormqr", "triangular_solve"),
    "distances, histograms and segment reductions": (
        "_cdist_backward", "_cdist_forward", "_pdist_backward", "_pdist_forward", "_histogramdd_bin_edges",
        "_histogramdd_from_bin_cts", "histc", "histogram", "segment_reduce", "_segment_reduce_backward", "index_reduce",
        "hash_tensor", "allclose"),
    "rarely used layers and losses": (
        "_ctc_loss", "_ctc_loss_backward", "_linear_cross_entropy_batch_chunked",
        "_linear_cross_entropy_batch_chunked_no_reduction", "_trilinear", "fractional_max_pool2d",
        "fractional_max_pool2d_backward", "fractional_max_pool3d", "fractional_max_pool3d_backward", "grid_sampler_2d_backward",
        "grid_sampler_3d", "grid_sampler_3d_backward", "hardshrink_backward", "softshrink_backward",
        "masked_scatter_backward", "multi_margin_loss_backward", "multilabel_margin_loss_backward"),
    "sparse and special tensors": ("_to_sparse", "_efficientzerotensor"),
}


@dataclass
class Result:
    name: str
    bucket: str
    detail: str = ""


@dataclass
class Tally:
    results: list[Result] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        return Counter(r.bucket for r in self.results)

    def by(self, bucket: str) -> list[Result]:
        return [r for r in self.results if r.bucket == bucket]


class _OpModule(torch.nn.Module):
    """Calls one OpInfo sample: the sample's tensors come in as the model's inputs."""

    def __init__(self, op: Any, spec: Any, leaves: list[Any], tensor_at: list[int]) -> None:
        super().__init__()
        self.op, self.spec, self.leaves, self.tensor_at = op, spec, leaves, tensor_at

    def forward(self, *tensors: torch.Tensor) -> Any:
        leaves = list(self.leaves)
        for i, t in zip(self.tensor_at, tensors):
            leaves[i] = t
        inp, args, kwargs = tree_unflatten(leaves, self.spec)
        return self.op(inp, *args, **kwargs)


def _sample(op: Any, backward: bool) -> Any:
    try:
        samples = op.sample_inputs("cpu", torch.float32, requires_grad=backward and op.supports_autograd)
        return next(iter(samples), None)
    except Exception:  # noqa: BLE001 - an OpInfo whose samples cannot be made on this build
        return None


def _flop_counter_macs(fn: Any, tensors: list[torch.Tensor]) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as fc:
        fn(*[t.detach().clone() for t in tensors])
    return fc.get_total_flops() // 2


def run_one(op: Any, backward: bool = False) -> Result:
    name = op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")
    if torch.float32 not in op.supported_dtypes("cpu"):
        return Result(name, "skipped", "no float32 on CPU")
    s = _sample(op, backward)
    if s is None:
        return Result(name, "skipped", "no sample")
    leaves, spec = tree_flatten((s.input, s.args, s.kwargs))
    tensor_at = [i for i, x in enumerate(leaves) if isinstance(x, torch.Tensor)]
    tensors = [leaves[i] for i in tensor_at]
    if not tensors or any(t.layout != torch.strided or t.is_complex() or t.device.type != "cpu" for t in tensors):
        return Result(name, "skipped", "no strided real CPU tensor input")
    model = _OpModule(op.op, spec, leaves, tensor_at)
    try:
        torch.manual_seed(0)
        out = model(*[t.detach().clone().requires_grad_(t.requires_grad) for t in tensors])
    except Exception as exc:  # noqa: BLE001 - the sample fails in PyTorch itself
        return Result(name, "skipped", f"sample fails in PyTorch: {type(exc).__name__}")
    differentiable = backward and any(isinstance(t, torch.Tensor) and t.requires_grad and t.dtype.is_floating_point
                                      and t.layout == torch.strided for t in tree_flatten(out)[0])
    reports = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for device in ("cpu", "meta"):
            try:
                reports[device] = nncost.analyze(model, *tensors, device=device, backward=differentiable, name=name)
            except Exception as exc:  # noqa: BLE001 - recorded, not raised: the sweep goes on
                return Result(name, "error", f"{device}: {type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}")
    cpu, meta = reports["cpu"], reports["meta"]
    if cpu.unsupported or meta.unsupported:
        ops = sorted(set(cpu.unsupported) | set(meta.unsupported))
        return Result(name, "unsupported", ", ".join(ops))
    if meta.conventions.get("device") == "cpu":
        return Result(name, "meta-fallback", next((n for n in meta.notes if "meta" in n), "")[:160])
    a = (cpu.total.macs, cpu.total.flops, cpu.total.backward_macs, cpu.total.backward_flops)
    b = (meta.total.macs, meta.total.flops, meta.total.backward_macs, meta.total.backward_flops)
    if a != b:
        why = KNOWN_DIFFERENCES.get(name, "")
        return Result(name, "differ", f"cpu {a} meta {b}" + (f" ({why})" if why else ""))
    if op.name in DOT_OPS:
        ref = _flop_counter_macs(model, tensors)
        if ref == 0 and op.name in FLOP_COUNTER_GAPS and cpu.total.macs > 0:
            return Result(name, "equal", f"FlopCounterMode counts 0 ({FLOP_COUNTER_GAPS[op.name]} has no formula there)")
        if ref != cpu.total.macs:
            return Result(name, "differ", f"MACs {cpu.total.macs} but FlopCounterMode/2 = {ref}")
    return Result(name, "equal")


def sweep(backward: bool = False, names: set[str] | None = None, limit: int | None = None) -> Tally:
    from unittest import mock

    from torch.testing._internal import common_utils
    from torch.testing._internal.common_methods_invocations import op_db

    tally = Tally()
    # each sample iterator looks for the running unittest method through inspect.stack(), which reads the
    # source of every frame: most of the sweep's time, for a name used only in failure messages of
    # PyTorch's own tests. Not one here.
    with mock.patch.object(common_utils, "extract_test_fn", lambda: None):
        for op in op_db:
            if names is not None and op.name not in names:
                continue
            if limit is not None and len(tally.results) >= limit:
                break
            tally.results.append(run_one(op, backward))
    return tally


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backward", action="store_true")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--only", action="append")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    t = sweep(a.backward, set(a.only) if a.only else None, a.limit)
    for bucket in ("differ", "error", "unsupported", "meta-fallback") + (("skipped",) if a.verbose else ()):
        for r in t.by(bucket):
            print(f"{bucket:14} {r.name:40} {r.detail}")
    print(dict(t.counts()), "of", len(t.results))


if __name__ == "__main__":
    main()
