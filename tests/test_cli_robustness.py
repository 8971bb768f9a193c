"""Every read command survives a charter whose sections have the wrong type: findings or
output, never an internal error (exit 3)."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import RMO, SAMPLES, git_commit

from rmo_cli.charter.loading import read_charter

SAMPLE = SAMPLES / "harbourside-globex-facilities.yaml"
COMMANDS = [
    ["validate"],
    ["verify"],
    ["check"],
    ["status", "--format", "json"],
    ["graph", "--format", "dot"],
    ["reviews", "--format", "ics"],
    ["render", "--force", "--to", "html"],
    ["textconv"],
]
KEYS = sorted(read_charter(SAMPLE).document.data)


@pytest.mark.slow
@pytest.mark.parametrize("key", KEYS)
def test_wrong_typed_section_never_crashes_a_command(cli, tmp_path: Path, monkeypatch, key) -> None:
    monkeypatch.setenv("RMO_TODAY", "2026-11-23")
    base = read_charter(SAMPLE).document.data
    for value in (3, [1], {"a": [None]}):
        data = copy.deepcopy(base)
        data[key] = value
        path = tmp_path / SAMPLE.name
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        for command in COMMANDS:
            result = cli(*command, path)
            assert result.exit_code in (0, 1), (key, value, command, result.stderr)
            assert "internal error" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("key", KEYS)
def test_wrong_typed_section_in_history_never_crashes_diff_or_log(
    cli, git_repo: Path, monkeypatch, key
) -> None:
    # A bad version, once committed, stays in history: diff and log must still work.
    monkeypatch.chdir(git_repo)
    base = read_charter(SAMPLE).document.data
    path = git_repo / SAMPLE.name
    path.write_text(yaml.safe_dump(base, allow_unicode=True), encoding="utf-8")
    git_commit(git_repo, "good")
    for value in (3, [1], {"a": [None]}):
        data = copy.deepcopy(base)
        data[key] = value
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        git_commit(git_repo, f"{key} is {value!r}")
        path.write_text(yaml.safe_dump(base, allow_unicode=True), encoding="utf-8")
        git_commit(git_repo, "good again")
    for command in (
        ["log"],
        ["log", "--format", "json"],
        ["diff", "HEAD~2"],
        ["diff", "HEAD~1", "HEAD~2", "--format", "md"],
        ["diff", "HEAD~2", "HEAD~1", "--format", "json"],
    ):
        result = cli(command[0], path, *command[1:])
        assert result.exit_code in (0, 1), (key, command, result.stderr)
        assert "internal error" not in result.stderr


@pytest.mark.parametrize(
    "command", [["validate"], ["check"], ["status"], ["reviews"], ["graph"], ["--version"]]
)
def test_a_reader_that_goes_away_stops_rmo_quietly_with_141(
    command: list[str], tmp_path: Path
) -> None:
    # `rmo check | head -1` under `set -o pipefail`: cut off while writing, rmo exits 141
    # as git does (never 0, which would pass a failing check), the same every time, and
    # says nothing. The read end is closed before rmo writes.
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n", encoding="utf-8")
    for target in (SAMPLES, broken):
        read, write = os.pipe()
        os.close(read)
        args = [*command, str(target)] if command[0][0] != "-" else command
        done = subprocess.run(
            [str(RMO), *args], stdout=write, stderr=subprocess.PIPE, text=True, check=False
        )
        os.close(write)
        assert done.returncode == 141, (command, target, done.stderr)
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize(
    "command", [["status"], ["validate", "--format", "json"], ["graph"], ["--version"]]
)
def test_a_full_disk_for_the_output_is_exit_2_not_a_bug(command: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [str(RMO), *command, *([] if command[0].startswith("-") else [str(SAMPLES)])],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert done.returncode == 2, done.stderr
    assert "No space left on device" in done.stderr and "internal error" not in done.stderr


def test_ctrl_c_while_the_cli_is_still_loading_is_exit_130_without_a_traceback() -> None:
    # The interrupt lands inside the imports (Typer, every command module): simulated by
    # an import that raises KeyboardInterrupt, as a real Ctrl-C there would.
    code = (
        "import builtins, sys\n"
        "real = builtins.__import__\n"
        "def interrupted(name, *a, **k):\n"
        "    if name == 'rmo_cli.cli.main':\n"
        "        raise KeyboardInterrupt\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = interrupted\n"
        "from rmo_cli.cli.entry import main\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 130
    assert "Traceback" not in done.stderr
