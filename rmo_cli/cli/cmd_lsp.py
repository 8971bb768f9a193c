"""`rmo lsp`: the language server for editors."""

from __future__ import annotations

import typer

from rmo_cli.cli.app import app


@app.command()
def lsp(
    stdio: bool = typer.Option(
        True, "--stdio", help="Speak LSP over stdin/stdout (the default; editors often pass it)."
    ),
) -> None:
    """Run the language server for charter files (LSP over stdio), for editors.

    Diagnostics are the findings of rmo validate as you type; completion, hover, go to
    definition, references, rename of ids, quick fixes and an outline come with them.
    The README shows the set-up for VS Code, Neovim and Helix.

    Example: rmo lsp   (started by the editor, not by hand)
    """
    from rmo_cli.cli.common import today
    from rmo_cli.lsp.server import serve

    today()  # a bad RMO_TODAY is a usage error now, not a failure on every keystroke
    code = serve(today)
    if code:
        raise typer.Exit(code)
