""".NET assembly identity from a PE file's CLR metadata, in pure Python.

Reads the PE headers (data directory 14, CLR_RUNTIME_HEADER), the COR20 header, the metadata
root ("BSJB"), its stream headers and the ``#~`` (or uncompressed ``#-``) tables stream, and from
them the Assembly row (name, version, culture, public key -> token), the namespaces of the
TypeDef rows and the names of the AssemblyRef rows. Table layouts follow ECMA-335 partition II
§22 (columns) and §24.2.6 (heap and coded index sizes).

Every read is bounds-checked: malformed input gives ``None`` (no CLR metadata found) or a partial
:class:`DotnetIdentity` whose ``problems`` say what could not be read. Nothing is raised.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field

MAX_NAMES = 2000
_MAX_SECTIONS = 96
_MAX_STREAMS = 64
_MAX_STRING = 1024
_CLR_DIRECTORY = 14

# Table ids (ECMA-335 II.22)
_MODULE, _TYPEREF, _TYPEDEF, _FIELDPTR, _FIELD, _METHODPTR, _METHODDEF = range(7)
_PARAMPTR, _PARAM, _INTERFACEIMPL, _MEMBERREF, _CONSTANT, _CUSTOMATTRIBUTE = range(7, 13)
_FIELDMARSHAL, _DECLSECURITY, _CLASSLAYOUT, _FIELDLAYOUT, _STANDALONESIG = range(13, 18)
_EVENTMAP, _EVENTPTR, _EVENT, _PROPERTYMAP, _PROPERTYPTR, _PROPERTY = range(18, 24)
_METHODSEMANTICS, _METHODIMPL, _MODULEREF, _TYPESPEC, _IMPLMAP, _FIELDRVA = range(24, 30)
_ENCLOG, _ENCMAP, _ASSEMBLY, _ASSEMBLYPROCESSOR, _ASSEMBLYOS, _ASSEMBLYREF = range(30, 36)
_ASSEMBLYREFPROCESSOR, _ASSEMBLYREFOS, _FILE, _EXPORTEDTYPE, _MANIFESTRESOURCE = range(36, 41)
_NESTEDCLASS, _GENERICPARAM, _METHODSPEC, _GENERICPARAMCONSTRAINT = range(41, 45)
_NONE = -1  # an unused tag of a coded index

# Coded indexes (ECMA-335 II.24.2.6): the tables each tag value may refer to.
_CODED: dict[str, tuple[int, ...]] = {
    "TypeDefOrRef": (_TYPEDEF, _TYPEREF, _TYPESPEC),
    "HasConstant": (_FIELD, _PARAM, _PROPERTY),
    "HasCustomAttribute": (
        _METHODDEF,
        _FIELD,
        _TYPEREF,
        _TYPEDEF,
        _PARAM,
        _INTERFACEIMPL,
        _MEMBERREF,
        _MODULE,
        _DECLSECURITY,
        _PROPERTY,
        _EVENT,
        _STANDALONESIG,
        _MODULEREF,
        _TYPESPEC,
        _ASSEMBLY,
        _ASSEMBLYREF,
        _FILE,
        _EXPORTEDTYPE,
        _MANIFESTRESOURCE,
        _GENERICPARAM,
        _GENERICPARAMCONSTRAINT,
        _METHODSPEC,
    ),  # fmt: skip
    "HasFieldMarshal": (_FIELD, _PARAM),
    "HasDeclSecurity": (_TYPEDEF, _METHODDEF, _ASSEMBLY),
    "MemberRefParent": (_TYPEDEF, _TYPEREF, _MODULEREF, _METHODDEF, _TYPESPEC),
    "HasSemantics": (_EVENT, _PROPERTY),
    "MethodDefOrRef": (_METHODDEF, _MEMBERREF),
    "MemberForwarded": (_FIELD, _METHODDEF),
    "Implementation": (_FILE, _ASSEMBLYREF, _EXPORTEDTYPE),
    "CustomAttributeType": (_NONE, _NONE, _METHODDEF, _MEMBERREF, _NONE),
    "ResolutionScope": (_MODULE, _MODULEREF, _ASSEMBLYREF, _TYPEREF),
    "TypeOrMethodDef": (_TYPEDEF, _METHODDEF),
}
_TAG_BITS = {
    "TypeDefOrRef": 2,
    "HasConstant": 2,
    "HasCustomAttribute": 5,
    "HasFieldMarshal": 1,
    "HasDeclSecurity": 2,
    "MemberRefParent": 3,
    "HasSemantics": 1,
    "MethodDefOrRef": 1,
    "MemberForwarded": 1,
    "Implementation": 2,
    "CustomAttributeType": 3,
    "ResolutionScope": 2,
    "TypeOrMethodDef": 1,
}

# Columns of every table up to AssemblyRef (ECMA-335 II.22). A column is an int (a constant of
# that many bytes), "S"/"G"/"B" (an index into #Strings/#GUID/#Blob), ("T", table) (a simple
# index into a table) or the name of a coded index.
Column = int | str | tuple[str, int]
_SCHEMA: dict[int, tuple[Column, ...]] = {
    _MODULE: (2, "S", "G", "G", "G"),
    _TYPEREF: ("ResolutionScope", "S", "S"),
    _TYPEDEF: (4, "S", "S", "TypeDefOrRef", ("T", _FIELD), ("T", _METHODDEF)),
    _FIELDPTR: (("T", _FIELD),),
    _FIELD: (2, "S", "B"),
    _METHODPTR: (("T", _METHODDEF),),
    _METHODDEF: (4, 2, 2, "S", "B", ("T", _PARAM)),
    _PARAMPTR: (("T", _PARAM),),
    _PARAM: (2, 2, "S"),
    _INTERFACEIMPL: (("T", _TYPEDEF), "TypeDefOrRef"),
    _MEMBERREF: ("MemberRefParent", "S", "B"),
    _CONSTANT: (2, "HasConstant", "B"),  # Type (1 byte) + padding (1 byte)
    _CUSTOMATTRIBUTE: ("HasCustomAttribute", "CustomAttributeType", "B"),
    _FIELDMARSHAL: ("HasFieldMarshal", "B"),
    _DECLSECURITY: (2, "HasDeclSecurity", "B"),
    _CLASSLAYOUT: (2, 4, ("T", _TYPEDEF)),
    _FIELDLAYOUT: (4, ("T", _FIELD)),
    _STANDALONESIG: ("B",),
    _EVENTMAP: (("T", _TYPEDEF), ("T", _EVENT)),
    _EVENTPTR: (("T", _EVENT),),
    _EVENT: (2, "S", "TypeDefOrRef"),
    _PROPERTYMAP: (("T", _TYPEDEF), ("T", _PROPERTY)),
    _PROPERTYPTR: (("T", _PROPERTY),),
    _PROPERTY: (2, "S", "B"),
    _METHODSEMANTICS: (2, ("T", _METHODDEF), "HasSemantics"),
    _METHODIMPL: (("T", _TYPEDEF), "MethodDefOrRef", "MethodDefOrRef"),
    _MODULEREF: ("S",),
    _TYPESPEC: ("B",),
    _IMPLMAP: (2, "MemberForwarded", "S", ("T", _MODULEREF)),
    _FIELDRVA: (4, ("T", _FIELD)),
    _ENCLOG: (4, 4),
    _ENCMAP: (4,),
    _ASSEMBLY: (4, 2, 2, 2, 2, 4, "B", "S", "S"),
    _ASSEMBLYPROCESSOR: (4,),
    _ASSEMBLYOS: (4, 4, 4),
    _ASSEMBLYREF: (2, 2, 2, 2, 4, "B", "S", "S", "B"),
}


@dataclass
class DotnetIdentity:
    """What a .NET assembly's metadata says about itself."""

    name: str | None = None
    version: str | None = None
    culture: str | None = None
    public_key_token: str | None = None
    namespaces: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class _Malformed(Exception):
    """Raised inside this module only; turned into a problem."""


