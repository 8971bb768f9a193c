"""The Word document of a charter, section by section, built from the same context the HTML
template receives (render/context.py), so both show the same sections (SPEC §7, §9).

About 500 lines: one function per section of the document, in the document's order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rmo_cli.charter.model import as_list, as_mapping
from rmo_cli.render.docx_markdown import markdown_paras
from rmo_cli.render.docx_model import (
    DRAFT_STATUSES,
    Block,
    DocModel,
    Para,
    Row,
    Run,
    Table,
    item,
    para,
    showable,
    text_of,
)


@dataclass
class _Builder:
    numbering: bool
    blocks: list[Block] = field(default_factory=list)
    counters: list[int] = field(default_factory=lambda: [0, 0])
    headings: list[tuple[int, str]] = field(default_factory=list)

    def heading(self, level: int, text: str) -> None:
        prefix = ""
        if self.numbering:
            if level == 1:
                self.counters = [self.counters[0] + 1, 0]
                prefix = f"{self.counters[0]} "
            else:
                self.counters[1] += 1
                prefix = f"{self.counters[0]}.{self.counters[1]} "
        self.headings.append((level, prefix + text))
        self.blocks.append(para(prefix + text, style=f"Heading {level}", keep_next=True))

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    def p(self, *parts: str | Run, **kwargs: Any) -> None:
        self.blocks.append(para(*parts, **kwargs))

    def control(self, rows: Iterable[tuple[str, Sequence[Para] | str]]) -> None:
        """A two-column table with row headings (document control style)."""
        out = []
        for name, value in rows:
            cell = (para(value),) if isinstance(value, str) else tuple(value) or (para(),)
            out.append(Row(((para(Run(name, bold=True)),), cell)))
        if out:
            self.blocks.append(Table(tuple(out), header=False, kind="control"))

    def grid(self, headings: Sequence[str], rows: Iterable[Sequence[Sequence[Para] | str]]) -> None:
        """A table with a heading row repeated on every page."""
        head = Row(tuple((para(Run(h, bold=True)),) for h in headings))
        body = [
            Row(tuple((para(c),) if isinstance(c, str) else (tuple(c) or (para(),)) for c in cells))
            for cells in rows
        ]
        self.blocks.append(Table((head, *body), header=True, kind="grid"))


def _lines(values: Iterable[str]) -> list[Para]:
    return [para(v) for v in values]


def build_document(context: Mapping[str, Any], frame: object = None) -> DocModel:
    """The Word document of a charter from its template context (render/context.py)."""
    from rmo_cli.render.context import _filters

    f = _filters()
    ctx = dict(context)
    label, every, number = f["label"], f["every"], f["number"]
    longdate, duration, time_limit = f["longdate"], f["duration"], f["time_limit"]

    def person(pid: object) -> str:
        return str(f["person"](ctx, pid))

    def person_name(pid: object) -> str:
        return str(f["person_name"](ctx, pid))

    def party(pid: object) -> str:
        return str(f["party"](ctx, pid))

    c: Mapping[str, Any] = as_mapping(ctx.get("charter"))
    document = as_mapping(ctx.get("document"))
    review_ctx = as_mapping(ctx.get("review"))
    gov = as_mapping(c.get("governance"))
    term = as_mapping(c.get("term"))
    rv = as_mapping(c.get("review"))
    esc = as_mapping(c.get("escalation"))
    comm = as_mapping(c.get("communication"))
    ex = as_mapping(c.get("exit"))
    frame = _frame_mapping(frame)
    b = _Builder(numbering=frame.get("numbering") is True)
    draft_mark = c.get("status") in DRAFT_STATUSES or bool(document.get("draft"))

    if document.get("draft"):
        b.p(
            Run("DRAFT — NOT VALID. ", bold=True),
            "This document was rendered with --force from a charter that has errors. "
            "It is not an agreement and must not be signed.",
            style="Intense Quote",
        )
        for finding in as_list(document.get("findings")):
            b.add(item(text_of(finding)))

    # Title block
    b.p("Relationship Charter", style="Charter Kind")
    b.p(text_of(c.get("title")), style="Charter Title")
    names = [text_of(p.get("name") or p.get("id")) for p in as_list(c.get("parties"))]
    between = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    if names:
        b.p("between " + between)
    rows: list[tuple[str, Sequence[Para] | str]] = [
        ("Identifier", text_of(c.get("id"))),
        ("Version", text_of(c.get("version"))),
        ("Status", label(c.get("status"))),
    ]
    if c.get("lifecycle_stage"):
        rows.append(("Lifecycle stage (ISO 44001)", label(c.get("lifecycle_stage"))))
    if term.get("effective"):
        rows.append(("Effective", longdate(term.get("effective"))))
    if term.get("expires"):
        rows.append(("Expires", longdate(term.get("expires"))))
    if review_ctx.get("next_due"):
        rows.append(("Next review", longdate(review_ctx.get("next_due"))))
    b.control(rows)
    _legal_frame(b, frame)
    amendments = [a for a in as_list(c.get("amendments")) if isinstance(a, dict)]
    if amendments:  # the amendment record (SPEC §8), when the charter keeps one
        b.p(Run("Amendment record", bold=True), keep_next=True)
        b.grid(
            ("Version", "Date", "What changed"),
            (
                (text_of(a.get("version")), longdate(a.get("date")), text_of(a.get("summary")))
                for a in amendments
            ),
        )
    contents_at = len(b.blocks)

    _parties(b, c, gov, label)
    if c.get("purpose"):
        b.heading(1, "Purpose")
        b.add(*markdown_paras(c.get("purpose")))
    _objectives(b, c, person, longdate)
    if c.get("principles"):
        b.heading(1, "Principles")
        for pr in as_list(c.get("principles")):
            b.p(Run(text_of(pr.get("name")), bold=True), keep_next=True)
            b.p(text_of(pr.get("description")))
    if gov:
        b.heading(1, "Governance")
        from rmo_cli.render.context import _filters

        # The model explained in one plain sentence, as in the HTML (SPEC §7).
        meaning = _filters()["model_sentence"](gov.get("model"))
        model = label(gov.get("model")) + (f" — {meaning}" if meaning else "")
        rows = [("Governance model", model)]
        if gov.get("lead_party"):
            rows.append(("Lead party", party(gov.get("lead_party"))))
        if gov.get("decision_rule"):
            rows.append(("Decision rule", label(gov.get("decision_rule"))))
        b.control(rows)
        if gov.get("bodies"):
            b.heading(2, "Governance bodies")
            b.grid(
                ("Body", "Chair", "Members", "Meets"),
                (
                    (
                        text_of(body.get("name")),
                        person(body.get("chair")) if body.get("chair") else "",
                        _lines(person(m) for m in as_list(body.get("members"))),
                        every(body.get("cadence")) if body.get("cadence") else "",
                    )
                    for body in as_list(gov.get("bodies"))
                ),
            )
    if c.get("roles"):
        b.heading(1, "Roles and responsibilities")
        b.grid(
            ("Role", "Party", "Holder", "Responsibilities"),
            (
                (
                    text_of(r.get("title")),
                    party(r.get("party")) if r.get("party") else "",
                    person(r.get("holder")) if r.get("holder") else "",
                    [item(text_of(duty)) for duty in as_list(r.get("responsibilities"))],
                )
                for r in as_list(c.get("roles"))
            ),
        )
    if comm.get("meetings"):
        b.heading(1, "Communication")
        b.grid(
            ("Meeting", "Held", "Attendees"),
            (
                (
                    text_of(m.get("name")),
                    every(m.get("cadence")) if m.get("cadence") else "",
                    _lines(person(a) for a in as_list(m.get("attendees"))),
                )
                for m in as_list(comm.get("meetings"))
            ),
        )
    if c.get("kpis"):
        objectives = as_mapping(ctx.get("objectives"))
        b.heading(1, "Performance measures")
        b.grid(
            (
                "Measure",
                "Objective",
                "Unit",
                "Baseline",
                "Target",
                "Direction",
                "Measured",
                "Owner",
                "Latest",
            ),
            (
                (
                    text_of(k.get("name")),
                    text_of(objectives[k["objective"]].get("statement"))
                    if isinstance(k.get("objective"), str) and k["objective"] in objectives
                    else text_of(k.get("objective")),
                    text_of(k.get("unit")),
                    number(k.get("baseline")),
                    number(k.get("target")),
                    label(k.get("direction")),
                    every(k.get("frequency")) if k.get("frequency") else "",
                    person(k.get("owner")) if k.get("owner") else "",
                    _kpi_latest(
                        as_mapping(ctx.get("kpis")).get(k.get("id")), number, longdate, label
                    ),
                )
                for k in as_list(c.get("kpis"))
            ),
        )
    if c.get("risks"):
        b.heading(1, "Risks")
        b.grid(
            ("Risk", "Owner", "Likelihood", "Impact", "Score", "Treatment", "Mitigation"),
            (_risk_row(r, person, label) for r in as_list(c.get("risks"))),
        )
        b.p(
            "Likelihood and impact are scored 1 (lowest) to 5 (highest); "
            "the score is their product."
        )
    if esc.get("levels") or esc.get("final_recourse"):
        b.heading(1, "Escalation")
        b.p(
            "Issues are resolved at the lowest level possible. A level that cannot resolve an "
            "issue within its time limit passes it to the next level; levels are not skipped."
        )
        for lv in as_list(esc.get("levels")):
            limit = lv.get("time_limit")
            b.p(
                Run(f"Level {text_of(lv.get('level'))}: {text_of(lv.get('name'))}", bold=True),
                f" — within {time_limit(text_of(limit))}" if limit else "",
                keep_next=bool(lv.get("people")),
            )
            if lv.get("people"):
                b.p("; ".join(person(p) for p in as_list(lv.get("people"))))
        if esc.get("final_recourse"):
            b.p("Final recourse: ", Run(label(esc.get("final_recourse")), bold=True), ".")
    _review(b, rv, review_ctx, person_name, label, every, longdate)
    if term:
        sentence = f"This charter takes effect on {longdate(term.get('effective'))}"
        if term.get("expires"):
            sentence += f" and expires on {longdate(term.get('expires'))}"
        sentence += "."
        if term.get("notice_period"):
            notice = duration(text_of(term["notice_period"]))
            sentence += f" A party may end it by giving notice of {notice}."
        b.heading(1, "Term")
        b.p(sentence)
    if ex:
        b.heading(1, "Exit")
        if ex.get("triggers"):
            b.p("The parties will start the agreed exit process when:", keep_next=True)
            for t in as_list(ex.get("triggers")):
                b.add(item(text_of(t)))
        if ex.get("owner"):
            b.p(f"Exit strategy owner: {person(ex.get('owner'))}.")
    _signoff(b, c, ctx, person, label, longdate)
    _document_control(b, document, label, longdate)

    if frame.get("contents") is True:
        toc = [para(Run("Contents", bold=True), keep_next=True)]
        toc += [para(text, style="TOC 1" if lvl == 1 else "TOC 2") for lvl, text in b.headings]
        b.blocks[contents_at:contents_at] = toc

    short = text_of(document.get("fingerprint")).removeprefix("sha256:")[:12]
    footer = (
        para(
            f"{text_of(document.get('id'))} · version {text_of(document.get('version'))} · "
            f"fingerprint {short} · Page ",
            Run("1", field="PAGE"),
            " of ",
            Run("1", field="NUMPAGES"),
            style="Footer",
        ),
    )
    header = (para(Run("DRAFT", bold=True), style="Header"),) if draft_mark else ()
    title = text_of(c.get("title"))
    return DocModel(
        title=showable(title),
        subject=showable(f"{text_of(c.get('id'))} version {text_of(c.get('version'))}"),
        header=header,
        footer=footer,
        body=tuple(b.blocks),
        draft=draft_mark,
        keywords=showable(text_of(document.get("fingerprint"))),
    )


def _frame_mapping(frame: object) -> dict[str, Any]:
    """rmo.yaml's `document:` settings as a mapping, whatever shape the config gives them."""
    import dataclasses

    if isinstance(frame, Mapping):
        return dict(frame)
    if dataclasses.is_dataclass(frame) and not isinstance(frame, type):
        return dataclasses.asdict(frame)
    return dict(vars(frame)) if hasattr(frame, "__dict__") else {}


