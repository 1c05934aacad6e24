"""Exception roots. Each carries a one-line, user-facing reason."""

from __future__ import annotations


class AuditorError(Exception):
    """Base of every error the auditor raises on purpose."""


class UnreadableInput(AuditorError):
    """An input that cannot be audited; reported as *not inspected*, the run goes on."""


class NotAnSbom(UnreadableInput):
    """An input whose content is not an SBOM in any supported format."""


class DatabaseError(AuditorError):
    """vendor_db is missing or invalid: the audit cannot run (exit 2)."""


class UsageError(AuditorError):
    """Bad options or paths given by the user (exit 2)."""
