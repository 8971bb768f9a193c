"""The relationship network drawn: Mermaid, Graphviz DOT and a self-contained SVG."""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rmo_cli.ops.portfolio import Graph, Party

if TYPE_CHECKING:
    pass


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
    # Inside "…" Mermaid reads entity codes; quotes and # would end or start one. Labels
    # are HTML to Mermaid (tags render, scripts run under a loose securityLevel) and a
    # backtick starts a Markdown string: all written as entity codes, shown as typed.
    text = " ".join(text.split())
    text = text.replace("#", "#35;").replace('"', "#quot;").replace("&", "#amp;")
    return text.replace("<", "#lt;").replace(">", "#gt;").replace("`", "#96;")


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
