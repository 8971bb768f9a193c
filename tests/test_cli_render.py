"""`rmo render` through the real CLI: outputs, refusals, folders, PDF, repository templates."""

from __future__ import annotations

import os
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, charter, git_commit, write_charter

from rmo_cli.charter.fingerprint import fingerprint

RMO = Path(sys.executable).parent / "rmo"
SAMPLE = SAMPLES / "harbourside-globex-facilities.yaml"


def _broken(path: Path) -> Path:
    return write_charter(
        path, objectives=[{"id": "obj-1", "statement": "Halve outages.", "owner": "nobody"}]
    )


def test_help_has_summary_and_example(cli) -> None:
    result = cli("render", "--help")
    assert result.exit_code == 0
    assert "Example: rmo render" in result.stdout


def test_one_charter_to_stdout_md_and_html(cli) -> None:
    md = cli("render", SAMPLE, "--to", "md")
    assert md.exit_code == 0, md.stderr
    assert md.stdout.startswith("# Harbourside Public Works")
    assert md.stderr == ""
    page = cli("render", SAMPLE, "--to", "html")
    assert page.exit_code == 0
    assert page.stdout.startswith("<!DOCTYPE html>")
    assert "<style>" in page.stdout and "@page" in page.stdout
    assert "<link" not in page.stdout and "<script" not in page.stdout  # self-contained


def test_output_file(cli, tmp_path: Path) -> None:
    target = tmp_path / "out" / "charter.md"
    result = cli("render", SAMPLE, "--to", "md", "-o", target)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8").startswith("# Harbourside")
    assert str(target) in result.stderr


def test_invalid_charter_refused_unless_forced(cli, tmp_path: Path) -> None:
    path = _broken(tmp_path / "acme-globex.yaml")
    result = cli("render", path, "--to", "md")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "nobody" in result.stderr and "error[" in result.stderr
    assert "--force" in result.stderr
    forced = cli("render", path, "--to", "md", "--force")
    assert forced.exit_code == 0
    assert forced.stdout.startswith("> **DRAFT — NOT VALID.**")
    assert "DRAFT, NOT VALID" in forced.stderr


def test_force_renders_a_structurally_broken_charter(cli, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(
        "apiVersion: rmo/v1\nkind: RelationshipCharter\nid: ../../etc\ntitle: [1, 2]\n"
        "parties: [a, {id: b, people: [c]}]\nobjectives: x\ngovernance: 3\n"
        "review: {cadence: P0X, log: [1]}\nsignoffs: [1, {party: b}]\n",
        encoding="utf-8",
    )
    for fmt in ("md", "html"):
        result = cli("render", path, "--to", fmt, "--force")
        assert result.exit_code == 0, result.stderr
        assert "DRAFT" in result.stdout and "governance must be a mapping" in result.stdout
    result = cli("render", tmp_path, "--to", "html", "--force", "-o", tmp_path / "site")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "site" / "broken.html").is_file()  # unsafe id: named after the file


def test_the_output_file_name_picks_the_format_and_must_agree_with_to(cli, tmp_path) -> None:
    page = tmp_path / "acme.html"
    assert cli("render", SAMPLE, "-o", page).exit_code == 0
    assert page.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    text = tmp_path / "acme.md"
    assert cli("render", SAMPLE, "-o", text).exit_code == 0
    assert text.read_text(encoding="utf-8").startswith("# ")
    clash = cli("render", SAMPLE, "--to", "md", "-o", tmp_path / "acme.PDF")
    assert clash.exit_code == 2
    assert "--to md but -o" in clash.stderr and "names a pdf file" in clash.stderr
    assert not (tmp_path / "acme.PDF").exists()


def test_folder_needs_output_dir(cli) -> None:
    result = cli("render", SAMPLES, "--to", "html")
    assert result.exit_code == 2
    assert "-o DIR" in result.stderr


