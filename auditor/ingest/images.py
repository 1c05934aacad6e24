"""Container images: `docker save` tarballs and OCI image layouts, layer by layer in order.

A file present in layer N and deleted by a whiteout in a later layer is still audited (it ships
in the image) and is marked as absent from the final filesystem: both facts matter to an auditor.
"""

from __future__ import annotations

import io
import json
import posixpath
import tarfile
from dataclasses import dataclass
from pathlib import Path

from auditor.ingest.containers import (
    Budget,
    Entry,
    Member,
    Refused,
    expand,
    kind,
    member_name,
)

SEPARATOR = "!/"


def is_oci_layout(path: Path) -> bool:
    """True for a directory holding an OCI image layout (``oci-layout`` and ``index.json``)."""
    return (path / "oci-layout").is_file() and (path / "index.json").is_file()


def pack_layout(path: Path, max_size: int) -> bytes:
    """An OCI layout directory as an in-memory tarball (its regular files only; links are not
    followed), so it is read exactly like an ``oci-archive`` tarball."""
    files = [path / "oci-layout", path / "index.json"]
    files += sorted(p for p in (path / "blobs").rglob("*") if p.is_file() and not p.is_symlink())
    total = sum(p.stat().st_size for p in files)
    if total > max_size:
        raise OSError(f"OCI layout holds {total} bytes, over the {max_size}-byte limit")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for file in files:
            info = tarfile.TarInfo(file.relative_to(path).as_posix())
            content = file.read_bytes()
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class Layer:
    """One image layer: its position, digest or id, and its (compressed) tar bytes."""

    index: int
    ident: str
    data: bytes


def _members(data: bytes) -> dict[str, tarfile.TarInfo] | None:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            return {member_name(info.name): info for info in archive.getmembers()[:100_000]}
    except (tarfile.TarError, OSError, EOFError):
        return None


def _read(data: bytes, info: tarfile.TarInfo) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
        stream = archive.extractfile(info)
        return stream.read() if stream is not None else b""


def image_layers(data: bytes) -> list[Layer] | None:
    """The layers of a docker-save or OCI-layout tarball, in order; None if it is not one."""
    if kind(data) != "tar":
        return None
    members = _members(data)
    if members is None:
        return None
    try:
        if "manifest.json" in members:
            manifest = json.loads(_read(data, members["manifest.json"]))
            if isinstance(manifest, list) and manifest and isinstance(manifest[0], dict):
                layers = manifest[0].get("Layers")
                if isinstance(layers, list):
                    return [
                        Layer(
                            i,
                            name.split("/", 1)[0] if "/" in name else name,
                            _read(data, members[member_name(name)]),
                        )
                        for i, name in enumerate(layers, start=1)
                        if isinstance(name, str) and member_name(name) in members
                    ]
        if "oci-layout" in members and "index.json" in members:
            index = json.loads(_read(data, members["index.json"]))
            result: list[Layer] = []
            for descriptor in index.get("manifests", [])[:1]:
                blob = _blob(data, members, descriptor.get("digest", ""))
                manifest = json.loads(blob) if blob else {}
                if manifest.get("manifests"):  # an image index: take its first manifest
                    blob = _blob(data, members, manifest["manifests"][0].get("digest", ""))
                    manifest = json.loads(blob) if blob else {}
                for i, layer in enumerate(manifest.get("layers", []), start=1):
                    digest = layer.get("digest", "")
                    content = _blob(data, members, digest)
                    if content is not None:
                        result.append(Layer(i, digest, content))
            return result
    except (ValueError, AttributeError, TypeError, KeyError):
        return None
    return None


def _blob(data: bytes, members: dict[str, tarfile.TarInfo], digest: str) -> bytes | None:
    algorithm, _, hexdigest = digest.partition(":")
    info = members.get(f"blobs/{algorithm}/{hexdigest}")
    return _read(data, info) if info is not None else None


def _deleted_by_later_layers(names: list[list[str]]) -> dict[tuple[int, str], int]:
    """(layer, path) -> the later layer whose whiteout removes it."""
    deleted: dict[tuple[int, str], int] = {}
    for later, layer_names in enumerate(names):
        whiteouts = []
        for name in layer_names:
            base = posixpath.basename(name)
            parent = posixpath.dirname(name)
            if base == ".wh..wh..opq":
                whiteouts.append((parent + "/" if parent else "", True))
            elif base.startswith(".wh."):
                whiteouts.append((posixpath.join(parent, base[4:]), False))
        for target, opaque in whiteouts:
            for earlier in range(later):
                for name in names[earlier]:
                    hit = (
                        name.startswith(target)
                        if opaque
                        else (name == target or name.startswith(target + "/"))
                    )
                    if hit and (earlier, name) not in deleted:
                        deleted[(earlier, name)] = later
    return deleted


def layer_members(
    display: str, layers: list[Layer], budget: Budget
) -> list[tuple[Member | Refused | Entry, str]]:
    """Every file of every layer with its location chain, and a note when a later layer
    deletes it."""
    expanded: list[list[Member | Refused | Entry]] = []
    for layer in layers:
        label = f"{display}{SEPARATOR}layer {layer.index} {layer.ident[:19]}"
        inner = layer.data
        items: list[Member | Refused | Entry] = []
        if kind(inner) in ("gzip", "bzip2", "xz", "zstd", "lz4"):
            unpacked = list(expand(label, inner, budget))
            if len(unpacked) == 1 and isinstance(unpacked[0], Member):
                inner = unpacked[0].data
            else:
                expanded.append(unpacked)
                continue
        items.extend(expand(label, inner, budget))
        expanded.append(items)
    names = [
        [m.display.rsplit(SEPARATOR, 1)[-1] for m in items if isinstance(m, Member)]
        for items in expanded
    ]
    deleted = _deleted_by_later_layers(names)
    result: list[tuple[Member | Refused | Entry, str]] = []
    for position, items in enumerate(expanded):
        for item in items:
            note = ""
            if isinstance(item, Member):
                path = item.display.rsplit(SEPARATOR, 1)[-1]
                if posixpath.basename(path).startswith(".wh."):
                    continue
                later = deleted.get((position, path))
                if later is not None:
                    note = (
                        f"present in layer {position + 1} but deleted by layer {later + 1}: "
                        "absent from the final image filesystem"
                    )
            result.append((item, note))
    return result
