"""Formatting, the per-element table, the registry, the public API surface."""

from __future__ import annotations

import subprocess
import sys

import pytest

import nncost
from nncost.errors import InputError
from nncost.formulas import DEFAULT_COSTS, REASONS, elementwise, op_costs, unit
from nncost.registry import DuplicateRegistrationError, Registry
from nncost.units import bytes_iec, grouped, si


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0"), (999, "999"), (1000, "1.00K"), (1_605_632, "1.61M"), (4_089_184_256, "4.09G"),
     (-2_500, "-2.50K"), (10**15, "1.00P"), (None, "N/A")],
)
def test_si(n, text):
    assert si(n) == text


def test_grouped_and_bytes():
    assert grouped(30100) == "30,100"
    assert grouped(None) == "N/A"
    assert bytes_iec(2**30) == "1.00 GiB"
    assert bytes_iec(512) == "512 B"


def test_every_table_entry_has_a_reason():
    assert set(DEFAULT_COSTS) == set(REASONS)
    assert all(REASONS[k].strip() for k in REASONS)
    assert DEFAULT_COSTS["relu"] == 1 and DEFAULT_COSTS["sigmoid"] == 4  # the seed's two numbers


def test_op_costs_override_nests_and_restores():
    assert unit("tanh") == 6
    with op_costs(tanh=8):  # the seed's "eight"
        assert elementwise("tanh", 10).flops == 80
        with op_costs({"relu": 0}):
            assert unit("relu") == 0 and unit("tanh") == 8
        assert unit("relu") == 1
    assert unit("tanh") == 6


def test_op_costs_rejects_unknown_and_negative():
    with pytest.raises(InputError, match="unknown op-cost entry 'tanhh'"):
        with op_costs(tanhh=5):
            pass
    with pytest.raises(InputError, match="non-negative integer"):
        with op_costs(tanh=-1):
            pass


def test_registry_raises_on_duplicates_and_tracks_three_states():
    reg: Registry[str] = Registry("test")

    @reg.register("a", "b")
    def f() -> int:
        return 1

    reg.ignore(["view"], "a view")
    assert reg.binding("a") is f and reg.binding("b") is f
    assert reg.ignore_reason("view") == "a view"
    assert reg.binding("nope") is None and reg.ignore_reason("nope") is None  # unsupported
    with pytest.raises(DuplicateRegistrationError):
        reg.register("a")(f)
    with pytest.raises(DuplicateRegistrationError):
        reg.ignore(["b"], "again")


def test_public_api_is_curated():
    assert sorted(nncost.__all__) == sorted(
        ["Cost", "FlopsConvention", "InputError", "LayerSpecError", "MissingDependencyError", "ModelSpecError", "Node",
         "NncostError", "NncostWarning", "ParamCount", "Report", "RnnBias", "ShapeError", "Totals", "UnsupportedError", "__version__",
         "analyze", "analyze_hf", "analyze_layer", "analyze_onnx", "op_costs"]
    )
    for name in nncost.__all__:
        assert hasattr(nncost, name)


def test_core_and_calculator_do_not_import_torch():
    code = (
        "import sys, nncost\n"
        "r = nncost.analyze_layer('nn.LSTM(128, 64)', (10, 1, 128))\n"
        "assert r.total.params == 49664\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_formulas_import_no_framework():
    import ast
    import pathlib

    root = pathlib.Path(nncost.__file__).parent
    for path in [*(root / "formulas").glob("*.py"), *(root / "layers").glob("*.py"), root / "report.py", root / "cost.py"]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] in ("torch", "onnx", "transformers") for n in names), path


def test_docs_list_the_per_element_table_exactly():
    import pathlib

    doc = (pathlib.Path(__file__).parents[1] / "docs" / "formulas.md").read_text(encoding="utf-8")
    rows = [line for line in doc.splitlines() if line.startswith("| `")]
    documented = {line.split("`")[1]: int(line.split("|")[2]) for line in rows}
    assert documented == dict(DEFAULT_COSTS)
