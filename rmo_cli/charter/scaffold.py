"""New charters, pure: answers checked, ids made from names, a new charter's YAML text.

Each check returns the cleaned value or raises `RmoError` with a message that names no flag,
so the CLI can use it both to re-ask a prompt and (prefixed with the flag) to refuse a
command line. No file is read or written here (that is `ops.scaffold`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from rmo_cli.support.dates import CADENCE_KEYWORDS, add_duration, is_duration, read_date
from rmo_cli.support.errors import RmoError, Suggestion
from rmo_cli.support.ids import MAX_ID, SLUG_RE
from rmo_cli.support.spelling import closest
from rmo_cli.support.vocabulary import GOVERNANCE_MODELS, LEAD_MODELS, PLACEHOLDER_MARKS

DEFAULT_REVIEW = "P6M"
NEW_VERSION = "0.1.0"
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


@dataclass(frozen=True)
class Person:
    """A party's representative in a new charter: the person who will sign for it."""

    id: str
    name: str
    email: str


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
    representatives: dict[str, Person] = field(default_factory=dict)  # party id → person
    purpose: str | None = None  # None: the scaffold's placeholder


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
    if not value:
        raise RmoError(f"the {what} is empty")
    hint = slugify(value)
    if hint and hint == value.lower() and len(hint) >= shortest:  # capitals only: offer it
        raise Suggestion(f"{value!r} has capital letters; a {what} is lower case: {hint!r}", hint)
    message = (
        f"{value!r} is not a safe {what}: use lowercase letters, digits and hyphens, starting "
        f"and ending with a letter or digit, at most {MAX_ID} characters"
    )
    if hint and len(hint) >= shortest:
        raise Suggestion(f"{message} (such as {hint!r})", hint)
    raise RmoError(message)


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
    message = f"{value!r} is not a governance model: choose one of {', '.join(models)}"
    match = closest(value, models)
    if match is not None:
        raise Suggestion(f"{message}; did you mean {match!r}?", match)
    raise RmoError(message)


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


# "6 months", "every 2 weeks", "year": a number of days, weeks, months or years in words.
_CADENCE_WORDS = re.compile(r"(?:every\s+)?(\d+\s*)?(day|week|month|year)s?", re.IGNORECASE)


def check_cadence(value: str) -> str:
    """An ISO 8601 duration (P6M, P1Y, P2W, P90D), a cadence keyword, or the same in words
    ("6 months", "every 2 weeks"), which becomes the ISO duration."""
    value = value.strip()
    words = _CADENCE_WORDS.fullmatch(value)
    if words is not None:
        count = int(words.group(1) or 1)
        value = f"P{count}{words.group(2)[0].upper()}"
    if is_duration(value) and value.upper() != "P0D":
        return value
    message = (
        f"{value!r} is not a review cadence: use an ISO 8601 duration such as P3M, P6M, "
        f"P1Y, words such as '6 months', or one of {', '.join(CADENCE_KEYWORDS)}"
    )
    match = closest(value.lower(), CADENCE_KEYWORDS)
    if match is not None:
        raise Suggestion(f"{message}; did you mean {match!r}?", match)
    raise RmoError(message)


def check_email(value: str) -> str:
    """A syntactically valid email address (the one check the schema's format uses)."""
    from rmo_cli.charter.emails import email_problem

    value = check_text(value, "email address")
    problem = email_problem(value)
    if problem is not None:
        raise RmoError(f"{value!r} is not an email address: {problem}")
    return value


def person_id(name: str, taken: Collection[str]) -> str:
    """A person id from a name (`Jane Doe` → `jane-doe`), unique among taken; `person` when
    the name gives no letters, then `-2`, `-3`, ... until free."""
    base = slugify(name)[: MAX_ID - 4].rstrip("-") or "person"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def parse_representative(
    spec: str, parties: Sequence[Party], taken: Collection[str]
) -> tuple[str, Person]:
    """`PARTY=Full Name <email>` (--representative): (the party's id, its representative)."""
    party_id, equals, rest = spec.partition("=")
    ids = [p.id for p in parties]
    if not equals or party_id.strip() not in ids:
        raise RmoError(
            f'{spec!r}: give PARTY="Full Name <email>" with PARTY one of {", ".join(ids)}'
        )
    found = re.fullmatch(r"\s*([^<>]+?)\s*<([^<>]+)>\s*", rest)
    if found is None:
        raise RmoError(f'{spec!r}: give the name and the email as "Full Name <email>"')
    name = check_text(found.group(1), "representative's name")
    return party_id.strip(), Person(person_id(name, taken), name, check_email(found.group(2)))


def check_date(value: str | dt.date) -> dt.date:
    """An effective date written YYYY-MM-DD, early enough for a three-year term to end."""
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
    q = yaml_scalar
    first = spec.parties[0]
    reps = spec.representatives
    people = [reps[p.id].id if p.id in reps else _person_id(p.id) for p in spec.parties]
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
        ]
        rep = reps.get(party.id)
        if rep is not None:
            out += [
                "    people:   # the party's representatives; person ids are unique across parties",
                f"      - id: {rep.id}",
                f"        name: {q(rep.name)}",
                "        # title: Job title",
                f"        email: {q(rep.email)}",
                "        # ser: true   # the Senior Executive Responsible for this party",
            ]
            continue
        out += [
            "    # people:   # the party's representatives; person ids are unique across parties",
            f"    #   - id: {person}",
            "    #     name: Full Name",
            "    #     title: Job title",
            # A DNS label is at most 63 characters (party ids may have 64).
            f"    #     email: {person}@{party.id[:63].rstrip('-')}.example",
            "    #     ser: true   # the Senior Executive Responsible for this party",
        ]
    if spec.purpose:
        out += ["", f"purpose: {q(spec.purpose)}"]
    else:
        out += [
            "",
            "purpose: |",
            f"  {PLACEHOLDER_MARKS[1]} why {names} work together,",
            "  the background, and any linked contracts.",
        ]
    out += [
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
