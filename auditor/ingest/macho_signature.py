"""Mach-O code signatures: the CodeDirectory's identifier and Team ID, and the certificates of
the CMS signature blob. Pure Python over the LC_CODE_SIGNATURE bytes, bounds-checked."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

_SUPERBLOB = 0xFADE0CC0
_CODE_DIRECTORY = 0xFADE0C02
_CMS = 0xFADE0B01
_TEAM_VERSION = 0x20200
MAX_BLOBS = 64


@dataclass
class CodeSignature:
    """What an embedded code signature says."""

    identifier: str = ""
    team_id: str = ""
    cms: bytes = b""
    problems: list[str] = field(default_factory=list)


def _cstring(data: bytes, offset: int) -> str:
    if not 0 < offset < len(data):
        return ""
    end = data.find(b"\x00", offset)
    return data[offset : end if end >= 0 else len(data)].decode("utf-8", "replace")


def parse(data: bytes) -> CodeSignature:
    """Parse an embedded signature SuperBlob (big-endian fields)."""
    result = CodeSignature()
    try:
        magic, _, count = struct.unpack_from(">III", data, 0)
        if magic != _SUPERBLOB:
            result.problems.append("code signature is not an embedded-signature SuperBlob")
            return result
        for index in range(min(count, MAX_BLOBS)):
            _, offset = struct.unpack_from(">II", data, 12 + 8 * index)
            blob_magic, blob_length = struct.unpack_from(">II", data, offset)
            blob = data[offset : offset + blob_length]
            if blob_magic == _CODE_DIRECTORY and not result.identifier:
                version = struct.unpack_from(">I", blob, 8)[0]
                result.identifier = _cstring(blob, struct.unpack_from(">I", blob, 20)[0])
                if version >= _TEAM_VERSION and len(blob) >= 52:
                    result.team_id = _cstring(blob, struct.unpack_from(">I", blob, 48)[0])
            elif blob_magic == _CMS:
                result.cms = blob[8:]
    except struct.error:
        result.problems.append("code signature is truncated")
    return result
