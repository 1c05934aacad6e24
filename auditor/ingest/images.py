"""Container images: `docker save` tarballs and OCI image layouts, layer by layer in order.

A file present in layer N and deleted by a whiteout in a later layer is still audited (it ships
in the image) and is marked as absent from the final filesystem: both facts matter to an auditor.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from auditor.ingest.blobs import Blob, head_of, open_source, release
from auditor.ingest.containers import (
    Budget,
    Entry,
    Member,
    Refused,
    decompress,
    expand,
    kind,
    member_name,
)

SEPARATOR = "!/"


def is_oci_layout(path: Path) -> bool:
    """True for a directory holding an OCI image layout (``oci-layout`` and ``index.json``)."""
    return (path / "oci-layout").is_file() and (path / "index.json").is_file()


def pack_layout(path: Path, spill_size: int) -> bytes | Blob:
    """An OCI layout directory as one tarball (its regular files only; links are not
    followed), so it is read exactly like an ``oci-archive`` tarball: in memory when it holds
    at most ``spill_size`` bytes, else in an anonymous temporary file."""
    files = [path / "oci-layout", path / "index.json"]
    files += sorted(p for p in (path / "blobs").rglob("*") if p.is_file() and not p.is_symlink())
    total = sum(p.stat().st_size for p in files)
    target: IO[bytes] = io.BytesIO() if total <= spill_size else tempfile.TemporaryFile()
    try:
        with tarfile.open(fileobj=target, mode="w", format=tarfile.PAX_FORMAT) as archive:
            for file in files:
                info = tarfile.TarInfo(file.relative_to(path).as_posix())
                with file.open("rb") as content:
                    info.size = os.fstat(content.fileno()).st_size
                    archive.addfile(info, content)
    except BaseException:
        target.close()
        raise
    if isinstance(target, io.BytesIO):
        return target.getvalue()
    target.flush()
    return Blob(target, 0, target.seek(0, io.SEEK_END), owned=True)


@dataclass(frozen=True, slots=True)
class Layer:
    """One image layer: its position, digest or id, and its (compressed) tar: bytes, or the
    range of the image file it is stored in."""

    index: int
    ident: str
    data: bytes | Blob


class _Image:
    """The tar of a docker-save or OCI-layout image, opened once, members looked up by name."""

    def __init__(self, data: bytes | Blob) -> None:
        self.data = data
        self.archive = tarfile.open(fileobj=open_source(data), mode="r:")
        self.members = {
            member_name(info.name): info for info in self.archive.getmembers()[:100_000]
        }

    def text(self, name: str) -> bytes | None:
        info = self.members.get(name)
        if info is None or info.size > _MAX_METADATA:
            return None
        stream = self.archive.extractfile(info)
        return stream.read() if stream is not None else None

    def content(self, name: str) -> bytes | Blob | None:
        """A layer: where it lies in an image on disk, else its bytes."""
        info = self.members.get(name)
        if info is None:
            return None
        if isinstance(self.data, Blob) and info.isreg() and not info.sparse:
            if info.offset_data + info.size > self.data.size:
                raise tarfile.ReadError("unexpected end of data")
            return self.data.window(info.offset_data, info.size)
        stream = self.archive.extractfile(info)
        return stream.read() if stream is not None else None

    def blob_name(self, digest: str) -> str:
        algorithm, _, hexdigest = digest.partition(":")
        return f"blobs/{algorithm}/{hexdigest}"


#: Largest manifest or index read (the JSON that names the layers).
_MAX_METADATA = 16 << 20


def image_layers(data: bytes | Blob) -> list[Layer] | None:
    """The layers of a docker-save or OCI-layout tarball, in order; None if it is not one."""
    if kind(head_of(data)) != "tar":
        return None
    try:
        image = _Image(data)
    except (tarfile.TarError, OSError, EOFError):
        return None
    with image.archive:
        try:
            return _layers(image)
        except (ValueError, AttributeError, TypeError, KeyError, tarfile.TarError, OSError):
            return None


def _layers(image: _Image) -> list[Layer] | None:
    members = image.members
    if "manifest.json" in members:
        manifest = json.loads(image.text("manifest.json") or b"null")
        if isinstance(manifest, list) and manifest and isinstance(manifest[0], dict):
            layers = manifest[0].get("Layers")
            if isinstance(layers, list):
                found = []
                for i, name in enumerate(layers, start=1):
                    if isinstance(name, str) and member_name(name) in members:
                        content = image.content(member_name(name))
                        ident = name.split("/", 1)[0] if "/" in name else name
                        found.append(Layer(i, ident, content if content is not None else b""))
                return found
    if "oci-layout" in members and "index.json" in members:
        index = json.loads(image.text("index.json") or b"null")
        result: list[Layer] = []
        for descriptor in index.get("manifests", [])[:1]:
            blob = image.text(image.blob_name(descriptor.get("digest", "")))
            manifest = json.loads(blob) if blob else {}
            if manifest.get("manifests"):  # an image index: take its first manifest
                blob = image.text(image.blob_name(manifest["manifests"][0].get("digest", "")))
                manifest = json.loads(blob) if blob else {}
            for i, layer in enumerate(manifest.get("layers", []), start=1):
                digest = layer.get("digest", "")
                content = image.content(image.blob_name(digest))
                if content is not None:
                    result.append(Layer(i, digest, content))
        return result
    return None


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
) -> Iterator[tuple[Member | Refused | Entry, str]]:
    """Every file of every layer with its location chain, and a note when a later layer
    deletes it.

    Two passes: the first decompresses each layer and lists its file names from the tar
    headers (whiteouts in later layers decide what the earlier ones lose), the second reads the
    files one at a time. Decompressed layers stay in memory while together they fit in
    ``spill_size``; the rest wait in temporary files, so memory does not grow with the image.
    """
    inners: list[bytes | Blob | Refused] = []
    try:
        held = 0
        for layer in layers:
            label = f"{display}{SEPARATOR}layer {layer.index} {layer.ident[:19]}"
            inner: bytes | Blob | Refused = layer.data
            if kind(head_of(layer.data)) in ("gzip", "bzip2", "xz", "zstd", "lz4"):
                keep = max(0, budget.limits.spill_size - held)
                unpacked = decompress(label, layer.data, budget, keep)
                inner = unpacked.data if isinstance(unpacked, Member) else unpacked
            if isinstance(inner, bytes):
                held += len(inner)
            inners.append(inner)
        deleted = _deleted_by_later_layers([_file_names(inner) for inner in inners])
        for position, (layer, inner) in enumerate(zip(layers, inners, strict=True)):
            if isinstance(inner, Refused):
                yield inner, ""
                continue
            label = f"{display}{SEPARATOR}layer {layer.index} {layer.ident[:19]}"
            for item in expand(label, inner, budget):
                note = ""
                if isinstance(item, Member):
                    path = item.display.rsplit(SEPARATOR, 1)[-1]
                    if posixpath.basename(path).startswith(".wh."):
                        release(item.data)
                        continue
                    later = deleted.get((position, path))
                    if later is not None:
                        note = (
                            f"present in layer {position + 1} but deleted by layer "
                            f"{later + 1}: absent from the final image filesystem"
                        )
                yield item, note
            if isinstance(inner, Blob):
                inner.close()  # a spilled layer's temporary file goes as soon as it is read
    finally:
        for inner in inners:
            if isinstance(inner, Blob):
                inner.close()


def _file_names(inner: bytes | Blob | Refused) -> list[str]:
    """The regular files a layer's tar holds, by name, from its headers alone."""
    if isinstance(inner, Refused) or kind(head_of(inner)) != "tar":
        return []
    names: list[str] = []
    try:
        with tarfile.open(fileobj=open_source(inner), mode="r:") as archive:
            names.extend(member_name(info.name) for info in archive if info.isfile())
    except (tarfile.TarError, OSError, EOFError):
        pass  # the second pass reports the damage where it reads the files
    return names
