"""The portfolio across charters: status rows, the relationship graph and the dashboard page.

Everything works on any readable charter, schema-invalid ones included: a field of the wrong
type is shown as missing, never a crash. Pure functions, except `scan` (reads files, in
worker processes when there are many), `write_dashboard` and `dashboard_page` (write pages).
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmo_cli.charter.model import as_list, as_mapping
from rmo_cli.support.vocabulary import DEFAULT_DUE_SOON

if TYPE_CHECKING:
    from collections.abc import Callable

    from rmo_cli.charter.loading import Document
    from rmo_cli.ops.repository import CharterFile
    from rmo_cli.render.site import Site
    from rmo_cli.support.findings import Finding

STATUSES = (
    "draft",
    "proposed",
    "active",
    "under-review",
    "suspended",
    "terminated",
    "expired",
    "superseded",
)
MODELS = ("market", "network", "quasi-hierarchy", "hierarchy")
REVIEW_STATES = ("overdue", "due-soon", "ok", "not-scheduled")
DASHBOARD_PAGE = "dashboard"  # dashboard.html (dashboard.md in a Markdown site)


# ---------------------------------------------------------------------------- reading data


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


def signoff_counts(data: Mapping[str, Any]) -> tuple[int, int, int]:
    """(parties with a valid sign-off, parties, parties whose sign-offs are all stale)."""
    from rmo_cli.charter.fingerprint import party_states

    if not isinstance(data.get("parties"), list):
        return 0, 0, 0
    # party_states expects well-formed sign-offs; keep only those it can match to a party.
    # Sign-offs are outside the fingerprint, so this does not change any state.
    clean = [
        s
        for s in as_list(data.get("signoffs"))
        if isinstance(s, Mapping) and isinstance(s.get("party"), str)
    ]
    if not clean:  # nothing signed: no need to fingerprint the content
        parties = [p for p in data["parties"] if isinstance(p, Mapping)]
        ids = {p["id"] for p in parties if isinstance(p.get("id"), str)}
        return 0, len(ids), 0
    states = party_states({**data, "signoffs": clean})
    values = [state for state, _ in states.values()]
    return values.count("valid"), len(values), values.count("stale")


# ---------------------------------------------------------------------------- status rows


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


def charter_facts(doc: Document) -> Charter:
    """The Charter facts of a document (fields of the wrong type read as missing)."""
    data = as_mapping(doc.data)
    parties = _parties(data)
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
        return text + (f", {self.stale} stale" if self.stale else "")

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
        }


def status_row(doc: Document, as_of: dt.date, within: str = DEFAULT_DUE_SOON) -> StatusRow:
    """The portfolio row of one charter on as_of (within: the due-soon window)."""
    from rmo_cli.charter.reviews import review_status

    facts = charter_facts(doc)
    data = as_mapping(doc.data)
    signed, total, stale = signoff_counts(data)
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
    )


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


def _scan_chunk(
    chunk: Sequence[CharterFile], as_of: dt.date, within: str
) -> list[tuple[StatusRow | None, list[Finding]]]:
    from rmo_cli.charter.loading import read_charter

    out: list[tuple[StatusRow | None, list[Finding]]] = []
    for file in chunk:
        loaded = read_charter(file.path, file.display)
        if loaded.document is None:
            out.append((None, list(loaded.findings)))
        else:
            out.append((status_row(loaded.document, as_of, within), []))
    return out


def scan(
    files: Sequence[CharterFile],
    as_of: dt.date,
    within: str = DEFAULT_DUE_SOON,
    progress: Callable[[int], None] | None = None,
) -> Scan:
    """Read files and make their rows, in worker processes when there are many.

    Rows come back in the order of files (only the small rows cross processes, not the
    documents). progress, if given, is called with the number of files done since its last
    call. Worker count as for `rmo validate` (env RMO_JOBS overrides).
    """
    import multiprocessing

    from rmo_cli.charter.reviews import window
    from rmo_cli.ops.validation import _workers

    window(within)  # an invalid window is a usage error before any work is done
    workers = _workers(len(files))
    size = max(1, min(250, -(-len(files) // (max(workers, 1) * 8))))
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    if workers <= 1 or len(chunks) < 2:
        results: Iterable[list[tuple[StatusRow | None, list[Finding]]]] = (
            _scan_chunk(chunk, as_of, within) for chunk in chunks
        )
        return _collect(results, progress)
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        n = len(chunks)
        return _collect(pool.map(_scan_chunk, chunks, [as_of] * n, [within] * n), progress)


def _collect(
    results: Iterable[list[tuple[StatusRow | None, list[Finding]]]],
    progress: Callable[[int], None] | None,
) -> Scan:
    found = Scan([], [])
    for chunk in results:
        for row, findings in chunk:
            if row is None:
                found.unreadable.extend(findings)
            else:
                found.rows.append(row)
        if progress:
            progress(len(chunk))
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


def status_json(rows: Sequence[StatusRow], as_of: dt.date) -> dict[str, Any]:
    """`{"as_of", "summary", "charters": [rows]}` for `rmo status --format json`."""
    return {
        "as_of": as_of.isoformat(),
        "summary": summarize(rows).as_dict(),
        "charters": [row.as_dict() for row in rows],
    }


def review_text(row: StatusRow) -> str:
    """'overdue (due 2026-01-01)' / 'ok (due 2027-03-01)' / 'not-scheduled'."""
    return f"{row.review_state} (due {row.next_due})" if row.next_due else row.review_state


def expiry_text(row: StatusRow) -> str:
    """'2028-01-31' plus ' (expired)' or ' (expiring)' when it matters."""
    if not row.expires:
        return ""
    if row.expiry_state in ("expired", "expiring"):
        return f"{row.expires} ({row.expiry_state})"
    return row.expires


STATUS_COLUMNS = ("Id", "Title", "Status", "Model", "Parties", "Sign-off", "Review", "Expires")


def status_cells(row: StatusRow) -> list[str]:
    """The text of a row's cells, in STATUS_COLUMNS order."""
    return [
        row.id,
        row.title,
        row.status,
        row.model,
        ", ".join(row.parties),
        row.signoff_text,
        review_text(row),
        expiry_text(row),
    ]


