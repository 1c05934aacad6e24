"""What a report may say about the run itself, beyond the audit result: the command line, when
it ran, its code-scanning category and the git checkout it ran in. All optional, so that by
default identical inputs give byte-identical reports."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Provenance:
    """The version-control state of the checkout the run was started in."""

    repository_uri: str
    revision_id: str
    branch: str = ""
    #: file:// URI of the checkout's top-level directory (SARIF SRCROOT)
    root_uri: str = ""


@dataclass(frozen=True, slots=True)
class RunContext:
    """Run details for SARIF ``invocations``, ``automationDetails`` and
    ``versionControlProvenance``."""

    arguments: tuple[str, ...] = ()
    start_utc: str = ""
    end_utc: str = ""
    category: str = ""
    provenance: Provenance | None = None
    #: file:// URI (with a trailing /) of the directory relative paths are relative to
    base_uri: str = ""


_CREDENTIALS = re.compile(r"(?<=://)[^/@]+@")


def git_provenance(directory: Path | None = None) -> Provenance | None:
    """The checkout's origin URL (credentials removed), HEAD commit and branch; None outside a
    git checkout or without git."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=directory or Path.cwd(),
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    try:
        revision = git("rev-parse", "HEAD")
        if not re.fullmatch(r"[0-9a-f]{40}([0-9a-f]{24})?", revision):
            return None
        origin = _CREDENTIALS.sub("", git("config", "--get", "remote.origin.url"))
        branch = git("rev-parse", "--abbrev-ref", "HEAD")
        top = git("rev-parse", "--show-toplevel")
    except (OSError, subprocess.SubprocessError):
        return None
    uri = _as_uri(origin, directory or Path.cwd())
    if not uri:
        return None
    root = Path(top).as_uri().rstrip("/") + "/" if top else ""
    return Provenance(uri, revision, "" if branch == "HEAD" else branch, root)


_SCP_LIKE = re.compile(r"^(?P<user>[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>[^/].*)$")


def _as_uri(remote: str, base: Path) -> str:
    """A remote as an absolute URI: URLs as they are, ``git@host:path`` as ssh://, local paths
    as file:// (SARIF's repositoryUri must be a URI)."""
    if not remote:
        return ""
    if "://" in remote:
        return remote
    scp = _SCP_LIKE.match(remote)
    if scp and not Path(remote).exists():
        return f"ssh://{scp.group('user') or ''}{scp.group('host')}/{scp.group('path')}"
    return (base / remote).resolve().as_uri()
