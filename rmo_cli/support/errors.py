"""The project's exception types: library code raises them, only the CLI maps them to exit codes."""

from __future__ import annotations


class RmoError(Exception):
    """A failure the user can act on: the command could not do its job (bad usage, a path
    or revision that does not exist, input refused before any check)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RefusedError(RmoError):
    """The command refused input for failing findings (an invalid charter, a template that
    broke its bounds): "done, and something failing found"."""