def status_text(rows: Sequence[StatusRow]) -> str:
    """Plain aligned columns, one charter a line, then the summary line."""
    table = [list(STATUS_COLUMNS)] + [
        [" ".join(cell.split()) for cell in status_cells(r)] for r in rows
    ]
    from rmo_cli.support.width import display_width, ljust

    widths = [max(display_width(line[i]) for line in table) for i in range(len(STATUS_COLUMNS))]
    lines = []
    if rows:
        for line in table:
            cells = (ljust(c, w) for c, w in zip(line, widths, strict=True))
            lines.append("  ".join(cells).rstrip())
        lines.append("")
    lines.append(summarize(rows).text())
    return "\n".join(lines) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#!~])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def status_markdown(rows: Sequence[StatusRow], as_of: dt.date) -> str:
    """A Markdown table of the rows with the summary line (charter text escaped)."""
    lines = [
        f"# Charter portfolio as of {as_of.isoformat()}",
        "",
        "| " + " | ".join(STATUS_COLUMNS) + " |",
        "|" + "---|" * len(STATUS_COLUMNS),
    ]
    for r in rows:
        lines.append("| " + " | ".join(_md(c) for c in status_cells(r)) + " |")
    lines += ["", _md(summarize(rows).text()), ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- the graph


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
    names: dict[str, str] = {}
    member: dict[str, list[str]] = {}
    leads: dict[str, list[str]] = {}
    links: list[Link] = []
    for item in charters:
        c = item if isinstance(item, (Charter, StatusRow)) else charter_facts(item)
        charter_id = c.id or c.file
        for pid, name in zip(c.parties, c.party_names, strict=True):
            if not names.get(pid):
                names[pid] = name
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
        Party(pid, names.get(pid) or pid, tuple(member[pid]), tuple(leads.get(pid, ())))
        for pid in sorted(member)
    )
    return Graph(nodes, tuple(links))


# Mermaid flowchart ids: letters, digits, single hyphens; these words are keywords.
_MERMAID_ID = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
_MERMAID_RESERVED = frozenset(
    {
        "end",
        "graph",
        "flowchart",
        "subgraph",
        "class",
        "classdef",
        "click",
        "style",
        "linkstyle",
        "direction",
        "default",
        "call",
        "href",
    }
)


def _mermaid_ids(parties: Sequence[Party]) -> dict[str, str]:
    """Party id → Mermaid node id: the party id itself when Mermaid accepts it."""
    taken = {p.id for p in parties if _MERMAID_ID.match(p.id) and p.id not in _MERMAID_RESERVED}
    ids: dict[str, str] = {}
    n = 0
    for p in parties:
        if p.id in taken:
            ids[p.id] = p.id
            continue
        n += 1
        while f"party-{n}" in taken:
            n += 1
        ids[p.id] = f"party-{n}"
    return ids


