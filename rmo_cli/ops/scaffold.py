"""Scaffolding: a new charter repository (`rmo init`) and new charters (`rmo new-charter`).

The functions here check answers, build file contents and write them; they never prompt or
print. Each check raises `RmoError` with a message that names no flag, so the CLI can use
it both to re-ask a prompt and (prefixed with the flag) to refuse a command line.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from rmo_cli.support.errors import RefusedError, RmoError
from rmo_cli.support.ids import MAX_ID, SLUG_RE
from rmo_cli.support.vocabulary import GOVERNANCE_MODELS, LEAD_MODELS

DEFAULT_REVIEW = "P6M"
NEW_VERSION = "0.1.0"
SCHEMA_FILE = Path(".rmo") / "charter.schema.json"
CONFIG_SCHEMA_FILE = Path(".rmo") / "config.schema.json"
MODELINE_PREFIX = "# yaml-language-server: $schema="

# Characters a YAML reader refuses or reads as a line break, even inside quotes.
_BAD_CATEGORIES = {"Cc", "Cs", "Cn", "Zl", "Zp"}
_YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n"}


# ---------------------------------------------------------------------------------------
# Answers: each check returns the cleaned value or raises RmoError (exit 2).


@dataclass(frozen=True)
class Party:
    """A party of a new charter: its id and its name."""

    id: str
    name: str


@dataclass
class CharterSpec:
    """Everything a new charter is made from (the answers to the prompts or the flags)."""

    title: str
    id: str
    parties: list[Party]
    governance: str
    effective: dt.date
    lead_party: str | None = None
    review_every: str = DEFAULT_REVIEW


def slugify(text: str) -> str:
    """A safe id from free text: accents stripped, lowercase, runs of other characters `-`.

    `Acme Globex Alliance` → `acme-globex-alliance`; at most 64 characters; may be empty.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")
    return slug[:MAX_ID].rstrip("-")


def check_id(value: str, what: str = "id", shortest: int = 1) -> str:
    """A safe slug id (lowercase letters, digits, hyphens; no path parts), else RmoError.

    A charter id has at least 2 characters (the schema's pattern); a party id may have 1.
    """
    value = value.strip()
    if SLUG_RE.match(value) and len(value) < shortest:
        raise RmoError(f"{value!r} is too short: use {shortest} to {MAX_ID} characters")
    if SLUG_RE.match(value) and len(value) <= MAX_ID:
        return value
    hint = slugify(value)
    suggestion = f" (such as {hint!r})" if hint else ""
    if not value:
        raise RmoError(f"the {what} is empty")
    raise RmoError(
        f"{value!r} is not a safe {what}: use lowercase letters, digits and hyphens, starting "
        f"and ending with a letter or digit, at most {MAX_ID} characters{suggestion}"
    )


def check_text(value: str, what: str) -> str:
    """Non-empty one-line text without control characters, stripped."""
    value = value.strip()
    if not value:
        raise RmoError(f"the {what} is empty")
    for char in value:
        if unicodedata.category(char) in _BAD_CATEGORIES:
            raise RmoError(
                f"the {what} contains the control character U+{ord(char):04X}; "
                "use one line of ordinary text"
            )
    return value


def parse_party(spec: str) -> Party:
    """A party from `ID=NAME` (or just `NAME`, whose slug becomes the id)."""
    if "=" in spec:
        raw_id, name = spec.split("=", 1)
        party_id = check_id(raw_id, "party id")
    else:
        name = spec
        party_id = ""
    name = check_text(name, "party name")
    if not party_id:
        party_id = slugify(name)
        if not party_id:
            raise RmoError(f"cannot make an id from {name!r}: give it as ID=NAME")
    return Party(party_id, name)


def check_parties(parties: Sequence[Party]) -> list[Party]:
    """At least two parties with distinct ids."""
    seen: set[str] = set()
    for party in parties:
        if party.id in seen:
            raise RmoError(f"two parties have the id {party.id!r}; party ids must differ")
        seen.add(party.id)
    if len(parties) < 2:
        raise RmoError(f"a charter needs at least two parties, {len(parties)} given")
    return list(parties)


def check_governance(value: str) -> str:
    """One of the governance models (a number 1..4 in the listed order is accepted too)."""
    value = value.strip().lower()
    models = list(GOVERNANCE_MODELS)
    if value.isdigit() and 1 <= int(value) <= len(models):
        return models[int(value) - 1]
    if value in GOVERNANCE_MODELS:
        return value
    raise RmoError(f"{value!r} is not a governance model: choose one of {', '.join(models)}")


def check_lead_party(value: str | None, parties: Sequence[Party], model: str) -> str | None:
    """The lead party: one of the parties; required for quasi-hierarchy and hierarchy."""
    ids = [p.id for p in parties]
    if value is None or not value.strip():
        if model in LEAD_MODELS:
            raise RmoError(f"a {model} needs a lead party: one of {', '.join(ids)}")
        return None
    value = value.strip()
    if value not in ids:
        raise RmoError(f"{value!r} is not one of the parties: choose one of {', '.join(ids)}")
    return value


