"""The GitHub Action (action.yml) and the documented workflow: real rmo commands, valid SARIF.

The action's own shell steps are run here with bash, as the runner would, against a real
charter repository; the documented pull-request step runs against real git revisions.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, SAMPLES, charter, git, git_commit, write_charter
from test_check import overdue_charter, signed

ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / "docs" / "github-workflow-example.yml"
VENV_BIN = Path(sys.executable).parent
SARIF_SCHEMA_PLACES = (ROOT.parent / "shared" / "data" / "sarif-schema-2.1.0.json",)
AS_OF = "2026-11-23"
# `rmo <subcommand>` in a shell line (not `rmo --version`, not `rmo-cli==...`).
RMO_CALL = re.compile(r"(?<![\w/.-])rmo\s+([a-z][a-z-]*)")


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def rmo_commands() -> dict[str, Any]:
    """Subcommand name -> Click command, as `rmo --help` lists them."""
    from typer.main import get_command

    from rmo_cli.cli.main import app

    return dict(get_command(app).commands)  # type: ignore[attr-defined]


def run_scripts(doc: dict[str, Any]) -> list[str]:
    steps: list[dict[str, Any]] = []
    if "runs" in doc:
        steps = doc["runs"]["steps"]
    for job in doc.get("jobs", {}).values():
        steps.extend(job.get("steps", []))
    return [step["run"] for step in steps if "run" in step]


def step(doc: dict[str, Any], name: str) -> dict[str, Any]:
    steps = doc["runs"]["steps"] if "runs" in doc else doc["jobs"]["check"]["steps"]
    return next(s for s in steps if s.get("name") == name)


def sarif_schema() -> dict[str, Any]:
    for place in SARIF_SCHEMA_PLACES:
        if place.is_file():
            return json.loads(place.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    pytest.skip("the SARIF 2.1.0 schema (shared/data/sarif-schema-2.1.0.json) is not here")


# --- action.yml as data ---------------------------------------------------------------------


def test_action_is_a_composite_action_with_the_documented_inputs() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert inputs["format"]["default"] == "github"
    assert inputs["sarif"]["default"] == ""
    for name in ("paths", "python-version", "version", "fail-on", "as-of", "within"):
        assert name in inputs and inputs[name]["description"]
    uses = [s["uses"].split("@")[0] for s in action["runs"]["steps"] if "uses" in s]
    assert uses == [
        "actions/setup-python",
        "actions/cache",
        "github/codeql-action/upload-sarif",
    ]
    cache = step(action, "Restore rmo's result cache")
    assert "steps.install.outputs.version" in cache["with"]["key"]
    assert "RMO_CACHE_DIR" in step(action, "Install rmo")["run"]
    upload = step(action, "Upload SARIF to code scanning")
    assert "inputs.sarif != ''" in upload["if"] and "always()" in upload["if"]
    # Every run step of a composite action must name its shell.
    assert all(s.get("shell") == "bash" for s in action["runs"]["steps"] if "run" in s)


def test_action_installs_rmo_from_its_own_checkout() -> None:
    install = step(load(ACTION), "Install rmo")["run"]
    assert '"$GITHUB_ACTION_PATH"' in install
    assert "rmo-cli==$RMO_VERSION" in install


def test_inputs_reach_scripts_only_through_the_environment() -> None:
    # `${{ inputs.x }}` pasted into a script is a shell injection; env vars are not.
    for script in run_scripts(load(ACTION)) + run_scripts(load(WORKFLOW)):
        assert "${{" not in script


@pytest.mark.parametrize("path", [ACTION, WORKFLOW], ids=["action.yml", "workflow"])
def test_run_steps_call_real_rmo_commands_and_options(path: Path) -> None:
    commands = rmo_commands()
    calls = 0
    for script in run_scripts(load(path)):
        for sub in RMO_CALL.findall(script):
            calls += 1
            assert sub in commands, f"{path.name} runs `rmo {sub}`, which rmo does not have"
        # Options given to `rmo check` (directly or through the args array) must exist.
        if re.search(r"\brmo check\b", script):
            known = {o for p in commands["check"].params for o in p.opts}
            for line in script.splitlines():
                if "rmo check" in line or line.strip().startswith(("args=", "if [")):
                    for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", line):
                        assert option in known, f"rmo check has no {option}"
    assert calls >= (2 if path == ACTION else 1)


@pytest.mark.slow
@pytest.mark.parametrize(
    "path, schema",
    [(ACTION, "vendor.github-actions"), (WORKFLOW, "vendor.github-workflows")],
    ids=["action.yml", "workflow"],
)
def test_files_match_githubs_schemas(path: Path, schema: str) -> None:
    pytest.importorskip("check_jsonschema")
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflow_uses_the_action_with_full_history() -> None:
    workflow = load(WORKFLOW)
    steps = workflow["jobs"]["check"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    assert steps[0]["with"]["fetch-depth"] == 0
    action_step = next(s for s in steps if s.get("name") == "rmo check")
    assert action_step["uses"].endswith("/rmo@v0.1.0")
    assert set(action_step["with"]) <= set(load(ACTION)["inputs"])
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 `on`
    assert "pull_request" in triggers and "schedule" in triggers


# --- running the action's shell steps ------------------------------------------------------


@pytest.fixture
def charter_repo(tmp_path: Path) -> Path:
    """A charter repository with one clean, one invalid, one stale and one overdue charter."""
    root = tmp_path / "charter-repo"
    (root / "charters").mkdir(parents=True)
    (root / "rmo.yaml").write_text('charters: ["charters/**/*.yaml"]\n')
    write_charter(root / "charters" / "acme-globex.yaml", signed(charter()))
    invalid = charter(id="acme-initech", status="dormant")
    write_charter(root / "charters" / "acme-initech.yaml", signed(invalid))
    stale = signed(charter(id="acme-umbrella"))
    stale["purpose"] = "Changed after signing."
    write_charter(root / "charters" / "acme-umbrella.yaml", stale)
    overdue = {k: v for k, v in overdue_charter().items() if k != "signoffs"}
    hooli = signed({**overdue, "id": "acme-hooli"}, date="2026-02-01")
    write_charter(root / "charters" / "acme-hooli.yaml", hooli)
    return root


def action_env(tmp_path: Path, **inputs: str) -> dict[str, str]:
    """The environment a composite step sees: its `env:` from inputs, PATH with rmo on it."""
    defaults = {name: str(spec.get("default", "")) for name, spec in load(ACTION)["inputs"].items()}
    defaults.update(inputs)
    output = tmp_path / "github_output"
    output.touch()
    return {
        "PATH": f"{VENV_BIN}{os.pathsep}/usr/bin:/bin",
        "HOME": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
        "RMO_TODAY": AS_OF,
        "RMO_PATHS": defaults["paths"],
        "RMO_FORMAT": defaults["format"],
        "RMO_SARIF": defaults["sarif"],
        "RMO_FAIL_ON": defaults["fail-on"],
        "RMO_AS_OF": defaults["as-of"],
        "RMO_WITHIN": defaults["within"],
        "RMO_STRICT": defaults["strict"],
    }


def run_step(name: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run one of the action's bash steps the way the runner does (`bash -e {0}`)."""
    spec = step(load(ACTION), name)
    assert set(spec["env"]) <= set(env), "the test must provide every env var the step reads"
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", spec["run"]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.slow
def test_check_step_annotates_and_fails(charter_repo: Path, tmp_path: Path) -> None:
    done = run_step("Check charters", charter_repo, action_env(tmp_path))
    assert done.returncode == 1, done.stderr
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert "4 files checked: " in done.stdout  # the summary line of the github format
    files = {re.search(r"file=([^,]+)", a).group(1) for a in annotations}  # type: ignore[union-attr]
    assert files == {
        "charters/acme-initech.yaml",
        "charters/acme-umbrella.yaml",
        "charters/acme-hooli.yaml",
    }
    assert all(a.startswith(("::error ", "::warning ")) for a in annotations)
    assert any("title=" in a and "review-overdue" in a for a in annotations)


