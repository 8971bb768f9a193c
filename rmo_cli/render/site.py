"""A folder of rendered pages: one per charter, an index, and extra pages such as the dashboard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from rmo_cli.adapters.worktree import GitLookup, GitState
from rmo_cli.charter.model import as_list
from rmo_cli.render.context import _review_state, next_review
from rmo_cli.render.document import (
    CHARTER_TEMPLATE,
    FORMATS,
    INDEX_EXTENSION,
    INDEX_TEMPLATE,
    Renderer,
    output_name,
    render_charter,
    source_bytes,
)
from rmo_cli.support.errors import RefusedError, RmoError
from rmo_cli.support.findings import Finding
from rmo_cli.support.ids import SLUG_RE
from rmo_cli.support.parallel import parallel_map, worker_count
from rmo_cli.support.vocabulary import DEFAULT_DUE_SOON


@dataclass
class SitePage:
    """A page of a rendered site, as the index links it."""

    name: str  # file name without extension
    title: str
    href: str


@dataclass
class Site:
    """A folder of rendered pages. Extra pages call `write_page` (before the index is made)."""

    out_dir: Path
    fmt: str
    renderer: Renderer
    as_of: dt.date
    charters: list[dict[str, Any]] = field(default_factory=list)  # index rows
    pages: list[SitePage] = field(default_factory=list)  # extra pages, linked from the index
    written: list[Path] = field(default_factory=list)
    nav: list[tuple[str, str]] = field(default_factory=list)  # (title, page name) on every page

    def nav_for(self, current: str) -> list[dict[str, Any]]:
        """The navigation bar's items (title, href, current) as seen from page `current`."""
        ext = self.page_extension
        return [
            {"title": title, "href": f"{name}.{ext}", "current": name == current}
            for title, name in self.nav
        ]

    @property
    def page_extension(self) -> str:
        """Extension of pages that are not charters: md for Markdown sites, else html."""
        return INDEX_EXTENSION[self.fmt]

    def write_page(
        self,
        name: str,
        content: str | bytes,
        title: str | None = None,
        extension: str | None = None,
        link: bool = True,
    ) -> Path:
        """Write `<name>.<ext>` into the site; linked from the index unless link=False."""
        from rmo_cli.support.atomic import atomic_write

        if not SLUG_RE.match(name) and name != "index":
            raise RmoError(f"page name {name!r} is not a safe file name")
        ext = extension or self.page_extension
        path = self.out_dir / f"{name}.{ext}"
        atomic_write(path, content, fsync=False)
        self.written.append(path)
        if link:
            self.pages.append(SitePage(name, title or name, path.name))
        return path


@dataclass
class RefusedCharter:
    """A charter left out of a site, with the reason (its error findings, or a clash)."""

    file: str
    findings: list[Finding]
    message: str = ""


@dataclass
class SiteResult:
    """What render_site wrote and which charters it refused."""

    site: Site
    refused: list[RefusedCharter] = field(default_factory=list)

    @property
    def written(self) -> list[Path]:
        """Every file written, the index last."""
        return self.site.written


# From this many charters a site is rendered by a pool of forked worker processes: PDF pages
# take ~0.3 s each, Markdown and HTML ~1 ms (below 300, one process was as fast here).
PARALLEL_PAGES = {"md": 300, "html": 300, "pdf": 8}


@dataclass
class _SiteJob:
    """What every page of a site needs; forked workers inherit it (nothing is pickled)."""

    documents: list[Any]
    git_states: list[GitState | None]
    fmt: str
    renderer: Renderer
    as_of: dt.date
    force: bool
    within: str
    site_nav: list[dict[str, Any]] = field(default_factory=list)
    frame: dict[str, Any] | None = None


# A checked and rendered page: (error findings, invalid, content or None, template error).
_PageResult = tuple[list[Finding], bool, "str | bytes | None", "tuple[str, bool] | None"]


def _render_page(job: _SiteJob, index: int) -> _PageResult:
    """Check one charter and render it unless refused; template errors come back as values."""
    from rmo_cli.ops.validation import check_document, has_errors

    doc = job.documents[index]
    findings = check_document(doc, job.as_of)
    errors = [f for f in findings if f.severity == "error"]
    invalid = has_errors(findings)
    if invalid and not job.force:
        return errors, True, None, None
    from rmo_cli.ops.amendments import in_force_for
    from rmo_cli.ops.trust import trust_of_file

    trust = trust_of_file(doc.file)
    try:
        content = render_charter(
            doc.data,
            job.fmt,
            job.renderer,
            as_of=job.as_of,
            file=doc.file,
            git=job.git_states[index],
            findings=errors,
            draft=invalid,
            within=job.within,
            site_nav=job.site_nav,
            source=source_bytes(doc.file, doc.text) if job.fmt == "pdf" else None,
            document_frame=job.frame,
            trust=trust,
            in_force=in_force_for(doc, doc.file, trust),
        )
    except RmoError as exc:  # exceptions do not keep their type through a pool
        return errors, invalid, None, (exc.message, isinstance(exc, RefusedError))
    return errors, invalid, content, None


