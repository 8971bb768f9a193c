"""The scaffolding library: answers checks, the new charter's text, --from, rmo init."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from conftest import SAMPLES, git
from hypothesis import given, settings
from hypothesis import strategies as st

from rmo_cli.charter.loading import parse_charter, read_charter
from rmo_cli.cli.exits import exit_code_of
from rmo_cli.ops import scaffold
from rmo_cli.ops.repository import CharterFile, read_config
from rmo_cli.ops.scaffold import CharterSpec, Party
from rmo_cli.ops.validation import validate_files
from rmo_cli.support.errors import RmoError
from rmo_cli.support.resources import schema_path

TODAY = dt.date(2026, 3, 1)


def spec(**overrides: object) -> CharterSpec:
    values: dict[str, object] = {
        "title": "Acme Globex Alliance",
        "id": "acme-globex-alliance",
        "parties": [Party("acme", "ACME Public Works"), Party("globex", "Globex Ltd")],
        "governance": "network",
        "effective": TODAY,
    }
    values.update(overrides)
    return CharterSpec(**values)  # type: ignore[arg-type]


def validate_text(tmp_path: Path, text: str, name: str = "acme-globex-alliance") -> list:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return validate_files([CharterFile(path, str(path))], TODAY).findings


def not_placeholders(findings: list) -> list:
    """The findings besides the scaffold's placeholder sentences (warnings in a draft)."""
    return [f for f in findings if f.rule != "placeholder-text"]


# --- answers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Acme Globex Alliance", "acme-globex-alliance"),
        ("Société Générale – Crédit Agricole", "societe-generale-credit-agricole"),
        ("  --Hello,   World!--  ", "hello-world"),
        ("Straße", "strasse"),
        ("ACME/Globex ../..", "acme-globex"),
        ("日本", ""),
        ("x" * 100, "x" * 64),
        ("a" * 63 + " b", "a" * 63),  # cut at 64, no trailing hyphen
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert scaffold.slugify(text) == slug


@given(st.text(max_size=200))
def test_slugify_always_gives_a_safe_id_or_nothing(text: str) -> None:
    slug = scaffold.slugify(text)
    assert slug == "" or scaffold.check_id(slug) == slug


@pytest.mark.parametrize(
    "bad", ["../x", "a/b", ".hidden", "Bad Id", "", "-a", "a-", "a_b", "x" * 65, "a\\b", "é"]
)
def test_unsafe_ids_are_refused(bad: str) -> None:
    with pytest.raises(RmoError) as caught:
        scaffold.check_id(bad)
    assert exit_code_of(caught.value) == 2
    assert "id" in caught.value.message


@pytest.mark.parametrize("good", ["a", "acme", "acme-globex-2026", "x" * 64])
def test_safe_ids_pass(good: str) -> None:
    assert scaffold.check_id(good) == good


def test_parse_party() -> None:
    assert scaffold.parse_party("acme=ACME Public Works") == Party("acme", "ACME Public Works")
    assert scaffold.parse_party("Globex Ltd") == Party("globex-ltd", "Globex Ltd")
    assert scaffold.parse_party("x=a=b") == Party("x", "a=b")
    for bad, words in [
        ("Bad Id=ACME", "not a safe party id"),
        ("acme=", "party name is empty"),
        ("日本", "give it as ID=NAME"),
        ("a=two\nlines", "control character"),
    ]:
        with pytest.raises(RmoError, match=re.escape(words)):
            scaffold.parse_party(bad)


def test_check_parties() -> None:
    with pytest.raises(RmoError, match="at least two parties, 1 given"):
        scaffold.check_parties([Party("a", "A")])
    with pytest.raises(RmoError, match="two parties have the id 'a'"):
        scaffold.check_parties([Party("a", "A"), Party("a", "B")])


