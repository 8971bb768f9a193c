"""Scaffolding: a new charter repository (`rmo init`) and new charters (`rmo new-charter`).

The functions here read and write files; they never prompt or print. The pure half (answer
checks, ids from names, a new charter's text) is `charter.scaffold`, re-exported here.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from rmo_cli.charter.scaffold import (
    DEFAULT_REVIEW,
    MODELINE_PREFIX,
    NEW_VERSION,
    CharterSpec,
    Party,
    Person,
    charter_text,
    check_cadence,
    check_date,
    check_email,
    check_governance,
    check_id,
    check_lead_party,
    check_parties,
    check_text,
    parse_party,
    parse_representative,
    person_id,
    slugify,
    yaml_scalar,
)
from rmo_cli.support.errors import RefusedError, RmoError
from rmo_cli.support.vocabulary import GOVERNANCE_MODELS, LEAD_MODELS

__all__ = [  # the pure half is re-exported for the CLI, the sign-off operation and tests
    "CONFIG_SCHEMA_FILE",
    "DEFAULT_REVIEW",
    "GOVERNANCE_MODELS",
    "LEAD_MODELS",
    "MODELINE_PREFIX",
    "NEW_VERSION",
    "SCHEMA_FILE",
    "CharterSpec",
    "InitReport",
    "Party",
    "Person",
    "charter_from",
    "charter_text",
    "check_cadence",
    "check_date",
    "check_email",
    "check_governance",
    "check_id",
    "check_lead_party",
    "check_new_file",
    "check_parties",
    "check_text",
    "ensure_schema",
    "id_in_use",
    "init_repository",
    "outside_repository_globs",
    "parse_party",
    "parse_representative",
    "person_id",
    "scaffold_file",
    "schema_reference",
    "schema_root",
    "slugify",
    "write_new_charter",
    "yaml_scalar",
]

SCHEMA_FILE = Path(".rmo") / "charter.schema.json"
CONFIG_SCHEMA_FILE = Path(".rmo") / "config.schema.json"
REGISTER_SCHEMA_FILE = Path(".rmo") / "register.schema.json"


def _round_trip() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def charter_from(
    source: Path,
    *,
    new_id: str,
    schema_ref: str,
    title: str | None = None,
    effective: dt.date | None = None,
    review_every: str | None = None,
) -> str:
    """A new draft charter's text from an existing one (comments and order kept).

    New id, version 0.1.0, status draft; sign-offs and the review log (with last_reviewed
    and next_due) dropped; title, effective date and cadence replaced when given.
    """
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    from rmo_cli.charter.loading import read_charter
    from rmo_cli.ops.editing import detect_indent

    loaded = read_charter(source)
    if loaded.document is None or loaded.text is None:
        first = loaded.findings[0]
        raise RmoError(f"--from {source}: cannot use it: {first.message}")
    text = loaded.text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines and lines[0].startswith("# yaml-language-server:"):
        text = "\n".join(lines[1:])
    yaml = _round_trip()
    sequence, offset = detect_indent(text)
    yaml.indent(mapping=2, sequence=sequence, offset=offset)
    try:
        data = yaml.load(text)
    except Exception as exc:  # ruamel is stricter than the reader in rare corners
        raise RmoError(f"--from {source}: cannot edit it: {exc}") from None
    data["id"] = new_id
    if title is not None:
        data["title"] = title
    data["version"] = DoubleQuotedScalarString(NEW_VERSION)
    data["status"] = "draft"
    data.pop("signoffs", None)
    review = data.get("review")
    if hasattr(review, "pop"):
        for key in ("log", "last_reviewed", "next_due"):
            review.pop(key, None)
        if review_every is not None:
            review["cadence"] = review_every
    term = data.get("term")
    if effective is not None and hasattr(term, "__setitem__"):
        term["effective"] = effective
    out = io.StringIO()
    yaml.dump(data, out)
    return f"{MODELINE_PREFIX}{schema_ref}\n" + out.getvalue()


# ---------------------------------------------------------------------------------------
# Where a new charter goes and what it points at.


def schema_root(charters_dir: Path) -> Path:
    """The folder whose `.rmo/charter.schema.json` a charter in charters_dir names.

    The folder of the nearest `rmo.yaml`, else the top of the git repository, else the
    current directory when charters_dir is below it, else charters_dir itself.
    """
    from rmo_cli.adapters.git import git_top
    from rmo_cli.ops.repository import find_config_file

    folder = Path(os.path.abspath(charters_dir))
    config = find_config_file(folder)
    if config is not None:
        return config.parent
    top = git_top(folder)
    if top is not None:
        return top
    here = Path.cwd().resolve()
    if folder.resolve().is_relative_to(here):
        return here
    return folder


def schema_reference(charter_path: Path, schema_file: Path) -> str:
    """The modeline's relative path from the charter's folder to the schema file."""
    start = os.path.abspath(charter_path.parent)
    relative = os.path.relpath(os.path.abspath(schema_file), start)
    return Path(relative).as_posix()


def ensure_schema(root: Path) -> tuple[Path, bool]:
    """The repository's editor copy of the charter schema, written when missing.

    Returns its path and whether it was written now.
    """
    from rmo_cli.support.atomic import atomic_write
    from rmo_cli.support.resources import schema_path

    target = root / SCHEMA_FILE
    if target.is_file():
        return target, False
    atomic_write(target, schema_path("charter.schema.json").read_bytes())
    return target, True


def id_in_use(charters_dir: Path, charter_id: str, target: Path) -> Path | None:
    """Another charter file of the repository that already has this id, if any."""
    from rmo_cli.charter.loading import read_charter
    from rmo_cli.ops.repository import DEFAULT_CHARTERS_DIR, discover, find_config_file, read_config

    config_file = find_config_file(Path(os.path.abspath(charters_dir)))
    try:
        if config_file is not None:
            candidates = discover(config=read_config(config_file))
        else:
            # No rmo.yaml: the folder written to, and ./charters, which `rmo validate` checks.
            folders = {os.path.abspath(f) for f in (charters_dir, DEFAULT_CHARTERS_DIR)}
            existing = sorted(f for f in folders if os.path.isdir(f))
            candidates = discover(existing) if existing else []
    except RmoError:
        return None
    target_key = Path(os.path.abspath(target))
    for candidate in candidates:
        if Path(os.path.abspath(candidate.path)) == target_key:
            continue
        # A cheap look first: most files cannot contain the id at all.
        try:
            if charter_id not in candidate.path.read_text(encoding="utf-8", errors="replace"):
                continue
        except OSError:
            continue
        loaded = read_charter(candidate.path)
        if loaded.document is not None and isinstance(loaded.document.data, dict):
            if loaded.document.data.get("id") == charter_id:
                return candidate.path
    return None


def outside_repository_globs(path: Path) -> Path | None:
    """The `rmo.yaml` whose charters globs do not match path (None when they do or none)."""
    from rmo_cli.ops.repository import discover, find_config_file, read_config

    config_file = find_config_file(Path(os.path.abspath(path.parent)))
    if config_file is None:
        return None
    try:
        found = discover(config=read_config(config_file))
    except RmoError:
        return None
    target = Path(os.path.abspath(path))
    if any(Path(os.path.abspath(f.path)) == target for f in found):
        return None
    return config_file


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)


def check_new_file(path: Path, force: bool) -> None:
    """Refuse (exit 2: the command could not do its job) to replace a file without force."""
    if path.exists() and not force:
        raise RmoError(f"{_display(path)} already exists; use --force to overwrite it")


def write_new_charter(path: Path, text: str, *, force: bool, as_of: dt.date) -> list[Path]:
    """Check the new charter's text, then write it (and the schema copy when missing).

    Refuses to overwrite without force (exit 1) and refuses text that would fail
    `rmo validate` (exit 1, naming the first findings); returns the files written.
    """
    from rmo_cli.charter.loading import parse_charter
    from rmo_cli.ops.validation import check_document
    from rmo_cli.support.atomic import atomic_write
    from rmo_cli.support.findings import ERROR

    check_new_file(path, force)
    display = _display(path)
    loaded = parse_charter(text.encode("utf-8"), display)
    findings = list(loaded.findings)
    if loaded.document is not None:
        findings += check_document(loaded.document, as_of)
    errors = [f for f in findings if f.severity == ERROR]
    if errors:
        shown = "; ".join(f"line {f.line}: {f.message}" for f in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise RefusedError(f"the new charter would not be valid: {shown}{more}")
    written: list[Path] = []
    root = schema_root(path.parent)
    schema_file, created = ensure_schema(root)
    if created:
        written.append(schema_file)
    atomic_write(path, text, overwrite=force)
    written.insert(0, path)
    return written


# ---------------------------------------------------------------------------------------
# rmo init


@dataclass
class InitReport:
    """What `init_repository` did: files written, files left as they were, git steps."""

    root: Path
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    git_initialised: bool = False
    git_configured: bool = False
    notes: list[str] = field(default_factory=list)


def scaffold_file(name: str) -> str:
    """A packaged scaffold file's text, with `$version` filled in."""
    from rmo_cli import __version__

    text = (files("rmo_cli") / "scaffold_files" / name).read_text(encoding="utf-8")
    return text.replace("$version", __version__)


