"""`rmo init` and `rmo new-charter --no-input` through the real CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SAMPLES, git

from rmo_cli.ops.repository import read_config
from rmo_cli.support.resources import schema_path

# The rmo installed beside the Python running the tests (/work/venv locally, .venv in CI).
RMO = Path(sys.executable).parent / "rmo"
VENV_BIN = Path(sys.executable).parent
TODAY = "2026-03-01"
FLAGS = [
    "--title",
    "Acme Globex Alliance",
    "--party",
    "acme=ACME Public Works",
    "--party",
    "globex=Globex Ltd",
    "--governance",
    "network",
]


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RMO_TODAY", TODAY)


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def modeline_target(charter: Path) -> Path:
    first = charter.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    relative = first[len(prefix) :]
    assert not Path(relative).is_absolute()
    return charter.parent / relative


def test_init_new_charter_then_validate_passes(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "charters-repo"
    result = cli("init", repo)
    assert result.exit_code == 0, result.stderr
    assert "git init" in result.stdout and "rmo new-charter" in result.stdout
    monkeypatch.chdir(repo)
    result = cli("new-charter", "--no-input", *FLAGS)
    assert result.exit_code == 0, result.stderr
    charter = repo / "charters" / "acme-globex-alliance.yaml"
    assert "Created charters/acme-globex-alliance.yaml" in result.stdout
    assert f"rmo validate charters/{charter.name}" in result.stdout  # the next steps
    assert modeline_target(charter).resolve() == (repo / ".rmo/charter.schema.json").resolve()
    assert modeline_target(charter).read_bytes() == schema_path().read_bytes()
    result = cli("validate", "--format", "json")
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    # The scaffold's placeholder sentences are warnings while it is a draft (SPEC §8) ...
    assert report["summary"] == {"files": 1, "errors": 0, "warnings": 2}
    assert {(f["rule"], f["severity"]) for f in report["findings"]} == {
        ("placeholder-text", "warning")
    }
    # ... and errors once it is proposed.
    text = charter.read_text(encoding="utf-8")
    charter.write_text(text.replace("status: draft", "status: proposed", 1), encoding="utf-8")
    result = cli("validate", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["summary"] == {"files": 1, "errors": 2, "warnings": 0}
    assert {(f["rule"], f["severity"]) for f in report["findings"]} == {
        ("placeholder-text", "error")
    }


@pytest.mark.slow
def test_the_same_through_the_installed_rmo(tmp_path: Path) -> None:
    if not RMO.exists():
        pytest.skip(f"rmo is not installed at {RMO}")
    env = {**os.environ, "NO_COLOR": "1"}

    def rmo(*args: str, cwd: Path = tmp_path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(RMO), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    assert rmo("init", "repo").returncode == 0
    repo = tmp_path / "repo"
    # stdin is not a terminal: flags only, even without --no-input.
    done = rmo(
        "new-charter", *FLAGS, "--governance", "hierarchy", "--lead-party", "globex", cwd=repo
    )
    assert done.returncode == 0, done.stderr
    done = rmo("validate", cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 errors, 2 warnings" in done.stdout  # the placeholder sentences
    assert "textconv" in git(repo, "config", "--get", "diff.rmo.textconv")
    done = rmo("new-charter", "--title", "Second", cwd=repo)
    assert done.returncode == 2
    assert "missing --party" in done.stderr and "--governance" in done.stderr
    assert "Traceback" not in done.stderr


def test_generated_ci_files_are_valid_and_name_real_commands(cli, tmp_path: Path) -> None:
    assert cli("init", tmp_path).exit_code == 0
    precommit_file = tmp_path / ".pre-commit-config.yaml"
    workflow_file = tmp_path / ".github" / "workflows" / "charters.yml"
    precommit = yaml.safe_load(precommit_file.read_text())
    workflow = yaml.safe_load(workflow_file.read_text())

    (hooks_repo,) = precommit["repos"]
    assert hooks_repo["repo"] == "https://github.com/rmo-cli/rmo"
    assert hooks_repo["rev"] == "v0.1.0"
    hook_ids = [h["id"] for h in hooks_repo["hooks"]]
    assert hook_ids == ["rmo-validate", "rmo-check"]

    steps = workflow["jobs"]["check"]["steps"]
    checkout = next(s for s in steps if s["uses"].startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    action = next(s for s in steps if s["uses"].startswith("rmo-cli/rmo@"))
    assert action["uses"] == "rmo-cli/rmo@v0.1.0"
    assert action["with"] == {"format": "github", "sarif": "rmo.sarif"}
    assert workflow["permissions"]["security-events"] == "write"
    assert workflow[True].keys() >= {"push", "pull_request"}  # PyYAML reads `on` as True

    # The hook ids and action inputs exist in this project, and run real rmo commands.
    manifest = ROOT / ".pre-commit-hooks.yaml"
    action_file = ROOT / "action.yml"
    if not manifest.exists() or not action_file.exists():
        pytest.skip(".pre-commit-hooks.yaml or action.yml is not in this checkout")
    hooks = {h["id"]: h for h in yaml.safe_load(manifest.read_text())}
    commands = set()
    for hook_id in hook_ids:
        entry = hooks[hook_id]["entry"].split()
        assert entry[0] == "rmo"
        commands.add(entry[1])
    inputs = yaml.safe_load(action_file.read_text())["inputs"]
    assert set(action["with"]) <= set(inputs)
    assert "rmo check" in action_file.read_text()
    commands.add("check")
    for command in sorted(commands):
        result = cli(command, "--help")
        assert result.exit_code == 0, f"rmo {command} is not a command: {result.stderr}"


@pytest.mark.slow
def test_ci_files_pass_their_own_validators(cli, tmp_path: Path) -> None:
    """pre-commit checks its config; check-jsonschema has GitHub's workflow schema built in."""
    assert cli("init", tmp_path).exit_code == 0
    precommit = shutil.which("pre-commit", path=str(VENV_BIN)) or shutil.which("pre-commit")
    if precommit is None:
        pytest.skip("pre-commit is not installed")
    done = subprocess.run(
        [precommit, "validate-config", ".pre-commit-config.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    checker = shutil.which("check-jsonschema", path=str(VENV_BIN))
    if checker is None:
        pytest.skip("check-jsonschema is not installed")
    done = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-workflows", ".github/workflows/charters.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run(
        [checker, "--schemafile", ".rmo/config.schema.json", "rmo.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_init_config_passes_the_config_schema(cli, tmp_path: Path) -> None:
    assert cli("init", tmp_path).exit_code == 0
    config = read_config(tmp_path / "rmo.yaml")  # raises on any schema finding
    assert config.charters == ["charters/**/*.yaml", "charters/**/*.yml"]
    assert config.due_soon == "P30D"
    attributes = (tmp_path / ".gitattributes").read_text().splitlines()
    assert {"charters/**/*.yaml diff=rmo", "charters/**/*.yml diff=rmo"} <= set(attributes)
    assert "*.yaml diff=rmo" not in attributes  # only charters go through the driver


def test_init_twice_is_fine_but_a_changed_rmo_yaml_is_not_overwritten(cli, tmp_path: Path) -> None:
    assert cli("init", tmp_path).exit_code == 0
    again = cli("init", tmp_path)
    assert again.exit_code == 0, again.stderr
    assert "wrote" not in again.stdout
    (tmp_path / "rmo.yaml").write_text("charters: [docs/**/*.yaml]\n")
    (tmp_path / "README.md").unlink()
    result = cli("init", tmp_path)
    assert result.exit_code == 2  # could not do its job (SPEC §5), not "failing found"
    assert "rmo.yaml already exists; use --force to overwrite it" in result.stderr
    assert (tmp_path / "rmo.yaml").read_text() == "charters: [docs/**/*.yaml]\n"
    assert not (tmp_path / "README.md").exists()  # nothing at all was written
    forced = cli("init", "--force", tmp_path)
    assert forced.exit_code == 0
    assert "charters/**/*.yaml" in (tmp_path / "rmo.yaml").read_text()


def test_init_in_a_subfolder_of_a_repository_says_where_ci_files_belong(
    cli, git_repo: Path
) -> None:
    result = cli("init", git_repo / "governance")
    assert result.exit_code == 0, result.stderr
    assert "is inside the git repository" in result.stdout + result.stderr
    assert "move them there" in result.stdout + result.stderr
    assert not (git_repo / "governance" / ".git").exists()  # no repository inside one
    quiet = cli("init", git_repo)
    assert "is inside the git repository" not in quiet.stdout + quiet.stderr


def test_init_never_overwrites_a_readme(cli, tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Our charters\n")
    assert cli("init", "--force", tmp_path).exit_code == 0
    assert (tmp_path / "README.md").read_text() == "# Our charters\n"


def test_overwrite_is_refused_without_force(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("new-charter", "--no-input", *FLAGS).exit_code == 0
    path = tmp_path / "charters" / "acme-globex-alliance.yaml"
    path.write_text("# edited by hand\n")
    before = files_under(tmp_path)
    result = cli("new-charter", "--no-input", *FLAGS)
    assert result.exit_code == 2
    assert "charters/acme-globex-alliance.yaml already exists; use --force" in result.stderr
    assert path.read_text() == "# edited by hand\n"
    assert files_under(tmp_path) == before
    result = cli("new-charter", "--no-input", *FLAGS, "--force")
    assert result.exit_code == 0
    assert path.read_text().startswith("# yaml-language-server:")


@pytest.mark.parametrize("bad_id", ["../x", "a/b", ".hidden", "Bad Id"])
def test_unsafe_ids_are_refused(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad_id: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = cli("new-charter", "--no-input", *FLAGS, "--id", bad_id)
    assert result.exit_code == 2
    assert f"--id: {bad_id!r} is not a safe id" in result.stderr
    assert "lowercase letters, digits and hyphens" in result.stderr
    assert files_under(tmp_path) == ["work"]  # nothing written, not even outside work/


@pytest.mark.parametrize(
    ("drop", "extra", "named"),
    [
        ("--title", [], "missing --title"),
        ("--governance", [], "missing --governance"),
        ("parties", [], "missing --party (at least two"),
        ("one-party", [], "--party: a charter needs at least two parties, 1 given"),
        ("lead", ["--governance", "quasi-hierarchy"], "missing --lead-party (a quasi-hierarchy"),
    ],
)
def test_missing_flags_are_named(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, drop: str, extra: list[str], named: str
) -> None:
    monkeypatch.chdir(tmp_path)
    args = list(FLAGS)
    if drop in ("--title", "--governance"):
        i = args.index(drop)
        del args[i : i + 2]
    elif drop == "parties":
        args = [a for a in args if a != "--party" and "=" not in a]
    elif drop == "one-party":
        i = args.index("--party")
        del args[i : i + 2]
    elif drop == "lead":
        i = args.index("--governance")
        del args[i : i + 2]
    result = cli("new-charter", "--no-input", *args, *extra)
    assert result.exit_code == 2, result.stderr
    assert named in result.stderr
    assert files_under(tmp_path) == []


def test_everything_missing_names_every_flag(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("new-charter")  # CliRunner's stdin is not a terminal: no prompts
    assert result.exit_code == 2
    for flag in ("--title", "--party", "--governance"):
        assert flag in result.stderr
    assert files_under(tmp_path) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--party", "Bad Id=X"], "--party: 'Bad Id' is not a safe party id"),
        (["--party", "acme=Again"], "--party: two parties have the id 'acme'"),
        (["--governance", "feudal"], "--governance: 'feudal' is not a governance model"),
        (["--lead-party", "initech"], "--lead-party: 'initech' is not one of the parties"),
        (["--review-every", "fortnightly"], "--review-every: 'fortnightly' is not a review"),
        (["--effective", "2026-02-30"], "--effective: '2026-02-30' is not a date"),
        (["--title", "  "], "--title: the title is empty"),
        (["--party", "ACME=Again"], "--party: 'ACME' has capital letters; a party id is lower"),
        (["--governance", "netwrok"], "not a governance model: choose one of market, network"),
        (["--governance", "netwrok"], "; did you mean 'network'?"),
        (["--representative", "initech=Jo <jo@x.example>"], "with PARTY one of acme, globex"),
        (["--representative", "acme=Jane Doe"], 'give the name and the email as "Full Name'),
        (["--representative", "acme=Jane <jane at acme>"], "'jane at acme' is not an email"),
        (["--purpose", " "], "--purpose: the purpose is empty"),
    ],
)
def test_bad_flag_values_are_refused(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("new-charter", "--no-input", *FLAGS, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert files_under(tmp_path) == []


def test_a_title_without_letters_needs_an_id(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = list(FLAGS)
    args[1] = "日本とドイツ"
    result = cli("new-charter", "--no-input", *args)
    assert result.exit_code == 2
    assert "cannot make an id" in result.stderr and "--id" in result.stderr
    result = cli("new-charter", "--no-input", *args, "--id", "japan-germany")
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "charters" / "japan-germany.yaml").read_text(encoding="utf-8")
    assert "title: 日本とドイツ\n" in text


def test_all_flags_are_used(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli(
        "new-charter",
        "--no-input",
        "--title",
        "Facilities: 2027 #1",
        "--id",
        "fm-2027",
        "--party",
        "Harbourside Agency",
        "--party",
        "globex=Globex: FM",
        "--governance",
        "hierarchy",
        "--lead-party",
        "globex",
        "--review-every",
        "annual",
        "--effective",
        "2026-01-15",
        "--dir",
        "out/relationships",
    )
    assert result.exit_code == 0, result.stderr
    path = tmp_path / "out" / "relationships" / "fm-2027.yaml"
    data = yaml.safe_load(path.read_text())
    assert data["title"] == "Facilities: 2027 #1"
    assert [(p["id"], p["name"]) for p in data["parties"]] == [
        ("harbourside-agency", "Harbourside Agency"),
        ("globex", "Globex: FM"),
    ]
    assert data["governance"] == {"model": "hierarchy", "lead_party": "globex"}
    assert data["review"]["cadence"] == "annual"
    assert str(data["term"]["effective"]) == "2026-01-15"
    assert modeline_target(path).resolve() == (tmp_path / ".rmo/charter.schema.json").resolve()
    assert cli("validate", path).exit_code == 0


def test_new_charters_go_to_the_repository_folder(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "rmo.yaml").write_text("charters: ['relationships/**/*.yaml']\n")
    sub = tmp_path / "some" / "where"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    result = cli("new-charter", "--no-input", *FLAGS)
    assert result.exit_code == 0, result.stderr
    path = tmp_path / "relationships" / "acme-globex-alliance.yaml"
    assert path.is_file()
    assert modeline_target(path).resolve() == (tmp_path / ".rmo/charter.schema.json").resolve()
    # An id already used by another charter of the repository is refused.
    result = cli("new-charter", "--no-input", *FLAGS, "--dir", tmp_path / "relationships/x")
    assert result.exit_code == 2
    assert "the id 'acme-globex-alliance' is already used by" in result.stderr
    assert not (tmp_path / "relationships" / "x").exists()


def test_from_an_existing_charter(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "source.yaml"
    shutil.copy(SAMPLES / "harbourside-globex-facilities.yaml", source)
    result = cli(
        "new-charter",
        "--no-input",
        "--from",
        source,
        "--id",
        "harbourside-2028",
        "--title",
        "Harbourside – Globex renewal 2028",
    )
    assert result.exit_code == 0, result.stderr
    path = tmp_path / "charters" / "harbourside-2028.yaml"
    data = yaml.safe_load(path.read_text())
    assert (data["id"], data["version"], data["status"]) == ("harbourside-2028", "0.1.0", "draft")
    assert data["title"] == "Harbourside – Globex renewal 2028"
    assert "signoffs" not in data and "log" not in data["review"]
    assert modeline_target(path).is_file()
    assert cli("validate", path).exit_code == 0
    # --from needs a new id (or a title to make one).
    result = cli("new-charter", "--no-input", "--from", source)
    assert result.exit_code == 2
    assert "missing --id" in result.stderr
    result = cli("new-charter", "--no-input", "--from", tmp_path / "nope.yaml", "--id", "xy")
    assert result.exit_code == 2
    assert "nope.yaml: no such file" in result.stderr


@pytest.mark.parametrize("command", ["init", "new-charter"])
def test_help_has_a_summary_and_an_example(cli, command: str) -> None:
    result = cli(command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout


def test_a_charter_outside_the_repository_globs_is_flagged(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("init", ".").exit_code == 0
    result = cli("new-charter", "--no-input", *FLAGS, "--dir", "drafts")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "drafts" / "acme-globex-alliance.yaml").is_file()
    assert "drafts/acme-globex-alliance.yaml is not matched by the charters globs" in result.stderr
    result = cli("new-charter", "--no-input", *FLAGS, "--id", "inside")
    assert result.exit_code == 0
    assert "not matched" not in result.stderr


def test_from_refuses_flags_it_would_ignore(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = SAMPLES / "harbourside-globex-facilities.yaml"
    result = cli(
        "new-charter",
        "--no-input",
        "--from",
        source,
        "--id",
        "x",
        "--party",
        "a=A",
        "--governance",
        "market",
    )
    assert result.exit_code == 2
    assert "--party, --governance cannot be used with --from" in result.stderr
    assert files_under(tmp_path) == []


def _plain_path(tmp_path: Path) -> str:
    """A PATH with git and the shell but no rmo."""
    bin_dir = tmp_path / "bin-without-rmo"
    bin_dir.mkdir()
    for tool in ("git", "sh", "cat"):
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def test_git_diff_works_without_rmo_on_path(tmp_path: Path) -> None:
    if not RMO.exists():
        pytest.skip("rmo is not installed in this environment")
    repo = tmp_path / "repo"
    assert subprocess.run([str(RMO), "init", str(repo)], capture_output=True).returncode == 0
    charter_path = repo / "charters" / "acme-globex.yaml"
    sample = SAMPLES / "harbourside-globex-facilities.yaml"
    charter_path.write_text(sample.read_text(encoding="utf-8"), encoding="utf-8")
    (repo / "notes.yaml").write_text("a: 1\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@example.test", "commit", "-qm", "one")
    text = charter_path.read_text(encoding="utf-8")
    changed = re.sub(r"(?m)^title: .*$", "title: Changed Title", text, count=1)
    charter_path.write_text(changed, encoding="utf-8")
    (repo / "notes.yaml").write_text("a: 2\n", encoding="utf-8")
    env = {**os.environ, "PATH": _plain_path(tmp_path)}

    def diff(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "diff", *args], cwd=repo, capture_output=True, text=True, env=env, timeout=30
        )

    # The installed rmo by absolute path: charters field by field, other YAML as it is.
    done = diff()
    assert done.returncode == 0, done.stderr
    assert "rmo: not found" not in done.stderr and "unable to read" not in done.stderr
    assert "+a: 2" in done.stdout
    plain = diff("--no-textconv")
    assert done.stdout != plain.stdout  # the charter in rmo's canonical view
    assert "+title: Changed Title" in done.stdout
    # rmo gone altogether (another machine, a deleted venv): plain text, no failure.
    config = git(repo, "config", "--get", "diff.rmo.textconv").strip()
    git(repo, "config", "diff.rmo.textconv", config.replace(str(RMO.resolve()), "/gone/rmo"))
    done = diff()
    assert done.returncode == 0, done.stderr
    assert done.stdout == plain.stdout  # the plain YAML
    assert "+a: 2" in done.stdout
    log = subprocess.run(
        ["git", "log", "-p", "-1"], cwd=repo, capture_output=True, text=True, env=env, timeout=30
    )
    assert log.returncode == 0, log.stderr


def test_init_replaces_the_old_repository_wide_attribute(cli, tmp_path: Path) -> None:
    (tmp_path / ".gitattributes").write_text("*.png binary\n*.yaml diff=rmo\n*.yml diff=rmo\n")
    assert cli("init", tmp_path).exit_code == 0
    lines = (tmp_path / ".gitattributes").read_text().splitlines()
    assert lines == ["*.png binary", "charters/**/*.yaml diff=rmo", "charters/**/*.yml diff=rmo"]


def test_representatives_purpose_and_a_cadence_in_words(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli(
        "new-charter",
        "--no-input",
        *FLAGS,
        "--representative",
        "acme=Jane Doe <jane.doe@acme.example>",
        "--representative",
        "globex=Jane Doe <jdoe@globex.example>",  # the same name: a person id of its own
        "--purpose",
        "Shared winter road depots.",
        "--review-every",
        "6 months",
    )
    assert result.exit_code == 0, result.stderr
    path = tmp_path / "charters" / "acme-globex-alliance.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [p.get("people") for p in data["parties"]] == [
        [{"id": "jane-doe", "name": "Jane Doe", "email": "jane.doe@acme.example"}],
        [{"id": "jane-doe-2", "name": "Jane Doe", "email": "jdoe@globex.example"}],
    ]
    assert data["purpose"] == "Shared winter road depots."
    assert data["review"]["cadence"] == "P6M"
    assert cli("validate", path).exit_code == 0
    # The id is taken now: the refusal offers a free one.
    again = cli("new-charter", "--no-input", *FLAGS)
    assert again.exit_code == 2
    assert "already exists; use --force to overwrite it" in again.stderr
    assert "such as 'acme-globex-alliance-2'" in again.stderr
