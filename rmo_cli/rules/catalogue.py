"""All rules together: running the per-charter rules and listing every rule id rmo reports."""

from __future__ import annotations

import datetime as dt

from rmo_cli.charter.loading import READING_RULES, Document
from rmo_cli.charter.schema_messages import schema_rules
from rmo_cli.rules import charter as _charter_rules  # noqa: F401  (registers its rules)
from rmo_cli.rules import kpis as _kpi_rules  # noqa: F401
from rmo_cli.rules import policy as _policy_rules  # noqa: F401
from rmo_cli.rules import register as _register_rules  # noqa: F401
from rmo_cli.rules import reviews as _review_rules  # noqa: F401
from rmo_cli.rules import signoffs as _signoff_rules  # noqa: F401
from rmo_cli.rules import text as _text_rules  # noqa: F401
from rmo_cli.rules.registry import RULES
from rmo_cli.support.findings import ERROR, Finding


def rule_catalogue() -> dict[str, tuple[str, str]]:
    """Every rule id rmo can report → (default severity, one-line description)."""
    catalogue: dict[str, tuple[str, str]] = {rid: (ERROR, t) for rid, t in READING_RULES.items()}
    catalogue.update({rid: (ERROR, text) for rid, text in schema_rules().items()})
    catalogue.update({r.id: (r.severity, r.description) for r in RULES.values()})
    return catalogue


def run_rules(doc: Document, as_of: dt.date) -> list[Finding]:
    """All per-charter semantic findings for one document."""
    findings: list[Finding] = []
    for r in RULES.values():
        if r.check is not None:
            findings.extend(r.check(doc, as_of))
    return findings
