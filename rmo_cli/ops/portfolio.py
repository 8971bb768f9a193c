"""The portfolio across charters: status rows, the relationship graph and the dashboard page.

Everything works on any readable charter, schema-invalid ones included: a field of the wrong
type is shown as missing, never a crash. Pure functions, except `scan` (reads files, in
worker processes when there are many), `write_dashboard` and `dashboard_page` (write pages).

Over 500 lines: rows, their cache form, the scan, the graph and the dashboard share the row
types (a split of graph and dashboard into their own modules is the next step).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from rmo_cli.charter.model import as_list, as_mapping
from rmo_cli.support.errors import RmoError
from rmo_cli.support.vocabulary import (
    AMENDING_STATUSES,
    DEFAULT_DUE_SOON,
    REVIEW_STATES,
    STATUSES,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from rmo_cli.charter.loading import Document
    from rmo_cli.ops.repository import CharterFile
    from rmo_cli.support.findings import Finding


def _text(value: object) -> str:
    """A scalar as text; anything else (missing, list, mapping) as ''."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return ""


def _iso(value: object) -> str | None:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value if isinstance(value, str) else None


def _parties(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(id, name) of each party with a text id, first occurrence of each id only."""
    seen: dict[str, str] = {}
    for party in as_list(data.get("parties")):
        party = as_mapping(party)
        pid = party.get("id")
        if isinstance(pid, str) and pid and pid not in seen:
            seen[pid] = _text(party.get("name"))
    return list(seen.items())


def _lead(data: Mapping[str, Any], party_ids: Sequence[str]) -> str | None:
    lead = as_mapping(data.get("governance")).get("lead_party")
    return lead if isinstance(lead, str) and lead in party_ids else None


def signoff_counts(
    data: Mapping[str, Any], trust: Any = None, file: str = ""
) -> tuple[int, int, int]:
    """(parties with a valid sign-off, parties, parties whose best sign-off is stale).

    With trust (a rules.signoffs.Trust), sign-offs are judged as `rmo verify` judges them,
    signatures included; without, on content alone.
    """
    from rmo_cli.charter.fingerprint import party_states
    from rmo_cli.rules.signoffs import verify_signoffs

    if not isinstance(data.get("parties"), list):
        return 0, 0, 0
    parties = [p for p in data["parties"] if isinstance(p, Mapping)]
    ids = {p["id"] for p in parties if isinstance(p.get("id"), str)}
    # party_states expects well-formed sign-offs; keep only those it can match to a party.
    # Sign-offs are outside the fingerprint, so this does not change any state.
    clean = [
        s
        for s in as_list(data.get("signoffs"))
        if isinstance(s, Mapping) and isinstance(s.get("party"), str)
    ]
    if not clean:  # nothing signed: no need to fingerprint the content
        return 0, len(ids), 0
    if trust is None:
        states = party_states({**data, "signoffs": clean})
        values = [state for state, _ in states.values()]
        return values.count("valid"), len(values), values.count("stale")
    best: dict[str, str] = {}
    rank = {"valid": 0, "in-force": 1}
    for check in verify_signoffs(dict(data), file, trust):
        if check.party in ids:
            shown = best.get(check.party)
            if shown is None or rank.get(check.state, 2) <= rank.get(shown, 2):
                best[check.party] = check.state
    values = list(best.values())
    valid = sum(1 for v in values if v in ("valid", "in-force"))
    return valid, len(ids), values.count("stale")


@dataclass(frozen=True)
class Charter:
    """What the graph needs of a charter: who is in it, and what it is."""

    id: str
    file: str
    title: str
    status: str
    model: str
    parties: tuple[str, ...]
    party_names: tuple[str, ...]  # as written ('' when missing), one per party id
    lead_party: str | None


def _trust(doc: Document) -> Any:
    """The Trust of the charter's own repository (None when its rmo.yaml or register is
    broken: validate reports that; the portfolio still shows the charter)."""
    return _trust_at(doc.file)


def _trust_at(file: str) -> Any:
    """The Trust of the repository of the charter file named file, as `_trust` says."""
    from pathlib import Path

    from rmo_cli.ops.trust import trust_for

    path = Path(file)
    if not path.is_file():  # a document parsed from text (a git blob, a test): no repository
        return None
    try:
        return trust_for(path)
    except RmoError:
        return None


def _registered_names(doc: Document, parties: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Party names as the charter's organisation register gives them (SPEC §11), if any."""
    trust = _trust(doc)
    register = trust.register if trust is not None else None
    if register is None:
        return parties
    return [(pid, register.name_of(pid) or name) for pid, name in parties]