def _mermaid_text(text: str) -> str:
    # Inside "…" Mermaid reads entity codes; quotes and # would end or start one.
    text = " ".join(text.split())
    return text.replace("#", "#35;").replace('"', "#quot;")


def to_mermaid(g: Graph) -> str:
    """A Mermaid flowchart (renders in GitHub Markdown); arrows point from lead parties."""
    ids = _mermaid_ids(g.parties)
    lines = [
        "%% rmo graph: parties are nodes (id = party id), each charter links its parties.",
        "%% Arrows point from a charter's lead party; thick borders mark lead parties.",
        "flowchart LR",
    ]
    for p in g.parties:
        lines.append(f'  {ids[p.id]}["{_mermaid_text(p.name)}"]')
    for link in g.links:
        arrow = "-->" if link.lead else "---"
        label = _mermaid_text(link.label)
        for a, b in link.edges():
            lines.append(f'  {ids[a]} {arrow}|"{label}"| {ids[b]}')
    lead_ids = [ids[p.id] for p in g.parties if p.is_lead]
    if lead_ids:
        lines.append("  classDef lead stroke-width:4px,font-weight:bold")
        lines.append(f"  class {','.join(lead_ids)} lead")
    return "\n".join(lines) + "\n"


def _dot_quote(text: str) -> str:
    text = " ".join(text.split())
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(g: Graph) -> str:
    """A Graphviz digraph: node ids are party ids; lead edges have arrows, others none."""
    lines = [
        "digraph rmo {",
        "  graph [rankdir=LR, overlap=false, splines=true];",
        '  node [shape=box, style="rounded"];',
        "  edge [fontsize=10];",
    ]
    for p in g.parties:
        attrs = [f"label={_dot_quote(p.name)}"]
        if p.is_lead:
            tip = _dot_quote("lead party of " + ", ".join(p.lead_in))
            attrs += ["penwidth=3", f"tooltip={tip}"]
        lines.append(f"  {_dot_quote(p.id)} [{', '.join(attrs)}];")
    for link in g.links:
        label = _dot_quote(link.label)
        direction = "forward" if link.lead else "none"
        for a, b in link.edges():
            lines.append(
                f"  {_dot_quote(a)} -> {_dot_quote(b)} "
                f"[label={label}, dir={direction}, tooltip={_dot_quote(link.charter)}];"
            )
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- SVG and HTML

_SVG_LABEL_LIMIT = 80  # above this many edges, titles are tooltips only (no text on lines)


# Characters XML 1.0 does not allow (a charter may hold them through YAML escapes).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _e(text: object) -> str:
    return html.escape(_NOT_XML.sub("\ufffd", str(text)), quote=True)


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def circle_order(g: Graph) -> list[str]:
    """Party ids in the order they first appear in the charters: partners sit side by side."""
    order: dict[str, None] = {}
    for link in g.links:
        order.update(dict.fromkeys(link.parties))
    order.update(dict.fromkeys(p.id for p in g.parties))
    return list(order)


