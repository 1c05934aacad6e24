"""Shared test fixtures."""

from __future__ import annotations

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
