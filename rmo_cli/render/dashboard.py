"""The portfolio dashboard page: counts, the network picture and a row per charter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rmo_cli.charter.model import as_mapping
from rmo_cli.ops.portfolio import Graph, StatusRow, graph, status_rows, summarize
from rmo_cli.render.graph import _e, to_mermaid, to_svg
from rmo_cli.reporters.status import _md, expiry_text, review_text
from rmo_cli.support.vocabulary import DEFAULT_DUE_SOON

if TYPE_CHECKING:
    from collections.abc import Callable

    from rmo_cli.charter.loading import Document
    from rmo_cli.render.site import Site


DASHBOARD_PAGE = "dashboard"  # dashboard.html (dashboard.md in a Markdown site)


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