def to_svg(g: Graph, links: Mapping[str, str] | None = None) -> str:
    """An inline SVG of the network: parties on a circle, charters as lines between them.

    Deterministic and script-free: parties are placed in the order they first appear in
    the charters; a charter's lines link to its document when links (file or id → href)
    has it.
    """
    links = links or {}
    n = len(g.parties)
    radius = max(220.0, n * 70 / (2 * math.pi))
    # Names are written beside the circles, so the sides need more room than top and bottom.
    width, height = 2 * (radius + 270.0), 2 * (radius + 50.0)
    centre, middle = width / 2, height / 2
    position: dict[str, tuple[float, float]] = {}
    for i, pid in enumerate(circle_order(g)):
        angle = -math.pi / 2 + 2 * math.pi * i / max(n, 1)
        r = 0.0 if n == 1 else radius
        position[pid] = (centre + r * math.cos(angle), middle + r * math.sin(angle))
    edge_total = sum(len(link.edges()) for link in g.links)
    show_labels = edge_total <= _SVG_LABEL_LIMIT
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="rmo-graph" role="img" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'aria-label="Relationship network: {n} parties, {len(g.links)} charters">',
        "<title>Relationship network</title>",
        '<defs><marker id="rmo-arrow" viewBox="0 0 10 10" refX="22" refY="5" '
        'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
        '<g class="links">',
    ]
    pair_count: Counter[tuple[str, str]] = Counter()
    for link in g.links:
        href = links.get(link.file) or links.get(link.charter)
        parts = []
        for a, b in link.edges():
            (x1, y1), (x2, y2) = position[a], position[b]
            marker = ' marker-end="url(#rmo-arrow)"' if link.lead else ""
            parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"{marker}/>')
            if show_labels and len(parts) == 1:  # one label per charter, on its first line
                key = (min(a, b), max(a, b))
                offset = pair_count[key] * 14
                pair_count[key] += 1
                parts.append(
                    f'<text x="{(x1 + x2) / 2:.1f}" y="{(y1 + y2) / 2 + offset:.1f}" '
                    f'text-anchor="middle">{_e(_short(link.label))}</text>'
                )
        if not parts:
            continue
        body = f"<title>{_e(link.label)}</title>" + "".join(parts)
        model = _e(link.model or "none")
        group = f'<g class="link model-{model}" data-charter="{_e(link.charter)}">'
        if href:
            out.append(f'<a href="{_e(href)}">{group}{body}</g></a>')
        else:
            out.append(f"{group}{body}</g>")
    out.append("</g>")
    out.append('<g class="parties">')
    for p in g.parties:
        x, y = position[p.id]
        cls = "party lead" if p.is_lead else "party"
        anchor = "start" if x >= centre - 1 else "end"
        dx = 16 if anchor == "start" else -16
        tip = p.name + (f" (lead party of {', '.join(p.lead_in)})" if p.is_lead else "")
        out.append(
            f'<g class="{cls}" data-party="{_e(p.id)}"><title>{_e(tip)}</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{12 if p.is_lead else 9}"/>'
            f'<text x="{x + dx:.1f}" y="{y + 4:.1f}" text-anchor="{anchor}">'
            f"{_e(_short(p.name, 36))}</text></g>"
        )
    out.append("</g></svg>")
    return "\n".join(out)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1d232a}