def _u16(data: bytes, offset: int) -> int:
    if offset < 0 or offset + 2 > len(data):
        raise _Malformed(f"read past the end at 0x{offset:x}")
    return int(struct.unpack_from("<H", data, offset)[0])


def _u32(data: bytes, offset: int) -> int:
    if offset < 0 or offset + 4 > len(data):
        raise _Malformed(f"read past the end at 0x{offset:x}")
    return int(struct.unpack_from("<I", data, offset)[0])


def _u64(data: bytes, offset: int) -> int:
    if offset < 0 or offset + 8 > len(data):
        raise _Malformed(f"read past the end at 0x{offset:x}")
    return int(struct.unpack_from("<Q", data, offset)[0])


def _uint(data: bytes, offset: int, size: int) -> int:
    return _u16(data, offset) if size == 2 else _u32(data, offset)


@dataclass
class _Pe:
    sections: list[tuple[int, int, int, int]]  # virtual address, virtual size, raw ptr, raw size
    size_of_headers: int
    clr_rva: int
    clr_size: int


def _pe_headers(data: bytes) -> _Pe | None:
    """The section table and the CLR data directory; None when this is no PE with one."""
    if len(data) < 0x40 or data[:2] != b"MZ":
        return None
    pe = _u32(data, 0x3C)
    if pe + 24 > len(data) or data[pe : pe + 4] != b"PE\x00\x00":
        return None
    sections_count = _u16(data, pe + 6)
    optional_size = _u16(data, pe + 20)
    optional = pe + 24
    magic = _u16(data, optional)
    if magic == 0x10B:
        count_at, directories = optional + 92, optional + 96
    elif magic == 0x20B:
        count_at, directories = optional + 108, optional + 112
    else:
        return None
    size_of_headers = _u32(data, optional + 60)
    if _u32(data, count_at) <= _CLR_DIRECTORY:
        return None
    entry = directories + _CLR_DIRECTORY * 8
    if entry + 8 > optional + optional_size:
        return None
    clr_rva, clr_size = _u32(data, entry), _u32(data, entry + 4)
    if clr_rva == 0 or clr_size == 0:
        return None
    table = optional + optional_size
    sections = []
    for index in range(min(sections_count, _MAX_SECTIONS)):
        at = table + index * 40
        if at + 40 > len(data):
            break
        vsize, va, raw_size, raw_ptr = struct.unpack_from("<IIII", data, at + 8)
        sections.append((va, vsize, raw_ptr, raw_size))
    return _Pe(sections, size_of_headers, clr_rva, clr_size)


