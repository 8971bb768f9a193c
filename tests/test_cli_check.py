"""`rmo check`: exit codes, every report format, --output, --fail-on, --within, --as-of."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import charter, write_charter
from test_check import overdue_charter, signed

from rmo_cli.reporters import FORMATS

RMO = Path(sys.executable).parent / "rmo"
AS_OF = "2026-11-23"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A charter repository (rmo.yaml + charters/) with one clean charter, as the cwd."""
    root = tmp_path / "charter-repo"
    (root / "charters").mkdir(parents=True)
    (root / "rmo.yaml").write_text('charters: ["charters/**/*.yaml"]\ndue_soon: P30D\n')
    write_charter(root / "charters" / "acme-globex.yaml", signed(charter()))
    monkeypatch.chdir(root)
    return root


def add(root: Path, name: str, data: dict[str, Any]) -> Path:
    return write_charter(root / "charters" / f"{name}.yaml", data)


def other(**overrides: Any) -> dict[str, Any]:
    """A second charter with its own id, so ids stay unique in the repository."""
    return charter(id="initech-umbrella", **overrides)


def report(result: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_clean_repository_exits_0(cli: Any, repo: Path) -> None:
    result = cli("check", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "1 file checked: 0 errors, 0 warnings" in result.stdout


def test_invalid_charter_exits_1_and_json_names_the_rule(cli: Any, repo: Path) -> None:
    data = other(governance={"model": "hierarchy"})  # hierarchy needs a lead_party
    path = add(repo, "initech-umbrella", signed(data))
    result = cli("check", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 1, result.output
    out = report(result)
    assert out["summary"] == {"files": 2, "errors": 1, "warnings": 0}
    (finding,) = out["findings"]
    assert finding["file"] == str(path.relative_to(repo))
    assert finding["rule"] and finding["severity"] == "error"
    assert finding["line"] > 1 and finding["pointer"].startswith("/governance")


def test_stale_signoff_exits_1(cli: Any, repo: Path) -> None:
    data = signed(other())
    data["purpose"] = "Changed after both parties signed."
    add(repo, "initech-umbrella", data)
    result = cli("check", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 1, result.output
    found = {(f["rule"], f["severity"]) for f in report(result)["findings"]}
    assert ("signoff-stale", "error") in found


def test_overdue_review_exits_1(cli: Any, repo: Path) -> None:
    data = overdue_charter()
    data["id"] = "initech-umbrella"
    data = signed({k: v for k, v in data.items() if k != "signoffs"})
    add(repo, "initech-umbrella", data)
    result = cli("check", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 1, result.output
    assert [f["rule"] for f in report(result)["findings"]] == ["review-overdue"]
    # The same charter passes with --fail-on none (the finding stays, as a warning).
    relaxed = cli("check", "--as-of", AS_OF, "--format", "json", "--fail-on", "none")
    assert relaxed.exit_code == 0, relaxed.output
    assert [f["severity"] for f in report(relaxed)["findings"]] == ["warning"]


def test_warnings_fail_only_with_strict(cli: Any, repo: Path) -> None:
    add(repo, "initech-umbrella", other())  # active, no sign-offs: warnings
    result = cli("check", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "warning[signoff-missing]" in result.stdout
    assert cli("check", "--as-of", AS_OF, "--strict").exit_code == 1


def test_due_soon_and_within(cli: Any, repo: Path) -> None:
    data = signed(other(review={"cadence": "P6M", "last_reviewed": "2026-06-01"}))
    add(repo, "initech-umbrella", data)  # due 2026-12-01
    assert cli("check", "--as-of", AS_OF).exit_code == 0
    failing = cli("check", "--as-of", AS_OF, "--fail-on", "due-soon")
    assert failing.exit_code == 1
    assert "error[review-due-soon]" in failing.stdout
    narrow = cli("check", "--as-of", AS_OF, "--fail-on", "due-soon", "--within", "P3D")
    assert narrow.exit_code == 0, narrow.output


def test_due_soon_window_comes_from_rmo_yaml(cli: Any, repo: Path) -> None:
    (repo / "rmo.yaml").write_text('charters: ["charters/**/*.yaml"]\ndue_soon: P3D\n')
    data = signed(other(review={"cadence": "P6M", "last_reviewed": "2026-06-01"}))
    add(repo, "initech-umbrella", data)
    assert cli("check", "--as-of", AS_OF, "--fail-on", "due-soon").exit_code == 0
    widened = cli("check", "--as-of", AS_OF, "--fail-on", "due-soon", "--within", "P30D")
    assert widened.exit_code == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_carries_rule_file_and_line(cli: Any, repo: Path, fmt: str) -> None:
    path = add(repo, "initech-umbrella", signed(other(status="dormant")))
    rel = str(path.relative_to(repo))
    line = path.read_text().splitlines().index("status: dormant") + 1
    result = cli("check", "--as-of", AS_OF, "--format", fmt)
    assert result.exit_code == 1, result.output
    out = result.stdout
    if fmt == "text":
        assert f"{rel}:{line}:9: error[" in out
    elif fmt == "json":
        (finding,) = report(result)["findings"]
        assert (finding["file"], finding["line"], finding["column"]) == (rel, line, 9)
    elif fmt == "github":
        assert f"::error file={rel},line={line},col=9" in out
    elif fmt == "sarif":
        sarif = json.loads(out)
        (res,) = sarif["runs"][0]["results"]
        region = res["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] == line
        rule_ids = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
        assert res["ruleId"] in rule_ids
    else:
        suite = ET.fromstring(out)
        cases = suite.findall(".//testcase")
        assert len(cases) == 2  # one test case per file
        assert f"{rel}:{line}" in out
    # The summary line reaches the log once: in the report or on stderr.
    assert (out + result.stderr).count("2 files checked: 1 error, 0 warnings") == 1


def test_output_writes_the_report_and_logs_text(cli: Any, repo: Path, tmp_path: Path) -> None:
    add(repo, "initech-umbrella", signed(other(status="dormant")))
    target = tmp_path / "reports" / "rmo.sarif"
    result = cli("check", "--as-of", AS_OF, "--format", "sarif", "--output", target)
    assert result.exit_code == 1
    assert result.stdout == ""
    sarif = json.loads(target.read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert "error[" in result.stderr and "initech-umbrella.yaml" in result.stderr
    assert f"sarif report written to {target}" in result.stderr
    # No temporary file left beside the report.
    assert [p.name for p in target.parent.iterdir()] == ["rmo.sarif"]


def test_paths_narrow_the_check(cli: Any, repo: Path) -> None:
    add(repo, "initech-umbrella", signed(other(status="dormant")))
    result = cli("check", "--as-of", AS_OF, "charters/acme-globex.yaml")
    assert result.exit_code == 0, result.output
    assert cli("check", "--as-of", AS_OF, "charters").exit_code == 1


@pytest.mark.parametrize(
    "args",
    [
        ("--as-of", "23/11/2026"),
        ("--within", "a month"),
        ("--fail-on", "sometimes"),
        ("--format", "html"),
        ("missing-folder",),
    ],
)
def test_usage_errors_exit_2(cli: Any, repo: Path, args: tuple[str, ...]) -> None:
    result = cli("check", *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_no_charters_anywhere_is_a_usage_error(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    result = cli("check")
    assert result.exit_code == 2
    assert "rmo init" in result.stderr


def test_help_has_an_example(cli: Any) -> None:
    result = cli("check", "--help")
    assert result.exit_code == 0
    assert "Example: rmo check" in result.stdout
    for option in ("--format", "--output", "--as-of", "--within", "--fail-on", "--strict"):
        assert option in result.stdout


@pytest.mark.slow
def test_installed_rmo_check_in_a_subprocess(repo: Path) -> None:
    if not RMO.exists():
        pytest.skip("the rmo console script is not installed beside this Python")
    add(repo, "initech-umbrella", signed(other(status="dormant")))
    done = subprocess.run(
        [str(RMO), "check", "--as-of", AS_OF, "--format", "github"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(repo), "NO_COLOR": "1"},
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("::error file=charters/initech-umbrella.yaml,line=")
    assert "Traceback" not in done.stderr


def test_repository_without_charters_yet_passes_with_a_warning(cli: Any, repo: Path) -> None:
    (repo / "charters" / "acme-globex.yaml").unlink()  # as right after `rmo init`
    result = cli("check")
    assert result.exit_code == 0, result.output
    assert "no charter files found" in result.stderr
