"""ISO 9660 images (CD/DVD installers and appliance media), through pycdlib, in memory. Rock
Ridge or Joliet names are used when present, plain ISO 9660 names otherwise."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

from auditor.ingest.blobs import Blob, open_source
from auditor.ingest.containers import SEPARATOR, Budget, Member, Refused

_VOLUME_DESCRIPTOR = 0x8001


def is_iso9660(data: bytes) -> bool:
    """A primary volume descriptor at sector 16 says 'CD001'."""
    return data[_VOLUME_DESCRIPTOR : _VOLUME_DESCRIPTOR + 5] == b"CD001"


def expand_iso(display: str, data: bytes | Blob, budget: Budget) -> Iterator[Member | Refused]:
    """The files of an ISO 9660 image, in path order."""
    import pycdlib

    iso = pycdlib.PyCdlib()
    try:
        iso.open_fp(cast(BinaryIO, open_source(data)))
    except Exception as exc:  # noqa: BLE001 - a hostile image must not end the audit
        yield Refused(display, f"ISO 9660 image cannot be read: {exc}")
        return
    view: Any
    try:
        if iso.has_rock_ridge():
            view, plain = iso.get_rock_ridge_facade(), False
        elif iso.has_joliet():
            view, plain = iso.get_joliet_facade(), False
        else:
            view, plain = iso.get_iso9660_facade(), True
        files: list[str] = []
        for root, _dirs, names in view.walk("/"):
            files.extend(f"{root.rstrip('/')}/{name}" for name in names)
        for path in sorted(files):
            shown = path.lstrip("/")
            where = f"{display}{SEPARATOR}{shown.rsplit(';', 1)[0] if plain else shown}"
            try:
                size = int(view.get_record(path).get_data_length())
            except Exception as exc:  # noqa: BLE001
                yield Refused(where, f"ISO 9660 record cannot be read: {exc}")
                continue
            reason = budget.take(size)
            if reason:
                yield Refused(where, reason)
                if budget.exhausted:
                    return
                continue
            out = io.BytesIO()
            try:
                view.get_file_from_iso_fp(out, path)
            except Exception as exc:  # noqa: BLE001
                yield Refused(where, f"file cannot be read from the ISO 9660 image: {exc}")
                continue
            yield Member(where, out.getvalue()[:size])
    finally:
        iso.close()
