"""KPI rules (SPEC §11): an at-risk threshold lies on the missed side of the target."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from rmo_cli.charter.kpis import kpi_status, threshold_problem
from rmo_cli.charter.loading import Document
from rmo_cli.charter.model import as_list, as_mapping
from rmo_cli.rules.registry import declare, rule
from rmo_cli.support.findings import Finding


@rule(
    "kpi-threshold",
    "A KPI's thresholds.at_risk lies on the missed side of its target (below it when higher "
    "is better, above it when lower is better).",
)
def _kpi_threshold(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    for index, kpi in enumerate(as_list(as_mapping(doc.data).get("kpis"))):
        kpi = as_mapping(kpi)
        problem = threshold_problem(kpi)
        if problem is not None:
            name = kpi.get("id") if isinstance(kpi.get("id"), str) else f"kpis[{index}]"
            yield doc.finding(
                ("kpis", index, "thresholds", "at_risk"), "kpi-threshold", f"KPI {name}: {problem}"
            )


declare(
    "kpi-off-track",
    "A KPI's latest measurement misses its target beyond the at-risk threshold "
    "(reported by check --fail-on off-track).",
)
declare(
    "kpi-at-risk",
    "A KPI's latest measurement misses its target within the at-risk threshold "
    "(reported by check --fail-on at-risk).",
)


def kpi_findings(doc: Document, states: Iterable[str]) -> list[Finding]:
    """Errors for the KPIs of doc in one of states (off-track, at-risk), at their latest
    measurement (or at the KPI when it has none)."""
    wanted = set(states)
    findings = []
    for index, kpi in enumerate(as_list(as_mapping(doc.data).get("kpis"))):
        status = kpi_status(as_mapping(kpi))
        if status.state not in wanted:
            continue
        latest = status.latest
        assert latest is not None  # only a measured KPI is off-track or at-risk
        entries = as_list(as_mapping(kpi).get("measurements"))
        place = next(
            (
                ("kpis", index, "measurements", i)
                for i in range(len(entries) - 1, -1, -1)
                if as_mapping(entries[i]).get("value") == latest.value
            ),
            ("kpis", index),
        )
        unit = f" {status.unit}" if status.unit else ""
        sign = "at most" if status.direction == "lower-is-better" else "at least"
        target = f"{status.target:g}" if status.target is not None else "?"
        findings.append(
            doc.finding(
                place,
                f"kpi-{status.state}",
                f"KPI {status.id or index} is {status.state}: {latest.value}{unit} on "
                f"{latest.date}, target {sign} {target}{unit}",
            )
        )
    return findings
