"""Reporters: each turns a `Report` (files checked + findings) into one output format.

A new format touches one place: add a module with `render(report, colour) -> str` and a line
in `_MODULES`; `FORMATS` (the `--format` choices) comes from it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from rmo_cli.support.findings import Finding

_MODULES = {
    "text": "rmo_cli.reporters.text",
    "json": "rmo_cli.reporters.json_report",
    "github": "rmo_cli.reporters.github",
    "sarif": "rmo_cli.reporters.sarif",
    "junit": "rmo_cli.reporters.junit",
}
FORMATS: tuple[str, ...] = tuple(_MODULES)


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


def render(fmt: str, report: Report, colour: bool = False) -> str:
    """The report in format fmt (one of FORMATS)."""
    module = importlib.import_module(_MODULES[fmt])
    return str(module.render(report, colour))
