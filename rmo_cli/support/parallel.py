"""The one parallel map: forked worker processes for many files, one process for few.

Every command that reads or renders many charters goes through `map_chunks`, with one
worker-count rule (`worker_count`) and one fork check (`can_fork`). Workers are forked, so
they inherit the function and everything it closes over (compiled schemas and templates,
a renderer); only the items and the results cross processes. Results come back in the
order of the items, the same as in one process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many items one process is faster than starting workers.
PARALLEL_THRESHOLD = 300
# Never more worker processes than this, whatever the core count.
MAX_WORKERS = 8

# The function the workers apply: set before the pool forks, inherited, never pickled.
_INHERITED: Callable[[Any], Any] | None = None


def can_fork() -> bool:
    """True where worker processes can be forked (POSIX); elsewhere everything runs here."""
    return hasattr(os, "fork")


def worker_count(count: int, threshold: int = PARALLEL_THRESHOLD) -> int:
    """Processes for count items: 1 below threshold or without fork, else one per core (≤ 8).

    The environment variable RMO_JOBS (a positive whole number) overrides the count where
    fork is available; never more processes than items.
    """
    if not can_fork():
        return 1
    jobs = os.environ.get("RMO_JOBS", "")
    if jobs.isdigit() and int(jobs) > 0:
        workers = int(jobs)
    elif count < threshold:
        workers = 1
    else:
        workers = min(os.cpu_count() or 1, MAX_WORKERS)
    return max(1, min(workers, count))


def _apply_inherited(chunk: Sequence[Any]) -> list[Any]:
    """Worker entry point: apply the inherited function to one chunk."""
    assert _INHERITED is not None
    return [_INHERITED(item) for item in chunk]


def map_chunks(
    func: Callable[[T], R],
    items: Sequence[T],
    workers: int,
    *,
    chunks_per_worker: int = 4,
    max_chunk: int | None = None,
    before_fork: Callable[[], None] | None = None,
) -> Iterator[list[R]]:
    """func over items, yielded chunk by chunk in order (in workers when workers > 1).

    Chunks hold ceil(len / (workers * chunks_per_worker)) items (at most max_chunk).
    before_fork runs once in this process before workers start, to compile what they share.
    """
    global _INHERITED
    size = -(-len(items) // (max(workers, 1) * chunks_per_worker))
    if max_chunk is not None:
        size = min(max_chunk, size)
    size = max(1, size)
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    if workers <= 1 or len(chunks) < 2:
        for chunk in chunks:
            yield [func(item) for item in chunk]
        return
    import multiprocessing
    import warnings
    from concurrent.futures import ProcessPoolExecutor

    if before_fork is not None:
        before_fork()
    _INHERITED = func
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            with warnings.catch_warnings():  # every worker is forked within map
                warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
                results = pool.map(_apply_inherited, chunks)
            yield from results
    finally:
        _INHERITED = None


def parallel_map(
    func: Callable[[T], R],
    items: Sequence[T],
    workers: int,
    *,
    before_fork: Callable[[], None] | None = None,
) -> list[R]:
    """func over every item, in order: in this process or in `workers` forked processes."""
    return [
        result
        for chunk in map_chunks(func, items, workers, before_fork=before_fork)
        for result in chunk
    ]
