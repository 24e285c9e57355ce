"""The ONNX backend test models the onnx package ships or generates, through nncost.

    python tests/onnx_corpus.py [--show unsupported|refused|all]

- node: ``onnx.backend.test.case.node.collect_testcases()``, about 1,900 one-op models
  (and their ``*_expanded`` function-body forms), generated in memory;
- pytorch-converted, pytorch-operator, simple, light, real: the model files under
  ``onnx/backend/test/data``.

Each model is analysed with its graph inputs' own shapes, or, where a graph input has no
shape, with the shape of its first reference input (``test_data_set_0/input_*.pb``).
Outcome per model: ``ok``, ``unsupported`` (which ops), ``refused`` (a one-line
NncostError) or ``crash`` (any other exception: always a bug). ``tests/test_onnx_corpus.py``
pins the tally.
"""

from __future__ import annotations

import glob
import os
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Outcome:
    name: str
    kind: str  # ok | unsupported | refused | crash
    unsupported: dict[str, int] = field(default_factory=dict)
    error: str = ""
    params: int = 0
    macs: int = 0
    flops: int = 0


def models() -> Iterator[tuple[str, Any, dict[str, tuple[int, ...]]]]:
    """(name, ModelProto, input shapes) for every model of the corpus."""
    import numpy as np
    import onnx
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        cases = collect_testcases(None)
    for case in cases:
        yield f"node/{case.name}", case.model, _shapes_from_data(case.model, case.data_sets[0][0] if case.data_sets else [])
    root = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")
    for kind in ("pytorch-converted", "pytorch-operator", "simple", "real"):
        for path in sorted(glob.glob(os.path.join(root, kind, "*", "model.onnx"))):
            model = onnx.load(path)
            inputs = []
            for pb in sorted(glob.glob(os.path.join(os.path.dirname(path), "test_data_set_0", "input_*.pb"))):
                t = onnx.TensorProto()
                with open(pb, "rb") as fh:
                    t.ParseFromString(fh.read())
                inputs.append(np.empty(tuple(t.dims)))
            yield f"{kind}/{os.path.basename(os.path.dirname(path))}", model, _shapes_from_data(model, inputs)
    for path in sorted(glob.glob(os.path.join(root, "light", "*.onnx"))):
        yield f"light/{os.path.basename(path)[:-5]}", onnx.load(path), {}


def _shapes_from_data(model: Any, data: Any) -> dict[str, tuple[int, ...]]:
    """Shapes for graph inputs whose declared shape is missing or not fully static."""
    init = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in init]
    out = {}
    for vi, value in zip(inputs, list(data)):
        tt = vi.type.tensor_type if vi.type.HasField("tensor_type") else None
        if tt is None or not hasattr(value, "shape"):
            continue
        static = tt.HasField("shape") and all(d.HasField("dim_value") for d in tt.shape.dim)
        if not static:
            out[vi.name] = tuple(int(d) for d in value.shape)
    return out


def run_one(name: str, model: Any, shapes: dict[str, tuple[int, ...]]) -> Outcome:
    import nncost
    from nncost.errors import NncostError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = nncost.analyze_onnx(model, shapes)
    except NncostError as exc:
        return Outcome(name, "refused", error=str(exc).splitlines()[0])
    except Exception as exc:  # noqa: BLE001 - a crash is what this corpus is here to find
        return Outcome(name, "crash", error=f"{type(exc).__name__}: {exc}".splitlines()[0])
    kind = "unsupported" if report.unsupported else "ok"
    t = report.total
    return Outcome(name, kind, dict(report.unsupported), params=t.params, macs=t.macs, flops=t.flops)


def run_all() -> list[Outcome]:
    return [run_one(name, model, shapes) for name, model, shapes in models()]


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--show", choices=("unsupported", "refused", "all"), default="refused")
    a = ap.parse_args()
    outcomes = run_all()
    tally = Counter(o.kind for o in outcomes)
    print(f"{len(outcomes)} models: " + ", ".join(f"{n} {k}" for k, n in tally.most_common()))
    ops: Counter[str] = Counter()
    for o in outcomes:
        ops.update(o.unsupported.keys())
    print("unsupported ops (models): " + ", ".join(f"{k} ({n})" for k, n in sorted(ops.items())))
    for o in outcomes:
        if o.kind == "crash" or (a.show == "refused" and o.kind == "refused") or a.show == "all" and o.kind != "ok" or (
                a.show == "unsupported" and o.kind == "unsupported"):
            print(f"{o.kind:12s} {o.name}: {o.error or o.unsupported}")


if __name__ == "__main__":
    main()
