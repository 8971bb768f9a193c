"""The one parallel map: forked worker processes for many files, one process for few.

Every command that reads or renders many charters goes through `map_chunks` (items in a
list) or `map_stream` (items taken lazily, memory flat however many: validation), with one
worker-count rule (`worker_count`) and one fork check (`can_fork`). Workers are forked, so
they inherit the function and everything it closes over (compiled schemas and templates,
a renderer); only the items and the results cross processes. Results come back in the
order of the items, the same as in one process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K")

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


def stream_chunk(count: int, workers: int) -> int:
    """Items a `map_stream` chunk takes: at most 32 (memory stays flat), fewer for few items
    so that every worker still gets some."""
    return max(1, min(32, -(-count // (workers * 4))))


def map_stream(
    func: Callable[[T], R],
    pairs: Iterable[tuple[K, T | None]],
    workers: int,
    *,
    chunk: int = 32,
    ahead: int = 2,
    initializer: Callable[[], None] | None = None,
) -> Iterator[tuple[K, R | None]]:
    """(key, func(item)) for each (key, item) of pairs, in order; an item None gives None
    without any work. The key stays in this process; only items and results cross.

    pairs are taken lazily and at most `ahead` chunks a worker are in flight, so memory
    does not grow with the number of pairs. The workers are forked once, when the first
    chunk is ready (this process is then at its smallest), and serve every chunk after.
    initializer runs in each worker as it starts (e.g. to compile what func needs: this
    process, which only hands out work, then never holds it).
    """
    if workers <= 1:
        for key, item in pairs:
            yield key, (None if item is None else func(item))
        return
    import gc
    import multiprocessing
    import warnings
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    global _INHERITED
    # Segments in order: their keys (with whether each has an item) and the future of
    # their items' results (None: no item in the segment).
    queue: deque[tuple[list[tuple[K, bool]], Future[list[R]] | None]] = deque()
    keys: list[tuple[K, bool]] = []
    items: list[T] = []
    pool: ProcessPoolExecutor | None = None
    in_flight = 0
    limit = workers * ahead

    def emit(block: bool) -> Iterator[tuple[K, R | None]]:
        nonlocal in_flight
        while queue:
            segment, future = queue[0]
            if future is not None and not future.done() and not (block or in_flight > limit):
                return
            queue.popleft()
            results = iter(future.result() if future is not None else ())
            if future is not None:
                in_flight -= 1
            for key, has_item in segment:
                yield key, (next(results) if has_item else None)

    try:
        for key, item in pairs:
            keys.append((key, item is not None))
            if item is not None:
                items.append(item)
            if len(items) < chunk and len(keys) < chunk * 4:
                continue
            future = None
            if items:
                starting = pool is None
                if pool is None:
                    _INHERITED = func
                    gc.freeze()  # workers leave what they inherit alone (no copy on write)
                    context = multiprocessing.get_context("fork")
                    pool = ProcessPoolExecutor(workers, context, initializer=initializer)
                with warnings.catch_warnings():  # workers are forked at the first submit
                    warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads
                    future = pool.submit(_apply_inherited, items)
                if starting:
                    gc.unfreeze()  # forked: this process collects as usual again
                in_flight += 1
            queue.append((keys, future))
            keys, items = [], []
            yield from emit(block=False)
        if items:  # the last segment: in this process when no workers started (few items)
            if pool is None:
                future = _done([func(item) for item in items])
            else:
                future = pool.submit(_apply_inherited, items)
            queue.append((keys, future))
            in_flight += 1
        elif keys:
            queue.append((keys, None))
        yield from emit(block=True)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        _INHERITED = None


def _done(results: list[R]) -> Future[list[R]]:
    from concurrent.futures import Future

    future: Future[list[R]] = Future()
    future.set_result(results)
    return future


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
