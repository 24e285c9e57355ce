"""A module that calls one function: how the tests put a bare torch call through nncost.analyze."""

from __future__ import annotations

from torch import nn


class Fn(nn.Module):
    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)
