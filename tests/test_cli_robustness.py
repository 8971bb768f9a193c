"""Every read command survives a charter whose sections have the wrong type: findings or
output, never an internal error (exit 3)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from conftest import SAMPLES

from rmo_cli.loading import read_charter

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
