"""A cache of per-input results (``--cache-dir``), so re-auditing an unchanged appliance or a
nightly supplier portfolio costs only what changed.

An entry is keyed by the input's content hash, its displayed path, the vendor_db digest, the
tool version and every option that changes results. Entries are pickles, so each is signed
with HMAC-SHA256 under a secret kept in the cache directory (created 0600): an entry someone
else wrote or altered is ignored, never unpickled. Results with anything not inspected are
not cached (a time-out may not happen next time).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import secrets
from pathlib import Path
from typing import Any

_KEY_FILE = "cache.key"
_MAC = hashlib.sha256().digest_size


class ResultCache:
    """Signed pickles of per-input results under ``directory``."""

    def __init__(self, directory: Path, namespace: str) -> None:
        self.directory = directory
        self.namespace = namespace
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.secret = self._secret()

    def _secret(self) -> bytes:
        path = self.directory / _KEY_FILE
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes()
        with os.fdopen(descriptor, "wb") as handle:
            key = secrets.token_bytes(32)
            handle.write(key)
        return key

    def _path(self, display: str, digest: str) -> Path:
        material = "\0".join((self.namespace, display, digest)).encode("utf-8", "surrogateescape")
        name = hashlib.sha256(material).hexdigest()
        return self.directory / name[:2] / name

    def get(self, display: str, digest: str) -> Any | None:
        """The cached result, or None (missing, unreadable or not signed by this cache)."""
        path = self._path(display, digest)
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        mac, body = blob[:_MAC], blob[_MAC:]
        if not hmac.compare_digest(mac, hmac.new(self.secret, body, hashlib.sha256).digest()):
            return None
        try:
            return pickle.loads(body)  # noqa: S301 - signed by this cache's secret
        except Exception:  # noqa: BLE001 - a stale entry from another version: recompute
            return None

    def put(self, display: str, digest: str, value: Any) -> None:
        """Store ``value`` atomically (write, then rename); failures only cost the cache."""
        path = self._path(display, digest)
        body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        mac = hmac.new(self.secret, body, hashlib.sha256).digest()
        try:
            path.parent.mkdir(exist_ok=True, mode=0o700)
            temporary = path.with_suffix(f".{os.getpid()}.{secrets.token_hex(4)}.tmp")
            temporary.write_bytes(mac + body)
            temporary.replace(path)
        except OSError:
            return
