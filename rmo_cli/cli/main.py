"""Entry point: registers the commands and maps every outcome to an exit code (SPEC §5)."""

from __future__ import annotations

import os
import sys

import typer

from rmo_cli.cli.app import ClickException, app
from rmo_cli.errors import EXIT_INTERRUPTED, EXIT_USAGE

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
    """Run the CLI and exit with the code SPEC §5 defines for what happened."""
    try:
        result = app(args=argv, prog_name="rmo", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code if exc.exit_code else EXIT_USAGE)
    except (KeyboardInterrupt, typer.Abort):
        print("rmo: interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (e.g. `rmo status | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    sys.exit(result if isinstance(result, int) else 0)
