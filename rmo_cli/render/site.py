"""A folder of rendered pages: one per charter, an index, and extra pages such as the dashboard."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rmo_cli.adapters.git import GitLookup, GitState
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
    frame: dict[str, Any] | None = None


# A checked and rendered page: (error findings, invalid, content or None, template error).
_PageResult = tuple[list[Finding], bool, "str | bytes | None", "tuple[str, bool] | None"]


_SITE_JOB: _SiteJob | None = None


def _render_page(job: _SiteJob, index: int) -> _PageResult:
    """Check one charter and render it unless refused; template errors come back as values."""
    from rmo_cli.ops.validation import check_document, has_errors

    doc = job.documents[index]
    findings = check_document(doc, job.as_of)
    errors = [f for f in findings if f.severity == "error"]
    invalid = has_errors(findings)
    if invalid and not job.force:
        return errors, True, None, None
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
            source=source_bytes(doc.file, doc.text) if job.fmt == "pdf" else None,
            document_frame=job.frame,
        )
    except RmoError as exc:  # exceptions do not keep their type through a pool
        return errors, invalid, None, (exc.message, isinstance(exc, RefusedError))
    return errors, invalid, content, None


def _render_pages(indices: list[int]) -> list[_PageResult]:
    """Worker entry point: render some pages of the inherited site job."""
    assert _SITE_JOB is not None
    return [_render_page(_SITE_JOB, i) for i in indices]


def _site_workers(count: int, fmt: str) -> int:
    """How many processes render a site of count charters (env RMO_JOBS overrides)."""
    jobs = os.environ.get("RMO_JOBS", "")
    if jobs.isdigit() and int(jobs) > 0:
        return int(jobs)
    if count < PARALLEL_PAGES[fmt] or not hasattr(os, "fork"):
        return 1
    return min(os.cpu_count() or 1, 8)


def _render_all(job: _SiteJob) -> list[_PageResult]:
    """Every page of the job, in order: in this process, or by forked workers."""
    global _SITE_JOB
    count = len(job.documents)
    workers = min(_site_workers(count, job.fmt), count)
    if workers <= 1:
        return [_render_page(job, i) for i in range(count)]
    import multiprocessing
    import warnings
    from concurrent.futures import ProcessPoolExecutor

    if job.renderer.isolate:  # compile once here; every worker inherits the compiled code
        job.renderer._warm(CHARTER_TEMPLATE[job.fmt])
    size = max(1, -(-count // (workers * 4)))
    chunks = [list(range(i, min(i + size, count))) for i in range(0, count, size)]
    _SITE_JOB = job
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                return [page for chunk in pool.map(_render_pages, chunks) for page in chunk]
    finally:
        _SITE_JOB = None


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
) -> SiteResult:
    """Write one page per charter plus `index.<ext>` into out_dir.

    Charters with errors are refused (returned in `refused`) unless force, which renders
    them marked as drafts; a charter whose id another one already took is refused too.
    `extra_pages` run after the charters and before the index; each receives the Site
    (with `charters`, the index rows) and calls `site.write_page`. Many charters are
    checked and rendered by worker processes; the result is the same, in the same order.
    """
    from rmo_cli.support.atomic import atomic_write

    if fmt not in FORMATS:
        raise RmoError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if out_dir.exists() and not out_dir.is_dir():
        raise RmoError(f"{out_dir}: exists and is not a folder; give a folder for -o")
    out_dir.mkdir(parents=True, exist_ok=True)
    docs = list(documents)
    git = git or GitLookup()
    job = _SiteJob(
        docs, [git.state(Path(d.file)) for d in docs], fmt, renderer, as_of, force, within, frame
    )
    site = Site(out_dir, fmt, renderer, as_of)
    result = SiteResult(site)
    used: dict[str, str] = {}
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
        },
    )
    site.write_page("index", index, link=False)
    return result


def _text_or(value: Any, fallback: str) -> str:
    """value when it is non-blank text, else fallback."""
    return value if isinstance(value, str) and value.strip() else fallback