def test_governance_lead_cadence_date_checks() -> None:
    assert scaffold.check_governance("Quasi-Hierarchy") == "quasi-hierarchy"
    assert scaffold.check_governance("4") == "hierarchy"
    with pytest.raises(RmoError, match="not a governance model"):
        scaffold.check_governance("5")
    parties = [Party("a", "A"), Party("b", "B")]
    assert scaffold.check_lead_party(None, parties, "network") is None
    assert scaffold.check_lead_party("b", parties, "hierarchy") == "b"
    with pytest.raises(RmoError, match="a hierarchy needs a lead party: one of a, b"):
        scaffold.check_lead_party("", parties, "hierarchy")
    with pytest.raises(RmoError, match="'c' is not one of the parties"):
        scaffold.check_lead_party("c", parties, "market")
    assert scaffold.check_cadence("quarterly") == "quarterly"
    assert scaffold.check_cadence("P1Y6M") == "P1Y6M"
    for bad in ("fortnightly", "6M", "P", "P0D", ""):
        with pytest.raises(RmoError, match="not a review cadence"):
            scaffold.check_cadence(bad)
    assert scaffold.check_date("2024-02-29") == dt.date(2024, 2, 29)
    for bad in ("2026-02-30", "1/3/2026", "tomorrow"):
        with pytest.raises(RmoError, match="not a date: use YYYY-MM-DD"):
            scaffold.check_date(bad)


def test_every_governance_model_has_a_meaning_from_the_domain_notes() -> None:
    schema = __import__("json").loads(schema_path().read_text())
    models = schema["properties"]["governance"]["properties"]["model"]["enum"]
    assert list(scaffold.GOVERNANCE_MODELS) == models
    assert all(len(meaning) > 20 for meaning in scaffold.GOVERNANCE_MODELS.values())


# --- the charter text --------------------------------------------------------------------


@pytest.mark.parametrize("model", ["market", "network", "quasi-hierarchy", "hierarchy"])
def test_new_charter_is_valid_with_only_placeholder_warnings_for_every_model(
    tmp_path: Path, model: str
) -> None:
    lead = "globex" if model in scaffold.LEAD_MODELS else None
    text = scaffold.charter_text(spec(governance=model, lead_party=lead), "x.json", TODAY)
    # Its placeholder sentences are warnings while it is a draft (SPEC §8), nothing else.
    assert [(f.rule, f.severity, f.pointer) for f in validate_text(tmp_path, text)] == [
        ("placeholder-text", "warning", "/purpose"),
        ("placeholder-text", "warning", "/objectives/0/statement"),
    ]
    data = yaml.safe_load(text)
    assert data["status"] == "draft"
    assert data["version"] == "0.1.0"
    assert data["governance"] == (
        {"model": model, "lead_party": "globex"} if lead else {"model": model}
    )
    assert data["term"]["effective"] == TODAY  # PyYAML reads the unquoted date as a date
    assert data["review"] == {"cadence": "P6M"}
    assert text.startswith("# yaml-language-server: $schema=x.json\n")


def uncomment_examples(text: str) -> str:
    """Every commented example line made live, as a consultant filling the charter would."""
    example = re.compile(r"^(\s*)# (\s*(?:- )?[a-z_]+:.*|\s*- .*)$")
    lines = text.splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        match = example.match(line)
        out.append(match.group(1) + match.group(2) if match else line)
    return "\n".join(out) + "\n"


