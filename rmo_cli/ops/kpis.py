"""KPI tracking (SPEC §11): the KPI rows of `rmo kpis`, and `record_kpi`, which appends a
measurement to a charter in place (adding lines only, like `record_review`)."""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmo_cli.charter.kpis import KPI_STATES, KpiStatus, kpi_status, kpi_statuses
from rmo_cli.charter.model import as_list, as_mapping
from rmo_cli.ops.repository import CharterFile
from rmo_cli.support.errors import RefusedError, RmoError
from rmo_cli.support.findings import Finding

if TYPE_CHECKING:
    from rmo_cli.charter.loading import Document

# `--fail-on` choices of `rmo kpis` and `rmo check`, and the KPI states each makes failing.
KPI_FAIL_ON: dict[str, frozenset[str]] = {
    "off-track": frozenset({"off-track"}),
    "at-risk": frozenset({"off-track", "at-risk"}),
}


@dataclass(frozen=True)
class KpiRow:
    """One KPI of one charter, for `rmo kpis`."""

    file: str
    charter: str  # the charter id (or file)
    title: str
    kpi: KpiStatus

    def as_dict(self) -> dict[str, Any]:
        """The JSON row: the charter, then the KPI's own fields."""
        return {
            "file": self.file,
            "charter": self.charter,
            "title": self.title,
            **self.kpi.as_dict(),
        }


def kpi_rows_of(data: Any, file: str) -> list[KpiRow]:
    """The KPI rows of one charter's data, in file order."""
    mapping = as_mapping(data)
    ident = mapping.get("id") if isinstance(mapping.get("id"), str) else file
    title = mapping.get("title") if isinstance(mapping.get("title"), str) else ident
    return [KpiRow(file, str(ident), str(title), status) for status in kpi_statuses(mapping)]


def kpi_files(files: Sequence[CharterFile]) -> tuple[list[KpiRow], list[Finding]]:
    """Read files: (KPI rows, worst state first, then by file; findings of unreadable files)."""
    from rmo_cli.charter.loading import read_charter

    rows: list[KpiRow] = []
    unreadable: list[Finding] = []
    for file in files:
        loaded = read_charter(file.path, file.display)
        if loaded.document is None:
            unreadable.extend(loaded.findings)
            continue
        rows.extend(kpi_rows_of(loaded.document.data, file.display))
    order = {state: i for i, state in enumerate(KPI_STATES)}
    return sorted(rows, key=lambda r: (order.get(r.kpi.state, 9), r.file)), unreadable


def failing_rows(rows: Sequence[KpiRow], fail_on: Sequence[str]) -> list[KpiRow]:
    """The rows in a state named by --fail-on (at-risk includes off-track)."""
    states: set[str] = set()
    for name in fail_on:
        states |= KPI_FAIL_ON[name]
    return [r for r in rows if r.kpi.state in states]


# --- record-kpi --------------------------------------------------------------------------

