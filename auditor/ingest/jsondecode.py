"""JSON decoding for the SBOM readers: one parse that also proves whether any object repeats a key.

jiter (pydantic's Rust JSON parser) decodes as fast as orjson and can refuse a repeated key
while it parses. A document it reads is therefore known to hide nothing behind duplicate keys,
and the second, pair-keeping parse of :mod:`auditor.ingest.duplicates` is not needed. Anything
jiter refuses (a repeated key, nesting deeper than its 200 levels, a number it cannot hold,
invalid UTF-8) is decoded again by orjson, so what is readable, and the error a reader reports
for what is not, stay orjson's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jiter
import orjson

_DUPLICATE = "Detected duplicate key"


@dataclass(frozen=True, slots=True)
class Decoded:
    """A decoded JSON value, and whether an object in it repeats a key: False when proved
    not to, True when one does, None when unknown (jiter could not read the document)."""

    value: object
    duplicate_keys: bool | None


def decode(data: bytes, fallback: Callable[[], bytes | str] | None = None) -> Decoded:
    """Decode UTF-8 JSON ``data``. When jiter refuses it, orjson decodes ``fallback()`` (the
    reader's own text, e.g. with bad bytes replaced) or ``data``; orjson's
    ``JSONDecodeError`` reaches the caller as before."""
    try:
        value = jiter.from_json(data, catch_duplicate_keys=True, allow_inf_nan=False)
    except ValueError as exc:
        duplicates = True if str(exc).startswith(_DUPLICATE) else None
    else:
        return Decoded(value, False)
    return Decoded(orjson.loads(fallback() if fallback is not None else data), duplicates)