def test_every_commented_section_is_a_ready_to_fill_valid_example(tmp_path: Path) -> None:
    text = scaffold.charter_text(
        spec(parties=[Party("acme", "ACME"), Party("globex", "Globex"), Party("initech", "I")]),
        "x.json",
        TODAY,
    )
    full = uncomment_examples(text)
    data = yaml.safe_load(full)
    optional = {
        "lifecycle_stage",
        "principles",
        "roles",
        "escalation",
        "communication",
        "kpis",
        "risks",
        "exit",
    }
    assert optional <= set(data), optional - set(data)
    assert all("people" in party and "type" in party for party in data["parties"])
    assert {"decision_rule", "bodies"} <= set(data["governance"])
    assert {"expires", "notice_period"} <= set(data["term"])
    assert not_placeholders(validate_text(tmp_path, full)) == []


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(min_size=1, max_size=80),
    name=st.text(min_size=1, max_size=40),
)
def test_any_title_and_name_round_trip(title: str, name: str) -> None:
    try:
        title = scaffold.check_text(title, "title")
        name = scaffold.check_text(name, "party name")
    except RmoError:
        return
    text = scaffold.charter_text(
        spec(title=title, parties=[Party("a", name), Party("b", "B")]), "x.json", TODAY
    )
    loaded = parse_charter(text.encode("utf-8"), "acme-globex-alliance.yaml")
    assert loaded.document is not None, loaded.findings
    assert loaded.document.data["title"] == title
    assert loaded.document.data["parties"][0]["name"] == name


@pytest.mark.parametrize(
    "value",
    [
        "yes",
        "No",
        "null",
        "true",
        "Key: value",
        "a #b",
        "- x",
        "'quoted'",
        '"x"',
        "@home",
        "1.0",
        "0x1F",
        " padded",
    ],
)
def test_yaml_scalar_quotes_what_would_change_meaning(value: str) -> None:
    assert yaml.safe_load(f"k: {scaffold.yaml_scalar(value)}")["k"] == value


def test_long_party_ids_still_give_safe_person_ids(tmp_path: Path) -> None:
    long_a, long_b = "a" * 64, "b" * 64
    text = scaffold.charter_text(
        spec(parties=[Party(long_a, "A"), Party(long_b, "B")]), "x.json", TODAY
    )
    assert not_placeholders(validate_text(tmp_path, uncomment_examples(text))) == []


# --- --from ------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_from_an_existing_charter(tmp_path: Path, sample: Path) -> None:
    text = scaffold.charter_from(sample, new_id="copy", schema_ref="../s.json")
    assert text.startswith("# yaml-language-server: $schema=../s.json\n")
    assert text.count("yaml-language-server") == 1
    original = read_charter(sample).document
    assert original is not None
    data = yaml.safe_load(text)
    assert data["id"] == "copy"
    assert data["version"] == "0.1.0"
    assert data["status"] == "draft"
    assert "signoffs" not in data
    assert not {"log", "last_reviewed", "next_due"} & set(data["review"])
    assert data["parties"] == original.data["parties"]
    assert data["title"] == original.data["title"]
    findings = validate_text(tmp_path, text, "copy")
    assert [f for f in findings if f.severity == "error"] == []
    # Comments of the source survive.
    source_comments = [
        ln.strip() for ln in sample.read_text().splitlines()[1:] if ln.strip().startswith("#")
    ]
    assert source_comments and source_comments[0] in text


def test_from_replaces_title_effective_and_cadence(tmp_path: Path) -> None:
    sample = SAMPLES / "harbourside-globex-facilities.yaml"
    source = yaml.safe_load(sample.read_text())
    assert source["signoffs"] and source["review"]["log"]  # so dropping them is tested
    text = scaffold.charter_from(
        sample,
        new_id="renewal",
        schema_ref="s.json",
        title="Renewal: 2027",
        effective=dt.date(2026, 1, 1),
        review_every="P1Y",
    )
    data = yaml.safe_load(text)
    assert data["title"] == "Renewal: 2027"
    assert data["term"]["effective"] == dt.date(2026, 1, 1)
    assert data["review"]["cadence"] == "P1Y"
    assert "signoffs" not in data and "log" not in data["review"]
    assert "last_reviewed" not in data["review"]


