"""The one "did you mean" used across rmo: the closest allowed value to what was typed."""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches


def closest(word: str, choices: Iterable[str], cutoff: float = 0.5) -> str | None:
    """The choice most like word (difflib's ratio at least cutoff), else the one that
    differs from it only in case, else None."""
    options = sorted({c for c in choices if isinstance(c, str)})
    match = get_close_matches(word, options, n=1, cutoff=cutoff)
    if match:
        return match[0]
    lowered = {c.lower(): c for c in options}
    return lowered.get(word.lower())
