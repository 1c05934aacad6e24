"""Container images: docker-save tarballs and OCI layouts, layer by layer, with whiteouts."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

from auditor.api import audit
from tests.conftest import FIXTURES, tar_bytes

ELF = (FIXTURES / "binaries" / "elf" / "libtest-kav-wrapper.so").read_bytes()
SBOM = (FIXTURES / "demo" / "securegate-appliance.cdx.json").read_bytes()


_tar = tar_bytes


LAYER1 = _tar({"opt/vendor/lib/libscan.so": ELF, "usr/share/sbom/bom.cdx.json": SBOM})
LAYER2 = _tar({"opt/vendor/lib/.wh.libscan.so": b""})


def test_docker_save_layers_are_audited_in_order_and_whiteouts_reported(tmp_path: Path) -> None:
    manifest = [
        {
            "Config": "c.json",
            "RepoTags": ["test:1"],
            "Layers": ["aaa111/layer.tar", "bbb222/layer.tar"],
        }
    ]
    image = _tar(
        {
            "manifest.json": json.dumps(manifest).encode(),
            "c.json": b"{}",
            "aaa111/layer.tar": LAYER1,
            "bbb222/layer.tar": LAYER2,
        }
    )
    (tmp_path / "image.tar").write_bytes(image)
    result = audit([tmp_path / "image.tar"])
    lib = [f for f in result.findings if f.artifact.endswith("libscan.so")]
    assert len(lib) == 1
    assert "!/layer 1 aaa111!/opt/vendor/lib/libscan.so" in lib[0].artifact
    assert "deleted by layer 2" in lib[0].message
    sbom = [f for f in result.findings if "bom.cdx.json" in f.artifact]
    assert sbom and all("deleted" not in f.message for f in sbom)


def test_oci_layouts_are_read_through_their_index(tmp_path: Path) -> None:
    blobs: dict[str, bytes] = {}

    def add(content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        blobs[f"blobs/sha256/{digest}"] = content
        return f"sha256:{digest}"

    layer = add(gzip.compress(LAYER1))
    manifest = add(json.dumps({"layers": [{"digest": layer}]}).encode())
    index = json.dumps({"manifests": [{"digest": manifest}]}).encode()
    image = _tar({"oci-layout": b'{"imageLayoutVersion": "1.0.0"}', "index.json": index, **blobs})
    (tmp_path / "oci.tar").write_bytes(image)
    result = audit([tmp_path / "oci.tar"])
    assert any(
        f.artifact.endswith("!/layer 1 " + layer[:19] + "!/opt/vendor/lib/libscan.so")
        for f in result.findings
    )
