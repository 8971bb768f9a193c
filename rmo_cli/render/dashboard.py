"""The portfolio dashboard page (dashboard.html.j2): counts, a row per charter, a trend line
per KPI and the network picture; Markdown sites get dashboard_markdown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmo_cli.charter.kpis import KpiStatus
from rmo_cli.charter.model import as_mapping
from rmo_cli.ops.kpis import KpiRow, kpi_rows_of
from rmo_cli.ops.portfolio import Graph, StatusRow, graph, status_rows, summarize
from rmo_cli.render.graph import to_mermaid, to_svg
from rmo_cli.reporters.status import expiry_text, review_text
from rmo_cli.support.escape import md_escape, xml_escape
from rmo_cli.support.vocabulary import DEFAULT_DUE_SOON

if TYPE_CHECKING:
    from collections.abc import Callable

    from rmo_cli.charter.loading import Document
    from rmo_cli.render.document import Renderer
    from rmo_cli.render.site import Site


DASHBOARD_PAGE = "dashboard"  # dashboard.html (dashboard.md in a Markdown site)


DASHBOARD_TEMPLATE = "dashboard.html.j2"


def _date_of(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def trend_svg(status: KpiStatus, width: int = 180, height: int = 44) -> str:
    """A KPI's trend line as a small inline SVG (no script, no CSS needed): its numeric
    measurements in date order, the target dashed, the at-risk threshold dotted, the
    latest point coloured by state. Empty text when nothing is numeric."""
    points = [(m.date, m.value) for m in status.measurements if _is_number(m.value)]
    if not points:
        return ""
    values = [float(v) for _, v in points]
    levels = [*values]
    if status.target is not None:
        levels.append(status.target)
    if status.at_risk is not None:
        levels.append(status.at_risk)
    low, high = min(levels), max(levels)
    span = (high - low) or 1.0
    pad = 6.0

    def y(value: float) -> float:
        return pad + (height - 2 * pad) * (1 - (value - low) / span)

    step = (width - 2 * pad) / max(len(values) - 1, 1)
    xy = [(pad + i * step if len(values) > 1 else width / 2, y(v)) for i, v in enumerate(values)]
    colour = _STATE_COLOURS.get(status.state, "#5b6270")
    title = "; ".join(f"{d.isoformat()}: {v}" for d, v in points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Trend of {xml_escape(status.name or status.id)}">',
        f"<title>{xml_escape(title)}</title>",
    ]
    if status.target is not None:
        ty = y(status.target)
        parts.append(
            f'<line class="target" x1="0" y1="{ty:.1f}" x2="{width}" y2="{ty:.1f}" '
            'stroke="#1b5e20" stroke-width="1" stroke-dasharray="4 3"/>'
        )
    if status.at_risk is not None:
        ry = y(status.at_risk)
        parts.append(
            f'<line class="at-risk" x1="0" y1="{ry:.1f}" x2="{width}" y2="{ry:.1f}" '
            'stroke="#8a5a00" stroke-width="1" stroke-dasharray="1 3"/>'
        )
    if len(xy) > 1:
        coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in xy)
        parts.append(
            f'<polyline class="values" points="{coords}" fill="none" stroke="#1f4e79" '
            'stroke-width="2" stroke-linejoin="round"/>'
        )
    lx, ly = xy[-1]
    parts.append(f'<circle cx="{lx:.1f}" cy="{ly:.1f}" r="3.5" fill="{colour}"/>')
    parts.append("</svg>")
    return "".join(parts)


_STATE_COLOURS = {
    "on-track": "#1b5e20",
    "at-risk": "#8a5a00",
    "off-track": "#8a1c1c",
    "no-data": "#5b6270",
}


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def dashboard_context(
    rows: Sequence[StatusRow],
    g: Graph,
    links: Mapping[str, str] | None = None,
    as_of: dt.date | None = None,
    title: str = "Charter portfolio",
    kpis: Sequence[KpiRow] = (),
    site_nav: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """What dashboard.html.j2 receives (plain data; the SVGs are rmo's own, escaped)."""
    from rmo_cli.charter.kpis import KPI_STATES
    from rmo_cli.reporters.kpis import number_text, target_text

    links = links or {}
    summary = summarize(rows)
    kpi_counts = {state: sum(1 for k in kpis if k.kpi.state == state) for state in KPI_STATES}
    table = []
    for r in rows:
        worst = next((s for s in KPI_STATES[:-1] if s in r.kpi_states), "no-data")
        table.append(
            {
                "id": r.id,
                "title": r.title or r.id or r.file,
                "href": links.get(r.file) or links.get(r.id),
                "status": r.status,
                "model": r.model,
                "parties": list(r.party_labels),
                "signed": f"{r.signed} of {r.parties_total}" if r.parties_total else "no parties",
                "stale": r.stale,
                "review_state": r.review_state,
                "review_text": review_text(r),
                "next_due": _date_of(r.next_due),
                "expiry_state": r.expiry_state,
                "expires": _date_of(r.expires),
                "expiry_text": expiry_text(r),
                "kpi_text": r.kpi_text,
                "kpi_state": worst,
            }
        )
    kpi_rows = []
    for k in kpis:
        latest = k.kpi.latest
        kpi_rows.append(
            {
                "charter": k.charter,
                "charter_title": k.title,
                "href": links.get(k.file) or links.get(k.charter),
                "id": k.kpi.id,
                "name": k.kpi.name or k.kpi.id,
                "unit": k.kpi.unit,
                "owner": k.kpi.owner,
                "state": k.kpi.state,
                "value": number_text(latest.value) if latest else None,
                "date": latest.date.isoformat() if latest else None,
                "target": target_text(k.kpi),
                "trend": k.kpi.trend,
                "svg": trend_svg(k.kpi),
            }
        )
    return {
        "title": title,
        "as_of": as_of.isoformat() if as_of else None,
        "summary": {
            "text": summary.text(),
            "by_status": summary.by_status,
            "by_review_state": summary.by_review_state,
            "signoffs": {
                "fully signed": summary.fully_signed,
                "with stale sign-offs": summary.with_stale,
                "expired": summary.expired,
                "expiring": summary.expiring,
            },
            "kpis": kpi_counts if kpis else {},
        },
        "rows": table,
        "kpis": kpi_rows,
        "graph_svg": to_svg(g, links),
        "site_nav": [dict(item) for item in site_nav],
    }


def dashboard_html(
    rows: Sequence[StatusRow],
    g: Graph,
    links: Mapping[str, str] | None = None,
    as_of: dt.date | None = None,
    title: str = "Charter portfolio",
    kpis: Sequence[KpiRow] = (),
    renderer: Renderer | None = None,
    site_nav: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The self-contained dashboard page (dashboard.html.j2, overridable by a repository's
    templates): counts, status table, a trend line per KPI, network SVG; no JavaScript.

    links maps a charter's file (or id) to the href of its rendered document.
    """
    from rmo_cli.render.document import Renderer

    context = dashboard_context(rows, g, links, as_of, title, kpis, site_nav)
    return (renderer or Renderer()).render(DASHBOARD_TEMPLATE, context)


def _kpi_rows(documents: Sequence[Document]) -> list[KpiRow]:
    from rmo_cli.charter.kpis import KPI_STATES

    rows = [row for doc in documents for row in kpi_rows_of(doc.data, doc.file)]
    order = {state: i for i, state in enumerate(KPI_STATES)}
    return sorted(rows, key=lambda r: (order[r.kpi.state], r.file))


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
    page = dashboard_html(rows, graph(documents), links, as_of, kpis=_kpi_rows(documents))
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
    lines = [f"# {md_escape(title)}", ""]
    if as_of:
        lines += [f"As of {as_of.isoformat()}.", ""]
    lines += [md_escape(summarize(rows).text()), "", "| " + " | ".join(head) + " |"]
    lines.append("|" + "---|" * len(head))
    for r in rows:
        href = links.get(r.file) or links.get(r.id)
        name = md_escape(r.title or r.id or r.file)
        cells = [
            f"[{name}]({href.replace(' ', '%20').replace(')', '%29')})" if href else name,
            md_escape(r.status),
            md_escape(r.model),
            md_escape(", ".join(r.party_labels)),
            md_escape(r.signoff_text),
            md_escape(review_text(r)),
            md_escape(expiry_text(r)),
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
            page = dashboard_html(
                rows,
                g,
                links,
                site.as_of,
                kpis=_kpi_rows(documents),
                renderer=site.renderer,
                site_nav=site.nav_for(DASHBOARD_PAGE),
            )
        site.write_page(DASHBOARD_PAGE, page, "Portfolio dashboard")

    return write
