"""Recurrent layers: vanilla RNN (tanh/relu), LSTM and GRU.

Seed §5 gives the parameter count with one bias per gate; PyTorch holds two (b_ih and
b_hh). The seed's FLOP total (marked "#????" by its author) is replaced by the
derivation below, per time step, sample, layer and direction, with G gates
(RNN 1, GRU 3, LSTM 4), input size D, hidden size H, recurrent size R (= H, or the
projection size P for an LSTM with proj_size) and β bias vectors per gate (2 or 1):

- gate matmuls W_ih·x and W_hh·h, plus the add that joins them:
  MACs  = G·H·(D + R)
  FLOPs = G·H·(2D − 1) + G·H·(2R − 1) + G·H = G·H·(2·(D + R) − 1)
  (the same as one dot product of length D + R over the concatenation [x, h], seed §5)
- bias adds: β·G·H
- LSTM: 3H sigmoids (i, f, o), 1H tanh (g), c' = f·c + i·g (2H multiplies, 1H add),
  h' = o·tanh(c') (1H tanh, 1H multiply); projection h' = W_hr·h' adds P·H MACs and
  P·(2H − 1) FLOPs.
- GRU: 2H sigmoids (r, z), n = tanh(x_n + r·h_n) (1H multiply, 1H tanh; the join add
  of the n gate comes after the multiply and is already in the matmul term),
  h' = (1 − z)·n + z·h (1H subtract, 2H multiplies, 1H add).
- RNN: H activations (tanh or relu).

All × sequence length × batch; layer l > 0 reads D = H·directions (P·directions).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..cost import Cost
from ..errors import ShapeError
from .table import unit

__all__ = ["RnnSpec", "GATES", "rnn", "rnn_params", "rnn_step"]

GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


@dataclass(frozen=True)
class RnnSpec:
    """The attributes of an nn.RNN / nn.LSTM / nn.GRU."""

    mode: str  # rnn_tanh | rnn_relu | lstm | gru
    input_size: int
    hidden_size: int
    num_layers: int = 1
    bias: bool = True
    bidirectional: bool = False
    proj_size: int = 0  # LSTM only
    biases_per_gate: int = 2  # 2: PyTorch (b_ih, b_hh); 1: the seed's / Keras's convention

    def __post_init__(self) -> None:
        if self.mode not in GATES:
            raise ShapeError(f"RNN mode must be one of {sorted(GATES)}, got {self.mode!r}")
        if self.proj_size and self.mode != "lstm":
            raise ShapeError("proj_size is only supported for LSTM")
        if self.proj_size and self.proj_size >= self.hidden_size:
            raise ShapeError(f"proj_size ({self.proj_size}) must be smaller than hidden_size ({self.hidden_size})")

    @property
    def gates(self) -> int:
        return GATES[self.mode]

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def out_size(self) -> int:
        """Size of h, the layer output per direction."""
        return self.proj_size or self.hidden_size

    def layer_input(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.out_size * self.directions


def rnn_params(spec: RnnSpec) -> int:
    """Σ over layers and directions: G·H·(D + R) + β·G·H (+ P·H projection).

    LSTM(128, 64): 4·64·(128 + 64) + 2·4·64 = 49,664 (PyTorch);
    with one bias per gate: 4·64·(128 + 64) + 4·64 = 49,408 (the seed, Keras).
    """
    g, h, r = spec.gates, spec.hidden_size, spec.out_size
    nb = spec.biases_per_gate if spec.bias else 0
    total = 0
    for layer in range(spec.num_layers):
        d = spec.layer_input(layer)
        per_dir = g * h * (d + r) + nb * g * h + (spec.proj_size * h if spec.proj_size else 0)
        total += per_dir * spec.directions
    return total


def rnn_step(spec: RnnSpec, d: int) -> Cost:
    """One time step of one sample, one layer, one direction, with input size ``d``."""
    g, h, r = spec.gates, spec.hidden_size, spec.out_size
    nb = spec.biases_per_gate if spec.bias else 0
    macs = g * h * (d + r)
    flops = g * h * (2 * (d + r) - 1) + nb * g * h
    if spec.mode == "lstm":
        flops += 3 * h * unit("sigmoid") + 2 * h * unit("tanh") + 3 * h * unit("mul") + h * unit("add")
        if spec.proj_size:
            macs += spec.proj_size * h
            flops += spec.proj_size * (2 * h - 1)
    elif spec.mode == "gru":
        flops += 2 * h * unit("sigmoid") + h * unit("tanh") + h * unit("mul")
        flops += h * unit("sub") + 2 * h * unit("mul") + h * unit("add")
    else:
        flops += h * unit("tanh" if spec.mode == "rnn_tanh" else "relu")
    return Cost(macs, flops)


def rnn(spec: RnnSpec, seq_len: int, batch: int) -> Cost:
    """Whole-sequence cost: Σ_layers rnn_step × directions × seq_len × batch."""
    per_step = sum((rnn_step(spec, spec.layer_input(layer)) for layer in range(spec.num_layers)), Cost())
    return per_step * (spec.directions * seq_len * batch)