def charter_facts(doc: Document) -> Charter:
    """The Charter facts of a document (fields of the wrong type read as missing); party
    names come from the organisation register when the charter's repository has one."""
    data = as_mapping(doc.data)
    parties = _registered_names(doc, _parties(data))
    ids = tuple(pid for pid, _ in parties)
    return Charter(
        id=_text(data.get("id")),
        file=doc.file,
        title=_text(data.get("title")),
        status=_text(data.get("status")),
        model=_text(as_mapping(data.get("governance")).get("model")),
        parties=ids,
        party_names=tuple(name for _, name in parties),
        lead_party=_lead(data, ids),
    )


@dataclass(frozen=True)
class StatusRow:
    """One charter in the portfolio: what it is, who is in it, and how healthy it is."""

    id: str
    file: str
    title: str
    status: str
    model: str
    parties: tuple[str, ...]
    party_names: tuple[str, ...]
    lead_party: str | None
    signed: int
    parties_total: int
    stale: int
    review_state: str
    next_due: str | None
    days: int | None
    expires: str | None
    expiry_state: str | None
    kpi_states: tuple[str, ...] = ()  # each KPI's state (SPEC §11), in file order

    @property
    def kpi_text(self) -> str:
        """'1 off-track, 2 on-track' (worst first; no-data left out), or '-' without data."""
        from rmo_cli.charter.kpis import KPI_STATES

        parts = [
            f"{self.kpi_states.count(state)} {state}"
            for state in KPI_STATES[:-1]
            if state in self.kpi_states
        ]
        return ", ".join(parts) or "-"

    # The in-force version ("1.0.0 (abc1234)") while an amendment of it is pending (SPEC §8).
    in_force: str | None = None
    # True when git history went into the row (the in-force version): never cached.
    from_history: bool = False

    @property
    def party_labels(self) -> tuple[str, ...]:
        """Party names, or ids where a party has no name."""
        return tuple(n or p for p, n in zip(self.parties, self.party_names, strict=True))

    @property
    def signoff_text(self) -> str:
        """'2 of 3 signed, 1 stale' (or 'no parties')."""
        if not self.parties_total:
            return "no parties"
        text = f"{self.signed} of {self.parties_total} signed"
        text += f", {self.stale} stale" if self.stale else ""
        return text + (f", amendment pending ({self.in_force} in force)" if self.in_force else "")

    def as_dict(self) -> dict[str, Any]:
        """The JSON row (`rmo status --format json`)."""
        return {
            "id": self.id,
            "file": self.file,
            "title": self.title,
            "status": self.status,
            "model": self.model,
            "parties": list(self.parties),
            "lead_party": self.lead_party,
            "signed": self.signed,
            "parties_total": self.parties_total,
            "stale": self.stale,
            "review_state": self.review_state,
            "next_due": self.next_due,
            "days": self.days,
            "expires": self.expires,
            "expiry_state": self.expiry_state,
            "kpis": {state: self.kpi_states.count(state) for state in sorted(set(self.kpi_states))},
            "in_force": self.in_force,
        }


