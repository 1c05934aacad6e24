"""``--max-memory``: cap this process's address space, and keep what the cap counts small.

The cap is ``RLIMIT_AS``, which counts address space reserved, not memory used. Two kinds of
reservation would otherwise eat it long before memory runs short:

- glibc gives each thread that allocates its own malloc arena, reserving 64 MB up front;
  under the cap every thread shares one (``M_ARENA_MAX``).
- a YARA-X scanner reserves about 80 MB for its WebAssembly store. When that fails it
  panics; with ``RUST_BACKTRACE`` set, the panic hook's backtrace needs memory too, and that
  failure waits for the lock the hook holds: the process hangs (seen with a 1 GB cap and
  ``--jobs 2``). Without the backtrace the panic reaches Python as a failed scan, which
  costs one input or member (reported not inspected), not the run.
"""

from __future__ import annotations

import os

from auditor.errors import UsageError

#: glibc's mallopt() parameter for the most arenas (malloc.h).
_M_ARENA_MAX = -8


def cap_address_space(limit: int) -> None:
    """Cap this process's address space at ``limit`` bytes (POSIX); worker processes it
    starts later inherit the environment settings made here."""
    try:
        import resource
    except ImportError:
        raise UsageError("--max-memory needs a POSIX system") from None
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY and limit > hard:
        raise UsageError(f"--max-memory {limit} is above this process's hard limit {hard}")
    os.environ["RUST_BACKTRACE"] = "0"
    os.environ["MALLOC_ARENA_MAX"] = "1"  # read by glibc when a worker process starts
    _one_malloc_arena()
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _one_malloc_arena() -> bool:
    """Make every thread of this process allocate from glibc's main arena (False: this C
    library has no ``mallopt``, e.g. musl, which has no per-thread arenas either)."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, 1))
