"""`Finding`: the common currency of every check (file, place, severity, rule, message)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem found in one file, at a 1-based line and column."""

    file: str
    line: int
    column: int
    severity: Severity
    rule: str
    pointer: str
    message: str

    def __str__(self) -> str:
        """The text report's line: `FILE:LINE:COL: SEVERITY[RULE] MESSAGE`."""
        return f"{self.file}:{self.line}:{self.column}: {self.severity}[{self.rule}] {self.message}"

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of SPEC §5."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "rule": self.rule,
            "pointer": self.pointer,
            "message": self.message,
        }


def json_pointer(path: Sequence[str | int]) -> str:
    """RFC 6901 pointer for a path of keys and indexes (`""` for the whole document)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def count(findings: Iterable[Finding]) -> tuple[int, int]:
    """(errors, warnings) among findings."""
    errors = warnings = 0
    for f in findings:
        if f.severity == ERROR:
            errors += 1
        else:
            warnings += 1
    return errors, warnings


def is_failing(findings: Iterable[Finding], strict: bool = False) -> bool:
    """True when findings should make the command exit 1."""
    return any(f.severity == ERROR or strict for f in findings)


@dataclass
class Report:
    """What a check produced: every file checked, its findings, and file texts for context."""

    files: list[str]
    findings: list[Finding]
    sources: dict[str, str] = field(default_factory=dict)

    def sorted_findings(self) -> list[Finding]:
        """Findings by file (in checking order), then line and column."""
        order = {name: i for i, name in enumerate(self.files)}
        return sorted(
            self.findings, key=lambda f: (order.get(f.file, len(order)), f.file, f.line, f.column)
        )
