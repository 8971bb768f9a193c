"""Tables for people fit the terminal, or $COLUMNS, also when piped (SPEC §11); the ICS
export names charters by their place in the repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import SAMPLES

from rmo_cli.support.table import render_table
from rmo_cli.support.width import display_width

ENV = {"RMO_TODAY": "2026-11-23", "NO_COLOR": "1"}
KPI_FIXTURE = Path(__file__).parent / "data" / "kpis" / "acme-globex.yaml"


def _words(text: str) -> set[str]:
    """The hyphen-separated parts of every word (a line may break after a hyphen)."""
    return {p for line in text.splitlines() for w in line.split() for p in w.split("-") if p}


@pytest.mark.parametrize("command", ["status", "reviews", "kpis"])
@pytest.mark.parametrize("columns", [60, 80, 120])
def test_tables_fit_columns_and_wrap_at_word_boundaries(
    cli, tmp_path: Path, command: str, columns: int
) -> None:
    folder = tmp_path / "charters"
    shutil.copytree(SAMPLES, folder)
    shutil.copy(KPI_FIXTURE, folder)
    env = {**ENV, "COLUMNS": str(columns)}
    result = cli(command, folder, env=env)  # CliRunner's stdout is no terminal: a pipe
    assert result.exit_code == 0, result.stderr
    table = result.stdout.split("\n\n")[0].splitlines()
    assert max(display_width(line) for line in table) <= columns
    wide = cli(command, folder, "--wide", env=env).stdout.split("\n\n")[0]
    assert max(display_width(line) for line in wide.splitlines()) > columns
    # Every word shown is a whole word (or hyphen-separated part) of the wide table.
    assert _words("\n".join(table)) <= _words(wide)


def test_low_value_columns_go_first() -> None:
    header = ["ID", "TITLE", "FILE"]
    rows = [["acme-globex", "A fairly long title that can wrap", "charters/acme-globex.yaml"]]
    lines = render_table(header, rows, 40, drop_order=(2,))
    assert "FILE" not in lines[0] and "TITLE" in lines[0]
    assert all(display_width(line) <= 40 for line in lines)
    assert render_table(header, rows, None, drop_order=(2,))[0].split() == header


def test_wrapping_keeps_wide_characters_aligned() -> None:
    lines = render_table(["名前", "X"], [["関係 憲章 文書 です", "y"]], 12)
    assert all(display_width(line) <= 12 for line in lines)


def test_ics_never_names_an_absolute_local_path(cli, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)  # a repository's root
    shutil.copytree(SAMPLES, repo / "charters")
    result = cli("reviews", str(repo / "charters"), "--format", "ics", env=ENV)
    assert result.exit_code == 0, result.stderr
    unfolded = result.stdout.replace("\r\n ", "")
    assert str(tmp_path) not in unfolded
    assert "File: charters/meridian-group-shared-services.yaml" in unfolded
