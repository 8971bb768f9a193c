"""KPI tracking (SPEC §11): states on their boundaries, `kpi-threshold`, `rmo record-kpi`
edits that only add lines and refusals that leave the file untouched, `rmo kpis` in every
format, KPI states in `status` and `check --fail-on off-track`, and tables that fit."""

from __future__ import annotations

import csv
import difflib
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml

from rmo_cli.charter.kpis import KpiStatus, kpi_status, state_of, threshold_problem

FIXTURE = Path(__file__).parent / "data" / "kpis" / "acme-globex.yaml"
ENV = {"RMO_TODAY": "2026-11-23", "NO_COLOR": "1"}
HIGHER, LOWER = "higher-is-better", "lower-is-better"


# ------------------------------------------------------------------------- state arithmetic


@pytest.mark.parametrize(
    ("value", "state"),
    [(96, "on-track"), (95, "on-track"), (94.99, "at-risk"), (92, "at-risk"),
     (91.99, "off-track"), (0, "off-track")],
)  # fmt: skip
def test_higher_is_better_boundaries(value: float, state: str) -> None:
    assert state_of(value, 95, HIGHER, 92) == state


@pytest.mark.parametrize(
    ("value", "state"),
    [(11, "on-track"), (12, "on-track"), (12.01, "at-risk"), (15, "at-risk"),
     (15.01, "off-track"), (100, "off-track")],
)  # fmt: skip
def test_lower_is_better_boundaries(value: float, state: str) -> None:
    assert state_of(value, 12, LOWER, 15) == state


@pytest.mark.parametrize(
    ("direction", "value", "state"),
    [(HIGHER, 95, "on-track"), (HIGHER, 94.999, "off-track"),
     (LOWER, 12, "on-track"), (LOWER, 12.001, "off-track")],
)  # fmt: skip
def test_without_threshold_any_miss_is_off_track(direction: str, value: float, state: str) -> None:
    target = 95 if direction == HIGHER else 12
    assert state_of(value, target, direction) == state


def test_no_data_without_measurement_or_numeric_target() -> None:
    assert state_of(None, 95, HIGHER, 92) == "no-data"
    assert state_of(90, None, HIGHER) == "no-data"
    assert state_of("green", 95, HIGHER) == "no-data"
    assert kpi_status({"id": "k", "target": 95}).state == "no-data"


def test_latest_measurement_is_the_newest_by_date_not_by_position() -> None:
    kpi = {
        "id": "k",
        "target": 95,
        "thresholds": {"at_risk": 92},
        "measurements": [
            {"date": "2026-10-31", "value": 96},
            {"date": "2026-09-30", "value": 80},
        ],
    }
    status = kpi_status(kpi)
    assert status.state == "on-track" and status.latest is not None
    assert status.latest.value == 96 and status.trend == "improving"


@pytest.mark.parametrize(
    ("direction", "target", "at_risk", "wrong"),
    [(HIGHER, 95, 96, True), (HIGHER, 95, 95, False), (HIGHER, 95, 92, False),
     (LOWER, 12, 11, True), (LOWER, 12, 12, False), (LOWER, 12, 15, False)],
)  # fmt: skip
def test_threshold_on_the_wrong_side(
    direction: str, target: int, at_risk: int, wrong: bool
) -> None:
    kpi = {"id": "k", "target": target, "direction": direction, "thresholds": {"at_risk": at_risk}}
    assert (threshold_problem(kpi) is not None) is wrong


def test_validate_reports_kpi_threshold_at_its_line(cli, tmp_path: Path) -> None:
    path = tmp_path / "acme-globex.yaml"
    text = FIXTURE.read_text(encoding="utf-8").replace("{at_risk: 92}", "{at_risk: 97}")
    path.write_text(text, encoding="utf-8")
    result = cli("validate", path, env=ENV)
    assert result.exit_code == 1
    line = text.splitlines().index("    thresholds: {at_risk: 97}   # agreed at the 2026 review")
    assert f"acme-globex.yaml:{line + 1}:" in result.stdout
    assert "error[kpi-threshold]" in result.stdout and "above the target 95" in result.stdout


# ---------------------------------------------------------------------------- record-kpi


def _copy(tmp_path: Path) -> Path:
    path = tmp_path / "charters" / "acme-globex.yaml"
    path.parent.mkdir(parents=True)
    shutil.copyfile(FIXTURE, path)
    return path


