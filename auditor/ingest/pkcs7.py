"""Who signed a PKCS#7 / CMS SignedData: the issuer and serial of each SignerInfo, read with a
minimal DER walker. Needed where the signature carries no certificates (Linux module signatures
are made with -nocerts): the signer is then named only by issuer and serial."""

from __future__ import annotations

_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
}
MAX_DEPTH = 16


def _tlv(data: bytes, offset: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at ``offset``."""
    tag = data[offset]
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("DER element runs past the end")
    return tag, start, end


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    items: list[tuple[int, int, int]] = []
    offset = start
    while offset < end and len(items) < 4096:
        tag, cstart, cend = _tlv(data, offset)
        items.append((tag, cstart, cend))
        offset = cend
    return items


def _oid(raw: bytes) -> str:
    if not raw:
        return ""
    parts = [raw[0] // 40, raw[0] % 40]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(p) for p in parts)


def _name(data: bytes, start: int, end: int) -> str:
    """RFC 4514-style string of an X.501 Name."""
    parts = []
    for _, set_start, set_end in _children(data, start, end):
        for _, seq_start, seq_end in _children(data, set_start, set_end):
            items = _children(data, seq_start, seq_end)
            if len(items) != 2:
                continue
            oid = _oid(data[items[0][1] : items[0][2]])
            tag, vstart, vend = items[1]
            encoding = "utf-16-be" if tag == 0x1E else "utf-8"
            value = data[vstart:vend].decode(encoding, "replace")
            parts.append(f"{_NAMES.get(oid, oid)}={value}")
    return ", ".join(parts)


def signer_identifiers(der: bytes) -> list[tuple[str, str]]:
    """(issuer, serial hex) of every SignerInfo identified by issuer and serial number."""
    try:
        _, start, end = _tlv(der, 0)  # ContentInfo
        content = _children(der, start, end)
        if len(content) < 2 or content[1][0] != 0xA0:
            return []
        _, sd_outer_start, sd_outer_end = content[1]
        _, sd_start, sd_end = _tlv(der, sd_outer_start)  # SignedData
        fields = _children(der, sd_start, sd_end)
        signer_infos = fields[-1]
        if signer_infos[0] != 0x31:
            return []
        result = []
        for tag, si_start, si_end in _children(der, signer_infos[1], signer_infos[2]):
            if tag != 0x30:
                continue
            parts = _children(der, si_start, si_end)
            if len(parts) < 2 or parts[1][0] != 0x30:
                continue  # subjectKeyIdentifier form: no issuer/serial to report
            sid = _children(der, parts[1][1], parts[1][2])
            if len(sid) != 2:
                continue
            issuer = _name(der, sid[0][1], sid[0][2])
            serial = der[sid[1][1] : sid[1][2]].hex().lstrip("0") or "0"
            result.append((issuer, serial))
        return result
    except (IndexError, ValueError):
        return []
