"""The `rmo render` use case: read charters, check them, render one page or a site, sign.

It lives in the output layer (not `ops/`) because it drives the renderers, and the layer
contract lets `render` use `ops` but not the other way round. The command only parses its
options, calls `run_render`, prints the outcome's lines and content, and exits.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmo_cli.support.errors import RmoError
from rmo_cli.support.findings import Finding

if TYPE_CHECKING:
    from rmo_cli.charter.amendment import InForceVersion
    from rmo_cli.charter.loading import Document
    from rmo_cli.ops.repository import Config
    from rmo_cli.render.document import Renderer

EXTENSIONS = {
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}


@dataclass
class RenderRequest:
    """What `rmo render` was asked to do."""

    paths: list[str]
    fmt: str
    output: str | None = None
    force: bool = False
    as_of: dt.date = field(default_factory=dt.date.today)
    sign_with: Path | None = None
    sign_password: bytes | None = None
    stdout_is_terminal: bool = False
    redline: bool = False  # --redline [REV]: the changes since REV marked (SPEC §8)
    redline_rev: str | None = None  # None: since the in-force version


@dataclass
class RenderOutcome:
    """What a render did: lines for stderr (in order), content for stdout, and the verdict."""

    lines: list[str] = field(default_factory=list)
    content: str | bytes | None = None
    written: list[Path] = field(default_factory=list)
    failed: bool = False  # exit 1: something was refused or unreadable


def output_format(to: str | None, output: str | None) -> str:
    """--to, else the format -o's file name names, else html; a clash is an RmoError."""
    named = EXTENSIONS.get(Path(output).suffix.lower()) if output else None
    if to is None:
        return named or "html"
    if named is not None and named != to:
        raise RmoError(f"--to {to} but -o {output} names a {named} file; change one of them")
    return to


def _refused_lines(file: str, findings: list[Finding], message: str = "") -> list[str]:
    reason = message or (
        f"{len(findings)} error{'s' if len(findings) != 1 else ''}; fix "
        f"{'them' if len(findings) != 1 else 'it'} (rmo validate {file}) or use --force "
        "to render a draft marked NOT VALID"
    )
    return [str(f) for f in findings] + [f"rmo: error: {file}: not rendered: {reason}"]


def redline_revision(given: list[str]) -> tuple[list[str], str | None]:
    """`--redline REV`: (the paths, REV) where REV is the one argument that is neither a file
    nor a folder nor a charter's name (--redline's value is optional, so it lands among the
    paths); RmoError when there are several."""
    revs = [p for p in given if not Path(p).exists() and not p.endswith((".yaml", ".yml"))]
    if len(revs) > 1:
        raise RmoError(
            f"--redline takes one revision; {', '.join(revs)} are neither files nor revisions"
        )
    return [p for p in given if p not in revs], (revs[0] if revs else None)


def run_render(request: RenderRequest) -> RenderOutcome:
    """Render the request's charters; RmoError (exit 2) when the job cannot be done."""
    engine = None
    if request.fmt == "pdf" and not _site_mode(request):
        from rmo_cli.render.pdf import close_pdf_engine, start_pdf_engine

        # One PDF: its engine imports WeasyPrint in a child while this process reads, checks
        # and builds the HTML (two cores: the ~0.6 s import overlaps that work).
        engine = start_pdf_engine()
    try:
        return _run_render(request)
    finally:
        if engine is not None:
            close_pdf_engine()


def _site_mode(request: RenderRequest) -> bool:
    """True when the request renders a folder of pages (no path, several, a folder, -o DIR)."""
    given = request.paths
    out = Path(request.output) if request.output else None
    return (
        not given
        or len(given) > 1
        or any(Path(p).is_dir() for p in given)
        or (out is not None and (out.is_dir() or str(request.output).endswith(("/", "\\"))))
    )


