"""Helpers every reader uses to turn loosely typed SBOM values into facts."""

from __future__ import annotations

import re
from collections.abc import Iterable

from auditor.models import Component, ComponentKind, Fact, FieldKind

_ACTOR_PREFIX = re.compile(r"^\s*(organization|person|tool)\s*:\s*", re.IGNORECASE)
_EMAIL_IN_PARENS = re.compile(r"\(([^()]*@[^()]*)\)\s*$")
_EMAIL_IN_ANGLES = re.compile(r"<([^<>]*@[^<>]*)>\s*$")
_EMPTY_PARENS = re.compile(r"\(\s*\)\s*$")
_NOASSERTION = {"noassertion", "none", ""}

#: Canonical hash algorithm names, keyed by the spellings SBOM formats use.
HASH_ALGORITHMS: dict[str, str] = {
    "md5": "md5",
    "sha1": "sha1",
    "sha-1": "sha1",
    "sha224": "sha224",
    "sha-224": "sha224",
    "sha256": "sha256",
    "sha-256": "sha256",
    "sha384": "sha384",
    "sha-384": "sha384",
    "sha512": "sha512",
    "sha-512": "sha512",
    "sha3-256": "sha3-256",
    "sha3256": "sha3-256",
    "sha3-384": "sha3-384",
    "sha3384": "sha3-384",
    "sha3-512": "sha3-512",
    "sha3512": "sha3-512",
    "blake2b-256": "blake2b-256",
    "blake2b256": "blake2b-256",
    "blake2b-384": "blake2b-384",
    "blake2b384": "blake2b-384",
    "blake2b-512": "blake2b-512",
    "blake2b512": "blake2b-512",
    "blake3": "blake3",
    "md2": "md2",
    "md4": "md4",
    "md6": "md6",
    "adler32": "adler32",
}


def hash_value(algorithm: str, digest: str) -> str:
    """``"<alg>:<lowercase hex>"`` for a hash given in any spelling (``SHA-256``, ``SHA256``)."""
    alg = algorithm.strip().lower().replace("_", "-")
    alg = HASH_ALGORITHMS.get(alg, HASH_ALGORITHMS.get(alg.replace("-", ""), alg))
    return f"{alg}:{digest.strip().lower()}"


def split_actor(text: str) -> tuple[str, str]:
    """Split an actor (``Organization: ACME (a@b.c)``, ``ACME <a@b.c>``) into name and e-mail."""
    rest = _ACTOR_PREFIX.sub("", text, count=1).strip()
    email = ""
    match = _EMAIL_IN_PARENS.search(rest) or _EMAIL_IN_ANGLES.search(rest)
    if match:
        email = match.group(1).strip()
        rest = rest[: match.start()].strip()
    else:
        rest = _EMPTY_PARENS.sub("", rest).strip()
    return rest, email


def is_assertion(value: object) -> bool:
    """False for empty values and SPDX's NOASSERTION / NONE placeholders."""
    return isinstance(value, str) and value.strip().lower() not in _NOASSERTION


class FactList:
    """Collects facts for one record, dropping empty and placeholder values."""

    __slots__ = ("facts",)

    def __init__(self) -> None:
        self.facts: list[Fact] = []

    def add(self, field: FieldKind, value: object, where: str = "") -> None:
        """Add ``value`` if it is a non-empty string (numbers are stringified)."""
        if isinstance(value, str):
            if value and value.strip().lower() not in _NOASSERTION:
                self.facts.append(Fact(field, printable(value), where))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            self.facts.append(Fact(field, str(value), where))

    def add_all(self, field: FieldKind, values: Iterable[object], where: str = "") -> None:
        """Add every value of an iterable, with ``where`` suffixed by the item index."""
        for index, value in enumerate(values):
            self.add(field, value, f"{where}/{index}")

    def add_actor(self, field: FieldKind, value: object, where: str = "") -> None:
        """Add an SPDX actor string as a name fact plus an e-mail fact."""
        if not is_assertion(value):
            return
        assert isinstance(value, str)
        name, email = split_actor(value)
        self.add(field, name, where)
        self.add(FieldKind.EMAIL, email, where)

    def add_hash(self, algorithm: object, digest: object, where: str = "") -> None:
        """Add a hash fact in canonical ``alg:hex`` form."""
        if isinstance(algorithm, str) and isinstance(digest, str) and digest.strip():
            self.facts.append(Fact(FieldKind.HASH, hash_value(algorithm, digest), where))

    def build(
        self,
        *,
        ref: str,
        kind: ComponentKind,
        name: str,
        version: str,
        pointer: str,
        line: int | None = None,
        parent: str | None = None,
    ) -> Component:
        """The finished record."""
        return Component(
            ref=ref,
            kind=kind,
            name=name,
            version=version,
            pointer=pointer,
            facts=tuple(self.facts),
            line=line,
            parent=parent,
        )


def printable(value: str) -> str:
    """``value`` as valid Unicode: lone surrogates (undecodable bytes that ``surrogateescape``
    kept in a file or member name, or a JSON ``\\ud800`` escape) become ``\\xNN``/``\\udNNN``
    escapes, so that matching and every report can encode it."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return value


def text(value: object) -> str:
    """``value`` if it is a string, else the empty string."""
    return value if isinstance(value, str) else ""
