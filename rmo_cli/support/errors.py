"""The one exception type library code raises; the CLI maps it to a message and exit code."""

from __future__ import annotations

# Exit codes (SPEC §5).
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class RmoError(Exception):
    """A failure the user can act on: a message and the exit code the CLI should use."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