def _run_render(request: RenderRequest) -> RenderOutcome:
    from rmo_cli.ops.repository import discover, find_config_file, load_config
    from rmo_cli.ops.validation import read_files
    from rmo_cli.render.document import Renderer

    fmt = request.fmt
    signer = None
    _check_redline(request)
    if fmt == "pdf":
        from rmo_cli.render.pdf import require_weasyprint

        require_weasyprint()  # fail early (exit 2) with install advice, before any work
    if request.sign_with is not None:
        if fmt != "pdf":
            raise RmoError("--sign-with signs PDF documents: use it with --to pdf")
        from rmo_cli.render.signing import load_signer

        signer = load_signer(request.sign_with, request.sign_password)
    given = list(request.paths)
    # Templates come from the charter's own repository (rmo.yaml above the first path),
    # else from the one around the current directory.
    start = Path(given[0]) if given else Path.cwd()
    start = start if start.is_dir() else start.parent
    config = load_config(start.resolve() if find_config_file(start.resolve()) else None)
    renderer = Renderer(config.templates)
    out = Path(request.output) if request.output else None
    site_mode = _site_mode(request)
    if site_mode and request.redline:
        raise RmoError("--redline renders one charter: give its file (and -o FILE)")
    if site_mode and fmt == "docx":
        raise RmoError("Word documents render one charter at a time: give one charter file")
    if site_mode and out is None:
        raise RmoError(
            "several charters (or a folder) render to a folder: give -o DIR "
            "(one page per charter plus an index)",
        )
    if signer is not None and site_mode:
        raise RmoError("--sign-with signs one document: give one charter and -o FILE.pdf")
    if not site_mode and out is None and fmt in ("pdf", "docx") and request.stdout_is_terminal:
        raise RmoError(
            f"{fmt.upper()} is binary and stdout is a terminal: give -o FILE.{fmt} "
            "(or redirect stdout)",
        )

    outcome = RenderOutcome()
    documents = []
    for loaded in read_files(discover(given)):
        if loaded.document is None:
            outcome.failed = True
            outcome.lines.extend(str(f) for f in loaded.findings)
        else:
            documents.append(loaded.document)
    if site_mode:
        assert out is not None
        _render_site(documents, out, fmt, renderer, config, request, outcome)
        return outcome
    if not documents:  # the one charter could not be read (already reported)
        return outcome
    _render_one(documents[0], out, fmt, renderer, config, request, signer, outcome)
    return outcome


def _render_site(
    documents: list[Document],
    out: Path,
    fmt: str,
    renderer: Renderer,
    config: Config,
    request: RenderRequest,
    outcome: RenderOutcome,
) -> None:
    from rmo_cli.render.dashboard import dashboard_page
    from rmo_cli.render.organisations import organisation_pages
    from rmo_cli.render.site import render_site

    result = render_site(
        documents,
        out,
        fmt,
        renderer,
        as_of=request.as_of,
        force=request.force,
        within=config.due_soon,
        frame=config.document,
        # HTML sites get the portfolio dashboard, organisation pages, navigation and search.
        extra_pages=(
            [dashboard_page(documents, config.due_soon), organisation_pages(documents)]
            if fmt != "md"
            else []
        ),
        nav=[
            ("Charters", "index"),
            ("Dashboard", "dashboard"),
            ("Organisations", "organisations"),
        ],
    )
    for refused in result.refused:
        outcome.lines.extend(_refused_lines(refused.file, refused.findings, refused.message))
    for row in result.site.charters:
        if row["draft"]:
            outcome.lines.append(
                f"rmo: warning: {row['href']}: rendered with errors (--force), "
                "marked DRAFT, NOT VALID"
            )
    rendered = len(result.site.charters)
    others = [p.name for p in result.written[rendered:]]
    outcome.written.extend(result.written)
    outcome.lines.append(
        f"rmo: wrote {rendered} charter{'s' if rendered != 1 else ''} and "
        f"{', '.join(others)} to {out}"
    )
    outcome.failed = outcome.failed or bool(result.refused)


