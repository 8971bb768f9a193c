"""In-place edits under concurrency: the edit lock, read-only files, killed runs' leftovers."""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import RMO, write_charter

from rmo_cli.support.atomic import atomic_write

ROUNDS = 25
ENV = {**os.environ, "RMO_TODAY": "2026-11-23"}


def _start(*args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(RMO), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def _finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = process.communicate(timeout=60)
    return process.returncode, out + err


def _both(first: list[str | Path], second: list[str | Path]) -> list[tuple[int, str]]:
    """Start two rmo runs at the same moment and wait for both."""
    started = [_start(*first), _start(*second)]
    return [_finish(p) for p in started]


@pytest.mark.slow
def test_two_concurrent_signs_never_lose_a_signoff(tmp_path: Path) -> None:
    if not RMO.exists():
        pytest.skip("rmo is not installed in this environment")
    path = tmp_path / "acme-globex.yaml"
    for round_ in range(ROUNDS):
        write_charter(path)
        results = _both(["sign", path, "--person", "jdoe"], ["sign", path, "--person", "rsmith"])
        assert [code for code, _ in results] == [0, 0], (round_, results)
        signed = {s["person"] for s in yaml.safe_load(path.read_text())["signoffs"]}
        assert signed == {"jdoe", "rsmith"}, f"round {round_}: a sign-off was lost"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme-globex.yaml"]


@pytest.mark.slow
def test_two_concurrent_record_reviews_never_lose_a_review(tmp_path: Path) -> None:
    if not RMO.exists():
        pytest.skip("rmo is not installed in this environment")
    path = tmp_path / "acme-globex.yaml"
    review: list[str | Path] = ["record-review", path, "--outcome", "affirmed"]
    for round_ in range(ROUNDS):
        write_charter(path)
        results = _both(
            [*review, "--date", "2026-11-20", "--reviewer", "jdoe"],
            [*review, "--date", "2026-11-21", "--reviewer", "rsmith"],
        )
        assert [code for code, _ in results] == [0, 0], (round_, results)
        log = yaml.safe_load(path.read_text())["review"]["log"]
        assert {str(e["date"]) for e in log} == {"2026-11-20", "2026-11-21"}, round_
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme-globex.yaml"]


KPI_CHARTER = Path(__file__).parent / "data" / "kpis" / "acme-globex.yaml"


@pytest.mark.slow
def test_two_concurrent_record_kpis_never_lose_a_measurement(tmp_path: Path) -> None:
    if not RMO.exists():
        pytest.skip("rmo is not installed in this environment")
    path = tmp_path / "acme-globex.yaml"
    original = KPI_CHARTER.read_bytes()
    record: list[str | Path] = ["record-kpi", path, "kpi-otd"]
    for round_ in range(ROUNDS):
        path.write_bytes(original)
        results = _both(
            [*record, "--value", "94", "--date", "2026-11-20"],
            [*record, "--value", "96", "--date", "2026-11-21"],
        )
        assert [code for code, _ in results] == [0, 0], (round_, results)
        kpi = yaml.safe_load(path.read_text())["kpis"][0]
        got = {(str(m["date"]), m["value"]) for m in kpi["measurements"]}
        assert {("2026-11-20", 94), ("2026-11-21", 96)} <= got, f"round {round_}: one was lost"
        # Only lines were added: nothing of the file before was lost or half-written.
        assert len(path.read_bytes().splitlines()) == len(original.splitlines()) + 2, round_
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme-globex.yaml"]
    code, output = _finish(_start("validate", path))
    assert code == 0, output


@pytest.mark.slow
def test_of_two_concurrent_amends_the_second_sees_the_first(tmp_path: Path) -> None:
    if not RMO.exists():
        pytest.skip("rmo is not installed in this environment")
    path = tmp_path / "acme-globex.yaml"
    for round_ in range(ROUNDS):
        write_charter(path)
        results = _both(
            ["amend", path, "--summary", "First amendment"],
            ["amend", path, "--summary", "Second amendment"],
        )
        codes = sorted(code for code, _ in results)
        assert codes == [0, 2], (round_, results)
        won = next(i for i, (code, _) in enumerate(results) if code == 0)
        refused = results[1 - won][1]
        # Refused for what the first run wrote, not for a clash of two unlocked writes.
        assert "status is under-review" in refused, (round_, refused)
        data = yaml.safe_load(path.read_text())
        assert data["status"] == "under-review" and data["version"] == "1.1.0", round_
        assert [a["summary"] for a in data["amendments"]] == [
            ("First amendment", "Second amendment")[won]
        ], round_
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme-globex.yaml"]
    code, output = _finish(_start("validate", path))
    assert code == 0, output


@pytest.mark.slow
def test_a_run_that_cannot_get_the_lock_exits_2_and_changes_nothing(tmp_path: Path) -> None:
    if not RMO.exists():
        pytest.skip("rmo is not installed in this environment")
    path = write_charter(tmp_path / "acme-globex.yaml")
    before = path.read_bytes()
    with open(tmp_path / ".acme-globex.yaml.rmo-lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        started = time.monotonic()
        code, output = _finish(_start("sign", path, "--person", "jdoe"))
        waited = time.monotonic() - started
    assert code == 2, output
    assert "another rmo run" in output
    assert waited < 10
    assert path.read_bytes() == before


def test_a_read_only_charter_is_refused(cli: Any, tmp_path: Path) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml")
    path.chmod(0o444)
    before = path.read_bytes()
    result = cli("sign", path, "--person", "jdoe", env={"RMO_TODAY": "2026-11-23"})
    assert result.exit_code == 2, result.output
    assert "read-only" in result.stderr
    assert path.read_bytes() == before
    assert oct(path.stat().st_mode & 0o777) == "0o444"
    reviewed = cli(
        "record-review", path, "--date", "2026-11-20", "--reviewer", "jdoe",
        "--outcome", "affirmed", env={"RMO_TODAY": "2026-11-23"},
    )  # fmt: skip
    assert reviewed.exit_code == 2, reviewed.output
    assert path.read_bytes() == before


def test_temporary_files_are_hidden_and_not_yaml(tmp_path: Path, monkeypatch: Any) -> None:
    seen: list[str] = []
    real_replace = os.replace

    def spy(src: Any, dst: Any) -> None:
        seen.append(Path(src).name)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    atomic_write(tmp_path / "acme.yaml", "id: acme\n")
    assert len(seen) == 1
    assert seen[0].startswith(".acme.yaml.rmo-") and seen[0].endswith(".tmp")


def test_a_killed_runs_temporary_file_is_cleaned(cli: Any, tmp_path: Path) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml")
    stale = tmp_path / ".acme-globex.yaml.rmo-k1ll3d.tmp"
    stale.write_text("half a file")
    other = tmp_path / ".other.yaml.rmo-k1ll3d.tmp"
    other.write_text("someone else's")
    old = time.time() - 3600
    os.utime(other, (old, old))
    result = cli("sign", path, "--person", "jdoe", env={"RMO_TODAY": "2026-11-23"})
    assert result.exit_code == 0, result.output
    assert not stale.exists()  # under the charter's lock it can only be a dead run's
    assert other.exists()  # another file's: left to its own writes (or age)
    from rmo_cli.support.atomic import clean_stale_temporaries

    clean_stale_temporaries(tmp_path / "other.yaml")
    assert not other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme-globex.yaml"]
