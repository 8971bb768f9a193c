"""The one rule registry: every rule rmo reports declares its id, severity and description here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rmo_cli.charter.loading import Document
from rmo_cli.support.findings import ERROR, Finding, Severity

Check = Callable[[Document, dt.date], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A semantic rule: id, default severity, one-line description, and its check."""

    id: str
    severity: Severity
    description: str
    check: Check | None = None


RULES: dict[str, Rule] = {}


def rule(rule_id: str, description: str, severity: Severity = ERROR) -> Callable[[Check], Check]:
    """Register a per-charter rule under a stable kebab-case id."""

    def register(func: Check) -> Check:
        RULES[rule_id] = Rule(rule_id, severity, description, func)
        return func

    return register


def declare(rule_id: str, description: str, severity: Severity = ERROR) -> Rule:
    """Register a rule whose check runs elsewhere (across charters, sign-offs, git history)."""
    RULES[rule_id] = Rule(rule_id, severity, description)
    return RULES[rule_id]