h1{margin-bottom:.2rem} .as-of{color:#555;margin-top:0}
table{border-collapse:collapse;margin:1rem 0;font-size:.92rem}
th,td{border:1px solid #ccd;padding:.3rem .55rem;text-align:left;vertical-align:top}
th{background:#eef1f5}
.counts{display:flex;gap:2rem;flex-wrap:wrap;align-items:flex-start}
.state-overdue,.expiry-expired{color:#a40000;font-weight:600}
.state-due-soon,.expiry-expiring{color:#8a5a00;font-weight:600}
.stale{color:#a40000}
.graph{overflow:auto;border:1px solid #ccd}
.graph svg{max-width:100%;height:auto}
svg.rmo-graph line{stroke:#6b7785;stroke-width:1.5}
svg.rmo-graph a line{stroke:#2b5d9b}
svg.rmo-graph text{font-size:11px;fill:#1d232a}
svg.rmo-graph .links text{fill:#2b5d9b;stroke:#fff;stroke-width:3px;paint-order:stroke}
svg.rmo-graph .party circle{fill:#fff;stroke:#1d232a;stroke-width:1.5}
svg.rmo-graph .party.lead circle{fill:#ffe9a8;stroke-width:4}
svg.rmo-graph .party.lead text{font-weight:bold}
@media print{.graph{overflow:visible}}
"""


def _count_table(caption: str, counts: Mapping[str, int]) -> str:
    rows = "".join(f"<tr><td>{_e(k)}</td><td>{v}</td></tr>" for k, v in counts.items())
    return f"<table><caption>{_e(caption)}</caption>{rows}</table>"


def dashboard_html(
    rows: Sequence[StatusRow],
    g: Graph,
    links: Mapping[str, str] | None = None,
    as_of: dt.date | None = None,
    title: str = "Charter portfolio",
) -> str:
    """The self-contained dashboard page: counts, status table, network SVG; no JavaScript.

    links maps a charter's file (or id) to the href of its rendered document.
    """
    links = links or {}
    summary = summarize(rows)
    body = []
    for r in rows:
        href = links.get(r.file) or links.get(r.id)
        name = _e(r.title or r.id or r.file)
        cell = f'<a href="{_e(href)}">{name}</a>' if href else name
        stale = f' <span class="stale">({r.stale} stale)</span>' if r.stale else ""
        signed = f"{r.signed} of {r.parties_total}" if r.parties_total else "no parties"
        body.append(
            f'<tr data-charter="{_e(r.id)}"><td><code>{_e(r.id)}</code></td><td>{cell}</td>'
            f"<td>{_e(r.status)}</td><td>{_e(r.model)}</td>"
            f"<td>{_e(', '.join(r.party_labels))}</td><td>{signed}{stale}</td>"
            f'<td class="state-{_e(r.review_state)}">{_e(review_text(r))}</td>'
            f'<td class="expiry-{_e(r.expiry_state or "none")}">{_e(expiry_text(r))}</td></tr>'
        )
    as_of_text = f'<p class="as-of">As of {as_of.isoformat()}</p>' if as_of else ""
    signoffs = {
        "fully signed": summary.fully_signed,
        "with stale sign-offs": summary.with_stale,
        "expired": summary.expired,
        "expiring": summary.expiring,
    }
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n"
        f"<h1>{_e(title)}</h1>{as_of_text}\n"
        f'<p class="summary">{_e(summary.text())}</p>\n'
        '<div class="counts">'
        + _count_table("By status", summary.by_status)
        + _count_table("By review state", summary.by_review_state)
        + _count_table("Sign-off and term", signoffs)
        + "</div>\n<h2>Charters</h2>\n"
        '<table class="charters"><thead><tr><th>Id</th><th>Title</th><th>Status</th>'
        "<th>Model</th><th>Parties</th><th>Signed</th><th>Review</th><th>Expires</th></tr>"
        "</thead><tbody>\n" + "\n".join(body) + "\n</tbody></table>\n"
        "<h2>Relationship network</h2>\n"
        "<p>Parties are circles (thick and shaded: lead party of at least one charter); each "
        "charter is a line from its lead party (else its first party) to each other party, "
        "and links to its document.</p>\n"
        f'<div class="graph">{to_svg(g, links)}</div>\n'
        "</body></html>\n"
    )


def write_dashboard(
    documents: Sequence[Document],
    out_dir: str | Path,
    links: Mapping[str, str] | None,
    as_of: dt.date,
    within: str = DEFAULT_DUE_SOON,
) -> Path:
    """Write `dashboard.html` for the documents into out_dir (atomically); returns its path.

    links maps each charter's file (as in `Document.file`) or id to its document's href.
    """
    from rmo_cli.support.atomic import atomic_write

    rows = status_rows(documents, as_of, within)
    page = dashboard_html(rows, graph(documents), links, as_of)
    target = Path(out_dir) / f"{DASHBOARD_PAGE}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, page)
    return target


def dashboard_markdown(
    rows: Sequence[StatusRow],
    g: Graph,
    links: Mapping[str, str] | None = None,
    as_of: dt.date | None = None,
    title: str = "Charter portfolio",
) -> str:
    """The dashboard for Markdown sites: status table with links, summary, Mermaid graph."""
    links = links or {}
    head = ["Charter", "Status", "Model", "Parties", "Sign-off", "Review", "Expires"]
    lines = [f"# {_md(title)}", ""]
    if as_of:
        lines += [f"As of {as_of.isoformat()}.", ""]
    lines += [_md(summarize(rows).text()), "", "| " + " | ".join(head) + " |"]
    lines.append("|" + "---|" * len(head))
    for r in rows:
        href = links.get(r.file) or links.get(r.id)
        name = _md(r.title or r.id or r.file)
        cells = [
            f"[{name}]({href.replace(' ', '%20').replace(')', '%29')})" if href else name,
            _md(r.status),
            _md(r.model),
            _md(", ".join(r.party_labels)),
            _md(r.signoff_text),
            _md(review_text(r)),
            _md(expiry_text(r)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Relationship network", "", "```mermaid", to_mermaid(g).rstrip(), "```", ""]
    return "\n".join(lines)


def dashboard_page(
    documents: Sequence[Document], within: str = DEFAULT_DUE_SOON
) -> Callable[[Site], None]:
    """A `render_site` extra page: writes `dashboard.<ext>` linking each rendered charter.

    Usage: `render_site(documents, out_dir, fmt, renderer, as_of=..., within=...,
    extra_pages=[dashboard_page(documents, within)])`. Charters the site refused are
    listed without a link.
    """
    from rmo_cli.render.document import output_name

    def write(site: Site) -> None:
        rendered = {row.get("href") for row in site.charters}
        links: dict[str, str] = {}
        for doc in documents:
            name = output_name(as_mapping(doc.data), doc.file, site.fmt)  # type: ignore[arg-type]
            if name in rendered:
                rendered.discard(name)  # a clashing id links only the charter rendered
                links[doc.file] = name
        rows = status_rows(documents, site.as_of, within)
        g = graph(documents)
        if site.page_extension == "md":
            page = dashboard_markdown(rows, g, links, site.as_of)
        else:
            page = dashboard_html(rows, g, links, site.as_of)
        site.write_page(DASHBOARD_PAGE, page, "Portfolio dashboard")

    return write