def _legal_frame(b: _Builder, frame: Mapping[str, Any]) -> None:
    if "binding" in frame:
        bound = "legally binding" if frame.get("binding") is True else "not legally binding"
        b.p(Run(f"This charter is {bound}.", bold=True))
    if frame.get("precedence"):
        b.p(text_of(frame.get("precedence")))


def _parties(b: _Builder, c: Mapping[str, Any], gov: Mapping[str, Any], label: Any) -> None:
    b.heading(1, "Parties and representatives")
    for p in as_list(c.get("parties")):
        text = text_of(p.get("name"))
        if p.get("type"):
            text += f" ({label(p.get('type'))})"
        if gov.get("lead_party") == p.get("id"):
            text += " — Lead party"
        b.heading(2, text)
        if p.get("people"):
            b.grid(
                ("Name", "Title", "Email", "Role"),
                (
                    (
                        text_of(person.get("name")),
                        text_of(person.get("title")),
                        text_of(person.get("email")),
                        "Senior Executive Responsible" if person.get("ser") else "",
                    )
                    for person in as_list(p.get("people"))
                ),
            )


def _objectives(b: _Builder, c: Mapping[str, Any], person: Any, longdate: Any) -> None:
    if not c.get("objectives"):
        return
    b.heading(1, "Objectives")
    for number, o in enumerate(as_list(c.get("objectives")), start=1):
        b.add(item(text_of(o.get("statement")), marker=f"{number}.", keep_next=True))
        meta = []
        if o.get("owner"):
            meta.append(f"Owner: {person(o.get('owner'))}")
        if o.get("target_date"):
            meta.append(f"Target date: {longdate(o.get('target_date'))}")
        if meta:
            b.p(" · ".join(meta), style="List Continue")


