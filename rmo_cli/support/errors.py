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


class Suggestion(RmoError):
    """A refused answer with a corrected value to offer (`'ACME' → 'acme'`, a free id, the
    closest allowed value): a prompt asks again with `value` as the default; a flag fails
    with the message, which names it."""

    def __init__(self, message: str, value: str) -> None:
        super().__init__(message)
        self.value = value