def _render_all(job: _SiteJob) -> list[_PageResult]:
    """Every page of the job, in order: in this process, or by forked workers."""
    count = len(job.documents)

    def warm() -> None:  # compile once here; every worker inherits the compiled code
        if job.renderer.isolate:
            job.renderer._warm(CHARTER_TEMPLATE[job.fmt])

    return parallel_map(
        partial(_render_page, job),
        range(count),
        worker_count(count, PARALLEL_PAGES[job.fmt]),
        before_fork=warm,
    )


def render_site(
    documents: Iterable[Any],
    out_dir: Path,
    fmt: str,
    renderer: Renderer,
    *,
    as_of: dt.date,
    force: bool = False,
    within: str = DEFAULT_DUE_SOON,
    frame: dict[str, Any] | None = None,
    extra_pages: Sequence[Callable[[Site], None]] = (),
    git: GitLookup | None = None,
    nav: Sequence[tuple[str, str]] = (),
) -> SiteResult:
    """Write one page per charter plus `index.<ext>` into out_dir.

    Charters with errors are refused (returned in `refused`) unless force, which renders
    them marked as drafts; a charter whose id another one already took is refused too.
    `extra_pages` run after the charters and before the index; each receives the Site
    (with `charters`, the index rows) and calls `site.write_page`. Many charters are
    checked and rendered by worker processes; the result is the same, in the same order.
    nav: (title, page name) of the pages every HTML page links to (`index` among them);
    with it, the index also gets a search box over the charters' text (works from file://).
    """
    from rmo_cli.support.atomic import atomic_write

    if fmt not in FORMATS:
        raise RmoError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if out_dir.exists() and not out_dir.is_dir():
        raise RmoError(f"{out_dir}: exists and is not a folder; give a folder for -o")
    out_dir.mkdir(parents=True, exist_ok=True)
    docs = list(documents)
    git = git or GitLookup()
    site = Site(out_dir, fmt, renderer, as_of, nav=list(nav) if fmt == "html" else [])
    job = _SiteJob(
        docs,
        [git.state(Path(d.file)) for d in docs],
        fmt,
        renderer,
        as_of,
        force,
        within,
        site.nav_for(""),
        frame,
    )
    result = SiteResult(site)
    used: dict[str, str] = {}
    search: list[dict[str, Any]] = []
    for doc, (errors, invalid, content, failure) in zip(docs, _render_all(job), strict=True):
        if failure is not None:
            message, refused = failure
            raise RefusedError(message) if refused else RmoError(message)
        if content is None:
            result.refused.append(RefusedCharter(doc.file, errors))
            continue
        data = doc.data
        name = output_name(data, doc.file, fmt)
        if name in used:
            result.refused.append(
                RefusedCharter(
                    doc.file, [], f"id {data.get('id')!r} is also the id of {used[name]}"
                )
            )
            continue
        used[name] = doc.file
        if site.nav:
            search.append(search_entry(data, name))
        path = out_dir / name
        atomic_write(path, content, fsync=False)
        site.written.append(path)
        next_due, _ = next_review(data)
        site.charters.append(
            {
                "id": data.get("id"),
                # The index links by title: an untitled (--force) charter by id or file.
                "title": _text_or(data.get("title"), _text_or(data.get("id"), name)),
                "status": data.get("status"),
                "version": data.get("version"),
                "next_review": next_due,
                "review_state": _review_state(data, as_of, within),
                "href": name,
                "draft": invalid,
                "parties": [
                    p.get("name") for p in as_list(data.get("parties")) if isinstance(p, dict)
                ],
            }
        )
    for hook in extra_pages:
        hook(site)
    index = renderer.render(
        INDEX_TEMPLATE[fmt],
        {
            "charters": site.charters,
            "pages": site.pages,
            "generated": as_of.isoformat(),
            "refused": [r.file for r in result.refused],
            "site_nav": site.nav_for("index"),
            "search": search,
        },
    )
    site.write_page("index", index, link=False)
    return result


_SEARCH_TEXT_LIMIT = 20_000  # characters of a charter's text in the search index


def search_entry(data: Any, href: str) -> dict[str, Any]:
    """A charter in the index page's search data: title, href, id, party names and its
    text (every string value, in file order, up to a limit)."""
    texts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            texts.append(" ".join(value.split()))
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in ("signoffs", "fingerprint", "signature"):
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    parties = [p for p in as_list(data.get("parties")) if isinstance(p, dict)]
    return {
        "title": _text_or(data.get("title"), _text_or(data.get("id"), href)),
        "href": href,
        "id": data.get("id") if isinstance(data.get("id"), str) else "",
        "parties": [p.get("name") for p in parties if isinstance(p.get("name"), str)],
        "text": " ".join(texts)[:_SEARCH_TEXT_LIMIT],
    }


def _text_or(value: Any, fallback: str) -> str:
    """value when it is non-blank text, else fallback."""
    return value if isinstance(value, str) and value.strip() else fallback
