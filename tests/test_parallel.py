"""The one parallel map (support/parallel.py): worker-count rule, order, inherited state."""

from __future__ import annotations

import os

import pytest

from rmo_cli.support.parallel import map_chunks, map_stream, parallel_map, worker_count

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="worker processes need fork")


@needs_fork
def test_worker_count_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RMO_JOBS", raising=False)
    assert worker_count(299) == 1 and worker_count(5, threshold=8) == 1
    assert worker_count(300) == min(os.cpu_count() or 1, 8)
    monkeypatch.setenv("RMO_JOBS", "3")
    assert worker_count(10) == 3 and worker_count(2) == 2  # never more than items
    monkeypatch.setenv("RMO_JOBS", "zero")
    assert worker_count(10) == 1


@needs_fork
def test_workers_keep_order_and_inherit_unpicklable_state() -> None:
    parent = os.getpid()
    unpicklable = lambda n: n * 10  # noqa: E731 - workers inherit it, nothing is pickled

    def work(n: int) -> tuple[int, bool]:
        return unpicklable(n), os.getpid() != parent

    results = parallel_map(work, list(range(50)), 2)
    assert [r for r, _ in results] == [n * 10 for n in range(50)]
    assert all(in_worker for _, in_worker in results)
    assert [r for r, in_worker in parallel_map(work, [1, 2], 1)] == [10, 20]
    assert not any(in_worker for _, in_worker in parallel_map(work, [1, 2], 1))


def test_chunks_are_bounded_and_in_order() -> None:
    chunks = list(map_chunks(str, list(range(100)), 1, chunks_per_worker=8, max_chunk=5))
    assert [len(c) for c in chunks] == [5] * 20
    assert [x for c in chunks for x in c] == [str(n) for n in range(100)]


@needs_fork
def test_stream_keeps_order_skips_none_and_forks_its_workers_once() -> None:
    parent = os.getpid()
    pairs = [(k, k if k % 3 else None) for k in range(300)]
    out = list(map_stream(lambda n: (n * 10, os.getpid()), pairs, 2, chunk=5))
    assert [k for k, _ in out] == list(range(300))
    assert all((r is None) == (k % 3 == 0) for k, r in out)
    assert all(r[0] == k * 10 for k, r in out if r is not None)
    pids = {r[1] for _, r in out if r is not None}
    assert parent not in pids and len(pids) <= 2  # one set of workers for all 60 chunks


@pytest.mark.parametrize("workers", [1, 2] if hasattr(os, "fork") else [1])
def test_stream_takes_items_only_as_far_ahead_as_its_chunks_in_flight(workers: int) -> None:
    taken = 0
    most_ahead = 0

    def items():
        nonlocal taken
        for k in range(400):
            taken += 1
            yield k, k

    given = 0
    for _key, result in map_stream(lambda n: n + 1, items(), workers, chunk=4, ahead=2):
        given += 1
        most_ahead = max(most_ahead, taken - given)
        assert result == _key + 1
    assert given == 400
    # Never more than the chunks in flight (workers x ahead, plus the one waited on and
    # the one being filled) are held: memory does not grow with the number of items.
    assert most_ahead <= (4 * (workers * 2 + 2) if workers > 1 else 0)