def _rva_to_offset(pe: _Pe, rva: int, length: int, data_size: int) -> int:
    """File offset of ``length`` bytes at ``rva``; raises when they are not all in the file."""
    for va, vsize, raw_ptr, raw_size in pe.sections:
        if va <= rva < va + max(vsize, raw_size):
            offset = raw_ptr + (rva - va)
            if rva - va + length > raw_size or offset + length > data_size:
                raise _Malformed(f"RVA 0x{rva:x} (+{length}) lies outside its section's file data")
            return offset
    if rva + length <= min(pe.size_of_headers, data_size):
        return rva
    raise _Malformed(f"RVA 0x{rva:x} is in no section")


@dataclass
class _Heaps:
    strings: bytes = b""
    blob: bytes = b""
    guid_size: int = 0


def _string(heaps: _Heaps, index: int) -> str:
    if index >= len(heaps.strings):
        raise _Malformed(f"#Strings index 0x{index:x} is past the heap")
    end = heaps.strings.find(b"\x00", index, index + _MAX_STRING)
    if end < 0:
        raise _Malformed(f"#Strings entry at 0x{index:x} is unterminated")
    return heaps.strings[index:end].decode("utf-8", errors="replace")


def _blob(heaps: _Heaps, index: int) -> bytes:
    data = heaps.blob
    if index >= len(data):
        raise _Malformed(f"#Blob index 0x{index:x} is past the heap")
    first = data[index]
    if first & 0x80 == 0:
        length, start = first, index + 1
    elif first & 0xC0 == 0x80 and index + 2 <= len(data):
        length, start = ((first & 0x3F) << 8) | data[index + 1], index + 2
    elif first & 0xE0 == 0xC0 and index + 4 <= len(data):
        length = ((first & 0x1F) << 24) | int.from_bytes(data[index + 1 : index + 4], "big")
        start = index + 4
    else:
        raise _Malformed(f"#Blob entry at 0x{index:x} has a bad length prefix")
    if start + length > len(data):
        raise _Malformed(f"#Blob entry at 0x{index:x} runs past the heap")
    return data[start : start + length]


def read_identity(data: bytes) -> DotnetIdentity | None:
    """The identity of the .NET assembly in PE ``data``; None when it has no CLR metadata."""
    try:
        pe = _pe_headers(data)
    except _Malformed:
        return None
    if pe is None:
        return None
    identity = DotnetIdentity()
    try:
        _read_metadata(data, pe, identity)
    except _Malformed as exc:
        identity.problems.append(f".NET metadata partly unreadable: {exc}")
    except (ValueError, IndexError, struct.error, OverflowError, MemoryError) as exc:
        identity.problems.append(f".NET metadata partly unreadable: {type(exc).__name__}")
    return identity