@pytest.mark.slow
def test_check_step_passes_on_clean_paths(charter_repo: Path, tmp_path: Path) -> None:
    env = action_env(tmp_path, paths="charters/acme-globex.yaml\n")
    done = run_step("Check charters", charter_repo, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "::" not in done.stdout


@pytest.mark.slow
def test_check_step_passes_inputs_through(charter_repo: Path, tmp_path: Path) -> None:
    env = action_env(tmp_path, paths="charters/acme-hooli.yaml", **{"fail-on": "none"})
    done = run_step("Check charters", charter_repo, env)
    assert done.returncode == 0, done.stdout + done.stderr
    # Due 2026-07-10: due soon, not overdue, on 2026-07-01 ...
    env = action_env(tmp_path, paths="charters/acme-hooli.yaml", **{"as-of": "2026-07-01"})
    done = run_step("Check charters", charter_repo, env)
    assert done.returncode == 0, done.stdout + done.stderr
    # ... unless the strict input makes warnings fail.
    env["RMO_STRICT"] = "true"
    done = run_step("Check charters", charter_repo, env)
    assert done.returncode == 1, done.stdout + done.stderr
    env = action_env(tmp_path, paths="charters/acme-hooli.yaml", **{"format": "json"})
    done = run_step("Check charters", charter_repo, env)
    assert done.returncode == 1
    assert [f["rule"] for f in json.loads(done.stdout)["findings"]] == ["review-overdue"]


@pytest.mark.slow
def test_sarif_step_writes_the_report_without_failing(charter_repo: Path, tmp_path: Path) -> None:
    env = action_env(tmp_path, sarif="rmo.sarif")
    done = run_step("Write SARIF report", charter_repo, env)
    assert done.returncode == 0, done.stderr
    assert "path=rmo.sarif" in Path(env["GITHUB_OUTPUT"]).read_text()
    sarif = json.loads((charter_repo / "rmo.sarif").read_text(encoding="utf-8"))
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert {"signoff-stale", "review-overdue"} <= rules


@pytest.mark.slow
def test_sarif_step_fails_on_usage_errors(charter_repo: Path, tmp_path: Path) -> None:
    env = action_env(tmp_path, sarif="rmo.sarif", within="soon")
    done = run_step("Write SARIF report", charter_repo, env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--within" in done.stderr


# --- SARIF against the OASIS schema ---------------------------------------------------------


@pytest.mark.slow
def test_sarif_from_rmo_check_validates_against_the_schema(charter_repo: Path) -> None:
    from jsonschema import Draft4Validator

    schema = sarif_schema()
    done = subprocess.run(
        [str(VENV_BIN / "rmo"), "check", "--format", "sarif", "--as-of", AS_OF],
        cwd=charter_repo,
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(charter_repo)},
    )
    assert done.returncode == 1, done.stderr
    sarif = json.loads(done.stdout)
    errors = sorted(Draft4Validator(schema).iter_errors(sarif), key=str)
    assert errors == [], "\n".join(e.message for e in errors[:5])
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(rule_ids) == len(set(rule_ids))  # one rule entry per rule id
    found = {r["ruleId"] for r in run["results"]}
    assert {"signoff-stale", "review-overdue", "signoff-missing"} <= found
    assert found <= set(rule_ids)
    assert all(
        r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in run["results"]
    )


# --- the documented pull-request step -------------------------------------------------------


@pytest.mark.slow
def test_pull_request_step_writes_charter_diffs_to_the_summary(
    git_repo: Path, tmp_path: Path
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    write_charter(git_repo / "charters" / "acme-globex.yaml", signed(charter()))
    write_charter(git_repo / "charters" / "acme-umbrella.yaml", charter(id="acme-umbrella"))
    (git_repo / "rmo.yaml").write_text('charters: ["charters/**/*.yaml"]\n')
    base = git_commit(git_repo, "base")
    git(git_repo, "checkout", "-q", "-b", "feature")
    git(git_repo, "mv", "charters/acme-umbrella.yaml", "charters/umbrella.yaml")
    write_charter(
        git_repo / "charters" / "umbrella.yaml",
        charter(id="acme-umbrella", title="ACME–Umbrella Relationship Charter"),
    )
    changed = charter(purpose="Keep the public buildings running, and the parks too.")
    write_charter(git_repo / "charters" / "acme-globex.yaml", changed)
    new = "riverside-cardiac-research-network.yaml"
    shutil.copy2(SAMPLES / new, git_repo / "charters" / new)
    (git_repo / "README.md").write_text("not a charter\n")
    head = git_commit(git_repo, "change purpose, add a charter")

    steps = load(WORKFLOW)["jobs"]["check"]["steps"]
    pr_step = next(s for s in steps if "rmo diff" in s.get("run", ""))
    summary = tmp_path / "summary.md"
    env = {
        "PATH": f"{VENV_BIN}{os.pathsep}/usr/bin:/bin",
        "HOME": str(tmp_path),
        "GITHUB_STEP_SUMMARY": str(summary),
        "BASE_SHA": base,
        "HEAD_SHA": head,
        "CHARTERS": pr_step["env"]["CHARTERS"],
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", pr_step["run"]],
        cwd=git_repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## Charter changes")
    assert f"`charters/{new}` (new charter)" in text
    assert "parks too" in text  # the purpose change, from `rmo diff --format md`
    assert "README" not in text
    # The renamed charter is diffed (renames followed), not listed as new.
    assert "charters/umbrella.yaml" in text and "Umbrella Relationship Charter" in text
    assert "umbrella.yaml` (new charter)" not in text


# --- what `rmo init` writes -----------------------------------------------------------------


def test_rmo_init_workflow_uses_this_action(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "charters-repo"
    result = cli("init", target)
    assert result.exit_code == 0, result.output
    workflow = load(target / ".github" / "workflows" / "charters.yml")
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    (action_step,) = [s for s in steps if "/rmo@" in s.get("uses", "")]
    assert set(action_step.get("with", {})) <= set(load(ACTION)["inputs"])
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