# Only charters use the driver (the globs of the default rmo.yaml): a workflow or any other
# YAML file diffs as plain text, whatever happens to rmo.
GITATTRIBUTES_LINES = ("charters/**/*.yaml diff=rmo", "charters/**/*.yml diff=rmo")
# What `rmo init` wrote before: every YAML file through the driver.
_OLD_GITATTRIBUTES_LINES = frozenset({"*.yaml diff=rmo", "*.yml diff=rmo"})
TEXTCONV = "rmo textconv"


def textconv_command(rmo: str | None = None) -> str:
    """The diff.rmo.textconv git runs: the installed rmo by absolute path, else an `rmo` on
    PATH, else the file as it is (plain `git diff` keeps working without rmo)."""
    import shlex

    if rmo is None:
        rmo = _installed_rmo()
    shell = (
        'f() { if [ -x {rmo} ]; then {rmo} textconv "$1"; '
        'elif command -v rmo >/dev/null 2>&1; then rmo textconv "$1"; '
        'else cat "$1"; fi; }; f'
    )
    return shell.replace("{rmo}", shlex.quote(rmo))


def _installed_rmo() -> str:
    """The absolute path of the rmo console script that is running (or beside Python)."""
    import shutil
    import sys

    for candidate in (sys.argv[0] if sys.argv else "", str(Path(sys.executable).parent / "rmo")):
        path = Path(candidate)
        if path.name == "rmo" and path.is_file() and os.access(path, os.X_OK):
            return str(path.resolve())
    found = shutil.which("rmo")
    return str(Path(found).resolve()) if found else "rmo"


