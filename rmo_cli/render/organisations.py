"""A page per organisation of a rendered site: every charter it is party to, its people and
the KPIs they own; and organisations.html listing them all."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rmo_cli.charter.kpis import kpi_statuses
from rmo_cli.charter.model import as_list, as_mapping
from rmo_cli.support.ids import SLUG_RE

if TYPE_CHECKING:
    from rmo_cli.charter.loading import Document
    from rmo_cli.render.site import Site

ORGANISATIONS_PAGE = "organisations"
ORGANISATION_TEMPLATE = "organisation.html.j2"
ORGANISATIONS_TEMPLATE = "organisations.html.j2"


def organisation_page_name(party_id: str) -> str:
    """The page (without extension) of a party id: `org-<id>`."""
    return f"org-{party_id}"


def organisations(documents: Sequence[Document], links: dict[str, str]) -> list[dict[str, Any]]:
    """Every organisation (by party id, sorted by name): its charters, people and KPIs.

    links maps a charter's file to its page; charters without a page are listed unlinked.
    """
    from rmo_cli.render.dashboard import trend_svg
    from rmo_cli.reporters.kpis import number_text, target_text

    found: dict[str, dict[str, Any]] = {}
    for doc in documents:
        data = as_mapping(doc.data)
        title = data.get("title") if isinstance(data.get("title"), str) else str(data.get("id"))
        lead = as_mapping(data.get("governance")).get("lead_party")
        owners: dict[str, str] = {}  # person id -> party id, in this charter
        for party in as_list(data.get("parties")):
            party = as_mapping(party)
            pid = party.get("id")
            if not isinstance(pid, str) or not SLUG_RE.match(pid):
                continue
            org = found.setdefault(
                pid, {"id": pid, "name": "", "charters": [], "people": {}, "kpis": []}
            )
            if not org["name"] and isinstance(party.get("name"), str):
                org["name"] = party["name"]
            org["charters"].append(
                {
                    "title": title,
                    "id": data.get("id"),
                    "href": links.get(doc.file),
                    "status": data.get("status"),
                    "lead": lead == pid,
                    "partners": [
                        as_mapping(p).get("name")
                        for p in as_list(data.get("parties"))
                        if as_mapping(p).get("id") != pid
                    ],
                }
            )
            for person in as_list(party.get("people")):
                person = as_mapping(person)
                person_id = person.get("id")
                if not isinstance(person_id, str):
                    continue
                owners[person_id] = pid
                entry = org["people"].setdefault(
                    person_id,
                    {
                        "id": person_id,
                        "name": person.get("name") or person_id,
                        "title": person.get("title"),
                        "email": person.get("email"),
                        "charters": [],
                    },
                )
                entry["charters"].append(title)
        for status in kpi_statuses(data):
            pid = owners.get(status.owner)
            if pid is None:
                continue
            latest = status.latest
            found[pid]["kpis"].append(
                {
                    "id": status.id,
                    "name": status.name or status.id,
                    "charter": title,
                    "href": links.get(doc.file),
                    "owner": found[pid]["people"][status.owner]["name"],
                    "state": status.state,
                    "value": number_text(latest.value) if latest else None,
                    "unit": status.unit,
                    "date": latest.date.isoformat() if latest else None,
                    "target": target_text(status),
                    "svg": trend_svg(status),
                }
            )
    result = []
    for org in found.values():
        org["name"] = org["name"] or org["id"]
        org["people"] = sorted(org["people"].values(), key=lambda p: str(p["name"]))
        org["href"] = f"{organisation_page_name(org['id'])}.html"
        result.append(org)
    return sorted(result, key=lambda o: (str(o["name"]).casefold(), o["id"]))


def organisation_pages(documents: Sequence[Document]) -> Callable[[Site], None]:
    """A `render_site` extra page (HTML sites): organisations.html and a page per
    organisation, with the site's navigation; templates overridable like the others."""
    from rmo_cli.charter.model import as_mapping as _mapping
    from rmo_cli.render.document import output_name

    def write(site: Site) -> None:
        rendered = {row.get("href") for row in site.charters}
        links: dict[str, str] = {}
        for doc in documents:
            name = output_name(_mapping(doc.data), doc.file, site.fmt)  # type: ignore[arg-type]
            if name in rendered:
                rendered.discard(name)
                links[doc.file] = name
        taken = {str(row.get("href")) for row in site.charters}
        orgs = [o for o in organisations(documents, links) if o["href"] not in taken]
        for org in orgs:
            page = site.renderer.render(
                ORGANISATION_TEMPLATE,
                {
                    "org": org,
                    "site_nav": site.nav_for(ORGANISATIONS_PAGE),
                    "as_of": site.as_of.isoformat(),
                },
            )
            site.write_page(organisation_page_name(org["id"]), page, org["name"], link=False)
        index = site.renderer.render(
            ORGANISATIONS_TEMPLATE,
            {"organisations": orgs, "site_nav": site.nav_for(ORGANISATIONS_PAGE)},
        )
        site.write_page(ORGANISATIONS_PAGE, index, "Organisations")

    return write
