"""ELF files with names LIEF cannot decode as UTF-8 (a note name, found in a real Node.js
binary) are read; the bad name is skipped, not the rest of the structure."""

from __future__ import annotations

from pathlib import Path

from auditor.ingest.binary import extract

ELF = Path(__file__).resolve().parent.parent.parent / "fixtures" / "binaries" / "elf"


def test_a_note_name_that_is_not_utf8_does_not_cut_the_elf_short() -> None:
    data = bytearray((ELF / "libtest-kav-wrapper.so").read_bytes())
    at = data.find(b"GNU\x00")  # the name of the build-id (or property) note
    assert at > 0
    data[at] = 0xFF
    clean = extract("x.so", (ELF / "libtest-kav-wrapper.so").read_bytes(), [])
    odd = extract("x.so", bytes(data), [])
    assert not any("partly unreadable" in problem for problem in odd.problems), odd.problems
    needed = {fact for fact in clean.facts if fact[2].startswith("/dynamic/")}
    assert needed and needed <= set(odd.facts)
