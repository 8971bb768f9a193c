"""rmo.yaml `policy` (SPEC §8) as data: required fields by status, placeholder patterns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Policy:
    """rmo.yaml `policy`: required paths by status, and more placeholder patterns."""

    required: dict[str, tuple[str, ...]] = field(default_factory=dict)
    placeholders: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, data: Any) -> Policy:
        """The policy from rmo.yaml's (schema-checked) `policy` mapping; None: empty."""
        if not isinstance(data, dict):
            return cls()
        required = data.get("required")
        placeholders = data.get("placeholders")
        return cls(
            {
                str(k): tuple(str(p) for p in v)
                for k, v in (required.items() if isinstance(required, dict) else ())
                if isinstance(v, list)
            },
            tuple(str(p) for p in placeholders) if isinstance(placeholders, list) else (),
        )
