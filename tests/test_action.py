"""The GitHub Action (action.yml + .github/action/run-audit.sh), run here as a runner would."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import FIXTURES, REPO

ACTION = yaml.safe_load((REPO / "action.yml").read_text())
SCRIPT = REPO / ".github" / "action" / "run-audit.sh"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


def _steps() -> list[dict[str, object]]:
    steps: list[dict[str, object]] = ACTION["runs"]["steps"]
    return steps


def test_every_action_and_workflow_step_is_pinned_by_commit_sha() -> None:
    uses = [str(s["uses"]) for s in _steps() if "uses" in s]
    for workflow in WORKFLOWS:
        for job in yaml.safe_load(workflow.read_text())["jobs"].values():
            uses += [str(s["uses"]) for s in job.get("steps", []) if "uses" in s]
    remote = [u for u in uses if not u.startswith("./")]
    assert remote and all(re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", u) for u in remote)


def test_no_input_is_interpolated_into_a_script() -> None:
    for step in _steps():
        assert "${{" not in str(step.get("run", "")), step.get("name")
    text = (REPO / "action.yml").read_text()
    assert re.findall(r"\$\{\{\s*inputs\.", text)  # inputs are used, through env: and with:


def test_the_audit_step_sets_outputs_and_writes_the_job_summary(tmp_path: Path) -> None:
    runner_temp = tmp_path / "runner"
    bin_dir = runner_temp / "kaspersky-audit-venv" / "bin"
    bin_dir.mkdir(parents=True)
    auditor = shutil.which("kaspersky-audit", path=str(Path(sys.executable).parent))
    assert auditor is not None
    (bin_dir / "kaspersky-audit").symlink_to(auditor)
    (bin_dir / "python").symlink_to(sys.executable)
    outputs, summary = tmp_path / "outputs", tmp_path / "summary.md"
    env = {
        **os.environ,
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
        "AUDIT_PATHS": f"{FIXTURES / 'demo'}\n",
        "AUDIT_FAIL_ON": "warning",
        "AUDIT_FORMATS": f"json={tmp_path / 'extra.json'}\n",
        "AUDIT_SARIF": str(tmp_path / "audit.sarif"),
        "AUDIT_DB": "",
        "AUDIT_DB_OVERLAY": "",
        "AUDIT_CONFIG": "",
        "AUDIT_BASELINE": "",
    }
    done = subprocess.run(["bash", str(SCRIPT)], env=env, cwd=tmp_path, timeout=300, check=False)
    assert done.returncode == 0  # the step itself succeeds; the Verdict step fails the job
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert values["exit-code"] == "1" and values["verdict"] == "fail"
    assert int(values["errors"]) >= 1 and values["not-inspected"] == "0"
    assert values["sarif-file"] == str(tmp_path / "audit.sarif")
    assert (tmp_path / "audit.sarif").stat().st_size > 0
    assert (tmp_path / "extra.json").stat().st_size > 0
    assert summary.read_text().startswith("## Kaspersky audit: FAIL")


def test_a_malformed_formats_input_is_a_usage_error(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    env = {
        **os.environ,
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "s.md"),
        "AUDIT_PATHS": ".",
        "AUDIT_FAIL_ON": "warning",
        "AUDIT_FORMATS": "json-without-a-path; rm -rf /",
        "AUDIT_SARIF": "a.sarif",
        "AUDIT_DB": "",
        "AUDIT_DB_OVERLAY": "",
        "AUDIT_CONFIG": "",
        "AUDIT_BASELINE": "",
    }
    done = subprocess.run(["bash", str(SCRIPT)], env=env, cwd=tmp_path, timeout=60, check=False)
    assert done.returncode == 0
    assert "exit-code=2" in outputs.read_text()
