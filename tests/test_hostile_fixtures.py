"""Every attack in fixtures/hostile/attacks/ (built by make_attacks.py, described in its README)
ends with the outcome listed for it, in a separate process capped at 3 GiB of address space:
no crash, no traceback, nothing written outside, a few hundred MB at most. The timeout below
only guards against a hang (the run must end at all); it measures nothing."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent
ATTACKS = REPO / "fixtures" / "hostile" / "attacks"
_RUN = """
import resource, subprocess, sys
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
done = subprocess.run(sys.argv[1:], capture_output=True)
sys.stdout.buffer.write(done.stdout)
sys.stderr.buffer.write(done.stderr)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.write(f"\\nPEAK-KB {peak}\\n")
sys.exit(done.returncode)
"""


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_attacks", ATTACKS.parent / "make_attacks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILDER = _builder()


def test_the_committed_attack_files_are_what_the_script_builds() -> None:
    for name, content in BUILDER.files().items():
        assert (ATTACKS / name).read_bytes() == content, f"{name}: run make_attacks.py"
    assert (ATTACKS / "README.md").read_text(encoding="utf-8") == BUILDER.readme()
    listed = {p.name for p in ATTACKS.iterdir()} - {"README.md"}
    assert listed == set(BUILDER.ATTACKS), "every file needs a line in ATTACKS"


@pytest.mark.parametrize("name", sorted(BUILDER.ATTACKS))
def test_an_attack_ends_with_its_listed_outcome(name: str, tmp_path: Path) -> None:
    expected = BUILDER.ATTACKS[name][2]
    report = tmp_path / "report.json"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _RUN,
            sys.executable,
            "-m",
            "auditor",
            "scan",
            str(ATTACKS / name),
            "-f",
            "json",
            "-o",
            str(report),
            "-j",
            "1",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=dict(os.environ, TMPDIR=str(tmp_path)),
        timeout=300,
    )
    assert "Traceback" not in done.stderr, done.stderr
    peak_kb = int(done.stderr.rsplit("PEAK-KB", 1)[1])
    assert peak_kb < 512 * 1024, f"{name}: peak RSS {peak_kb} KB"
    data = json.loads(report.read_text(encoding="utf-8"))
    reasons = [item["reason"] for item in data["notInspected"]]
    rules = {finding["ruleId"] for finding in data["findings"]}
    kind, _, detail = expected.partition(":")
    if kind == "not-inspected":
        assert any(detail in reason for reason in reasons), reasons
        assert done.returncode in (1, 3)
    elif kind == "finding":
        assert detail in rules and done.returncode == 1
    else:
        assert kind == "read"
        assert reasons == [] and rules == set() and done.returncode == 0, (reasons, rules)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # nothing else written
