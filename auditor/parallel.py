"""Local multi-process audits (``--jobs N``): each top-level input is audited start to finish
(read, unpack, parse, match, triage) by one of N worker processes, so every core does the
whole job rather than one process doing the Python half of everyone's; results come back
realised and are merged in input order, so reports are the same, byte for byte, as a serial run.

Safety is kept by making each worker disposable: binaries are parsed inside it under a
real-time alarm (SIGALRM's default action ends the process on a hang) and a capped address
space. When a worker dies on an input (a native crash, a hang, memory), that input is audited
again here, with every binary parsed in its own isolated process as in a serial run, so the
one bad file is reported and everything beside it still is. An input that is still running
after its deadline is reported as not inspected and its worker is replaced.
"""

from __future__ import annotations

import concurrent.futures as futures
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.api import AuditOptions, InputFile, _Outcome
    from auditor.cache import ResultCache
    from auditor.intel.compile import CompiledIntel

#: Below this many bytes of input, starting workers (about half a second each: an interpreter,
#: imports and the database) costs more than it saves; such runs stay in this process.
MIN_BYTES = 32 << 20
#: Added to an input's container time limit and one parser time-out to give its deadline:
#: reading and matching a large SBOM is not bounded by either.
GRACE_SECONDS = 600.0
#: Address space of a worker beyond what the input limits allow it to hold.
BASE_MEMORY = 4 << 30

_STATE: dict[str, Any] = {}


def available() -> bool:
    """True where workers can be bounded in time by a real-time alarm (POSIX)."""
    return hasattr(signal, "setitimer") and hasattr(signal, "SIGALRM")


def wanted(jobs: int, inputs: int, total_bytes: int) -> bool:
    """Whether a run is worth worker processes."""
    return jobs > 1 and inputs > 1 and total_bytes >= MIN_BYTES and available()


def _memory_limit(options: AuditOptions) -> int:
    own = BASE_MEMORY + options.max_file_size + options.container_limits.max_total
    return min(own, options.max_memory) if options.max_memory else own


def _deadline(options: AuditOptions) -> float:
    return options.container_limits.max_seconds + options.binary_timeout + GRACE_SECONDS


def _start_worker(options: AuditOptions, cache_namespace: str) -> None:
    """Worker initializer: default SIGALRM action, capped memory, the database loaded and
    compiled once for every input this worker audits."""
    from auditor.api import BinaryReader
    from auditor.cache import ResultCache
    from auditor.ingest.isolation import _limit_memory
    from auditor.intel.compile import compile_intel
    from auditor.intel.load import load_database

    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    _limit_memory(_memory_limit(options))
    intel = compile_intel(load_database(options.db_path, options.db_overlays))
    _STATE["intel"] = intel
    _STATE["reader"] = BinaryReader(intel, options.binary_timeout, inline=True)
    _STATE["cache"] = (
        ResultCache(options.cache_dir, cache_namespace) if options.cache_dir is not None else None
    )


def _audit_in_worker(item: InputFile, options: AuditOptions) -> _Outcome:
    from auditor.api import _audit_input

    return _audit_input(item, options, _STATE["intel"], _STATE["reader"], _STATE["cache"])


class _Slot:
    """One worker process, driven by one thread of this process."""

    def __init__(
        self,
        options: AuditOptions,
        cache_namespace: str,
        fallback: Callable[[InputFile], _Outcome],
        function: Callable[[InputFile, AuditOptions], _Outcome] | None = None,
    ) -> None:
        self.options = options
        self.remote = replace(options, progress=None, jobs=1)
        self.cache_namespace = cache_namespace
        self.fallback = fallback
        #: What the worker runs on an input (tests substitute a crash or a hang).
        self.function = function or _audit_in_worker
        #: Seconds an input may take in the worker before it is reported and the worker stopped.
        self.deadline = _deadline(options)
        self._pool: futures.ProcessPoolExecutor | None = None

    def _executor(self) -> futures.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = futures.ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.remote, self.cache_namespace),
            )
        return self._pool

    def audit(self, item: InputFile) -> _Outcome:
        """``item`` audited by the worker, or here after the worker died on it."""
        from auditor.api import _Outcome
        from auditor.ingest.isolation import _SPAWN_LOCK, _unimportable_main_hidden
        from auditor.models import Skipped

        with _SPAWN_LOCK, _unimportable_main_hidden():
            future = self._executor().submit(self.function, item, self.remote)
        deadline = self.deadline
        if self.options.run_deadline:  # the worker honours the run's budget; this is a backstop
            remaining = max(0.0, self.options.run_deadline - time.monotonic())
            deadline = min(deadline, remaining + self.options.binary_timeout + 60.0)
        try:
            return future.result(timeout=deadline)
        except futures.TimeoutError:
            self.close(kill=True)
            return _Outcome(
                skipped=[
                    Skipped(
                        item.display,
                        f"not finished within {deadline:g} s (--max-seconds, the parser "
                        "time-out and reading time): worker stopped",
                    )
                ]
            )
        except futures.process.BrokenProcessPool:
            self.close(kill=True)
            return self.fallback(item)

    def close(self, kill: bool = False) -> None:
        """Stop the worker (killing it when it may be stuck)."""
        from auditor.ingest.isolation import stop_pool

        pool, self._pool = self._pool, None
        stop_pool(pool, kill, wait=not kill)


def audit_in_processes(
    inputs: Sequence[InputFile],
    sizes: Sequence[int],
    options: AuditOptions,
    intel: CompiledIntel,
    cache: ResultCache | None,
    jobs: int,
    started: Callable[[int], None],
    finished: Callable[[int], None],
) -> list[_Outcome]:
    """Every input audited by ``jobs`` worker processes (largest first), in input order."""
    from auditor.api import ThreadReaders, _audit_input

    outcomes: list[_Outcome | None] = [None] * len(inputs)
    local = threading.local()
    lock = threading.Lock()
    slots: list[_Slot] = []
    readers = ThreadReaders(intel, options.binary_timeout, options.max_memory)
    namespace = cache.namespace if cache is not None else ""

    def fallback(item: InputFile) -> _Outcome:
        return _audit_input(item, options, intel, readers.get(), cache)

    def work(index: int) -> None:
        slot = getattr(local, "slot", None)
        if slot is None:
            slot = local.slot = _Slot(options, namespace, fallback)
            with lock:
                slots.append(slot)
        with lock:
            started(index)
        outcomes[index] = slot.audit(inputs[index])
        with lock:
            finished(index)

    order = sorted(range(len(inputs)), key=lambda index: (-sizes[index], index))
    try:
        with futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="audit") as pool:
            for future in [pool.submit(work, index) for index in order]:
                future.result()
    finally:
        for slot in slots:
            slot.close()
        readers.close()
    return [outcome for outcome in outcomes if outcome is not None]
