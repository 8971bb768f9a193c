"""Comment-preserving edits keep the file's own layout; atomic writes leave nothing behind."""

from __future__ import annotations

import difflib
import os
import stat
from pathlib import Path

import pytest

from rmo_cli.cli.exits import exit_code_of
from rmo_cli.ops.editing import edit_charter
from rmo_cli.support.atomic import atomic_write
from rmo_cli.support.errors import RmoError

FOUR_SPACES = """\
# A hand-written charter with 4-space indentation
apiVersion: rmo/v1
kind: RelationshipCharter
review:
    cadence: P6M   # twice a year
    log:
    -   date: '2026-01-10'
        outcome: affirmed
term:
    effective: 2025-02-01
"""

TWO_SPACES_INDENTED_LISTS = """\
review:
  cadence: quarterly
  log:
    - date: '2026-01-10'
      outcome: affirmed  # first
"""


@pytest.mark.parametrize("text", [FOUR_SPACES, TWO_SPACES_INDENTED_LISTS])
def test_appending_changes_only_the_added_lines(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    with edit_charter(path) as doc:
        doc["review"]["log"].append({"date": "2026-07-01", "outcome": "amended"})
    after = path.read_text(encoding="utf-8")
    removed = [
        line
        for line in difflib.ndiff(text.splitlines(), after.splitlines())
        if line.startswith("- ")
    ]
    assert removed == []
    assert "2026-07-01" in after and "amended" in after


def test_an_exception_inside_leaves_the_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(FOUR_SPACES, encoding="utf-8")
    with pytest.raises(RuntimeError), edit_charter(path) as doc:
        doc["review"]["cadence"] = "P1M"
        raise RuntimeError("stop")
    assert path.read_text(encoding="utf-8") == FOUR_SPACES
    assert list(tmp_path.iterdir()) == [path]


def test_atomic_write_refuses_to_overwrite_without_permission(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(RmoError) as caught:
        atomic_write(path, "new", overwrite=False)
    assert exit_code_of(caught.value) == 2 and "--force" in caught.value.message
    assert path.read_text(encoding="utf-8") == "old"
    atomic_write(path, "new")
    assert path.read_text(encoding="utf-8") == "new"
    assert list(tmp_path.iterdir()) == [path]


def test_atomic_write_writes_through_a_symlink_and_into_a_pipe(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "report.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    atomic_write(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    # A FIFO (like /dev/stdout in CI) is written to, never replaced by a file.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        atomic_write(fifo, "through the pipe")
        assert os.read(reader, 100) == b"through the pipe"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    with pytest.raises(RmoError) as err:
        atomic_write(tmp_path / "shared", "x")
    assert exit_code_of(err.value) == 2 and "is a folder" in err.value.message


def test_atomic_write_to_a_full_device_is_a_usage_error() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    with pytest.raises(RmoError) as err:
        atomic_write(Path("/dev/full"), "x" * 100_000)
    assert exit_code_of(err.value) == 2 and "No space left" in err.value.message
    assert Path("/dev/full").is_char_device()  # still the device, not a file


def test_edit_in_place_plans_under_the_lock_and_a_refusal_changes_nothing(
    tmp_path: Path,
) -> None:
    from conftest import write_charter

    from rmo_cli.charter.loading import Document
    from rmo_cli.ops.editing import edit_in_place
    from rmo_cli.support.atomic import locked
    from rmo_cli.support.errors import RefusedError

    path = write_charter(tmp_path / "acme-globex.yaml")
    before = path.read_bytes()

    def refuse(original: bytes, doc: Document) -> tuple[bytes, None]:
        # Another run cannot take the lock while the plan runs.
        with pytest.raises(RmoError, match="another rmo run"), locked(path, timeout=0.05):
            pass
        raise RefusedError(f"{doc.data['id']}: no")

    with pytest.raises(RefusedError, match="acme-globex: no"):
        edit_in_place(path, "acme-globex.yaml", refuse)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme-globex.yaml"]

    def retitle(original: bytes, doc: Document) -> tuple[bytes, str]:
        return original.replace(b"title: ", b"title: New "), "done"

    assert edit_in_place(path, "acme-globex.yaml", retitle) == "done"
    assert path.read_bytes() == before.replace(b"title: ", b"title: New ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme-globex.yaml"]


def test_edit_in_place_refuses_what_is_not_a_charter_file(tmp_path: Path) -> None:
    from rmo_cli.ops.editing import edit_in_place

    def never(original: bytes, doc: object) -> tuple[bytes, None]:
        raise AssertionError("planned an edit of a file that cannot be edited")

    with pytest.raises(RmoError, match="nope.yaml does not exist") as missing:
        edit_in_place(tmp_path / "nope.yaml", "nope.yaml", never)
    assert exit_code_of(missing.value) == 2
    with pytest.raises(RmoError, match="is a directory") as folder:
        edit_in_place(tmp_path, "folder", never)
    assert exit_code_of(folder.value) == 2
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(RmoError, match=r"^broken\.yaml:\d+:\d+: ") as unreadable:
        edit_in_place(broken, "broken.yaml", never)
    assert exit_code_of(unreadable.value) == 1
    assert broken.read_text(encoding="utf-8") == "id: [unclosed\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.yaml"]