def test_folder_renders_pages_and_index(cli, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = cli("render", SAMPLES, "--to", "md", "-o", out)
    assert result.exit_code == 0, result.stderr
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted([p.stem + ".md" for p in SAMPLES.glob("*.yaml")] + ["index.md"])
    index = (out / "index.md").read_text(encoding="utf-8")
    assert "[Meridian Group Shared Services Charter](meridian-group-shared-services.md)" in index
    assert "| Proposed | 0.9.0 |" in index  # status and version of the Riverside network


def test_folder_with_an_invalid_charter_renders_the_rest_and_exits_1(cli, tmp_path: Path) -> None:
    write_charter(tmp_path / "in" / "acme-globex.yaml")
    _broken(tmp_path / "in" / "broken.yaml").write_text(
        (tmp_path / "in" / "broken.yaml")
        .read_text(encoding="utf-8")
        .replace("id: acme-globex", "id: broken"),
        encoding="utf-8",
    )
    result = cli("render", tmp_path / "in", "--to", "html", "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert (tmp_path / "out" / "acme-globex.html").is_file()
    assert not (tmp_path / "out" / "broken.html").exists()
    assert "broken.yaml: not rendered" in result.stderr


def test_unreadable_charter_exits_1(cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [\n", encoding="utf-8")
    result = cli("render", bad, "--to", "md")
    assert result.exit_code == 1
    assert "bad.yaml:" in result.stderr


def test_missing_path_is_usage_error(cli, tmp_path: Path) -> None:
    result = cli("render", tmp_path / "nope.yaml", "--to", "md")
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_git_commit_and_uncommitted_marker_in_footer(cli, git_repo: Path) -> None:
    path = write_charter(git_repo / "charters" / "acme-globex.yaml")
    sha = git_commit(git_repo, "charter")
    clean = cli("render", path, "--to", "md")
    assert f"| Git commit | {sha[:12]} |" in clean.stdout
    assert fingerprint(charter()) in clean.stdout
    path.write_text(path.read_text(encoding="utf-8").replace("1.0.0", "1.1.0"), encoding="utf-8")
    dirty = cli("render", path, "--to", "html")
    assert "(uncommitted changes)" in dirty.stdout


def test_pdf_file(cli, tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    from pypdf import PdfReader

    target = tmp_path / "charter.pdf"
    result = cli("render", SAMPLE, "--to", "pdf", "-o", target)
    assert result.exit_code == 0, result.stderr
    data = target.read_bytes()
    assert data.startswith(b"%PDF-")
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages)
    text = " ".join(text.split())
    assert "Harbourside Public Works – Globex Facilities Relationship Charter" in text
    assert "Harbourside City Public Works Agency" in text
    assert "Globex Facilities Services plc" in text


@pytest.mark.slow
def test_pdf_folder_has_an_html_index_linking_the_pdfs(cli, tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    write_charter(tmp_path / "in" / "acme-globex.yaml")
    late = charter(id="late-review", review={"cadence": "P6M", "last_reviewed": "2025-03-01"})
    write_charter(tmp_path / "in" / "late-review.yaml", late)
    result = cli(
        "render",
        tmp_path / "in",
        "--to",
        "pdf",
        "-o",
        tmp_path / "site",
        env={"RMO_TODAY": "2026-11-23"},
    )
    assert result.exit_code == 0, result.stderr
    for name in ("acme-globex.pdf", "late-review.pdf"):
        assert (tmp_path / "site" / name).read_bytes().startswith(b"%PDF-")
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert '<a href="acme-globex.pdf">' in index and '<a href="late-review.pdf">' in index
    late_row = index[index.index('href="late-review.pdf"') :].split("</tr>")[0]
    assert "1 September 2025" in late_row and "(Overdue)" in late_row
    ok_row = index[index.index('href="acme-globex.pdf"') :].split("</tr>")[0]
    assert "1 February 2027" in ok_row and "Overdue" not in ok_row


def test_pdf_to_stdout_when_not_a_terminal(cli) -> None:
    pytest.importorskip("weasyprint")
    result = cli("render", SAMPLE, "--to", "pdf")
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes.startswith(b"%PDF-")


def test_pdf_without_weasyprint_says_how_to_install(tmp_path: Path) -> None:
    # sys.modules[name] = None is how Python spells "this module cannot be imported".
    code = (
        "import sys; sys.modules['weasyprint'] = None; "
        "from rmo_cli.cli.main import main; sys.argv = ['rmo'] + sys.argv[1:]; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "render", str(SAMPLE), "--to", "pdf", "-o", "x.pdf"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "rmo-cli[pdf]" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.pdf").exists()


def _repository(tmp_path: Path, template: str) -> Path:
    repo = tmp_path / "repo"
    (repo / "templates").mkdir(parents=True)
    (repo / "rmo.yaml").write_text("templates: templates\n", encoding="utf-8")
    (repo / "templates" / "charter.md.j2").write_text(template, encoding="utf-8")
    write_charter(repo / "charters" / "acme-globex.yaml")
    return repo


def test_repository_template_overrides_default(cli, tmp_path: Path) -> None:
    repo = _repository(tmp_path, "Custom: {{ charter.title }} ({{ document.fingerprint }})\n")
    result = cli("render", repo / "charters" / "acme-globex.yaml", "--to", "md")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"Custom: ACME–Globex Relationship Charter ({fingerprint(charter())})\n"


@pytest.mark.slow
def test_hostile_repository_templates_through_installed_rmo(tmp_path: Path) -> None:
    if not RMO.exists():
        pytest.skip("rmo is not installed in this environment")
    cases = {
        "escape": (
            "ok\n{{ cycler.__init__.__globals__.os.system('touch PWNED') }}\n",
            "charter.md.j2:2: refused by the template sandbox",
        ),
        "loop": (
            "a\nb\n{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}"
            "{% endfor %}{% endfor %}\n",
            "charter.md.j2",
        ),
        "grow": ("{{ 'a' * 10**9 }}\n", "charter.md.j2:1: refused by the template sandbox"),
    }
    for name, (template, expected) in cases.items():
        repo = _repository(tmp_path / name, template)
        done = subprocess.run(
            [str(RMO), "render", "charters/acme-globex.yaml", "--to", "md"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,  # a guard against a hang, not a timing assertion
            env={**os.environ, "NO_COLOR": "1"},
        )
        assert done.returncode == 1, (name, done.stderr)
        assert expected in done.stderr, (name, done.stderr)
        assert "Traceback" not in done.stderr
        assert done.stdout == ""
        assert not (repo / "PWNED").exists()


def test_templates_folder_missing_is_usage_error(cli, tmp_path: Path) -> None:
    repo = _repository(tmp_path, "x")
    (repo / "rmo.yaml").write_text("templates: nowhere\n", encoding="utf-8")
    result = cli("render", repo / "charters" / "acme-globex.yaml", "--to", "md")
    assert result.exit_code == 2
    assert "nowhere" in result.stderr


def test_templates_ship_with_the_package() -> None:
    from rmo_cli.support.resources import templates_dir

    names = {p.name for p in templates_dir().iterdir()}
    assert {"charter.md.j2", "charter.html.j2", "index.md.j2", "index.html.j2"} <= names
    assert (ROOT / "templates") == templates_dir() or "site-packages" in str(templates_dir())


def test_repository_templates_override_the_site_pages(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repository(tmp_path, "{{ charter.title }}\n")
    (repo / "templates" / "dashboard.html.j2").write_text(
        "<p>Ours: {{ rows|length }} charter, {{ kpis|length }} KPIs</p>\n", encoding="utf-8"
    )
    (repo / "templates" / "organisation.html.j2").write_text(
        "<p>Org {{ org.name }}</p>\n", encoding="utf-8"
    )
    monkeypatch.chdir(repo)
    result = cli("render", "charters", "-o", "site", "--to", "html")
    assert result.exit_code == 0, result.stderr
    assert (repo / "site" / "dashboard.html").read_text() == "<p>Ours: 1 charter, 0 KPIs</p>\n"
    assert (repo / "site" / "org-acme.html").read_text().startswith("<p>Org ")
    index = (repo / "site" / "index.html").read_text()
    assert 'href="organisations.html"' in index and 'id="search"' in index