def check_cadence(value: str) -> str:
    """An ISO 8601 duration (P6M, P1Y, P2W, P90D) or a cadence keyword."""
    from rmo_cli.support.dates import CADENCE_KEYWORDS, is_duration

    value = value.strip()
    if not is_duration(value) or value.upper() == "P0D":
        raise RmoError(
            f"{value!r} is not a review cadence: use an ISO 8601 duration such as P3M, P6M, "
            f"P1Y or one of {', '.join(CADENCE_KEYWORDS)}"
        )
    return value


def check_date(value: str | dt.date) -> dt.date:
    """An effective date written YYYY-MM-DD, early enough for a three-year term to end."""
    from rmo_cli.support.dates import read_date

    if isinstance(value, dt.date):
        when = value
    else:
        try:
            when = read_date(value.strip())
        except ValueError:
            raise RmoError(f"{value!r} is not a date: use YYYY-MM-DD, such as 2026-03-01") from None
    if when.year > dt.date.max.year - 3:
        raise RmoError(
            f"{when.isoformat()} is too late: the default three-year term must end by 9999"
        )
    return when


# ---------------------------------------------------------------------------------------
# The charter text.


def yaml_scalar(value: str) -> str:
    """A string as a YAML scalar: plain when that is unambiguous, else double-quoted."""
    import json

    plain = (
        value
        and value == value.strip()
        and unicodedata.category(value[0]).startswith("L")
        and ":" not in value
        and "#" not in value
        and value.lower() not in _YAML_WORDS
        and not any(unicodedata.category(c) in _BAD_CATEGORIES for c in value)
    )
    return value if plain else json.dumps(value, ensure_ascii=False)


def _person_id(party_id: str) -> str:
    return f"{party_id[: MAX_ID - 4].rstrip('-')}-ser"


def charter_text(spec: CharterSpec, schema_ref: str, today: dt.date | None = None) -> str:
    """The YAML text of a new draft charter, every optional section a commented example."""
    from rmo_cli.support.dates import add_duration
    from rmo_cli.support.vocabulary import PLACEHOLDER_MARKS

    q = yaml_scalar
    first = spec.parties[0]
    people = [_person_id(p.id) for p in spec.parties]
    both = f"[{people[0]}, {people[1]}]"
    expires = add_duration(spec.effective, "P3Y") - dt.timedelta(days=1)
    names = ", ".join(p.name for p in spec.parties[:-1]) + f" and {spec.parties[-1].name}"
    made = f" on {today.isoformat()}" if today else ""
    out: list[str] = [
        f"{MODELINE_PREFIX}{schema_ref}",
        "#",
        f"# A draft relationship charter, made by `rmo new-charter`{made}.",
        "# The commented sections are examples: uncomment them (remove the leading '# '),",
        "# fill them in, then run `rmo validate`. Your editor checks the file as you type",
        "# against the schema named on the first line.",
        "apiVersion: rmo/v1",
        "kind: RelationshipCharter",
        f"id: {spec.id}",
        f"title: {q(spec.title)}",
        f'version: "{NEW_VERSION}"',
        "# Status values: draft | proposed | active | under-review | suspended | terminated",
        "#   | expired | superseded",
        "status: draft",
        "# Lifecycle stages (ISO 44001): operational-awareness | knowledge | internal-assessment",
        "#   | partner-selection | working-together | value-creation | staying-together",
        "#   | exit-strategy",
        "# lifecycle_stage: working-together",
        "",
        "parties:",
    ]
    for party, person in zip(spec.parties, people, strict=True):
        out += [
            f"  - id: {party.id}",
            f"    name: {q(party.name)}",
            "    # type: private   # public-sector | private | non-profit | academic | other",
            "    # people:   # the party's representatives; person ids are unique across parties",
            f"    #   - id: {person}",
            "    #     name: Full Name",
            "    #     title: Job title",
            f"    #     email: {person}@{party.id}.example",
            "    #     ser: true   # the Senior Executive Responsible for this party",
        ]
    out += [
        "",
        "purpose: |",
        f"  {PLACEHOLDER_MARKS[1]} why {names} work together,",
        "  the background, and any linked contracts.",
        "",
        "objectives:",
        "  - id: obj-1",
        "    statement: "
        + q(f"{PLACEHOLDER_MARKS[0]} the first shared objective, measurable and dated."),
        f"    # owner: {people[0]}   # a person id",
        f"    # target_date: {expires.isoformat()}",
        "",
        "# --- Principles and behaviours the parties commit to",
        "# principles:",
        "#   - name: Open book",
        "#     description: Costs and margins are shared on request.",
        "#   - name: No blame",
        "#     description: Issues are reviewed to learn, not to assign fault.",
        "",
        "governance:",
        f"  model: {spec.governance}   # {GOVERNANCE_MODELS[spec.governance]}",
    ]
    if spec.lead_party:
        out.append(f"  lead_party: {spec.lead_party}")
    out += [
        "  # decision_rule: consensus   # consensus | majority | lead-party",
        "  # bodies:",
        "  #   - id: steering",
        "  #     name: Executive Steering Committee",
        f"  #     members: {both}",
        f"  #     chair: {people[0]}",
        "  #     cadence: P3M",
        "",
        "# --- Roles and responsibilities",
        "# roles:",
        f"#   - id: rm-{first.id[: MAX_ID - 3]}",
        "#     title: Relationship Manager",
        f"#     party: {first.id}",
        f"#     holder: {people[0]}",
        "#     responsibilities: [Runs the quarterly review, Keeps the risk register]",
        "",
        "# --- Escalation ladder: resolve at the lowest level, never skip a level",
        "# escalation:",
        "#   levels:",
        "#     - level: 1",
        "#       name: Operational",
        f"#       people: {both}",
        "#       time_limit: P5D",
        "#     - level: 2",
        "#       name: Executive",
        f"#       people: {both}",
        "#       time_limit: P10D",
        "#   final_recourse: mediation   # mediation | expert-determination | arbitration |"
        " contract",
        "",
        "# --- Communication cadence",
        "# communication:",
        "#   meetings:",
        "#     - id: qbr",
        "#       name: Quarterly business review",
        "#       cadence: P3M",
        f"#       attendees: {both}",
        "",
        "# --- Performance measures",
        "# kpis:",
        "#   - id: kpi-1",
        "#     name: On-time delivery",
        "#     objective: obj-1",
        "#     unit: percent",
        "#     baseline: 80",
        "#     target: 95",
        "#     direction: higher-is-better   # higher-is-better | lower-is-better",
        "#     frequency: P1M",
        f"#     owner: {people[-1]}",
        "",
        "# --- Joint risk register",
        "# risks:",
        "#   - id: risk-1",
        "#     title: Key staff turnover",
        f"#     owner: {people[0]}",
        "#     likelihood: 3   # 1..5",
        "#     impact: 4   # 1..5",
        "#     treatment: treat   # treat | tolerate | transfer | terminate",
        "#     mitigation: Named deputies for every role.",
        "",
        "term:",
        f"  effective: {spec.effective.isoformat()}",
        f"  # expires: {expires.isoformat()}   # after the effective date",
        "  # notice_period: P90D",
        "",
        "review:",
        f"  cadence: {spec.review_every}   # ISO 8601 duration (P3M, P1Y) or monthly | quarterly"
        " | semiannual | annual",
        "  # `rmo record-review` adds last_reviewed and the review log after each review.",
        "",
        "# --- Exit strategy: agreed at the start, reviewed at least yearly",
        "# exit:",
        "#   triggers: [Either party gives notice, The linked contract ends]",
        f"#   owner: {people[0]}",
        "",
        "# Sign-offs are added by `rmo sign CHARTER --person ID` once the parties agree.",
    ]
    return "\n".join(out) + "\n"


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


