"""`rmo render`: the signable document as Markdown, HTML or PDF (SPEC §7)."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from rmo_cli.cli.app import app
from rmo_cli.cli.common import error, fail, read_charters, today, warn

if TYPE_CHECKING:
    from rmo_cli.support.findings import Finding


class RenderFormat(str, Enum):
    """Output formats of `rmo render`."""

    md = "md"
    html = "html"
    pdf = "pdf"


def _finding_line(f: Finding) -> str:
    return str(f)


def _report_refused(file: str, findings: list[Finding], message: str = "") -> None:
    for f in findings:
        typer.echo(_finding_line(f), err=True)
    reason = message or (
        f"{len(findings)} error{'s' if len(findings) != 1 else ''}; fix "
        f"{'them' if len(findings) != 1 else 'it'} (rmo validate {file}) or use --force "
        "to render a draft marked NOT VALID"
    )
    error(f"{file}: not rendered: {reason}")


@app.command()
def render(
    paths: Optional[list[str]] = typer.Argument(  # noqa: UP045
        None,
        help="Charter files or folders (default: rmo.yaml's charters, else ./charters).",
        show_default=False,
        metavar="PATH...",
    ),
    to: Optional[RenderFormat] = typer.Option(  # noqa: UP045
        None,
        "--to",
        "-t",
        help="Output format: md, html or pdf (PDF needs WeasyPrint). Default: what -o's "
        "file name ends with, else html.",
        show_default=False,
    ),
    output: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--output",
        "-o",
        help=(
            "File to write (one charter), or folder (several charters, a folder, or an existing "
            "folder): one page per charter plus an index. Without it, md and html go to stdout; "
            "pdf goes to stdout only when stdout is not a terminal."
        ),
        metavar="OUT",
    ),
    force: bool = typer.Option(
        False, "--force", help="Render charters with errors anyway, marked DRAFT, NOT VALID."
    ),
    redline: bool = typer.Option(
        False,
        "--redline",
        help="--redline [REV]: mark every change since REV (default: the in-force version) "
        "word by word, with a summary of the changes first. One charter.",
    ),
) -> None:
    """Render charters as signable documents: Markdown, HTML (print-ready) or PDF.

    One charter prints to stdout; several, or a folder, need -o DIR and
    also get an index page. A charter with errors is refused (exit 1)
    unless --force.

    Templates in rmo.yaml's `templates` folder (charter.md.j2,
    charter.html.j2, index.md.j2, index.html.j2) override the defaults.
    They run sandboxed, bounded in time and output; a failure names the
    template file and line (exit 1).

    Example: rmo render charters/acme-globex.yaml --to pdf -o acme-globex.pdf
    """
    from rmo_cli.adapters.git import GitLookup
    from rmo_cli.ops.repository import find_config_file, load_config
    from rmo_cli.ops.validation import check_document, has_errors
    from rmo_cli.render.document import Renderer, render_charter
    from rmo_cli.render.pdf import load_weasyprint
    from rmo_cli.render.site import render_site
    from rmo_cli.support.errors import RmoError

    fmt = _format(to, output)
    if fmt == "pdf":
        load_weasyprint()  # fail early (exit 2) with install advice, before any work
    given = list(paths or [])
    rev = None
    if redline:
        given, rev = _redline_revision(given)
    # Templates come from the charter's own repository (rmo.yaml above the first path),
    # else from the one around the current directory.
    start = Path(given[0]) if given else Path.cwd()
    start = start if start.is_dir() else start.parent
    config = load_config(start.resolve() if find_config_file(start.resolve()) else None)
    renderer = Renderer(config.templates)
    as_of = today()
    out = Path(output) if output else None
    site_mode = (
        not given
        or len(given) > 1
        or any(Path(p).is_dir() for p in given)
        or (out is not None and (out.is_dir() or str(output).endswith(("/", "\\"))))
    )
    if site_mode and redline:
        raise RmoError("--redline renders one charter: give its file (and -o FILE)")
    if site_mode and out is None:
        raise RmoError(
            "several charters (or a folder) render to a folder: give -o DIR "
            "(one page per charter plus an index)",
        )
    if not site_mode and out is None and fmt == "pdf" and sys.stdout.isatty():
        raise RmoError(
            "PDF is binary and stdout is a terminal: give -o FILE.pdf (or redirect stdout)",
        )

    documents, unreadable = read_charters(given)
    if site_mode:
        assert out is not None
        # HTML sites get the portfolio dashboard
        from rmo_cli.render.dashboard import dashboard_page

        result = render_site(
            documents,
            out,
            fmt,
            renderer,
            as_of=as_of,
            force=force,
            within=config.due_soon,
            extra_pages=[dashboard_page(documents, config.due_soon)] if fmt != "md" else [],
        )
        for refused in result.refused:
            _report_refused(refused.file, refused.findings, refused.message)
        drafts = [row for row in result.site.charters if row["draft"]]
        for row in drafts:
            warn(f"{row['href']}: rendered with errors (--force), marked DRAFT, NOT VALID")
        rendered = len(result.site.charters)
        others = [p.name for p in result.written[rendered:]]
        typer.echo(
            f"rmo: wrote {rendered} charter{'s' if rendered != 1 else ''} and "
            f"{', '.join(others)} to {out}",
            err=True,
        )
        if result.refused or unreadable:
            raise typer.Exit(1)
        return

    if not documents:  # the one charter could not be read (already reported)
        raise typer.Exit(1)
    if len(documents) > 1:  # pragma: no cover - one path that is a file gives one document
        raise RmoError("several charters render to a folder: give -o DIR")
    doc = documents[0]
    findings = check_document(doc, as_of)
    invalid = has_errors(findings)
    errors = [f for f in findings if f.severity == "error"]
    if invalid and not force:
        _report_refused(doc.file, errors)
        raise typer.Exit(1)
    from rmo_cli.ops.amendments import in_force_for
    from rmo_cli.ops.signoffs import signers_for

    options: dict[str, Any] = {
        "in_force": in_force_for(doc, doc.file, signers_for(Path(doc.file))),
        "as_of": as_of,
        "file": doc.file,
        "git": GitLookup().state(Path(doc.file)),
        "findings": errors,
        "draft": invalid,
        "within": config.due_soon,
    }
    if redline:
        from rmo_cli.ops.amendments import redline_base
        from rmo_cli.render.redline import render_redline

        base = redline_base(doc.file, rev)
        content = render_redline(base.data, base.label, doc.data, fmt, renderer, **options)
    else:
        content = render_charter(doc.data, fmt, renderer, **options)
    if invalid:
        warn(f"{doc.file}: rendered with errors (--force), marked DRAFT, NOT VALID")
    if out is not None:
        from rmo_cli.support.atomic import atomic_write

        target = out
        if not out.suffix:
            target = out.with_name(out.name + "." + fmt)  # `-o acme` → acme.pdf
        atomic_write(target, content)
        typer.echo(f"rmo: wrote {target}", err=True)
        return
    if isinstance(content, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
    else:
        typer.echo(content, nl=False)


def _redline_revision(given: list[str]) -> tuple[list[str], str | None]:
    """`--redline REV`: the one argument that is not a file or folder is REV (typer < 0.29
    cannot declare an option whose value is optional)."""
    revs = [p for p in given if not Path(p).exists() and not p.endswith((".yaml", ".yml"))]
    if len(revs) > 1:
        fail(f"--redline takes one revision; {', '.join(revs)} are neither files nor revisions")
    return [p for p in given if p not in revs], (revs[0] if revs else None)


_EXTENSIONS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf"}


def _format(to: RenderFormat | None, output: str | None) -> str:
    """--to, else the format -o's file name names, else html; a clash is a usage error."""
    named = _EXTENSIONS.get(Path(output).suffix.lower()) if output else None
    if to is None:
        return named or RenderFormat.html.value
    if named is not None and named != to.value:
        fail(f"--to {to.value} but -o {output} names a {named} file; change one of them")
    return to.value
