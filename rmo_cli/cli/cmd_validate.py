"""`rmo validate` and `rmo schema`."""

from __future__ import annotations

import typer

from rmo_cli.cli.app import app


@app.command()
def schema() -> None:
    """Print the charter JSON Schema (draft 2020-12).

    Example: rmo schema > charter.schema.json
    """
    from rmo_cli.resources import schema_path

    typer.echo(schema_path().read_text(encoding="utf-8"), nl=False)
