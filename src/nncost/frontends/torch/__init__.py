"""The PyTorch frontend: any nn.Module, counted at the aten level on the meta device."""

from __future__ import annotations

from .analyze import analyze

__all__ = ["analyze"]
