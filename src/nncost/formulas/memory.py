"""Memory traffic: the bytes an op moves, and FLOPs per byte.

The model every frontend shares (docs/memory.md): each op reads each of its operands from
memory once and writes each output once; nothing stays in cache between ops and no two
ops are fused. Views (reshape, transpose, slicing) move nothing; copies, pads and
concatenations read and write. A gather (embedding lookup, ``index_select``, ONNX
``Gather``) reads its indices and only the rows it copies, not the whole table.
"""

from __future__ import annotations

from ..errors import InputError

__all__ = ["FLOAT_DTYPES", "OPTIMIZER_STATES", "PRECISIONS", "ZERO_STAGES", "float_dtype", "gather_read_bytes", "intensity",
           "pipeline_in_flight", "tensor_bytes", "training_state_bytes", "zero_per_rank"]

# the floating-point dtypes a model, a layer or an ONNX file can be sized in: every alias -> PyTorch's name
FLOAT_DTYPES = {"float32": "float32", "fp32": "float32", "float": "float32", "float16": "float16", "fp16": "float16",
                "half": "float16", "bfloat16": "bfloat16", "bf16": "bfloat16", "float64": "float64", "fp64": "float64"}


def float_dtype(name: str) -> tuple[str, int]:
    """(PyTorch's name, bytes per element) of a floating dtype given by any alias (``bf16``, ``half``, ...)."""
    from .llm import bytes_per_element

    canonical = FLOAT_DTYPES.get(str(name).lower().removeprefix("torch."))
    if canonical is None:
        raise InputError(f"dtype must be one of {', '.join(sorted(FLOAT_DTYPES))}, got {name!r}")
    return canonical, int(bytes_per_element(canonical))


def tensor_bytes(numel: int, bits: int) -> int:
    """Bytes of ``numel`` elements of ``bits`` each, sub-byte types packed: ⌈numel·bits / 8⌉."""
    return (numel * bits + 7) // 8


def gather_read_bytes(index_bytes: int, out_bytes: int) -> int:
    """A gather reads its indices and the rows it copies out: index bytes + output bytes."""
    return index_bytes + out_bytes


def intensity(flops: int, read: int | None, written: int | None) -> float | None:
    """Arithmetic intensity: FLOPs / (bytes read + bytes written); None when the bytes are unknown or zero."""
    if read is None or written is None or read + written == 0:
        return None
    return flops / (read + written)


# optimizer states per trainable parameter (tensors of the parameter's size)
OPTIMIZER_STATES = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}
# training precisions: (bytes of weights, activations and gradients; whether fp32 master weights and states are kept)
PRECISIONS = {"fp64": (8, False), "fp32": (4, False), "bf16": (2, False), "fp16": (2, False),
              "bf16-mixed": (2, True), "fp16-mixed": (2, True)}


def training_state_bytes(trainable: int, optimizer: str, precision: str) -> tuple[int, int, int]:
    """(gradients, fp32 master weights, optimizer states) in bytes for ``trainable`` parameters.

    Gradients have the weights' width. A mixed precision keeps an fp32 master copy of every
    trainable weight and fp32 optimizer states (Rajbhandari et al. 2020, ZeRO, §3: 2 + 2 + 12
    bytes per parameter with Adam); a pure one keeps the states at the weights' width.
    SGD has no state, momentum one tensor, Adam and AdamW two (first and second moments).
    """
    width, mixed = PRECISIONS[precision]
    states = OPTIMIZER_STATES[optimizer] * trainable * (4 if mixed else width)
    return trainable * width, trainable * 4 if mixed else 0, states


ZERO_STAGES = (0, 1, 2, 3)


def zero_per_rank(weights: int, gradients: int, master: int, states: int, dp: int, stage: int) -> tuple[int, int, int, int]:
    """(weights, gradients, fp32 master weights, optimizer states) one data-parallel rank holds
    under ZeRO (Rajbhandari et al. 2020, §5): stage 1 partitions the optimizer states — the
    fp32 master weights among them — over the ``dp`` ranks, stage 2 also the gradients, stage 3
    also the weights; stage 0 replicates everything. A partition is ⌈x / dp⌉ (padded to equal
    parts). With Ψ parameters in mixed-precision Adam (2 + 2 + 12 bytes each): 16Ψ, then
    4Ψ + 12Ψ/dp, 2Ψ + 14Ψ/dp, 16Ψ/dp.
    """
    def part(x: int, on: bool) -> int:
        return -(-x // dp) if on else x

    return part(weights, stage >= 3), part(gradients, stage >= 2), part(master, stage >= 1), part(states, stage >= 1)


def pipeline_in_flight(stage: int, stages: int) -> int:
    """Micro-batches whose activations stage ``stage`` (0-based) of ``stages`` holds at once in the
    1F1B schedule (PipeDream-Flush, Megatron-LM's default; Narayanan et al. 2021, §2.2): the first
    stage ``stages``, the last one — so the first holds L layers' worth of one micro-batch."""
    return stages - stage