def test_from_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [\n", encoding="utf-8")
    with pytest.raises(RmoError, match="--from .*bad.yaml: cannot use it"):
        scaffold.charter_from(bad, new_id="x", schema_ref="s.json")


# --- writing a new charter ------------------------------------------------------------------


def test_write_new_charter_puts_the_schema_beside_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rmo.yaml").write_text("charters: [relationships/**/*.yaml]\n")
    folder = tmp_path / "relationships" / "suppliers"
    path = folder / "acme-globex-alliance.yaml"
    root = scaffold.schema_root(folder)
    assert root == tmp_path
    ref = scaffold.schema_reference(path, root / scaffold.SCHEMA_FILE)
    assert ref == "../../.rmo/charter.schema.json"
    written = scaffold.write_new_charter(
        path, scaffold.charter_text(spec(), ref), force=False, as_of=TODAY
    )
    assert written == [path, tmp_path / ".rmo" / "charter.schema.json"]
    assert (folder / ref).resolve().read_bytes() == schema_path().read_bytes()
    # The repository's own copy is used as it is, never replaced.
    (tmp_path / ".rmo" / "charter.schema.json").write_text("{}")
    other = folder / "other.yaml"
    text = scaffold.charter_text(spec(id="other"), ref)
    assert scaffold.write_new_charter(other, text, force=False, as_of=TODAY) == [other]
    assert (tmp_path / ".rmo" / "charter.schema.json").read_text() == "{}"


def test_schema_root_prefers_the_git_top(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert scaffold.schema_root(git_repo / "deep" / "charters") == git_repo
    outside = tmp_path / "elsewhere"
    monkeypatch.chdir(git_repo)
    assert scaffold.schema_root(outside) == outside


def test_write_refuses_overwrite_and_invalid_text(tmp_path: Path) -> None:
    path = tmp_path / "charters" / "acme-globex-alliance.yaml"
    text = scaffold.charter_text(spec(), "../x.json")
    scaffold.write_new_charter(path, text, force=False, as_of=TODAY)
    with pytest.raises(RmoError, match="already exists; use --force") as caught:
        scaffold.write_new_charter(path, "changed", force=False, as_of=TODAY)
    assert exit_code_of(caught.value) == 2
    assert path.read_text() == text
    broken = text.replace("model: network", "model: feudal")
    with pytest.raises(RmoError, match="would not be valid: line") as caught:
        scaffold.write_new_charter(path, broken, force=True, as_of=TODAY)
    assert exit_code_of(caught.value) == 1
    assert path.read_text() == text
    again = text.replace("Acme Globex Alliance", "Acme Globex Alliance 2")
    scaffold.write_new_charter(path, again, force=True, as_of=TODAY)
    assert path.read_text() == again


def test_id_in_use_finds_another_file_with_the_id(tmp_path: Path) -> None:
    folder = tmp_path / "charters"
    taken = folder / "team" / "old-name.yaml"
    taken.parent.mkdir(parents=True)
    taken.write_text(scaffold.charter_text(spec(), "x.json"))
    (folder / "junk.yaml").write_text("a: [\n")
    target = folder / "acme-globex-alliance.yaml"
    assert scaffold.id_in_use(folder, "acme-globex-alliance", target) == taken
    assert scaffold.id_in_use(folder, "acme", target) is None
    assert scaffold.id_in_use(folder, "acme-globex-alliance", taken) is None
    assert scaffold.id_in_use(tmp_path / "missing", "x", target) is None


# --- rmo init -------------------------------------------------------------------------------


INIT_FILES = [
    "rmo.yaml",
    "charters/.gitkeep",
    ".rmo/charter.schema.json",
    ".rmo/config.schema.json",
    ".rmo/register.schema.json",
    "organisations.yaml",
    ".pre-commit-config.yaml",
    ".github/workflows/charters.yml",
    "README.md",
    ".gitattributes",
]


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] != ".git"
    }