def _read_metadata(data: bytes, pe: _Pe, identity: DotnetIdentity) -> None:
    cor20 = _rva_to_offset(pe, pe.clr_rva, 16, len(data))
    if _u32(data, cor20) < 16:
        raise _Malformed("COR20 header is too small")
    md_rva, md_size = _u32(data, cor20 + 8), _u32(data, cor20 + 12)
    if md_size < 20:
        raise _Malformed("metadata directory is empty or too small")
    root = _rva_to_offset(pe, md_rva, md_size, len(data))
    metadata = data[root : root + md_size]
    if metadata[:4] != b"BSJB":
        raise _Malformed("metadata root has no BSJB signature")
    version_length = _u32(metadata, 12)
    at = 16 + ((version_length + 3) & ~3)
    stream_count = _u16(metadata, at + 2)
    at += 4
    streams: dict[str, bytes] = {}
    for _ in range(min(stream_count, _MAX_STREAMS)):
        offset, size = _u32(metadata, at), _u32(metadata, at + 4)
        end = metadata.find(b"\x00", at + 8, at + 8 + 32)
        if end < 0:
            raise _Malformed("stream header name is unterminated")
        name = metadata[at + 8 : end].decode("ascii", errors="replace")
        at = (end + 1 + 3) & ~3
        if offset + size > len(metadata):
            identity.problems.append(f"metadata stream {name!r} runs past the metadata")
            continue
        streams.setdefault(name, metadata[offset : offset + size])
    tables = streams.get("#~", streams.get("#-"))
    if tables is None:
        raise _Malformed("no #~ or #- tables stream")
    heaps = _Heaps(
        strings=streams.get("#Strings", b""),
        blob=streams.get("#Blob", b""),
        guid_size=len(streams.get("#GUID", b"")),
    )
    _read_tables(tables, heaps, "#JTD" in streams, identity)


def _read_tables(stream: bytes, heaps: _Heaps, large: bool, identity: DotnetIdentity) -> None:
    heap_sizes = stream[6] if len(stream) > 6 else 0
    valid = _u64(stream, 8)
    rows: dict[int, int] = {}
    at = 24
    for table in range(64):
        if valid >> table & 1:
            rows[table] = _u32(stream, at)
            at += 4
    if heap_sizes & 0x40:  # extra data (ENC-era #- streams)
        at += 4
    string_size = 4 if heap_sizes & 0x01 or large else 2
    guid_size = 4 if heap_sizes & 0x02 or large else 2
    blob_size = 4 if heap_sizes & 0x04 or large else 2

    def column_size(column: Column) -> int:
        if isinstance(column, int):
            return column
        if isinstance(column, tuple):
            return 4 if large or rows.get(column[1], 0) >= 1 << 16 else 2
        if column == "S":
            return string_size
        if column == "G":
            return guid_size
        if column == "B":
            return blob_size
        most = max(rows.get(t, 0) for t in _CODED[column])
        return 4 if large or most >= 1 << (16 - _TAG_BITS[column]) else 2

    layout: dict[int, tuple[int, list[int]]] = {}  # table -> (file offset, column sizes)
    for table in range(_ASSEMBLYREF + 1):
        sizes = [column_size(c) for c in _SCHEMA[table]]
        layout[table] = (at, sizes)
        at += rows.get(table, 0) * sum(sizes)

    def row(table: int, index: int) -> list[int] | None:
        start, sizes = layout[table]
        offset = start + index * sum(sizes)
        if offset + sum(sizes) > len(stream):
            identity.problems.append(f"metadata table 0x{table:02x} runs past the #~ stream")
            return None
        values = []
        for size in sizes:
            values.append(stream[offset] if size == 1 else _uint(stream, offset, size))
            offset += size
        return values

    if rows.get(_ASSEMBLY, 0):
        assembly = row(_ASSEMBLY, 0)
        if assembly is not None:
            _assembly(assembly, heaps, identity)
    else:
        identity.problems.append("no Assembly row: a module, not an assembly manifest")
    for index in range(rows.get(_TYPEDEF, 0)):
        if len(identity.namespaces) >= MAX_NAMES:
            break
        typedef = row(_TYPEDEF, index)
        if typedef is None:
            break
        namespace = _guarded(heaps, typedef[2], identity)
        if namespace and namespace not in identity.namespaces:
            identity.namespaces.append(namespace)
    for index in range(rows.get(_ASSEMBLYREF, 0)):
        if len(identity.references) >= MAX_NAMES:
            break
        reference = row(_ASSEMBLYREF, index)
        if reference is None:
            break
        name = _guarded(heaps, reference[6], identity)
        if name and name not in identity.references:
            identity.references.append(name)


def _guarded(heaps: _Heaps, index: int, identity: DotnetIdentity) -> str | None:
    """The #Strings entry at ``index``, or None with a problem."""
    try:
        return _string(heaps, index)
    except _Malformed as exc:
        identity.problems.append(str(exc))
        return None


def _assembly(values: list[int], heaps: _Heaps, identity: DotnetIdentity) -> None:
    identity.version = ".".join(str(v) for v in values[1:5])
    identity.name = _guarded(heaps, values[7], identity)
    culture = _guarded(heaps, values[8], identity)
    identity.culture = culture or None
    try:
        key = _blob(heaps, values[6]) if values[6] else b""
    except _Malformed as exc:
        identity.problems.append(f"assembly public key: {exc}")
        return
    if key:
        digest = hashlib.sha1(key).digest()  # noqa: S324 - the ECMA-335 token, not security
        identity.public_key_token = digest[-8:][::-1].hex()
