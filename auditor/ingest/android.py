"""Android specifics: the package name in a binary AndroidManifest.xml and the certificates of
the APK Signature Scheme v2/v3 block. Pure Python over bytes, with bounds checks everywhere."""

from __future__ import annotations

import struct

_RES_STRING_POOL = 0x0001
_RES_XML = 0x0003
_RES_XML_START_ELEMENT = 0x0102
_UTF8_FLAG = 1 << 8
_APK_SIG_MAGIC = b"APK Sig Block 42"
_SIGNATURE_SCHEMES = (0x7109871A, 0xF05368C0, 0x1B93AD61)  # v2, v3, v3.1
MAX_ITEMS = 10_000


def _u16(data: bytes, offset: int) -> int:
    return int(struct.unpack_from("<H", data, offset)[0])


def _u32(data: bytes, offset: int) -> int:
    return int(struct.unpack_from("<I", data, offset)[0])


def _string_pool(data: bytes, offset: int) -> list[str]:
    """Strings of a ResStringPool chunk starting at ``offset``."""
    count = min(_u32(data, offset + 8), MAX_ITEMS)
    flags = _u32(data, offset + 16)
    strings_start = offset + _u32(data, offset + 20)
    index_base = offset + _u16(data, offset + 2)
    out = []
    for index in range(count):
        position = strings_start + _u32(data, index_base + 4 * index)
        if flags & _UTF8_FLAG:
            length = data[position + 1]  # skip the UTF-16 length byte, read the UTF-8 length
            position += 2
            if length & 0x80:
                length = ((length & 0x7F) << 8) | data[position]
                position += 1
            out.append(data[position : position + length].decode("utf-8", "replace"))
        else:
            length = _u16(data, position)
            position += 2
            out.append(data[position : position + 2 * length].decode("utf-16-le", "replace"))
    return out


def manifest_package(data: bytes) -> str | None:
    """The ``package`` attribute of the <manifest> element of a binary AndroidManifest.xml."""
    try:
        if len(data) < 8 or _u16(data, 0) != _RES_XML:
            return None
        strings: list[str] = []
        offset = _u16(data, 2)
        end = min(_u32(data, 4), len(data))
        for _ in range(MAX_ITEMS):
            if offset + 8 > end:
                return None
            chunk_type, chunk_size = _u16(data, offset), _u32(data, offset + 4)
            if chunk_size < 8:
                return None
            if chunk_type == _RES_STRING_POOL:
                strings = _string_pool(data, offset)
            elif chunk_type == _RES_XML_START_ELEMENT:
                name = _u32(data, offset + 20)
                if 0 <= name < len(strings) and strings[name] == "manifest":
                    attr_start = offset + 16 + _u16(data, offset + 24)
                    attr_size = _u16(data, offset + 26)
                    for index in range(min(_u16(data, offset + 28), 256)):
                        attr = attr_start + index * attr_size
                        attr_name, raw = _u32(data, attr + 4), _u32(data, attr + 8)
                        if attr_name < len(strings) and strings[attr_name] == "package":
                            return strings[raw] if raw < len(strings) else None
                    return None
            offset += chunk_size
    except (struct.error, IndexError):
        return None
    return None


def _length_prefixed(data: bytes, offset: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each uint32-length-prefixed item in data[offset:end]."""
    items: list[tuple[int, int]] = []
    while offset + 4 <= end and len(items) < MAX_ITEMS:
        size = _u32(data, offset)
        start = offset + 4
        if start + size > end:
            break
        items.append((start, start + size))
        offset = start + size
    return items


def signing_block_certificates(apk: bytes) -> list[bytes]:
    """DER certificates of every signer in the APK Signature Scheme v2/v3 blocks."""
    try:
        magic_at = apk.rfind(_APK_SIG_MAGIC)
        if magic_at < 8:
            return []
        block_size = struct.unpack_from("<Q", apk, magic_at - 8)[0]
        block_start = magic_at + 16 - block_size - 8
        if block_start < 0:
            return []
        pairs_start, pairs_end = block_start + 8, magic_at - 8
        certificates: list[bytes] = []
        offset = pairs_start
        while offset + 12 <= pairs_end and len(certificates) < MAX_ITEMS:
            pair_size = struct.unpack_from("<Q", apk, offset)[0]
            pair_id = _u32(apk, offset + 8)
            value_start, value_end = offset + 12, offset + 8 + pair_size
            if value_end > pairs_end or pair_size < 4:
                break
            if pair_id in _SIGNATURE_SCHEMES:
                signers = _length_prefixed(apk, value_start, value_end)[:1]
                for signers_start, signers_end in signers:
                    for signer_start, signer_end in _length_prefixed(
                        apk, signers_start, signers_end
                    ):
                        signed_data = _length_prefixed(apk, signer_start, signer_end)[:1]
                        for data_start, data_end in signed_data:
                            parts = _length_prefixed(apk, data_start, data_end)
                            if len(parts) >= 2:  # digests, certificates, ...
                                cert_start, cert_end = parts[1]
                                certificates.extend(
                                    apk[s:e] for s, e in _length_prefixed(apk, cert_start, cert_end)
                                )
            offset = value_end
        return certificates
    except (struct.error, IndexError, OverflowError):
        return []