def _only_added(before: bytes, after: bytes) -> list[str]:
    """The lines after adds to before; fails when any line of before was changed or lost."""
    old, new = before.decode().splitlines(), after.decode().splitlines()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    added = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        assert tag in ("equal", "insert"), (tag, old[i1:i2], new[j1:j2])
        if tag == "insert":
            added += new[j1:j2]
    return added


@pytest.mark.parametrize(
    ("kpi", "args", "added", "state"),
    [
        ("kpi-otd", ["--value", "95.5", "--note", "November"],
         ["      - {date: 2026-11-20, value: 95.5, note: November}"], "on-track"),
        ("kpi-closures", ["--value", "13"],
         ["      - date: 2026-11-20", "        value: 13"], "at-risk"),
        ("kpi-satisfaction", ["--value", "good", "--note", "Survey of 40 tenants"],
         ["    measurements:",
          "      - {date: 2026-11-20, value: good, note: Survey of 40 tenants}"],
         "no-data"),
    ],
)  # fmt: skip
def test_record_kpi_only_adds_lines(
    cli, tmp_path: Path, kpi: str, args: list[str], added: list[str], state: str
) -> None:
    path = _copy(tmp_path)
    before = path.read_bytes()
    result = cli("record-kpi", path, kpi, *args, "--date", "2026-11-20", env=ENV)
    assert result.exit_code == 0, result.stderr
    assert f": {state}" in result.stdout
    after = path.read_bytes()
    assert _only_added(before, after) == added
    data = yaml.safe_load(after)
    entry = next(k for k in data["kpis"] if k["id"] == kpi)["measurements"][-1]
    assert str(entry["date"]) == "2026-11-20"
    # The comments around the edited KPI stay where they were.
    text = after.decode()
    assert text.index("# closures are counted per quarter") < text.index("- id: kpi-closures")
    assert text.index("# the term is fixed by the contract") < text.index("term:")
    assert cli("validate", path, env=ENV).exit_code == 0


def test_record_kpi_twice_appends_in_order(cli, tmp_path: Path) -> None:
    path = _copy(tmp_path)
    for value, day in (("94", "2026-11-10"), ("96", "2026-11-20")):
        result = cli("record-kpi", path, "kpi-otd", "--value", value, "--date", day, env=ENV)
        assert result.exit_code == 0, result.stderr
    kpi = yaml.safe_load(path.read_bytes())["kpis"][0]
    assert [m["value"] for m in kpi["measurements"]] == [90.5, 93, 94, 96]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["kpi-nope", "--value", "1"], "unknown KPI 'kpi-nope'"),
        (["kpi-otd", "--value", "1", "--date", "2026-11-24"], "is in the future"),
        (["kpi-otd", "--value", "ninety"], "is not a number"),
        (["kpi-otd", "--value", "nan"], "is not a number"),
        (["kpi-otd", "--value", "93", "--date", "2026-10-31", "--note", "October"],
         "already in"),
        (["kpi-otd", "--value", "93", "--note", "  "], "--note is empty"),
        (["kpi-otd", "--value", "93", "--date", "31/10/2026"], "is not a date"),
    ],
)  # fmt: skip
def test_record_kpi_refusals_leave_the_file_unchanged(
    cli, tmp_path: Path, args: list[str], message: str
) -> None:
    path = _copy(tmp_path)
    before = path.read_bytes()
    result = cli("record-kpi", path, *args, env=ENV)
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name != path.name]  # no temp files


def test_record_kpi_refuses_a_flow_list_it_would_rewrite(cli, tmp_path: Path) -> None:
    path = _copy(tmp_path)
    text = path.read_text(encoding="utf-8").replace(
        '      - {date: 2026-09-30, value: 90.5, note: "September"}\n'
        '      - {date: 2026-10-31, value: 93, note: "October"}\n',
        "      [{date: 2026-09-30, value: 90.5}]\n",
    )
    path.write_text(text, encoding="utf-8")
    before = path.read_bytes()
    result = cli("record-kpi", path, "kpi-otd", "--value", "94", env=ENV)
    assert result.exit_code == 1
    assert "flow list" in result.stderr
    assert path.read_bytes() == before


def test_record_kpi_keeps_crlf_and_bom(cli, tmp_path: Path) -> None:
    path = _copy(tmp_path)
    path.write_bytes(b"\xef\xbb\xbf" + FIXTURE.read_bytes().replace(b"\n", b"\r\n"))
    before = path.read_bytes()
    result = cli("record-kpi", path, "kpi-closures", "--value", "12", env=ENV)
    assert result.exit_code == 0, result.stderr
    after = path.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf") and after.count(b"\n") == after.count(b"\r\n")
    assert _only_added(before[3:].replace(b"\r\n", b"\n"), after[3:].replace(b"\r\n", b"\n"))


