"""An interrupted run (Ctrl-C, or SIGTERM from a cancelled CI job) removes its private
temporary directories and stops its helpers; nothing is left behind in TMPDIR."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor.ingest.unblob_bridge import unblob_available

REPO = Path(__file__).resolve().parent.parent
FIRMWARE = REPO / "fixtures" / "appliance" / "netcam-fw-TEST.bin"

if not unblob_available():  # pragma: no cover - the [test] extra installs it
    if os.environ.get("CI"):
        raise RuntimeError("unblob (the [firmware] extra) must be installed in CI")
    pytest.skip(
        "SKIPPED LOUDLY: unblob is not installed; interruption tests need a run that "
        "holds a temporary directory (pip install '.[firmware]')",
        allow_module_level=True,
    )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_leaves_no_temporary_directory(tmp_path: Path, signum: int) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for index in range(40):  # long enough to be interrupted in the middle
        shutil.copy(FIRMWARE, inputs / f"fw{index:02}-TEST.bin")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "auditor", "scan", *sorted(map(str, inputs.iterdir())), "-j1"],
        env=dict(os.environ, TMPDIR=str(scratch)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(scratch.iterdir()) and process.poll() is None:
            assert time.monotonic() < deadline, "the run never made a temporary directory"
            time.sleep(0.01)
        assert process.poll() is None, "the run ended before it could be interrupted"
        process.send_signal(signum)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode != 0
    assert b"Traceback" not in err
    assert list(scratch.iterdir()) == []


def test_an_input_over_the_memory_budget_is_reported_and_the_rest_audited(
    tmp_path: Path,
) -> None:
    big = tmp_path / "big-TEST.cdx.json"  # an SBOM must be read whole to be parsed
    with big.open("wb") as handle:
        handle.write(b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [')
        handle.truncate(900 << 20)  # sparse: costs no disk, 900 MiB once read
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "auditor",
            "scan",
            str(big),
            "fixtures/demo",
            "-f",
            "json",
            "--max-memory",
            str(700 << 20),
            "--max-file-size",
            str(1 << 31),
            "-j",
            "1",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1  # the demo's findings beat the incomplete verdict
    import json

    data = json.loads(done.stdout)
    reasons = {item["path"]: item["reason"] for item in data["notInspected"]}
    assert any("--max-memory" in reason for reason in reasons.values()), reasons
    assert data["summary"]["findings"]["error"] >= 2
