"""Dask mode: a real LocalCluster with worker processes gives the same report, byte for byte,
as a local run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from auditor.api import AuditOptions, audit
from auditor.errors import UsageError
from auditor.report.sarif import render_sarif
from tests.conftest import FIXTURES

pytest.importorskip("dask.distributed", reason="the [dask] extra is part of [test]")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield str(cluster.scheduler_address)


def test_a_cluster_run_matches_a_local_run_byte_for_byte(scheduler: str) -> None:
    paths = [FIXTURES / "appliance", FIXTURES / "binaries" / "pe", FIXTURES / "demo"]
    local = render_sarif(audit(paths, AuditOptions(jobs=1)))
    remote = render_sarif(audit(paths, AuditOptions(scheduler=scheduler)))
    assert remote == local


def test_an_unreachable_scheduler_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import auditor.distributed

    monkeypatch.setattr(auditor.distributed, "CONNECT_TIMEOUT", "2s")
    with pytest.raises(UsageError, match="cannot reach the Dask scheduler"):
        audit([FIXTURES / "demo"], AuditOptions(scheduler="tcp://127.0.0.1:9"))
