"""Entry point: registers the commands and maps every outcome to an exit code (SPEC §5)."""

from __future__ import annotations

import sys

from rmo_cli.cli.app import READER_GONE, app, reader_gone

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
    cmd_kpis,
    cmd_lsp,
    cmd_amend,
)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; Typer exits with the code SPEC §5 defines (130 when interrupted)."""
    try:
        app(args=argv, prog_name="rmo")
    except SystemExit:
        # Output still buffered is written now, while a broken pipe can be handled: the
        # command's verdict (its exit code) stands.
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            reader_gone()
        except OSError as exc:  # e.g. the disk the output goes to is full
            reader_gone()
            print(f"rmo: error: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
            sys.exit(2)
        raise
    except BrokenPipeError:
        reader_gone()
        sys.exit(READER_GONE)
