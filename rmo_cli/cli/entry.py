"""The `rmo` command's entry point: Ctrl-C is exit 130 even while the CLI is loading."""

from __future__ import annotations

import sys


def main() -> None:
    """Load the CLI (Typer, every command) and run it."""
    try:
        from rmo_cli.cli.main import main as run
    except KeyboardInterrupt:  # pressed during the imports: no traceback, SPEC's 130
        sys.exit(130)
    run()
