"""`rmo status` and `rmo graph` through the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, write_charter
from portfolio_data import AS_OF, write_portfolio

RMO = Path(sys.executable).parent / "rmo"
ENV = {"RMO_TODAY": AS_OF}


@pytest.fixture
def portfolio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with charters/ holding the four-charter portfolio; the cwd is the folder."""
    write_portfolio(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def status_json(cli, *args: str) -> dict:
    result = cli("status", *args, "--format", "json", env=ENV)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_status_json_rows(cli, portfolio: Path) -> None:
    out = status_json(cli)  # no path: charters/ in the current directory
    assert out["as_of"] == AS_OF
    assert out["summary"]["charters"] == 4
    assert out["summary"]["by_review_state"] == {
        "overdue": 1,
        "due-soon": 1,
        "ok": 1,
        "not-scheduled": 1,
    }
    rows = {r["id"]: r for r in out["charters"]}
    assert set(rows) == {"acme-globex", "acme-initech", "globex-initech-hooli", "hooli-acme"}
    for row in rows.values():
        assert {
            "id",
            "file",
            "title",
            "status",
            "model",
            "parties",
            "signed",
            "parties_total",
            "stale",
            "review_state",
            "next_due",
            "expires",
        } <= set(row)
    b = rows["acme-initech"]
    assert b["file"] == os.path.join("charters", "acme-initech.yaml")
    assert (b["signed"], b["parties_total"], b["stale"]) == (0, 2, 1)
    assert (b["review_state"], b["next_due"], b["model"]) == ("overdue", "2025-07-01", "network")
    assert rows["acme-globex"]["parties"] == ["acme", "globex"]
    assert rows["acme-globex"]["signed"] == 2
    assert rows["globex-initech-hooli"]["expires"] == "2026-12-10"


def test_status_as_of_and_within(cli, portfolio: Path) -> None:
    rows = {r["id"]: r for r in status_json(cli, "--as-of", "2027-03-01")["charters"]}
    assert rows["acme-globex"]["review_state"] == "overdue"
    rows = {r["id"]: r for r in status_json(cli, "--within", "P3D")["charters"]}
    assert rows["hooli-acme"]["review_state"] == "ok"


@pytest.mark.parametrize(
    ("args", "ids"),
    [
        (["--status", "draft"], ["globex-initech-hooli"]),
        (["--party", "initech"], ["acme-initech", "globex-initech-hooli"]),
        (
            ["--party", "initech", "--party", "hooli"],
            ["acme-initech", "globex-initech-hooli", "hooli-acme"],
        ),
        (["--model", "hierarchy", "--model", "network"], ["acme-initech", "hooli-acme"]),
        (["--status", "active", "--party", "acme", "--model", "network"], ["acme-initech"]),
        (["--party", "nobody"], []),
    ],
)
def test_status_filters(cli, portfolio: Path, args: list[str], ids: list[str]) -> None:
    out = status_json(cli, "charters", *args)
    assert [r["id"] for r in out["charters"]] == ids
    assert out["summary"]["charters"] == len(ids)


@pytest.mark.parametrize(
    "args",
    [
        ["--status", "actve"],
        ["--model", "feudal"],
        ["--format", "xml"],
        ["--as-of", "tomorrow"],
        ["--within", "soon"],
        ["missing-folder"],
    ],
)
def test_status_usage_errors(cli, portfolio: Path, args: list[str]) -> None:
    result = cli("status", *args, env=ENV)
    assert result.exit_code == 2
    assert "error:" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_status_table_and_summary(cli, portfolio: Path) -> None:
    result = cli("status", "charters", "--wide", env=ENV)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    row = next(line for line in lines if "acme-initech" in line)
    for cell in ("ACME–Initech IT Services", "network", "acme, initech", "0 of 2 signed, 1 stale"):
        assert cell in row
    assert "overdue (due 2025-07-01)" in row
    assert "2026-12-10 (expiring)" in next(line for line in lines if "globex-initech-hooli" in line)
    assert lines[-1].startswith("4 charters · status: 1 draft, 3 active · reviews: 1 overdue")
    assert "\x1b[" not in result.stdout  # no colour off a terminal


def test_status_markdown(cli, portfolio: Path) -> None:
    result = cli("status", "charters", "-f", "md", env=ENV)
    assert result.exit_code == 0, result.stderr
    table = [line for line in result.stdout.splitlines() if line.startswith("|")]
    assert table[0] == (
        "| Id | Title | Status | Model | Parties | Sign-off | Review | KPIs | Expires |"
    )
    assert len(table) == 2 + 4
    assert all(line.count(" | ") == 8 for line in table[2:])


def test_status_works_on_schema_invalid_and_skips_unreadable(cli, portfolio: Path) -> None:
    bad = portfolio / "charters" / "broken.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    odd = portfolio / "charters" / "odd.yaml"
    write_charter(odd, id="odd", parties=5, signoffs=7, governance="none", review=[1])
    result = cli("status", "charters", "-f", "json", env=ENV)
    assert result.exit_code == 1
    assert "broken.yaml" in result.stderr and "Traceback" not in result.stderr
    rows = {r["id"]: r for r in json.loads(result.stdout)["charters"]}
    assert len(rows) == 5
    assert rows["odd"]["parties"] == [] and rows["odd"]["model"] == ""
    assert rows["odd"]["review_state"] == "not-scheduled"
    graph = cli("graph", "charters", env=ENV)
    assert graph.exit_code == 1 and "flowchart LR" in graph.stdout


def test_graph_mermaid_and_dot(cli, portfolio: Path) -> None:
    mermaid = cli("graph", "charters")
    assert mermaid.exit_code == 0, mermaid.stderr
    assert "flowchart LR" in mermaid.stdout
    assert '  acme -->|"ACME–Globex Facilities (quasi-hierarchy)"| globex' in mermaid.stdout
    assert "  class acme,hooli lead" in mermaid.stdout
    dot = cli("graph", "charters", "--format", "dot")
    assert dot.exit_code == 0, dot.stderr
    assert dot.stdout.startswith("digraph rmo {")
    assert '"globex" -> "hooli" [label="Logistics Framework (market)", dir=none' in dot.stdout


def test_graph_filters_and_json(cli, portfolio: Path) -> None:
    result = cli("graph", "charters", "--party", "hooli", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [k["charter"] for k in data["links"]] == ["globex-initech-hooli", "hooli-acme"]
    assert [p["id"] for p in data["parties"]] == ["acme", "globex", "hooli", "initech"]


def test_graph_svg_builtin_layout(cli, portfolio: Path) -> None:
    result = cli("graph", "charters", "-f", "svg", env={"RMO_NO_GRAPHVIZ": "1"})
    assert result.exit_code == 0
    assert result.stdout.startswith("<svg") and result.stdout.count("<line ") == 5
    assert 'stroke="#6b7785"' in result.stdout  # visible without any stylesheet


def test_graph_svg_graphviz_layout(cli, portfolio: Path) -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed")
    result = cli("graph", "charters", "-f", "svg")
    assert result.exit_code == 0
    assert "<svg" in result.stdout and result.stdout.count('class="edge"') == 5
    assert result.stdout.count('class="node"') == 4


def test_graph_unknown_format(cli, portfolio: Path) -> None:
    result = cli("graph", "charters", "-f", "png")
    assert result.exit_code == 2 and "mermaid" in result.stderr


def test_help_has_examples(cli) -> None:
    for command in ("status", "graph"):
        result = cli(command, "--help")
        assert result.exit_code == 0
        assert "Example: rmo " + command in result.stdout


def test_installed_rmo_on_samples(tmp_path: Path) -> None:
    """The installed console script, samples as given, JSON on stdout."""
    if not RMO.exists():
        pytest.skip("rmo is not installed in this environment")
    env = {**os.environ, "RMO_TODAY": AS_OF, "NO_COLOR": "1"}
    done = subprocess.run(
        [str(RMO), "status", str(SAMPLES), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["charters"]
    assert len(rows) == len(list(SAMPLES.glob("*.yaml")))
    assert all(r["file"].startswith(str(SAMPLES)) for r in rows)
    done = subprocess.run(
        [str(RMO), "graph", str(SAMPLES), "--format", "dot"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    dot = shutil.which("dot")
    if dot:
        drawn = subprocess.run([dot, "-Tsvg"], input=done.stdout, capture_output=True, text=True)
        assert drawn.returncode == 0, drawn.stderr


def _many(folder: Path, n: int) -> None:
    for i in range(n):
        write_charter(folder / f"c{i:04d}.yaml", id=f"c{i:04d}")


def test_no_progress_bar_off_a_terminal(cli, tmp_path: Path) -> None:
    _many(tmp_path / "many", 205)
    result = cli("status", tmp_path / "many", "-f", "json", env=ENV)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert len(json.loads(result.stdout)["charters"]) == 205


@pytest.mark.slow
def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    if not RMO.exists():
        pytest.skip("rmo is not installed in this environment")
    _many(tmp_path / "many", 205)
    env = {**os.environ, "RMO_TODAY": AS_OF, "COLUMNS": "120"}
    child = pexpect.spawn(
        str(RMO),
        ["status", str(tmp_path / "many"), "-f", "json"],
        env=env,
        encoding="utf-8",
        timeout=60,
        cwd=str(ROOT),
    )
    output = child.read()
    child.wait()
    child.close()
    assert child.exitstatus == 0
    assert "Reading charters" in output
    assert '"charters": 205' in output


def test_render_site_has_the_dashboard(cli, portfolio: Path) -> None:
    result = cli("render", "charters", "--to", "html", "-o", "site", env=ENV)
    assert result.exit_code == 0, result.stderr
    site = portfolio / "site"
    assert 'href="dashboard.html"' in (site / "index.html").read_text(encoding="utf-8")
    page = (site / "dashboard.html").read_text(encoding="utf-8")
    assert "<svg" in page and "<script" not in page
    for cid in ("acme-globex", "acme-initech", "globex-initech-hooli", "hooli-acme"):
        assert f'href="{cid}.html"' in page and (site / f"{cid}.html").is_file()


@pytest.mark.parametrize("no_color", [False, True])
def test_status_table_on_a_terminal(portfolio: Path, no_color: bool) -> None:
    pexpect = pytest.importorskip("pexpect")
    if not RMO.exists():
        pytest.skip("rmo is not installed in this environment")
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update({"RMO_TODAY": AS_OF, "COLUMNS": "200", "TERM": "xterm-256color"})
    if no_color:
        env["NO_COLOR"] = "1"
    child = pexpect.spawn(str(RMO), ["status"], env=env, encoding="utf-8", timeout=60)
    output = child.read()
    child.close()
    assert child.exitstatus == 0, output
    green = "\x1b[32m"  # the ok review state: colour on a terminal, never with NO_COLOR
    assert (green in output) is not no_color
    assert "overdue (due 2025-07-01)" in output
    assert "4 charters · status: 1 draft, 3 active" in output


def test_status_on_a_narrow_terminal_prints_the_plain_table_uncut(portfolio: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    if not RMO.exists():
        pytest.skip("rmo is not installed in this environment")
    env = {**os.environ, "RMO_TODAY": AS_OF, "COLUMNS": "100", "TERM": "xterm-256color"}
    child = pexpect.spawn(
        str(RMO), ["status"], env=env, encoding="utf-8", timeout=60, dimensions=(40, 100)
    )
    output = child.read()
    child.close()
    assert child.exitstatus == 0, output
    assert "─" not in output and "…" not in output  # not rich's squeezed table
    assert "overdue (due 2025-07-01)" in output