def status_row(doc: Document, as_of: dt.date, within: str = DEFAULT_DUE_SOON) -> StatusRow:
    """The portfolio row of one charter on as_of (within: the due-soon window)."""
    from rmo_cli.charter.kpis import kpi_statuses
    from rmo_cli.charter.reviews import review_status

    facts = charter_facts(doc)
    data = as_mapping(doc.data)
    signed, total, stale = signoff_counts(data, _trust(doc), doc.file)
    from_history = bool(stale) and str(data.get("status")) in AMENDING_STATUSES
    if from_history:
        from rmo_cli.ops.amendments import in_git

        from_history = in_git(doc.file)
    in_force, stale = _pending_amendment(doc, data, stale)
    review = review_status(data, as_of, within)
    expires = _iso(review.expires) or _iso(as_mapping(data.get("term")).get("expires"))
    return StatusRow(
        id=facts.id,
        file=facts.file,
        title=facts.title,
        status=facts.status,
        model=facts.model,
        parties=facts.parties,
        party_names=facts.party_names,
        lead_party=facts.lead_party,
        signed=signed,
        parties_total=total,
        stale=stale,
        review_state=review.state,
        next_due=_iso(review.next_due),
        days=review.days,
        expires=expires,
        expiry_state=review.expiry_state,
        kpi_states=tuple(k.state for k in kpi_statuses(data)),
        in_force=in_force,
        from_history=from_history,
    )


def _pending_amendment(
    doc: Document, data: Mapping[str, Any], stale: int
) -> tuple[str | None, int]:
    """("version (sha7)" of the in-force version, stale parties not in force) while an
    amendment is pending; else (None, stale). Asks git only when it can matter."""
    if not stale or str(data.get("status")) not in AMENDING_STATUSES:
        return None, stale
    from rmo_cli.charter.fingerprint import party_states
    from rmo_cli.ops.amendments import amendment_status

    amendment = amendment_status(doc.file, dict(data))
    forced = amendment.in_force
    if forced is None or not amendment.pending:
        return None, stale
    states = party_states(dict(data))
    still = sum(
        1
        for state, signoff in states.values()
        if state == "stale" and (signoff or {}).get("fingerprint") != forced.fingerprint
    )
    return f"{forced.version} ({forced.short})", still


def status_rows(
    documents: Iterable[Document], as_of: dt.date, within: str = DEFAULT_DUE_SOON
) -> list[StatusRow]:
    """One row per charter, in the order given (within: the due-soon window, e.g. P30D)."""
    from rmo_cli.charter.reviews import window

    window(within)  # an invalid window is a usage error before any work is done
    return [status_row(doc, as_of, within) for doc in documents]


@dataclass
class Scan:
    """Rows of the readable charters, and the findings of files that could not be read."""

    rows: list[StatusRow]
    unreadable: list[Finding]


def _scan_item(
    item: tuple[CharterFile, bytes], as_of: dt.date, within: str
) -> StatusRow | _Unreadable:
    from rmo_cli.charter.loading import parse_charter

    file, raw = item
    # A row needs the data only: no positions (a quarter of the reading time).
    loaded = parse_charter(raw, file.display, positions=False)
    if loaded.document is None:
        return _Unreadable(loaded.findings)
    return status_row(loaded.document, as_of, within)


