"""The relationship network drawn: Mermaid, Graphviz DOT and a self-contained SVG."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rmo_cli.ops.portfolio import Graph, Party
from rmo_cli.support.escape import xml_escape

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
        '  node [shape=box, style="rounded", fontname="DejaVu Sans", fontsize=11];',
        '  edge [fontsize=9, fontname="DejaVu Sans", color="#6b7785", fontcolor="#2b5d9b"];',
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


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def circle_order(g: Graph) -> list[str]:
    """Party ids in the order they first appear in the charters: partners sit side by side."""
    order: dict[str, None] = {}
    for link in g.links:
        order.update(dict.fromkeys(link.parties))
    order.update(dict.fromkeys(p.id for p in g.parties))
    return list(order)


# Presentation attributes written on the shapes themselves, so the SVG looks right on its
# own (opened from a file, embedded as an image) and not only under the dashboard's CSS.
_LINE = 'stroke="#6b7785" stroke-width="1.5" fill="none"'
_LINK_LINE = 'stroke="#2b5d9b" stroke-width="1.8" fill="none"'
_FONT = 'font-family="DejaVu Sans, Verdana, sans-serif" font-size="11"'
_CHAR_WIDTH = 7.0  # a generous average advance at 11px, so estimated boxes cover the text
_LINE_HEIGHT = 14.0

Box = tuple[float, float, float, float]  # left, top, right, bottom


def _text_box(x: float, y: float, text: str, anchor: str) -> Box:
    """The box a one-line label at (x, baseline y) takes, estimated generously."""
    width = len(text) * _CHAR_WIDTH + 4
    left = x - width / 2 if anchor == "middle" else x if anchor == "start" else x - width
    return left, y - 11.0, left + width, y + 4.0


def _overlaps(box: Box, others: Sequence[Box]) -> bool:
    return any(box[0] < o[2] and o[0] < box[2] and box[1] < o[3] and o[1] < box[3] for o in others)


def _free_spot(
    candidates: Sequence[tuple[float, float]], text: str, anchor: str, taken: list[Box]
) -> tuple[float, float]:
    """The first candidate position whose label box overlaps none taken; records it."""
    for x, y in candidates:
        box = _text_box(x, y, text, anchor)
        if not _overlaps(box, taken):
            taken.append(box)
            return x, y
    x, y = candidates[0]
    taken.append(_text_box(x, y, text, anchor))
    return x, y


def to_svg(g: Graph, links: Mapping[str, str] | None = None) -> str:
    """An inline SVG of the network: parties on a circle, charters as lines between them.

    Deterministic and script-free: parties are placed in the order they first appear in
    the charters; a charter's lines link to its document when links (file or id → href)
    has it. Colours and strokes are attributes (visible without CSS), and labels are
    moved along their line or away from the circle until they overlap no other label.
    """
    links = links or {}
    n = len(g.parties)
    radius = max(220.0, n * 70 / (2 * math.pi))
    # Names are written beside the circles, so the sides need more room than top and bottom.
    width, height = 2 * (radius + 330.0), 2 * (radius + 90.0)
    centre, middle = width / 2, height / 2
    position: dict[str, tuple[float, float]] = {}
    for i, pid in enumerate(circle_order(g)):
        angle = -math.pi / 2 + 2 * math.pi * i / max(n, 1)
        r = 0.0 if n == 1 else radius
        position[pid] = (centre + r * math.cos(angle), middle + r * math.sin(angle))
    edge_total = sum(len(link.edges()) for link in g.links)
    show_labels = edge_total <= _SVG_LABEL_LIMIT
    taken: list[Box] = []
    # Party names first: they stay beside their circle, stepping away from the centre.
    party_labels: dict[str, tuple[float, float, str, str]] = {}
    for p in g.parties:
        x, y = position[p.id]
        anchor = "start" if x >= centre - 1 else "end"
        dx = 16 if anchor == "start" else -16
        text = _short(p.name, 44)
        step = -_LINE_HEIGHT if y < middle else _LINE_HEIGHT
        spots = [(x + dx, y + 4 + k * step) for k in range(12)]
        lx, ly = _free_spot(spots, text, anchor, taken)
        party_labels[p.id] = (lx, ly, anchor, text)
    # Keep charter labels off the circles too.
    for x, y in position.values():
        taken.append((x - 13, y - 13, x + 13, y + 13))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="rmo-graph" role="img" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'aria-label="Relationship network: {n} parties, {len(g.links)} charters" {_FONT}>',
        "<title>Relationship network</title>",
        '<defs><marker id="rmo-arrow" viewBox="0 0 10 10" refX="22" refY="5" '
        'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
        '<rect class="background" x="0" y="0" width="100%" height="100%" fill="#fff"/>',
        '<g class="links">',
    ]
    labels: list[str] = []
    for link in g.links:
        href = links.get(link.file) or links.get(link.charter)
        parts = []
        for a, b in link.edges():
            (x1, y1), (x2, y2) = position[a], position[b]
            marker = ' marker-end="url(#rmo-arrow)"' if link.lead else ""
            style = _LINK_LINE if href else _LINE
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" {style}{marker}/>'
            )
            if show_labels and len(parts) == 1:  # one label per charter, on its first line
                text = _short(link.label)
                spots = []
                for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8):
                    mx, my = x1 + (x2 - x1) * t, y1 + (y2 - y1) * t
                    spots += [(mx, my + 4 + k * _LINE_HEIGHT) for k in (0, 1, -1, 2, -2)]
                lx, ly = _free_spot(spots, text, "middle", taken)
                label = (
                    f'<text class="link-label" x="{lx:.1f}" y="{ly:.1f}" text-anchor="middle" '
                    f'fill="#2b5d9b" stroke="#fff" stroke-width="3" paint-order="stroke" '
                    f'data-charter="{xml_escape(link.charter)}">{xml_escape(text)}</text>'
                )
                labels.append(f'<a href="{xml_escape(href)}">{label}</a>' if href else label)
        if not parts:
            continue
        body = f"<title>{xml_escape(link.label)}</title>" + "".join(parts)
        model = xml_escape(link.model or "none")
        group = f'<g class="link model-{model}" data-charter="{xml_escape(link.charter)}">'
        if href:
            out.append(f'<a href="{xml_escape(href)}">{group}{body}</g></a>')
        else:
            out.append(f"{group}{body}</g>")
    out.append("</g>")
    out.append('<g class="labels">' + "".join(labels) + "</g>")
    out.append('<g class="parties">')
    for p in g.parties:
        x, y = position[p.id]
        lx, ly, anchor, text = party_labels[p.id]
        cls = "party lead" if p.is_lead else "party"
        tip = p.name + (f" (lead party of {', '.join(p.lead_in)})" if p.is_lead else "")
        fill, stroke = ("#ffe9a8", "4") if p.is_lead else ("#fff", "1.5")
        weight = ' font-weight="bold"' if p.is_lead else ""
        out.append(
            f'<g class="{cls}" data-party="{xml_escape(p.id)}"><title>{xml_escape(tip)}</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{12 if p.is_lead else 9}" fill="{fill}" '
            f'stroke="#1d232a" stroke-width="{stroke}"/>'
            f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" fill="#1d232a"{weight}>'
            f"{xml_escape(text)}</text></g>"
        )
    out.append("</g></svg>")
    return "\n".join(out)


def graph_svg(g: Graph) -> str:
    """The network as a standalone SVG: Graphviz's layout when dot is installed, else the
    built-in circle layout (to_svg)."""
    from rmo_cli.adapters.graphviz import dot_to_svg

    drawn = dot_to_svg(to_dot(g))
    return drawn if drawn is not None else to_svg(g)