def _merge_lines(existing: str, lines: Iterable[str]) -> str:
    kept = [line for line in existing.splitlines() if line.strip() not in _OLD_GITATTRIBUTES_LINES]
    if len(kept) != len(existing.splitlines()):
        existing = "\n".join(kept) + ("\n" if kept else "")
    present = {line.strip() for line in existing.splitlines()}
    missing = [line for line in lines if line not in present]
    if not missing:
        return existing
    prefix = existing if not existing or existing.endswith("\n") else existing + "\n"
    return prefix + "\n".join(missing) + "\n"


def init_repository(root: Path, *, force: bool = False) -> InitReport:
    """Make root a charter repository; safe to run again (existing files are kept).

    An `rmo.yaml` that differs from the default is refused (exit 1) unless force; force
    also replaces the pre-commit config and the workflow, never the README.
    """
    from rmo_cli.support.atomic import atomic_write
    from rmo_cli.support.resources import schema_path

    root = Path(root)
    if root.exists() and not root.is_dir():
        raise RmoError(f"{root} exists and is not a directory")
    report = InitReport(root=root)
    config = root / "rmo.yaml"
    config_text = scaffold_file("rmo.yaml")
    if config.exists() and not force and config.read_text(errors="replace") != config_text:
        raise RmoError(
            f"{config} already exists; use --force to overwrite it (nothing was changed)",
        )

    def put(path: Path, content: str | bytes, replace: bool) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        if path.exists():
            if path.is_file() and path.read_bytes() == data:
                report.kept.append(path)
                return
            if not replace:
                report.kept.append(path)
                report.notes.append(f"kept the existing {path.relative_to(root)}")
                return
        atomic_write(path, data)
        report.written.append(path)

    try:
        root.mkdir(parents=True, exist_ok=True)
        put(config, config_text, replace=True)
        charters = root / "charters"
        if not charters.is_dir():
            charters.mkdir(parents=True)
            report.written.append(charters)
            # git keeps no empty folders; the marker keeps charters/ in a fresh clone.
            atomic_write(charters / ".gitkeep", "")
        else:
            report.kept.append(charters)
        put(root / SCHEMA_FILE, schema_path("charter.schema.json").read_bytes(), replace=True)
        put(root / CONFIG_SCHEMA_FILE, schema_path("config.schema.json").read_bytes(), True)
        put(root / REGISTER_SCHEMA_FILE, schema_path("register.schema.json").read_bytes(), True)
        # An empty register to fill in: rmo.yaml names it only once someone enables it.
        put(root / "organisations.yaml", scaffold_file("organisations.yaml"), replace=False)
        put(root / ".pre-commit-config.yaml", scaffold_file("pre-commit-config.yaml"), force)
        put(root / ".github" / "workflows" / "charters.yml", scaffold_file("charters.yml"), force)
        put(root / "README.md", scaffold_file("README.md"), replace=False)
        attributes = root / ".gitattributes"
        old = attributes.read_text(encoding="utf-8") if attributes.is_file() else ""
        put(attributes, _merge_lines(old, GITATTRIBUTES_LINES), replace=True)
    except OSError as exc:
        raise RmoError(f"cannot write in {root}: {exc.strerror or exc}") from None
    _init_git(root, report)
    return report


def _init_git(root: Path, report: InitReport) -> None:
    from rmo_cli.adapters.git import init_work_tree

    setup = init_work_tree(root, ("diff.rmo.textconv", textconv_command()))
    if setup.git_missing:
        report.notes.append(
            "git is not installed: run `git init` and "
            f'`git config diff.rmo.textconv "{TEXTCONV}"` once it is'
        )
        return
    if setup.enclosing_top is not None:
        report.notes.append(
            f"{root} is inside the git repository {setup.enclosing_top}: GitHub and pre-commit "
            "only read .github/workflows/ and .pre-commit-config.yaml at its top; move them "
            "there (or run 'rmo init' there)"
        )
    if setup.init_error is not None:
        report.notes.append(f"git init failed: {setup.init_error}")
        return
    report.git_initialised = setup.initialised
    report.git_configured = setup.configured
    if setup.config_error is not None:
        report.notes.append(f"git config diff.rmo.textconv failed: {setup.config_error}")