def _git_top(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def schema_root(charters_dir: Path) -> Path:
    """The folder whose `.rmo/charter.schema.json` a charter in charters_dir names.

    The folder of the nearest `rmo.yaml`, else the top of the git repository, else the
    current directory when charters_dir is below it, else charters_dir itself.
    """
    from rmo_cli.ops.repository import find_config_file

    folder = Path(os.path.abspath(charters_dir))
    config = find_config_file(folder)
    if config is not None:
        return config.parent
    top = _git_top(folder)
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


GITATTRIBUTES_LINES = ("*.yaml diff=rmo", "*.yml diff=rmo")
TEXTCONV = "rmo textconv"


def _merge_lines(existing: str, lines: Iterable[str]) -> str:
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
    from rmo_cli.adapters.git import run_git

    try:
        found = run_git(root, "rev-parse", "--show-toplevel")
    except RmoError:
        report.notes.append(
            "git is not installed: run `git init` and "
            f'`git config diff.rmo.textconv "{TEXTCONV}"` once it is'
        )
        return
    top = found.stdout.decode("utf-8", "replace").strip()
    if found.returncode == 0 and top:
        if Path(top).resolve() != root.resolve():
            report.notes.append(
                f"{root} is inside the git repository {top}: GitHub and pre-commit only "
                "read .github/workflows/ and .pre-commit-config.yaml at its top; move them "
                "there (or run 'rmo init' there)"
            )
    else:
        done = run_git(root, "init", "-q")
        if done.returncode != 0:
            report.notes.append(f"git init failed: {_stderr(done)}")
            return
        report.git_initialised = True
    done = run_git(root, "config", "diff.rmo.textconv", TEXTCONV)
    if done.returncode == 0:
        report.git_configured = True
    else:
        report.notes.append(f"git config diff.rmo.textconv failed: {_stderr(done)}")


def _stderr(done: subprocess.CompletedProcess[bytes]) -> str:
    return done.stderr.decode("utf-8", "replace").strip()
