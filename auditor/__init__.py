"""kaspersky-sbom-auditor: find Kaspersky software in SBOMs, including white-labelled code."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
