"""`rmo render`: the signable document as Markdown, HTML, PDF or Word (SPEC §7, §9)."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from rmo_cli.cli.app import app
from rmo_cli.cli.common import fail, today


class RenderFormat(str, Enum):
    """Output formats of `rmo render`."""

    md = "md"
    html = "html"
    pdf = "pdf"
    docx = "docx"


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
        help="Output format: md, html, pdf (PDF needs WeasyPrint) or docx (Word). Default: "
        "what -o's file name ends with, else html.",
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
    redline: bool = typer.Option(
        False,
        "--redline",
        help="--redline [REV]: mark every change since revision REV (default: the in-force "
        "version) word by word, after a summary of the changes; in Word as tracked changes. "
        "One charter.",
    ),
    force: bool = typer.Option(
        False, "--force", help="Render charters with errors anyway, marked DRAFT, NOT VALID."
    ),
    sign_with: Optional[Path] = typer.Option(  # noqa: UP045
        None,
        "--sign-with",
        help="PKCS#12 certificate (.p12) to sign the PDF with (PAdES); one charter, --to pdf.",
        metavar="CERT.p12",
        show_default=False,
    ),
    sign_password_env: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--sign-password-env",
        help="Name of the environment variable that holds the certificate's password.",
        metavar="VAR",
        show_default=False,
    ),
) -> None:
    """Render charters as signable documents: Markdown, HTML (print-ready), PDF or Word.

    One charter prints to stdout; several, or a folder, need -o DIR and
    also get an index page. A charter with errors is refused (exit 1)
    unless --force.

    PDF is PDF/A-3b with the charter and its sign-offs embedded, a footer
    on every page and a DRAFT mark until the charter is active;
    --sign-with adds a PAdES signature (rmo verify FILE.pdf checks it all).

    Word (--to docx, or -o X.docx) has heading styles, real tables and the
    sign-off block. A reference.docx in the templates folder supplies its
    styles.

    --redline [REV] marks every change since REV (a commit, tag or branch;
    default: the version in force, the last one every party signed) inside
    the document, after a summary in the words of rmo diff: <ins>/<del> in
    md, styled in html and pdf, tracked changes in Word.

    Templates in rmo.yaml's `templates` folder (charter.md.j2,
    charter.html.j2, index.md.j2, index.html.j2) override the defaults.
    They run sandboxed, bounded in time and output; a failure names the
    template file and line (exit 1).

    Example: rmo render charters/acme-globex.yaml --to pdf -o acme-globex.pdf

    Example: rmo render charters/acme-globex.yaml --redline -o changes.html

    Example: rmo render charters/acme-globex.yaml --to docx --redline v1.0 -o redline.docx
    """
    from rmo_cli.render.job import (
        RenderRequest,
        output_format,
        redline_revision,
        run_render,
        stdout_is_terminal,
    )

    given, rev = redline_revision(list(paths or [])) if redline else (list(paths or []), None)
    request = RenderRequest(
        paths=given,
        fmt=output_format(to.value if to else None, output),
        output=output,
        force=force,
        as_of=today(),
        sign_with=sign_with,
        sign_password=_password(sign_password_env),
        stdout_is_terminal=stdout_is_terminal(),
        redline=redline,
        redline_rev=rev,
    )
    outcome = run_render(request)
    for line in outcome.lines:
        typer.echo(line, err=True)
    if isinstance(outcome.content, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(outcome.content)
        sys.stdout.buffer.flush()
    elif outcome.content is not None:
        typer.echo(outcome.content, nl=False)
    if outcome.failed:
        raise typer.Exit(1)


def _password(variable: str | None) -> bytes | None:
    """The certificate password from the named environment variable (unset: an error)."""
    if variable is None:
        return None
    value = os.environ.get(variable)
    if value is None:
        fail(f"--sign-password-env {variable}: that environment variable is not set")
    return value.encode("utf-8")
