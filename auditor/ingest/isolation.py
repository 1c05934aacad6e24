"""Run native parsers (LIEF) in a worker process: a crash or a hang costs one file, not the run."""

from __future__ import annotations

import concurrent.futures as futures
import multiprocessing
from collections.abc import Callable
from typing import Any, TypeVar

from auditor.errors import UnreadableInput

T = TypeVar("T")
DEFAULT_TIMEOUT = 60.0


class Isolated:
    """A single reusable worker process; replaced after a crash or a time-out."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self._pool: futures.ProcessPoolExecutor | None = None

    def _executor(self) -> futures.ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = futures.ProcessPoolExecutor(max_workers=1, mp_context=context)
        return self._pool

    def _reset(self, kill: bool) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if kill:
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in the worker; UnreadableInput if it crashes or times out."""
        future = self._executor().submit(function, *args)
        try:
            return future.result(timeout=self.timeout)
        except futures.TimeoutError:
            self._reset(kill=True)
            raise UnreadableInput(f"parser did not finish within {self.timeout:g} s") from None
        except futures.process.BrokenProcessPool:
            self._reset(kill=True)
            raise UnreadableInput("parser crashed on this file (native code)") from None

    def close(self) -> None:
        self._reset(kill=False)
