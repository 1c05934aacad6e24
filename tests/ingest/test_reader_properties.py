"""Property tests for every reader (hypothesis, briefly in CI): each fuzz target's contract
(fuzz/checks.py: a document or UnreadableInput, nothing else; containers refuse or yield) holds
on mutations of that target's seed corpus, so the readers are exercised where a fuzzer starts,
without atheris. Run longer with KASPERSKY_AUDIT_PROPERTY_EXAMPLES=2000; run the real fuzzers
with fuzz/run_all.sh."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import fuzz_checks

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "fuzz" / "corpus"
EXAMPLES = int(os.environ.get("KASPERSKY_AUDIT_PROPERTY_EXAMPLES", "25"))
#: Targets that parse with native code in this process (LIEF) or start processes: the
#: fuzzers cover them; here they would only slow CI down without a crash boundary.
_IN_FUZZERS_ONLY = {"binary", "end_to_end"}


CHECKS: dict[str, Callable[[bytes], None]] = fuzz_checks()
TARGETS = sorted(name for name in CHECKS if name not in _IN_FUZZERS_ONLY)


def _seeds(target: str) -> list[bytes]:
    folder = CORPUS / target
    return [p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()] or [b""]


@st.composite
def _mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 8))):
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "splice"]))
        at = draw(st.integers(0, len(data)))
        if action == "flip" and data:
            data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif action == "truncate":
            del data[at:]
        else:
            data[at:at] = draw(st.sampled_from(seeds))[: draw(st.integers(0, 256))]
    return bytes(data)


def test_every_reader_family_has_a_seed_corpus() -> None:
    for target in CHECKS:
        assert (CORPUS / target).is_dir() and any((CORPUS / target).iterdir()), target


@pytest.mark.parametrize("target", TARGETS)
def test_a_reader_keeps_its_contract_on_mutated_seeds(target: str) -> None:
    check = CHECKS[target]
    seeds = _seeds(target)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(data=_mutated(seeds))
    def run(data: bytes) -> None:
        check(data)

    run()
