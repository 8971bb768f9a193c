"""Exit codes (SPEC §5) and the one mapping from rmo's exceptions to them."""

from __future__ import annotations

from rmo_cli.support.errors import RefusedError, RmoError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


def exit_code_of(exc: RmoError) -> int:
    """1 when input was refused for failing findings, else 2 (the command could not do its job)."""
    return EXIT_FINDINGS if isinstance(exc, RefusedError) else EXIT_USAGE