_NOT_YAML_PRINTABLE = re.compile(
    "[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class RecordedKpi:
    """What `record_kpi` wrote, and the KPI's state after it."""

    file: str
    kpi: str
    date: dt.date
    value: Any
    note: str | None
    status: KpiStatus


def _parse_value(text: str, numeric: bool, kpi: str) -> Any:
    """The value to write: a number (int when it has no fraction), or text for a KPI
    without a numeric target."""
    stripped = text.strip()
    if _NUMBER.fullmatch(stripped):
        number = float(stripped)
        if not math.isfinite(number):
            raise RmoError(f"--value: {text!r} is not a finite number")
        if re.fullmatch(r"[+-]?\d+", stripped):
            return int(stripped)
        return number
    if numeric:
        raise RmoError(
            f"--value: {text!r} is not a number, and KPI {kpi} has a numeric target; "
            "give a plain number such as 94.5"
        )
    if not stripped:
        raise RmoError("--value is empty")
    _printable(stripped, "--value")
    return stripped


def _printable(text: str, option: str) -> None:
    bad = _NOT_YAML_PRINTABLE.search(text)
    if bad:
        raise RmoError(
            f"{option} contains the character U+{ord(bad.group()):04X}, which rmo does not "
            "write into YAML; remove it"
        )


def plan_measurement(
    data: Any,
    file: str,
    kpi_id: str,
    *,
    value: str,
    date: dt.date,
    note: str | None,
    today: dt.date,
) -> tuple[int, dict[str, Any]]:
    """Check a measurement against a charter's data: (index of the KPI, the entry to append).

    RmoError (exit 2) for arguments that cannot be recorded: an unknown KPI, a future date,
    a non-numeric value for a numeric target, an empty note, the same measurement again;
    RefusedError (exit 1) for a charter whose kpis cannot take it.
    """
    if not isinstance(data, dict):
        raise RefusedError(f"{file}: the charter is not a mapping")
    kpis = data.get("kpis")
    if not isinstance(kpis, list):
        raise RmoError(f"{file} has no kpis list; add the KPI to the charter first")
    ids = [str(k["id"]) for k in kpis if isinstance(k, dict) and isinstance(k.get("id"), str)]
    matches = [i for i, k in enumerate(kpis) if isinstance(k, dict) and k.get("id") == kpi_id]
    if not matches:
        known = ", ".join(ids) or "none"
        raise RmoError(f"unknown KPI {kpi_id!r} in {file} (its KPIs: {known})")
    if len(matches) > 1:
        raise RefusedError(f"{file}: the KPI id {kpi_id!r} is used twice; fix it first")
    index = matches[0]
    kpi = kpis[index]
    if date > today:
        raise RmoError(
            f"the measurement date {date} is in the future (today is {today}); "
            "record a value once it has been measured"
        )
    target = kpi.get("target")
    numeric = isinstance(target, (int, float)) and not isinstance(target, bool)
    parsed = _parse_value(value, numeric, kpi_id)
    entry: dict[str, Any] = {"date": date.isoformat(), "value": parsed}
    if note is not None:
        note = " ".join(note.split())
        if not note:
            raise RmoError("--note is empty; leave it out or say what the value covers")
        _printable(note, "--note")
        entry["note"] = note
    measurements = kpi.get("measurements", [])
    if not isinstance(measurements, list):
        raise RefusedError(
            f"{file}: kpis[{index}].measurements is not a list; fix it first "
            "(rmo validate shows where)"
        )
    if any(isinstance(m, dict) and m == entry for m in measurements):
        raise RmoError(f"this measurement ({date}, {parsed}) of {kpi_id} is already in {file}")
    return index, entry


def record_kpi(
    path: str | Path,
    kpi_id: str,
    *,
    value: str,
    date: dt.date,
    note: str | None = None,
    today: dt.date,
    file: str | None = None,
) -> RecordedKpi:
    """Append a measurement to a KPI's measurements, changing no other line of the file.

    Like `record_review`: the edit is made on a private copy, read back and compared with
    the expected data, and the result may only add lines (an empty `measurements: []`
    aside). Any refusal leaves the charter byte-identical. One `edit_in_place`: the
    file's edit lock is held from the read to the rename (no lost update).
    """
    from rmo_cli.ops.editing import edit_in_place

    path = Path(path)
    name = file or str(path)

    def plan(original: bytes, doc: Document) -> tuple[bytes, RecordedKpi]:
        return _plan_record(
            path, original, doc, name, kpi_id, value=value, date=date, note=note, today=today
        )

    return edit_in_place(path, name, plan)


def _plan_record(
    path: Path,
    original: bytes,
    doc: Document,
    name: str,
    kpi_id: str,
    *,
    value: str,
    date: dt.date,
    note: str | None,
    today: dt.date,
) -> tuple[bytes, RecordedKpi]:
    """The charter's bytes with the measurement, and what was recorded (nothing written)."""
    from rmo_cli.charter.loading import parse_charter
    from rmo_cli.ops.editing import edit_block

    data = doc.data
    index, entry = plan_measurement(
        data, name, kpi_id, value=value, date=date, note=note, today=today
    )
    expected = copy.deepcopy(data)
    expected["kpis"][index].setdefault("measurements", []).append(entry)

    def reads_right(raw: bytes) -> bool:
        doc = parse_charter(raw, name).document
        return doc is not None and doc.data == expected

    edited = edit_block(
        path,
        original,
        "kpis",
        lambda draft: _edit_kpis(draft, name, index, entry),
        reads_right,
        "the measurement",
    )
    if edited is None:
        raise RefusedError(
            f"rmo's editor would have changed more than {kpi_id}'s measurements in {name}, so "
            "nothing was changed. Add the measurement by hand (`rmo validate` checks it), "
            "and please report the file's layout."
        )
    removed = _removed_lines(original, edited)
    if removed:
        raise RefusedError(
            f"recording the measurement would have rewritten {len(removed)} line(s) of {name} "
            f"(first: {removed[0].strip()!r}); nothing was changed. Add the measurement by hand."
        )
    after = kpi_status(as_mapping(as_list(expected["kpis"])[index]))
    return edited, RecordedKpi(name, kpi_id, date, entry["value"], entry.get("note"), after)


def _removed_lines(before: bytes, after: bytes) -> list[str]:
    """Lines of before that the edit changed or removed (an empty `measurements: []`, which
    becomes a block list, and comment or blank lines that only moved do not count)."""
    import difflib

    old = before.decode("utf-8-sig").splitlines()
    new = after.decode("utf-8-sig").splitlines()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    added = {
        line for tag, _, _, j1, j2 in matcher.get_opcodes() if tag != "equal" for line in new[j1:j2]
    }
    removed = []
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            for line in old[i1:i2]:
                stripped = line.strip()
                if re.fullmatch(r"measurements:\s*\[\s*\]", stripped):
                    continue
                if (not stripped or stripped.startswith("#")) and line in added:
                    continue
                removed.append(line)
    return removed


def _edit_kpis(path: Path, name: str, index: int, entry: dict[str, Any]) -> None:
    """The round-trip edit: append the entry to kpis[index].measurements (created if missing)."""
    from ruamel.yaml import YAMLError
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    from rmo_cli.ops.editing import edit_charter, put_trailing, take_trailing

    try:
        with edit_charter(path, "kpis") as document:
            kpi = document["kpis"][index]
            trailing = take_trailing(kpi)
            measurements = kpi.get("measurements")
            item = CommentedMap()
            item["date"] = dt.date.fromisoformat(entry["date"])
            item["value"] = entry["value"]
            if "note" in entry:
                item["note"] = entry["note"]
            if isinstance(measurements, CommentedSeq) and len(measurements):
                if measurements.fa.flow_style():
                    raise RefusedError(
                        f"{name}: the measurements of kpis[{index}] are a flow list "
                        "([...]); appending would rewrite it, so nothing was changed. Write "
                        "it as a block list (one `- ` line a measurement) and try again."
                    )
                last = measurements[-1]
                if not (isinstance(last, CommentedMap) and not last.fa.flow_style()):
                    item.fa.set_flow_style()
                measurements.append(item)
            else:
                item.fa.set_flow_style()
                seq = CommentedSeq([item])
                if "measurements" in kpi:
                    kpi["measurements"] = seq
                else:
                    kpi.insert(len(kpi), "measurements", seq)
            put_trailing(kpi, trailing)
    except YAMLError as exc:
        raise RefusedError(
            f"{name}: cannot edit this file in place ({exc}); nothing was changed"
        ) from None
