"""Shared test fixtures."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from auditor.intel.compile import CompiledIntel, compile_intel
from auditor.intel.load import Database, load_database
from auditor.models import Component, ComponentKind, Fact, FieldKind

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
CORPUS = (REPO.parent / "shared" / "corpus").resolve()


@pytest.fixture(scope="session")
def db() -> Database:
    return load_database()


@pytest.fixture(scope="session")
def intel(db: Database) -> CompiledIntel:
    return compile_intel(db)


def corpus_dir() -> Path:
    """The shared real-world corpus, or a loud skip when this checkout has none beside it."""
    if not CORPUS.is_dir():
        pytest.skip(f"SKIPPED LOUDLY: shared SBOM corpus not found at {CORPUS}")
    return CORPUS


def record(
    *facts: tuple[FieldKind, str],
    name: str = "thing",
    ref: str = "c1",
    kind: ComponentKind = ComponentKind.COMPONENT,
) -> Component:
    """A synthetic record with the given facts."""
    return Component(
        ref=ref,
        kind=kind,
        name=name,
        version="1.0",
        pointer=f"/components/{ref}",
        facts=tuple(
            Fact(field, value, f"/{field.value}/{i}") for i, (field, value) in enumerate(facts)
        ),
    )


def copy_db(tmp_path: Path) -> Path:
    """A writable copy of vendor_db."""
    import shutil

    root = tmp_path / "vendor_db"
    shutil.copytree(REPO / "vendor_db", root)
    return root


def plant(root: Path, relative: str, entry: str) -> None:
    """Append one YAML list entry (an indicator, written at column 0) to a vendor_db file."""
    path = root / relative
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n" + entry, encoding="utf-8")


def write_overlay(
    path: Path,
    indicator_id: str = "CONTOSO-PKG-1",
    value: str = "contoso-av-core",
    source_url: str = "urn:contoso:procurement:case-42",
) -> Path:
    """An overlay file holding one package-name indicator (a private white-label name)."""
    path.write_text(
        "schema_version: 1\n"
        "description: Contoso's private additions.\n"
        "indicators:\n"
        f"  - id: {indicator_id}\n"
        "    kind: package-name\n"
        f"    value: {value}\n"
        "    label: Contoso AV core (a rebadged Kaspersky engine, per supplier disclosure)\n"
        "    confidence: high\n"
        "    implies: embedded\n"
        "    sources:\n"
        f"      - url: '{source_url}'\n"
        "        title: Supplier disclosure filed with procurement\n"
        "        grade: third-party\n"
        "    added: 2026-11-28\n",
        encoding="utf-8",
    )
    return path


def fuzz_checks() -> dict[str, Callable[[bytes], None]]:
    """The fuzz targets' contract checks (fuzz/checks.py, usable without atheris)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("fuzz_checks", REPO / "fuzz" / "checks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fuzz_checks", module)
    spec.loader.exec_module(module)
    checks: dict[str, Callable[[bytes], None]] = module.CHECKS
    return checks


def tar_bytes(
    members: dict[str, bytes], mode: str = "w", links: dict[str, str] | None = None
) -> bytes:
    """A tar (``mode`` "w", or "w:gz" for a .tar.gz) of regular files, then symbolic links."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return buffer.getvalue()


def run_python(
    script: str, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``script`` in a fresh interpreter from the repository (for what must not touch the test
    process: resource limits, signals), with ``env`` added to this environment."""
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