def _render_one(
    doc: Document,
    out: Path | None,
    fmt: str,
    renderer: Renderer,
    config: Config,
    request: RenderRequest,
    signer: Any,
    outcome: RenderOutcome,
) -> None:
    from rmo_cli.adapters.git import GitLookup
    from rmo_cli.ops.amendments import in_force_for
    from rmo_cli.ops.trust import trust_for
    from rmo_cli.ops.validation import check_document, has_errors
    from rmo_cli.render.document import render_charter, source_bytes

    findings = check_document(doc, request.as_of)
    invalid = has_errors(findings)
    errors = [f for f in findings if f.severity == "error"]
    if invalid and not request.force:
        outcome.lines.extend(_refused_lines(doc.file, errors))
        outcome.failed = True
        return
    trust = trust_for(Path(doc.file))
    in_force = in_force_for(doc, doc.file, trust)
    content: str | bytes
    if fmt == "docx":
        content = _render_docx(doc, config, request, errors, invalid, in_force)
    else:
        # What the page shows besides the charter, the same for a page and for a redline.
        options: dict[str, Any] = {
            "as_of": request.as_of,
            "file": doc.file,
            "git": GitLookup().state(Path(doc.file)),
            "findings": errors,
            "draft": invalid,
            "within": config.due_soon,
            "document_frame": config.document,
            "trust": trust,
            "in_force": in_force,
        }
        if request.redline:
            from rmo_cli.ops.amendments import redline_base
            from rmo_cli.render.redline import render_redline

            base = redline_base(doc.file, request.redline_rev)
            content = render_redline(base.data, base.label, doc.data, fmt, renderer, **options)
        else:
            source = source_bytes(doc.file, doc.text) if fmt == "pdf" else None
            content = render_charter(doc.data, fmt, renderer, source=source, **options)
    if signer is not None and isinstance(content, bytes):
        from rmo_cli.render.signing import sign_pdf

        data = doc.data if isinstance(doc.data, dict) else {}
        reason = f"Charter {data.get('id')} v{data.get('version')} rendered by rmo"
        content = sign_pdf(content, signer, reason)
    if invalid:
        outcome.lines.append(
            f"rmo: warning: {doc.file}: rendered with errors (--force), marked DRAFT, NOT VALID"
        )
    if out is None:
        outcome.content = content
        return
    from rmo_cli.support.atomic import atomic_write

    target = out
    if not out.suffix:
        target = out.with_name(out.name + "." + fmt)  # `-o acme` → acme.pdf
    atomic_write(target, content)
    outcome.written.append(target)
    outcome.lines.append(f"rmo: wrote {target}")


def _check_redline(request: RenderRequest) -> None:
    """--redline compares one charter with a revision; a signed PDF is not a redline."""
    if not request.redline:
        return
    if not request.paths:
        raise RmoError(
            "--redline renders one charter: give its file, such as "
            "rmo render charters/acme.yaml --redline"
        )
    if request.sign_with is not None:
        raise RmoError("--sign-with signs the charter's document, not a redline: drop one")


def _render_docx(
    doc: Document,
    config: Config,
    request: RenderRequest,
    errors: list[Finding],
    invalid: bool,
    in_force: InForceVersion | None,
) -> bytes:
    """The Word document (or redline since REV) of one charter."""
    from rmo_cli.adapters.git import GitLookup
    from rmo_cli.ops.redline import charter_at
    from rmo_cli.render.docx import render_docx

    earlier = None
    if request.redline:
        from rmo_cli.ops.amendments import redline_base

        data = doc.data if isinstance(doc.data, dict) else {}
        if request.redline_rev is not None:
            earlier = charter_at(doc.file, request.redline_rev, data.get("id"))
        else:  # the in-force version (SPEC §8), named as the other formats name it
            base = redline_base(doc.file, None)
            earlier = charter_at(doc.file, base.commit, data.get("id"))._replace(label=base.label)
    return render_docx(
        doc.data,
        as_of=request.as_of,
        file=doc.file,
        git=GitLookup().state(Path(doc.file)),
        findings=errors,
        draft=invalid,
        within=config.due_soon,
        templates=config.templates,
        frame=config.document,  # rmo.yaml `document:` (the legal frame)
        changed_at=dt.datetime.now(dt.timezone.utc),
        earlier=earlier,
        in_force=in_force,
    )


def stdout_is_terminal() -> bool:
    """True when stdout is a terminal (binary PDF output is refused there)."""
    return sys.stdout.isatty()
