"""`rmo validate` through the CLI: discovery (SPEC §4), exit codes, help, the installed script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SAMPLES, charter, write_charter


def test_samples_validate_clean(cli) -> None:
    result = cli("validate", SAMPLES, "--strict")
    assert result.exit_code == 0, result.stdout
    assert result.stdout.strip().endswith("4 files checked: 0 errors, 0 warnings")


def test_missing_path_is_exit_2(cli, tmp_path: Path) -> None:
    result = cli("validate", tmp_path / "nope.yaml")
    assert result.exit_code == 2
    assert "nope.yaml: no such file or directory" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_format_is_a_usage_error(cli) -> None:
    result = cli("validate", SAMPLES, "--format", "xml")
    assert result.exit_code == 2


def test_no_path_uses_charters_folder(cli, tmp_path: Path, monkeypatch) -> None:
    write_charter(tmp_path / "charters" / "acme-globex.yaml")
    monkeypatch.chdir(tmp_path)
    result = cli("validate", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["files"] == 1


def test_no_path_uses_rmo_yaml_globs_found_upward(cli, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "rmo.yaml").write_text('charters: ["agreements/**/*.yml"]\n')
    write_charter(tmp_path / "agreements" / "x" / "acme-globex.yml")
    write_charter(tmp_path / "charters" / "ignored.yaml", status="bogus")
    sub = tmp_path / "agreements" / "x"
    monkeypatch.chdir(sub)
    result = cli("validate", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"]["files"] == 1


def test_an_empty_rmo_yaml_means_every_default(cli, tmp_path: Path, monkeypatch) -> None:
    write_charter(tmp_path / "charters" / "acme-globex.yaml")
    monkeypatch.chdir(tmp_path)
    for text in ("", "# settings come later\n"):
        (tmp_path / "rmo.yaml").write_text(text)
        result = cli("validate")
        assert result.exit_code == 0, result.stderr
        assert "1 file checked" in result.stdout
    (tmp_path / "rmo.yaml").write_text("chartres: [a]\n")
    result = cli("validate")
    assert result.exit_code == 2
    assert "unknown key 'chartres' in rmo.yaml; did you mean 'charters'?" in result.stderr


def test_broken_rmo_yaml_is_reported_with_place(cli, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "rmo.yaml").write_text("charters: [a]\ndue_soon: soon\n")
    monkeypatch.chdir(tmp_path)
    result = cli("validate")
    assert result.exit_code == 2
    assert "rmo.yaml:2:11" in result.stderr


def test_nothing_to_validate_says_what_to_do(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("validate")
    assert result.exit_code == 2
    assert "rmo init" in result.stderr


def test_directory_walk_finds_yaml_and_yml_only(cli, tmp_path: Path) -> None:
    write_charter(tmp_path / "a" / "acme-globex.yaml")
    other = charter(id="second-one")
    write_charter(tmp_path / "b" / "second-one.yml", other)
    (tmp_path / "b" / "notes.txt").write_text("not yaml")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.yaml").write_text("a: [")
    result = cli("validate", tmp_path, "--format", "json")
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["summary"]["files"] == 2


def test_unknown_key_suggests_the_closest(cli, tmp_path: Path) -> None:
    data = charter()
    data["titel"] = data.pop("title")
    path = tmp_path / "acme-globex.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    findings = json.loads(cli("validate", path, "--format", "json").stdout)["findings"]
    messages = {f["rule"]: f["message"] for f in findings}
    assert "did you mean 'title'" in messages["schema-unknown-key"]
    assert "'title'" in messages["schema-required"]
    unknown = next(f for f in findings if f["rule"] == "schema-unknown-key")
    assert unknown["pointer"] == "/titel"
    line = path.read_text(encoding="utf-8").splitlines().index(f"titel: {data['titel']}") + 1
    assert (unknown["line"], unknown["column"]) == (line, 1)


def test_unquoted_version_gets_a_quote_hint(cli, tmp_path: Path) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml")
    path.write_text(path.read_text().replace("version: 1.0.0", "version: 1.2"))
    result = cli("validate", path)
    assert result.exit_code == 1
    assert 'put it in quotes: "1.2"' in result.stdout


def test_help_has_an_example(cli) -> None:
    result = cli("validate", "--help")
    assert result.exit_code == 0
    assert "Example: rmo validate" in result.stdout


def test_version(cli) -> None:
    from rmo_cli import __version__

    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"rmo {__version__}"


def test_schema_command_prints_the_schema(cli) -> None:
    result = cli("schema")
    assert json.loads(result.stdout)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_installed_script_runs_from_another_directory(tmp_path: Path) -> None:
    rmo = shutil.which("rmo", path=str(Path(sys.executable).parent))
    assert rmo, "rmo console script is not installed beside this Python"
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run(
        [rmo, "validate", str(SAMPLES)], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert "4 files checked" in done.stdout
    bad = write_charter(tmp_path / "acme-globex.yaml", status="actve")
    done = subprocess.run(
        [rmo, "validate", str(bad)], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "\033[" not in done.stdout


def test_internal_error_is_one_line_and_exit_3(tmp_path: Path) -> None:
    """A bug (here: a schema file made unreadable on purpose) never shows a traceback."""
    code = (
        "import sys; import rmo_cli.charter.schema as s; "
        "s.load_schema.cache_clear(); "
        "s.schema_path = lambda name='x': (_ for _ in ()).throw(RuntimeError('boom')); "
        "from rmo_cli.cli.main import main; sys.argv=['rmo','validate',sys.argv[1]]; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(SAMPLES)], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert "internal error" in done.stderr and "RMO_DEBUG=1" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    env = {**os.environ, "RMO_DEBUG": "0"}  # "0" means off, as with most such switches
    done = subprocess.run(
        [sys.executable, "-c", code, str(SAMPLES)], capture_output=True, text=True, env=env
    )
    assert "Traceback" not in done.stderr and done.returncode == 3
    env = {**os.environ, "RMO_DEBUG": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(SAMPLES)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert "Traceback" in done.stderr


def test_worker_pool_gives_the_same_report(cli, tmp_path: Path, monkeypatch) -> None:
    for i in range(12):
        data = charter(id=f"charter-{i:02d}")
        if i % 3 == 0:
            data["status"] = "actve"
        write_charter(tmp_path / f"charter-{i:02d}.yaml", data)
    (tmp_path / "broken.yaml").write_text("a: [\n")
    monkeypatch.setenv("RMO_JOBS", "1")
    one = cli("validate", tmp_path, "--format", "json", "--as-of", "2026-11-23")
    monkeypatch.setenv("RMO_JOBS", "3")
    pooled = cli("validate", tmp_path, "--format", "json", "--as-of", "2026-11-23")
    assert one.exit_code == pooled.exit_code == 1
    assert json.loads(one.stdout) == json.loads(pooled.stdout)
    assert json.loads(one.stdout)["summary"] == {"files": 13, "errors": 5, "warnings": 0}


def test_workers_and_the_cache_give_the_rules_across_charters_unchanged(
    cli, tmp_path: Path, monkeypatch
) -> None:
    """Duplicate ids and party-id conflicts, found from what the parent keeps of each file
    while workers check them, read the same one process, pooled, and warm with a few
    files changed (a mix of cached and fresh results)."""
    for i in range(40):
        data = charter(id=f"charter-{i % 30:02d}")  # ten ids used twice
        if i % 7 == 0:
            data["parties"][0]["name"] = f"Acme Variant {i % 4}"  # acme: four more names
        write_charter(tmp_path / f"charter-{i:02d}.yaml", data)
    (tmp_path / "broken.yaml").write_text("a: [\n")
    args = ("validate", tmp_path, "--format", "json", "--as-of", "2026-11-23")
    monkeypatch.setenv("RMO_JOBS", "1")
    one = cli(*args, "--no-cache")
    report = json.loads(one.stdout)
    rules = [f["rule"] for f in report["findings"]]
    assert rules.count("duplicate-charter-id") == 10
    assert rules.count("party-id-conflict") == 40
    assert "and 1 other name" in one.stdout
    monkeypatch.setenv("RMO_JOBS", "3")
    assert cli(*args, "--no-cache").stdout == one.stdout
    assert cli(*args).stdout == one.stdout  # fills the cache
    for i in (3, 14):
        write_charter(tmp_path / f"charter-{i:02d}.yaml", charter(id=f"charter-{i % 30:02d}"))
    warm = cli(*args)
    monkeypatch.setenv("RMO_JOBS", "1")
    assert warm.stdout == cli(*args, "--no-cache").stdout


def test_folder_walk_skips_configuration_files(cli, tmp_path: Path) -> None:
    write_charter(tmp_path / "acme-globex.yaml")
    (tmp_path / "rmo.yaml").write_text('charters: ["*.yaml"]\n')
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n")
    result = cli("validate", tmp_path, "--format", "json")
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["summary"]["files"] == 1


def test_validate_runs_the_git_history_review_rule(cli, git_repo: Path, monkeypatch) -> None:
    from conftest import git_commit

    path = write_charter(git_repo / "charters" / "acme-globex.yaml")
    git_commit(git_repo, "charter")
    # Bump last_reviewed without recording a review: a refreshed date, not a real review.
    path.write_text(
        path.read_text().replace("last_reviewed: '2026-08-01'", "last_reviewed: '2026-10-01'")
    )
    git_commit(git_repo, "refresh the review date")
    monkeypatch.chdir(git_repo)
    result = cli("validate", "--format", "json", "--as-of", "2026-11-23")
    rules = [f["rule"] for f in json.loads(result.stdout)["findings"]]
    assert "review-date-without-log" in rules
    assert result.exit_code == 1
    # The same from outside the repository: the charter's own repository is used.
    monkeypatch.chdir(git_repo.parent)
    result = cli("validate", git_repo / "charters", "--format", "json", "--as-of", "2026-11-23")
    assert "review-date-without-log" in [f["rule"] for f in json.loads(result.stdout)["findings"]]


def test_default_globs_take_yml_too(cli, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "rmo.yaml").write_text("due_soon: P30D\n")
    write_charter(tmp_path / "charters" / "acme-globex.yml")
    monkeypatch.chdir(tmp_path)
    result = cli("validate", "--format", "json")
    assert json.loads(result.stdout)["summary"]["files"] == 1


def test_bad_rmo_today_is_a_usage_error(cli, monkeypatch) -> None:
    monkeypatch.setenv("RMO_TODAY", "garbage")
    result = cli("validate", SAMPLES)
    assert result.exit_code == 2
    assert "RMO_TODAY" in result.stderr


def test_repository_globs_survive_odd_folders(tmp_path: Path, monkeypatch, cli) -> None:
    # A checkout whose path has glob characters, two symlinks that loop, a symlink to itself.
    root = tmp_path / "repo[1]"
    bad = charter(status="bogus")
    write_charter(root / "charters" / "team" / "acme-globex.yaml", bad)
    (root / "rmo.yaml").write_text('charters: ["charters/**/*.yaml"]\n', encoding="utf-8")
    (root / "charters" / "l1").symlink_to(".")
    (root / "charters" / "l2").symlink_to(".")
    (root / "charters" / "self.yaml").symlink_to("self.yaml")
    write_charter(root / "charters" / ".drafts" / "hidden.yaml", bad)
    monkeypatch.chdir(root)
    result = cli("validate", "--format", "json")
    assert result.exit_code == 1, result.stderr
    files = {f["file"] for f in json.loads(result.stdout)["findings"]}
    assert files == {os.path.join("charters", "team", "acme-globex.yaml")}
    # The same folder given as a path: the looping link is a finding, not a crash.
    result = cli("validate", "charters", "--format", "json")
    assert result.exit_code == 1 and "internal error" not in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any folder")
def test_an_unreadable_folder_is_an_error_not_silently_skipped(cli, tmp_path: Path) -> None:
    write_charter(tmp_path / "charters" / "acme-globex.yaml")
    locked = tmp_path / "charters" / "locked"
    write_charter(locked / "other.yaml", id="other")
    locked.chmod(0)
    try:
        result = cli("validate", tmp_path / "charters")
    finally:
        locked.chmod(0o755)
    assert result.exit_code == 2
    assert "locked: cannot read this folder" in result.stderr


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("charters/**.yaml", ["charters/acme-globex.yaml"]),  # glob.glob reads ** as * here
        ("./charters/**/*.yaml", ["charters/acme-globex.yaml"]),  # ./ opens no hidden folder
        ("charters/**/*.yaml", ["charters/acme-globex.yaml"]),
        (".drafts/*.yaml", [".drafts/draft.yaml"]),  # a hidden folder named in the pattern
    ],
)
def test_repository_glob_forms(cli, tmp_path: Path, monkeypatch, pattern, expected) -> None:
    bad = charter(status="bogus")
    write_charter(tmp_path / "charters" / "acme-globex.yaml", bad)
    write_charter(tmp_path / "charters" / ".archive" / "old.yaml", bad)
    write_charter(tmp_path / ".drafts" / "draft.yaml", bad)
    (tmp_path / "rmo.yaml").write_text(f'charters: ["{pattern}"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = cli("validate", "--format", "json")
    files = sorted({f["file"] for f in json.loads(result.stdout)["findings"]})
    assert files == [os.path.join(*e.split("/")) for e in expected], result.stderr


def test_discovered_files_are_small_immutable_and_cross_processes(tmp_path: Path) -> None:
    import pickle

    from rmo_cli.ops.repository import CharterFile, discover

    write_charter(tmp_path / "b.yaml")
    write_charter(tmp_path / "a.yaml")
    os.symlink(tmp_path / "a.yaml", tmp_path / "c.yaml")  # the same file twice: listed once
    files = discover([tmp_path])
    assert [f.path for f in files] == [tmp_path / "a.yaml", tmp_path / "b.yaml"]
    assert [f.display for f in files] == [str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]
    assert pickle.loads(pickle.dumps(files)) == files
    relative = CharterFile(tmp_path / "a.yaml", "a.yaml")
    assert relative.path == tmp_path / "a.yaml" and relative != files[0]
    assert len({relative, CharterFile(str(tmp_path / "a.yaml"), "a.yaml")}) == 1
    with pytest.raises(AttributeError):
        relative.display = "b.yaml"  # type: ignore[misc]
    assert not hasattr(files[0], "__dict__")  # no per-file dictionary