class _Unreadable:
    """A file whose bytes were read but are no charter: its findings (never cached)."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = list(findings)


def _trust_token_of(file: CharterFile) -> str | None:
    """What a row depends on besides the file's bytes: its repository's Trust (signers file
    bytes, require, register), found as `status_row` finds it; None: not cached. Worked
    out once a folder and run (a charter's Trust is its folder's)."""
    import os

    from rmo_cli.ops.checking import _trust_token

    folder = os.path.dirname(os.path.abspath(file.path))
    if folder not in _TOKENS:
        trust = _trust_at(file.display)
        _TOKENS[folder] = _trust_token(trust) if trust is not None else "no-trust"
    return _TOKENS[folder]


_TOKENS: dict[str, str | None] = {}


def _unreadable_file(_file: CharterFile, loaded: Any) -> StatusRow | _Unreadable:
    return _Unreadable(loaded.findings)


def _row_json(row: StatusRow | _Unreadable) -> Any:
    if isinstance(row, _Unreadable) or row.from_history:
        raise TypeError("not cached")
    from dataclasses import asdict

    return asdict(row)


def _row_of(file: CharterFile, value: Any) -> StatusRow | _Unreadable:
    row = StatusRow(
        **{
            **value,
            "parties": tuple(value["parties"]),
            "party_names": tuple(value["party_names"]),
            "kpi_states": tuple(value["kpi_states"]),
        }
    )
    if row.file != file.display:
        raise ValueError("another file's row")
    return row


def scan(
    files: Sequence[CharterFile],
    as_of: dt.date,
    within: str = DEFAULT_DUE_SOON,
    progress: Callable[[int], None] | None = None,
    cache: bool = True,
) -> Scan:
    """Read files and make their rows, in worker processes when there are many.

    Rows come back in the order of files (only the small rows cross processes, not the
    documents). progress, if given, is called with the number of files done since its last
    call. Worker count as for `rmo validate` (env RMO_JOBS overrides). Rows of unchanged
    files come from the result cache (rmo_cli.ops.cache) unless cache is False.
    """
    from rmo_cli.charter.reviews import window
    from rmo_cli.ops.cache import ResultCache, cached_map
    from rmo_cli.support.parallel import map_chunks, worker_count

    window(within)  # an invalid window is a usage error before any work is done
    workers = worker_count(len(files))

    def work(items: list[tuple[CharterFile, bytes]]) -> Iterable[StatusRow | _Unreadable]:
        for chunk in map_chunks(
            partial(_scan_item, as_of=as_of, within=within),
            items,
            min(workers, len(items)),
            chunks_per_worker=8,
            max_chunk=250,
        ):
            yield from chunk

    _TOKENS.clear()  # each scan sees the signers files and registers as they are now
    store = ResultCache("status", [as_of.isoformat(), within], enabled=cache)
    found = Scan([], [])
    done = 0
    results = cached_map(
        store,
        files,
        work,
        _unreadable_file,
        _row_json,
        _row_of,
        token=_trust_token_of,
    )
    for row in results:
        if isinstance(row, _Unreadable):
            found.unreadable.extend(row.findings)
        else:
            found.rows.append(row)
        done += 1
        if progress and (done % 100 == 0 or done == len(files)):
            progress(100 if done % 100 == 0 else done % 100)
    return found


def filter_rows(
    rows: Iterable[StatusRow],
    statuses: Iterable[str] = (),
    parties: Iterable[str] = (),
    models: Iterable[str] = (),
) -> list[StatusRow]:
    """Rows matching every filter given: any of the statuses, models; any of the parties."""
    want_status, want_party, want_model = set(statuses), set(parties), set(models)
    return [
        row
        for row in rows
        if (not want_status or row.status in want_status)
        and (not want_model or row.model in want_model)
        and (not want_party or want_party.intersection(row.parties))
    ]


@dataclass(frozen=True)
class Summary:
    """Counts across the rows: by status, by review state, and sign-off health."""

    charters: int
    by_status: dict[str, int]
    by_review_state: dict[str, int]
    fully_signed: int
    with_stale: int
    expired: int
    expiring: int

    def as_dict(self) -> dict[str, Any]:
        """The JSON summary object."""
        return {
            "charters": self.charters,
            "by_status": self.by_status,
            "by_review_state": self.by_review_state,
            "fully_signed": self.fully_signed,
            "with_stale_signoffs": self.with_stale,
            "expired": self.expired,
            "expiring": self.expiring,
        }

    def text(self) -> str:
        """One line: '4 charters · active 3, draft 1 · reviews: overdue 1, ok 2 · …'."""

        def counts(mapping: Mapping[str, int]) -> str:
            return ", ".join(f"{count} {key}" for key, count in mapping.items()) or "none"

        noun = "charter" if self.charters == 1 else "charters"
        parts = [
            f"{self.charters} {noun}",
            f"status: {counts(self.by_status)}",
            f"reviews: {counts(self.by_review_state)}",
            f"sign-off: {self.fully_signed} fully signed, {self.with_stale} with stale sign-offs",
        ]
        if self.expired or self.expiring:
            parts.append(f"term: {self.expired} expired, {self.expiring} expiring")
        return " · ".join(parts)


def _ordered_counts(values: Iterable[str], order: Sequence[str]) -> dict[str, int]:
    counter = Counter(v or "(none)" for v in values)
    known = {key: counter.pop(key) for key in order if key in counter}
    return known | dict(sorted(counter.items()))


def summarize(rows: Sequence[StatusRow]) -> Summary:
    """Counts by status (in lifecycle order) and by review state."""
    return Summary(
        charters=len(rows),
        by_status=_ordered_counts((r.status for r in rows), STATUSES),
        by_review_state=_ordered_counts((r.review_state for r in rows), REVIEW_STATES),
        fully_signed=sum(1 for r in rows if r.parties_total and r.signed == r.parties_total),
        with_stale=sum(1 for r in rows if r.stale),
        expired=sum(1 for r in rows if r.expiry_state == "expired"),
        expiring=sum(1 for r in rows if r.expiry_state == "expiring"),
    )


@dataclass(frozen=True)
class Party:
    """A node: one organisation, matched across charters by its party id."""

    id: str
    name: str
    charters: tuple[str, ...]  # ids (or files) of the charters it is a party to
    lead_in: tuple[str, ...]  # those where it is the lead party

    @property
    def is_lead(self) -> bool:
        """True when the party leads at least one charter."""
        return bool(self.lead_in)


@dataclass(frozen=True)
class Link:
    """One charter joining its parties (a hub party to each of the others)."""

    charter: str
    file: str
    title: str
    model: str
    status: str
    parties: tuple[str, ...]
    lead: str | None

    @property
    def label(self) -> str:
        """'Title (model)'."""
        title = self.title or self.charter or self.file
        return f"{title} ({self.model})" if self.model else title

    def edges(self) -> list[tuple[str, str]]:
        """(from, to) pairs: from the lead party (else the first) to each other party."""
        if len(self.parties) < 2:
            return []
        hub = self.lead or self.parties[0]
        return [(hub, other) for other in self.parties if other != hub]


@dataclass(frozen=True)
class Graph:
    """The relationship network: parties sorted by id, links in charter order."""

    parties: tuple[Party, ...]
    links: tuple[Link, ...]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "parties": [
                {
                    "id": p.id,
                    "name": p.name,
                    "charters": list(p.charters),
                    "lead_in": list(p.lead_in),
                }
                for p in self.parties
            ],
            "links": [
                {
                    "charter": k.charter,
                    "file": k.file,
                    "title": k.title,
                    "model": k.model,
                    "status": k.status,
                    "parties": list(k.parties),
                    "lead": k.lead,
                }
                for k in self.links
            ],
        }


def graph(charters: Iterable[Document | Charter | StatusRow]) -> Graph:
    """The network of parties (one node per party id) and charters (one link each).

    Takes documents, or their Charter facts or status rows (which carry the same facts).
    """
    names: dict[str, list[str]] = {}
    member: dict[str, list[str]] = {}
    leads: dict[str, list[str]] = {}
    links: list[Link] = []
    for item in charters:
        c = item if isinstance(item, (Charter, StatusRow)) else charter_facts(item)
        charter_id = c.id or c.file
        for pid, name in zip(c.parties, c.party_names, strict=True):
            known = names.setdefault(pid, [])
            if name and name not in known:
                known.append(name)
            member.setdefault(pid, []).append(charter_id)
        if c.lead_party:
            leads.setdefault(c.lead_party, []).append(charter_id)
        links.append(
            Link(
                charter=charter_id,
                file=c.file,
                title=c.title,
                model=c.model,
                status=c.status,
                parties=c.parties,
                lead=c.lead_party,
            )
        )
    nodes = tuple(
        # One party id with several names (no register): every name shows, never merged
        # silently into the first (`party-id-conflict` reports it).
        Party(
            pid, " / ".join(names.get(pid) or [pid]), tuple(member[pid]), tuple(leads.get(pid, ()))
        )
        for pid in sorted(member)
    )
    return Graph(nodes, tuple(links))
