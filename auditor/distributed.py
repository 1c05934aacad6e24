"""Fleet audits on an existing Dask cluster (``--scheduler tcp://host:8786`` or
``DASK_SCHEDULER_ADDRESS``; optional extra ``[dask]``): each top-level input is one task, run by
the same code as a local audit, and results are merged in input order, so reports are the same,
byte for byte, as a local run.

Workers must see the inputs at the same paths (a shared file system) and run the same auditor
and vendor_db version (checked: a worker with another database digest fails the run). Dask
worker processes are daemonic, so binaries are parsed inside the worker rather than in a
sub-process: a native crash costs that worker, which Dask replaces; the input is then reported
as not inspected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from auditor.errors import UsageError

if TYPE_CHECKING:
    from auditor.api import AuditOptions, InputFile, _Outcome

#: How long to try reaching the scheduler.
CONNECT_TIMEOUT = "20s"
_STATE: dict[tuple[str, tuple[str, ...], float], tuple[str, Any, Any]] = {}


def _run_one(item: InputFile, options: AuditOptions) -> tuple[str, _Outcome]:
    """One input, on a worker; the database is loaded once per worker process."""
    from auditor.api import BinaryReader, _audit_input
    from auditor.intel.compile import compile_intel
    from auditor.intel.load import load_database

    key = (str(options.db_path), tuple(map(str, options.db_overlays)), options.binary_timeout)
    if key not in _STATE:
        db = load_database(options.db_path, options.db_overlays)
        intel = compile_intel(db)
        _STATE[key] = (db.digest, intel, BinaryReader(intel, options.binary_timeout))
    digest, intel, reader = _STATE[key]
    return digest, _audit_input(item, options, intel, reader)


def run_on_cluster(
    address: str,
    inputs: Sequence[InputFile],
    options: AuditOptions,
    digest: str,
    done: Callable[[int], None],
) -> list[_Outcome]:
    """Every input audited on the cluster at ``address``, in input order."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise UsageError(
            "--scheduler needs Dask: pip install 'kaspersky-sbom-auditor[dask]'"
        ) from None
    from dataclasses import replace

    from auditor.api import _Outcome
    from auditor.models import Skipped

    # a monotonic deadline means nothing on another machine: workers get the per-input limits
    remote = replace(options, progress=None, scheduler="", jobs=1, run_deadline=0.0)
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    outcomes: list[_Outcome] = []
    with client:
        futures = [client.submit(_run_one, item, remote, pure=False) for item in inputs]
        for index, (item, future) in enumerate(zip(inputs, futures, strict=True)):
            try:
                worker_digest, outcome = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker costs that input only
                outcome = _Outcome(
                    skipped=[Skipped(item.display, f"cluster worker failed on it: {exc}")]
                )
                worker_digest = digest
            if worker_digest != digest:
                raise UsageError(
                    f"a Dask worker runs vendor_db {worker_digest[:12]}, this client "
                    f"{digest[:12]}: install the same auditor version on every worker"
                )
            outcomes.append(outcome)
            done(index)
    return outcomes
