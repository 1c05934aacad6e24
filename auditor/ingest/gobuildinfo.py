"""Go build information embedded in binaries (``go version -m``): the main module and every
module compiled in, read from the ``\\xff Go buildinf:`` blob that Go 1.18+ writes inline."""

from __future__ import annotations

from dataclasses import dataclass

MAGIC = b"\xff Go buildinf:"
_INLINE = 0x2
MAX_MODULES = 10_000


@dataclass(frozen=True, slots=True)
class GoModule:
    """One module line: ``mod`` (the main module), ``dep``, or ``=>`` (a replacement)."""

    role: str
    path: str
    version: str


@dataclass(frozen=True, slots=True)
class GoBuildInfo:
    """The Go toolchain version, the main package path, and the modules."""

    offset: int
    go_version: str
    main_path: str
    modules: tuple[GoModule, ...]


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while position < len(data) and shift < 64:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
        shift += 7
    raise ValueError("truncated varint")


def _string(data: bytes, position: int) -> tuple[str, int]:
    length, position = _varint(data, position)
    end = position + length
    if end > len(data) or length > 1 << 20:
        raise ValueError("string runs past the end of the file")
    return data[position:end].decode("utf-8", "replace"), end


def read_buildinfo(data: bytes) -> GoBuildInfo | str | None:
    """The build information, a reason it cannot be read, or None when there is none."""
    offset = data.find(MAGIC)
    if offset < 0 or len(data) < offset + 32:
        return None
    flags = data[offset + 15]
    if not flags & _INLINE:
        return "Go build information in the pre-1.18 pointer format: not read"
    try:
        go_version, position = _string(data, offset + 32)
        modinfo, _ = _string(data, position)
    except ValueError as exc:
        return f"Go build information is corrupt: {exc}"
    if len(modinfo) >= 33 and modinfo[-17] == "\n":
        modinfo = modinfo[16:-16]  # cmd/go brackets it with 16-byte sentinels
    main_path = ""
    modules: list[GoModule] = []
    for line in modinfo.splitlines():
        fields = line.split("\t")
        if fields[0] == "path" and len(fields) > 1:
            main_path = fields[1]
        elif fields[0] in ("mod", "dep", "=>") and len(fields) > 1:
            modules.append(GoModule(fields[0], fields[1], fields[2] if len(fields) > 2 else ""))
            if len(modules) >= MAX_MODULES:
                break
    return GoBuildInfo(offset, go_version, main_path, tuple(modules))


def module_url(path: str) -> str:
    """The https URL a module path resolves to, when its first element is a host name."""
    host = path.split("/", 1)[0]
    return f"https://{path}" if "." in host else ""
