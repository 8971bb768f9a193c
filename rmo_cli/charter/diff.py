"""The semantic diff of two charters, its wording and its canonical text: one entry point.

The parts live in their own modules: the diff itself in `charter.changes`, the diff in
words in `charter.wording`, a history step in words in `charter.steps` and the canonical
text (git's textconv) in `charter.canonical`; callers outside the core import them here.
"""

from __future__ import annotations

from rmo_cli.charter.canonical import canonical_lines
from rmo_cli.charter.changes import (
    ADDED,
    CHANGED,
    REMOVED,
    Change,
    CharterDiff,
    ItemKey,
    Op,
    Segment,
    compare,
    diff_charters,
    fingerprint_changed,
    path_string,
    version_bumped,
)
from rmo_cli.charter.steps import describe_step
from rmo_cli.charter.wording import (
    SECTION_TITLES,
    Describer,
    Phrase,
    describe_changes,
    group_by_section,
    people_names,
    section_title,
)

__all__ = [
    "ADDED",
    "CHANGED",
    "REMOVED",
    "SECTION_TITLES",
    "Change",
    "CharterDiff",
    "Describer",
    "ItemKey",
    "Op",
    "Phrase",
    "Segment",
    "canonical_lines",
    "compare",
    "describe_changes",
    "describe_step",
    "diff_charters",
    "fingerprint_changed",
    "group_by_section",
    "path_string",
    "people_names",
    "section_title",
    "version_bumped",
]