def test_init_makes_a_repository(tmp_path: Path) -> None:
    root = tmp_path / "new"
    report = scaffold.init_repository(root)
    assert set(snapshot(root)) == set(INIT_FILES)
    assert report.git_initialised and report.git_configured and report.notes == []
    assert git(root, "config", "--get", "diff.rmo.textconv").strip() == scaffold.textconv_command()
    config = read_config(root / "rmo.yaml")
    assert config.charters == ["charters/**/*.yaml", "charters/**/*.yml"]
    assert config.due_soon == "P30D"
    assert config.charters_dir == root / "charters"
    # The register is offered, not enabled: enabling it is uncommenting one line.
    assert config.register is None
    enabled = (
        (root / "rmo.yaml")
        .read_text()
        .replace("# register: organisations.yaml", "register: organisations.yaml")
    )
    (root / "rmo.yaml").write_text(enabled)
    assert read_config(root / "rmo.yaml").register == root / "organisations.yaml"
    from rmo_cli.ops.register import read_register

    assert read_register(root / "organisations.yaml").register.organisations == {}
    assert (root / ".rmo/charter.schema.json").read_bytes() == schema_path().read_bytes()
    attributes = (root / ".gitattributes").read_text().splitlines()
    assert attributes == ["charters/**/*.yaml diff=rmo", "charters/**/*.yml diff=rmo"]
    precommit = yaml.safe_load((root / ".pre-commit-config.yaml").read_text())
    repo = precommit["repos"][0]
    assert repo["repo"] == "https://github.com/rmo-cli/rmo"
    assert repo["rev"] == "v0.1.0"
    assert [h["id"] for h in repo["hooks"]] == ["rmo-validate", "rmo-check"]


def test_init_is_idempotent_and_keeps_what_exists(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    scaffold.init_repository(root)
    before = snapshot(root)
    report = scaffold.init_repository(root)
    assert snapshot(root) == before
    assert report.written == [] and not report.git_initialised
    # Files the user changed are kept (and said so), rmo.yaml aside.
    (root / "README.md").write_text("# Ours\n")
    (root / ".pre-commit-config.yaml").write_text("repos: []\n")
    (root / ".gitattributes").write_text("*.png binary")
    report = scaffold.init_repository(root)
    assert (root / "README.md").read_text() == "# Ours\n"
    assert (root / ".pre-commit-config.yaml").read_text() == "repos: []\n"
    assert "kept the existing .pre-commit-config.yaml" in report.notes
    merged = "*.png binary\ncharters/**/*.yaml diff=rmo\ncharters/**/*.yml diff=rmo\n"
    assert (root / ".gitattributes").read_text() == merged
    # --force replaces the hooks and workflow, never the README.
    scaffold.init_repository(root, force=True)
    assert (root / "README.md").read_text() == "# Ours\n"
    assert (root / ".pre-commit-config.yaml").read_bytes() == before[".pre-commit-config.yaml"]


def test_init_refuses_a_different_rmo_yaml(tmp_path: Path) -> None:
    (tmp_path / "rmo.yaml").write_text("charters: [docs/*.yaml]\n")
    with pytest.raises(RmoError, match="rmo.yaml already exists; use --force") as caught:
        scaffold.init_repository(tmp_path)
    assert exit_code_of(caught.value) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rmo.yaml"]
    scaffold.init_repository(tmp_path, force=True)
    assert read_config(tmp_path / "rmo.yaml").charters == [
        "charters/**/*.yaml",
        "charters/**/*.yml",
    ]


def test_init_inside_an_existing_repository_does_not_nest_one(git_repo: Path) -> None:
    report = scaffold.init_repository(git_repo / "relationships")
    assert not report.git_initialised and report.git_configured
    assert not (git_repo / "relationships" / ".git").exists()
    textconv = git(git_repo, "config", "--get", "diff.rmo.textconv").strip()
    assert textconv == scaffold.textconv_command()


def test_init_refuses_a_file_as_folder(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(RmoError, match="not a directory"):
        scaffold.init_repository(tmp_path / "f")
