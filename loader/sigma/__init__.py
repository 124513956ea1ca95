"""The Sigma loader: SigmaHQ YAML rules (detection and correlation) -> the shared rule model."""
from __future__ import annotations

from loader.sigma.loader import SigmaLoader

__all__ = ["SigmaLoader"]
