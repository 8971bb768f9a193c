"""The one parallel map (support/parallel.py): worker-count rule, order, inherited state."""

from __future__ import annotations

import os

import pytest

from rmo_cli.support.parallel import map_chunks, parallel_map, worker_count

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
