"""Firmware formats no built-in reader opens (JFFS2, UBI/UBIFS, cramfs, and raw blobs that hide
their file systems), handed to unblob when the optional ``[firmware]`` extra is installed.

unblob runs in a subprocess, one level deep (nested containers come back to the auditor's own
readers), in a private temporary directory that is removed afterwards, under the time left for
the input; it sandboxes its own writes (Landlock) to that directory. Links are recorded, never
followed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from auditor.ingest.containers import SEPARATOR, Budget, Entry, Member, Refused, link_target
from auditor.scratch import private_directory

_CHUNK = re.compile(r"^(\d+)-(\d+)\.([\w-]+)$")
_CHUNK_EXTRACT = re.compile(r"^(\d+)-(\d+)\.([\w-]+)_extract$")
_NOT_CONTENT = {"padding"}
INSTALL_HINT = "pip install 'kaspersky-sbom-auditor[firmware]'"


def unblob_available() -> bool:
    """True when the optional unblob extractor is installed."""
    return importlib.util.find_spec("unblob") is not None


def _shown(relative: Path) -> str:
    """``512-1052.jffs2_new_extract/usr/x`` -> ``jffs2_new@0x200!/usr/x``."""
    parts: list[str] = []
    for part in relative.parts:
        chunk = _CHUNK_EXTRACT.match(part)
        if chunk:
            parts.append(f"{chunk.group(3)}@0x{int(chunk.group(1)):x}{SEPARATOR}")
        else:
            parts.append(part + "/")
    return "".join(parts).rstrip("/")


def extract_with_unblob(
    display: str, data: bytes, budget: Budget
) -> Iterator[Member | Refused | Entry]:
    """What unblob extracts from ``data`` (one level), as members in path order."""
    remaining = budget.deadline - time.monotonic()
    if remaining <= 1:
        yield Refused(display, "time limit for this input reached before unblob could run")
        return
    with private_directory() as private:
        yield from _run(display, data, budget, remaining, Path(private))


def _run(
    display: str, data: bytes, budget: Budget, remaining: float, work: Path
) -> Iterator[Member | Refused | Entry]:
    """unblob on ``data`` in the private directory ``work``, for ``remaining`` seconds."""
    (work / "input.bin").write_bytes(data)
    (work / "tmp").mkdir()
    tools = str(Path(sys.executable).parent)
    environment = {
        **os.environ,
        "PATH": os.pathsep.join([tools, os.environ.get("PATH", "")]),
        # whatever unblob and its extractors create goes inside this private directory
        "TMPDIR": str(work / "tmp"),
    }
    command = [
        sys.executable, "-c", "from unblob.cli import main; main()",
        "--extract-dir", str(work / "out"), "--depth", "1", "--process-num", "1",
        "--randomness-depth", "0", "--log", str(work / "unblob.log"), str(work / "input.bin"),
    ]  # fmt: skip
    try:
        process = subprocess.Popen(
            command,
            env=environment,
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its helpers form one group, stopped together
        )
    except OSError as exc:
        yield Refused(display, f"unblob could not be started: {exc}")
        return
    try:
        process.wait(timeout=remaining)
    except subprocess.TimeoutExpired:
        _stop(process)
        yield Refused(display, f"unblob did not finish within {remaining:.0f} s (--max-seconds)")
        return
    except BaseException:  # Ctrl-C, SIGTERM: no helper may outlive the cleanup
        _stop(process)
        raise
    root = work / "out" / "input.bin_extract"
    if root.is_dir():
        yield from _collect(display, root, budget)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill unblob and every helper it started (its own process group), and reap it."""
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _collect(display: str, root: Path, budget: Budget) -> Iterator[Member | Refused | Entry]:
    found: list[tuple[str, Path]] = []
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(directory)
        names = set(dirnames) | set(filenames)
        dirnames.sort()
        for name in sorted(filenames) + sorted(d for d in dirnames if (here / d).is_symlink()):
            chunk = _CHUNK.match(name)
            if chunk and (f"{name}_extract" in names or chunk.group(3) in _NOT_CONTENT):
                continue  # a carved chunk that was extracted (its files follow), or padding
            found.append((_shown((here / name).relative_to(root)), here / name))
    for shown, path in sorted(found):
        where = f"{display}{SEPARATOR}{shown}"
        if path.is_symlink():
            yield Entry(where, link_target(shown.rsplit(SEPARATOR, 1)[-1], os.readlink(path)))
            continue
        if not path.is_file():
            yield Entry(where)
            continue
        size = path.stat().st_size
        reason = budget.take(size)
        if reason:
            yield Refused(where, reason)
            if budget.exhausted:
                return
            continue
        yield Member(where, path.read_bytes())