def _risk_row(r: Mapping[str, Any], person: Any, label: Any) -> tuple[str, ...]:
    likelihood, impact = r.get("likelihood"), r.get("impact")
    numbers = all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in (likelihood, impact)
    )
    return (
        text_of(r.get("title")),
        person(r.get("owner")) if r.get("owner") else "",
        text_of(likelihood),
        text_of(impact),
        text_of(likelihood * impact) if numbers else "",  # type: ignore[operator]
        label(r.get("treatment")),
        text_of(r.get("mitigation")),
    )


def _review(
    b: _Builder,
    rv: Mapping[str, Any],
    review_ctx: Mapping[str, Any],
    person_name: Any,
    label: Any,
    every: Any,
    longdate: Any,
) -> None:
    b.heading(1, "Review")
    rows: list[tuple[str, Sequence[Para] | str]] = []
    if rv.get("cadence"):
        rows.append(("Review cadence", every(rv.get("cadence"))))
    if rv.get("last_reviewed"):
        rows.append(("Last reviewed", longdate(rv.get("last_reviewed"))))
    if review_ctx.get("next_due"):
        rows.append(("Next review due", longdate(review_ctx.get("next_due"))))
    b.control(rows)
    if rv.get("log"):
        b.heading(2, "Review log")
        b.grid(
            ("Date", "Reviewers", "Outcome", "Notes"),
            (
                (
                    longdate(entry.get("date")),
                    ", ".join(person_name(p) for p in as_list(entry.get("reviewers"))),
                    label(entry.get("outcome")),
                    text_of(entry.get("notes")),
                )
                for entry in as_list(rv.get("log"))
            ),
        )


