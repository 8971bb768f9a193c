"""KPI arithmetic (SPEC §11): a KPI's state from its latest measurement, target, direction
and at-risk threshold, and its trend. Pure: no clock, no files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rmo_cli.charter.model import as_list, as_mapping
from rmo_cli.support.dates import parse_iso_date

KPI_STATES = ("off-track", "at-risk", "on-track", "no-data")
"""Worst first: the order `rmo kpis` sorts by and `--fail-on` counts from."""

HIGHER = "higher-is-better"
LOWER = "lower-is-better"


def _number(value: Any) -> float | None:
    """A YAML number as float (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def direction_of(kpi: Mapping[str, Any]) -> str:
    """The KPI's direction; when not given, lower-is-better if the baseline is above the
    target, else higher-is-better."""
    direction = kpi.get("direction")
    if direction in (HIGHER, LOWER):
        return str(direction)
    baseline, target = _number(kpi.get("baseline")), _number(kpi.get("target"))
    if baseline is not None and target is not None and baseline > target:
        return LOWER
    return HIGHER


def at_risk_of(kpi: Mapping[str, Any]) -> float | None:
    """thresholds.at_risk as a number, or None."""
    return _number(as_mapping(kpi.get("thresholds")).get("at_risk"))


def threshold_problem(kpi: Mapping[str, Any]) -> str | None:
    """Why the at-risk threshold is on the wrong side of the target, or None when it is fine."""
    target, at_risk = _number(kpi.get("target")), at_risk_of(kpi)
    if target is None or at_risk is None:
        return None
    direction = direction_of(kpi)
    if direction == HIGHER and at_risk > target:
        return (
            f"thresholds.at_risk {at_risk:g} is above the target {target:g}, but higher is "
            "better: an at-risk value lies below the target"
        )
    if direction == LOWER and at_risk < target:
        return (
            f"thresholds.at_risk {at_risk:g} is below the target {target:g}, but lower is "
            "better: an at-risk value lies above the target"
        )
    return None


def state_of(value: Any, target: Any, direction: str, at_risk: Any = None) -> str:
    """on-track (target met), at-risk (missed, within the threshold, the threshold itself
    included), off-track (missed beyond it, or missed with no threshold), or no-data."""
    v, t, r = _number(value), _number(target), _number(at_risk)
    if v is None or t is None:
        return "no-data"
    if direction == LOWER:
        if v <= t:
            return "on-track"
        return "at-risk" if r is not None and r >= t and v <= r else "off-track"
    if v >= t:
        return "on-track"
    return "at-risk" if r is not None and r <= t and v >= r else "off-track"


@dataclass(frozen=True)
class Measurement:
    """One measurement: its day, value (a number, or text for a KPI without a numeric
    target) and note."""

    date: dt.date
    value: Any
    note: str | None


@dataclass(frozen=True)
class KpiStatus:
    """One KPI's state: what it is, its target, the latest measurement and the history."""

    id: str
    name: str
    unit: str
    owner: str
    target: float | None
    direction: str
    at_risk: float | None
    state: str
    measurements: tuple[Measurement, ...]  # oldest first

    @property
    def latest(self) -> Measurement | None:
        """The newest measurement, or None."""
        return self.measurements[-1] if self.measurements else None

    @property
    def trend(self) -> str:
        """'improving', 'worsening' or 'steady' from the previous to the latest numeric
        value (by direction); '' with fewer than two."""
        values = [_number(m.value) for m in self.measurements]
        numbers = [v for v in values if v is not None]
        if len(numbers) < 2:
            return ""
        change = numbers[-1] - numbers[-2]
        if change == 0:
            return "steady"
        better = change > 0 if self.direction == HIGHER else change < 0
        return "improving" if better else "worsening"

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        latest = self.latest
        return {
            "id": self.id,
            "name": self.name,
            "unit": self.unit,
            "owner": self.owner,
            "target": self.target,
            "direction": self.direction,
            "at_risk": self.at_risk,
            "state": self.state,
            "latest": None
            if latest is None
            else {"date": latest.date.isoformat(), "value": latest.value, "note": latest.note},
            "trend": self.trend,
            "measurements": [
                {"date": m.date.isoformat(), "value": m.value, "note": m.note}
                for m in self.measurements
            ],
        }


def measurements_of(kpi: Mapping[str, Any]) -> tuple[Measurement, ...]:
    """The KPI's readable measurements, oldest first (same day: in file order)."""
    found: list[tuple[dt.date, int, Measurement]] = []
    for index, item in enumerate(as_list(kpi.get("measurements"))):
        item = as_mapping(item)
        when = _date(item.get("date"))
        value = item.get("value")
        if when is None or value is None or isinstance(value, (list, dict)):
            continue
        note = item.get("note")
        found.append(
            (when, index, Measurement(when, value, note if isinstance(note, str) else None))
        )
    return tuple(m for _, _, m in sorted(found, key=lambda f: (f[0], f[1])))


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    return parse_iso_date(value) if isinstance(value, str) else None


def kpi_status(kpi: Mapping[str, Any]) -> KpiStatus:
    """The state of one KPI mapping (fields of the wrong type read as missing)."""
    measurements = measurements_of(kpi)
    direction = direction_of(kpi)
    target = _number(kpi.get("target"))
    at_risk = at_risk_of(kpi)
    if threshold_problem(kpi) is not None:
        at_risk = None  # a threshold on the wrong side counts as none (kpi-threshold says why)
    latest = measurements[-1].value if measurements else None
    return KpiStatus(
        id=_text(kpi.get("id")),
        name=_text(kpi.get("name")),
        unit=_text(kpi.get("unit")),
        owner=_text(kpi.get("owner")),
        target=target,
        direction=direction,
        at_risk=at_risk,
        state=state_of(latest, target, direction, at_risk),
        measurements=measurements,
    )


def kpi_statuses(data: Any) -> list[KpiStatus]:
    """The state of every KPI of a charter's data, in file order."""
    return [
        kpi_status(as_mapping(k))
        for k in as_list(as_mapping(data).get("kpis"))
        if isinstance(k, Mapping)
    ]


def worst_state(statuses: list[KpiStatus]) -> str:
    """The worst state among KPIs with data ('no-data' when none has)."""
    states = {s.state for s in statuses}
    return next((state for state in KPI_STATES if state in states), "no-data")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
