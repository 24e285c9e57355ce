"""Small ONNX models built with onnx.helper (no torch), for the ONNX frontend's tests."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


def _init(name: str, *shape: int) -> onnx.TensorProto:
    return numpy_helper.from_array(np.full(shape, 0.5, dtype=np.float32), name)


def tiny_cnn(batch: int | str = "N") -> onnx.ModelProto:
    """X[N,3,32,32] -> Conv(16, 3×3, pad 1) -> Relu -> MaxPool(2) -> Flatten -> Gemm(10)."""
    nodes = [
        helper.make_node("Conv", ["X", "W", "B"], ["c"], name="/features/conv/Conv", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c"], ["r"], name="/features/relu/Relu"),
        helper.make_node("MaxPool", ["r"], ["p"], name="/features/pool/MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"], name="/Flatten"),
        helper.make_node("Gemm", ["f", "FW", "FB"], ["Y"], name="/fc/Gemm", transB=1),
    ]
    g = helper.make_graph(
        nodes, "tiny_cnn",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [batch, 3, 32, 32])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [batch, 10])],
        [_init("W", 16, 3, 3, 3), _init("B", 16), _init("FW", 10, 16 * 16 * 16), _init("FB", 10)],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])


def single(op: str, inputs: dict[str, tuple[int, ...]], out: tuple[int, ...] | None, inits: dict[str, tuple[int, ...]],
           domain: str = "", opset: int = OPSET, **attrs) -> onnx.ModelProto:
    """One node: graph inputs and float initializers by name and shape (input order: inputs, then inits)."""
    names = [*inputs, *inits]
    node = helper.make_node(op, names, ["Y"], name=f"/{op.lower()}/{op}", domain=domain, **attrs)
    g = helper.make_graph(
        [node], op,
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(s)) for n, s in inputs.items()],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, list(out) if out is not None else None)],
        [_init(n, *s) for n, s in inits.items()],
    )
    imports = [helper.make_opsetid("", opset)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    return helper.make_model(g, opset_imports=imports)


def lstm(seq: int = 5, batch: int = 1, d: int = 8, h: int = 16) -> onnx.ModelProto:
    node = helper.make_node("LSTM", ["X", "W", "R", "B"], ["Y"], name="/lstm/LSTM", hidden_size=h)
    g = helper.make_graph(
        [node], "lstm", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [seq, batch, d])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [seq, 1, batch, h])],
        [_init("W", 1, 4 * h, d), _init("R", 1, 4 * h, h), _init("B", 1, 8 * h)],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])


def loop(trips: int = 3, n: int = 4) -> onnx.ModelProto:
    """x <- x @ W, `trips` times, in a Loop whose trip count is a constant."""
    body = helper.make_graph(
        [helper.make_node("MatMul", ["x_in", "W"], ["x_out"], name="/body/MatMul"),
         helper.make_node("Identity", ["cond_in"], ["cond_out"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("x_in", TensorProto.FLOAT, [1, n])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("x_out", TensorProto.FLOAT, [1, n])],
    )
    nodes = [
        helper.make_node("Constant", [], ["M"], value=numpy_helper.from_array(np.array(trips, dtype=np.int64))),
        helper.make_node("Constant", [], ["C"], value=numpy_helper.from_array(np.array(True))),
        helper.make_node("Loop", ["M", "C", "X"], ["Y"], name="/loop/Loop", body=body),
    ]
    g = helper.make_graph(nodes, "loop", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, n])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, n])], [_init("W", n, n)])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
