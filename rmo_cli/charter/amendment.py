"""The in-force version of a charter and what an amendment of it means (SPEC §8); pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rmo_cli.charter.fingerprint import fingerprint
from rmo_cli.support.vocabulary import AMENDING_STATUSES, RETIRED_STATUSES


@dataclass(frozen=True)
class InForceVersion:
    """The in-force version of a charter (SPEC §8): its fingerprint, commit and version."""

    fingerprint: str
    commit: str
    version: str

    @property
    def short(self) -> str:
        """The abbreviated commit hash (7 hex digits)."""
        return self.commit[:7]


def amendment_state(data: dict[str, Any], in_force: InForceVersion | None) -> str | None:
    """'amending', 'retired' or 'active' when the content differs from in_force, else None."""
    if in_force is None or fingerprint(data) == in_force.fingerprint:
        return None
    status = str(data.get("status"))  # a wrong-typed status is the schema's finding
    if status in AMENDING_STATUSES:
        return "amending"
    return "retired" if status in RETIRED_STATUSES else "active"