# ------------------------------------------------------------------------------- rmo kpis


def test_kpis_csv_opens_with_pythons_csv_module(cli) -> None:
    result = cli("kpis", FIXTURE, "--format", "csv", env=ENV)
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    by_id = {r["kpi"]: r for r in rows}
    assert list(by_id) == ["kpi-closures", "kpi-otd", "kpi-satisfaction"]  # worst first
    assert by_id["kpi-otd"]["state"] == "at-risk"
    assert by_id["kpi-otd"]["latest_value"] == "93"
    assert by_id["kpi-otd"]["latest_date"] == "2026-10-31"
    assert by_id["kpi-closures"]["state"] == "off-track"
    assert by_id["kpi-satisfaction"]["state"] == "no-data"


def test_kpis_json_and_md(cli) -> None:
    data = json.loads(cli("kpis", FIXTURE, "-f", "json", env=ENV).stdout)
    assert data["summary"] == {"off-track": 1, "at-risk": 1, "on-track": 0, "no-data": 1}
    otd = next(k for k in data["kpis"] if k["id"] == "kpi-otd")
    assert otd["latest"] == {"date": "2026-10-31", "value": 93, "note": "October"}
    assert len(otd["measurements"]) == 2 and otd["trend"] == "improving"
    md = cli("kpis", FIXTURE, "-f", "md", env=ENV).stdout
    assert md.splitlines()[0].startswith("| State | Charter | Kpi |")


@pytest.mark.parametrize(
    ("fail_on", "code"), [([], 0), (["--fail-on", "off-track"], 1), (["--fail-on", "at-risk"], 1)]
)
def test_kpis_fail_on(cli, fail_on: list[str], code: int) -> None:
    result = cli("kpis", FIXTURE, *fail_on, env=ENV)
    assert result.exit_code == code, result.stderr
    if code:
        assert "acme-globex/kpi-closures (off-track)" in result.stderr


def test_kpis_fail_on_at_risk_only_counts_at_risk_and_worse(cli, tmp_path: Path) -> None:
    path = _copy(tmp_path)
    cli("record-kpi", path, "kpi-closures", "--value", "12", env=ENV)  # now on-track
    assert cli("kpis", path, "--fail-on", "off-track", env=ENV).exit_code == 0
    result = cli("kpis", path, "--fail-on", "at-risk", env=ENV)
    assert result.exit_code == 1 and "kpi-otd (at-risk)" in result.stderr


# ----------------------------------------------------------------------- status and check


def test_status_shows_the_kpi_states(cli) -> None:
    result = cli("status", FIXTURE, "--wide", env=ENV)
    row = next(line for line in result.stdout.splitlines() if "acme-globex" in line)
    assert "1 off-track, 1 at-risk" in row
    data = json.loads(cli("status", FIXTURE, "-f", "json", env=ENV).stdout)
    assert data["charters"][0]["kpis"] == {"at-risk": 1, "no-data": 1, "off-track": 1}


def test_check_fails_on_off_track_only_when_asked(cli) -> None:
    plain = cli("check", FIXTURE, env=ENV)
    assert plain.exit_code == 0, plain.stdout
    assert "kpi-" not in plain.stdout
    result = cli("check", FIXTURE, "--fail-on", "off-track", env=ENV)
    assert result.exit_code == 1
    assert "error[kpi-off-track] KPI kpi-closures is off-track: 16 closures" in result.stdout
    assert "kpi-at-risk" not in result.stdout
    both = cli("check", FIXTURE, "--fail-on", "at-risk", "-f", "json", env=ENV)
    rules = {f["rule"] for f in json.loads(both.stdout)["findings"]}
    assert {"kpi-off-track", "kpi-at-risk"} <= rules


def test_check_fail_on_off_track_keeps_failing_overdue_reviews(cli, tmp_path: Path) -> None:
    path = _copy(tmp_path)
    path.write_text(path.read_text().replace("  next_due: 2027-03-01\n", ""), encoding="utf-8")
    result = cli("check", path, "--fail-on", "off-track", env=ENV)
    assert "error[review-overdue]" in result.stdout and result.exit_code == 1


def test_kpi_status_is_a_frozen_value() -> None:
    status = kpi_status({"id": "k"})
    assert isinstance(status, KpiStatus) and status.as_dict()["latest"] is None
