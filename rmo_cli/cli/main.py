"""Entry point: registers the commands and maps every outcome to an exit code (SPEC §5)."""

from __future__ import annotations

import os
import sys

from rmo_cli.cli.app import app

# Each module registers its commands on `app`; they import heavy libraries lazily.
from rmo_cli.cli import (  # noqa: E402, F401  isort: skip
    cmd_validate,
    cmd_scaffold,
    cmd_render,
    cmd_history,
    cmd_reviews,
    cmd_signoff,
    cmd_check,
    cmd_portfolio,
)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; Typer exits with the code SPEC §5 defines (130 when interrupted)."""
    try:
        app(args=argv, prog_name="rmo")
    except BrokenPipeError:
        # The reader went away (e.g. `rmo status | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
