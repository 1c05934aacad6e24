"""Run native parsers (LIEF) in a worker process: a crash or a hang costs one file, not the run."""

from __future__ import annotations

import concurrent.futures as futures
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from auditor.errors import UnreadableInput

T = TypeVar("T")
DEFAULT_TIMEOUT = 60.0
DEFAULT_MEMORY_LIMIT = 4 << 30  # address space of the worker, bytes


def _limit_memory(limit: int) -> None:
    """Cap the worker's address space, so a parser that runs away fails alone (POSIX only)."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not available on this platform
        pass


_SPAWN_LOCK = threading.Lock()


@contextmanager
def _unimportable_main_hidden() -> Iterator[None]:
    """A spawned worker re-imports the parent's ``__main__`` from its file; when the program came
    from stdin or ``-c`` there is no such file and every worker would die at start-up. Hide the
    bogus path while workers start (the worker needs nothing from ``__main__``)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    spec_name = getattr(getattr(main, "__spec__", None), "name", None)
    if main is None or spec_name is not None or path is None or os.path.isfile(path):
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


def stop_pool(pool: futures.ProcessPoolExecutor | None, kill: bool, wait: bool) -> None:
    """Shut a worker pool down, killing its processes first when they may be stuck."""
    if pool is None:
        return
    if kill:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
    pool.shutdown(wait=wait, cancel_futures=True)


class Isolated:
    """A single reusable worker process; replaced after a crash or a time-out."""

    def __init__(
        self, timeout: float = DEFAULT_TIMEOUT, memory_limit: int = DEFAULT_MEMORY_LIMIT
    ) -> None:
        self.timeout = timeout
        self.memory_limit = memory_limit
        self._pool: futures.ProcessPoolExecutor | None = None

    def _executor(self) -> futures.ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = futures.ProcessPoolExecutor(
                max_workers=1,
                mp_context=context,
                initializer=_limit_memory,
                initargs=(self.memory_limit,),
            )
        return self._pool

    def _reset(self, kill: bool) -> None:
        pool, self._pool = self._pool, None
        stop_pool(pool, kill, wait=False)

    def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in the worker; UnreadableInput if it crashes or times out."""
        if multiprocessing.current_process().daemon:  # e.g. a Dask worker: no children allowed
            return function(*args)
        with _SPAWN_LOCK, _unimportable_main_hidden():  # one thread at a time edits __main__
            future = self._executor().submit(function, *args)
        try:
            return future.result(timeout=self.timeout)
        except futures.TimeoutError:
            self._reset(kill=True)
            raise UnreadableInput(f"parser did not finish within {self.timeout:g} s") from None
        except futures.process.BrokenProcessPool:
            self._reset(kill=True)
            raise UnreadableInput("parser crashed on this file (native code)") from None
        except MemoryError:
            self._reset(kill=True)
            raise UnreadableInput(
                f"parser needed more than {self.memory_limit >> 20} MiB on this file"
            ) from None

    def close(self) -> None:
        """Stop the worker (idle at the end of a run; mid-parse after Ctrl-C, so it is killed
        rather than waited for) and wait for the pool's manager thread. Not waiting leaves
        that thread running into interpreter exit, where concurrent.futures' exit hook can
        write to the wake-up pipe it has just closed ("Exception ignored ... Bad file
        descriptor" on stderr, CPython 3.11)."""
        pool, self._pool = self._pool, None
        stop_pool(pool, kill=True, wait=True)


class Inline:
    """Runs parsers in this process, for a process that is itself a disposable worker (see
    :mod:`auditor.parallel`): a hang past ``timeout`` ends the process through SIGALRM's default
    action, and its parent then re-audits the input with :class:`Isolated` parsers."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout

    def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` here, under a real-time alarm of ``timeout`` seconds."""
        import signal

        signal.setitimer(signal.ITIMER_REAL, self.timeout)
        try:
            return function(*args)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def close(self) -> None:
        """Nothing to release."""