def _kpi_latest(m: Any, number: Any, longdate: Any, label: Any) -> str:
    """The KPI's latest measurement and state, as the HTML's "Latest" column shows them."""
    if not isinstance(m, Mapping):
        return ""
    shown = f"{number(m.get('value'))} ({longdate(m.get('date'))}) " if m.get("date") else ""
    return shown + label(m.get("state"))


def _signoff(
    b: _Builder,
    c: Mapping[str, Any],
    ctx: Mapping[str, Any],
    person: Any,
    label: Any,
    longdate: Any,
) -> None:
    b.heading(1, "Sign-off")
    b.p(
        f"Each party's representative signs to approve version {text_of(c.get('version'))} of "
        "this charter, whose content fingerprint is given below."
    )
    for row in as_list(ctx.get("signoffs")):
        # The same block as the HTML: verify's verdict in words, never a command (SPEC §7).
        state = text_of(row.get("state"))
        name = text_of(as_mapping(row.get("party")).get("name"))
        b.heading(2, f"For {name} — {text_of(row.get('label')) or label(state)}")
        if state != "missing":
            rows: list[tuple[str, Sequence[Para] | str]] = [
                ("Person", person(row.get("person_id")))
            ]
            if row.get("capacity"):
                rows.append(("Capacity", text_of(row.get("capacity"))))
            rows += [("Date", longdate(row.get("date"))), ("Version", text_of(row.get("version")))]
            if row.get("verified"):
                key = f"{text_of(row.get('key'))} ({text_of(row.get('email'))})"
                rows.append(("Signing key", [para(Run(key, mono=True))]))
            b.control(rows)
        if row.get("verdict"):
            quiet = state in ("valid", "in-force", "missing")
            b.p(text_of(row.get("verdict")), style="Normal" if quiet else "Intense Quote")
        if state not in ("valid", "in-force"):
            for i, line in enumerate(("Name", "Title", "Signature", "Date")):
                b.p(line, "\t", keep_next=i < 3, signature=True)


def _document_control(b: _Builder, document: Mapping[str, Any], label: Any, longdate: Any) -> None:
    b.heading(1, "Document control")
    status = label(document.get("status"))
    if document.get("draft"):
        status += " — DRAFT, NOT VALID"
    rows: list[tuple[str, Sequence[Para] | str]] = [
        ("Identifier", text_of(document.get("id"))),
        ("Version", text_of(document.get("version"))),
        ("Status", status),
        ("Fingerprint", [para(Run(text_of(document.get("fingerprint")), mono=True))]),
    ]
    git = document.get("git")
    if isinstance(git, Mapping):
        commit = text_of(git.get("commit")) or "none yet"
        if git.get("state") == "modified":
            commit += " (uncommitted changes)"
        elif git.get("state") == "untracked":
            commit += " (uncommitted changes: file not committed)"
        rows.append(("Git commit", [para(Run(commit, mono=True))]))
    if document.get("file"):
        rows.append(("Source file", [para(Run(text_of(document.get("file")), mono=True))]))
    rows.append(("Generated", f"{longdate(document.get('generated'))} by rmo"))
    b.control(rows)
