"""Reporters: each turns a `Report` (files checked + findings) into one output format.

A new format touches one place: add a module with `render(report, colour) -> str` and a line
in `_MODULES`; `FORMATS` (the `--format` choices) comes from it.
"""

from __future__ import annotations

import importlib

from rmo_cli.support.findings import Report

_MODULES = {
    "text": "rmo_cli.reporters.text",
    "json": "rmo_cli.reporters.json_report",
    "github": "rmo_cli.reporters.github",
    "sarif": "rmo_cli.reporters.sarif",
    "junit": "rmo_cli.reporters.junit",
}
FORMATS: tuple[str, ...] = tuple(_MODULES)


def render(fmt: str, report: Report, colour: bool = False) -> str:
    """The report in format fmt (one of FORMATS)."""
    module = importlib.import_module(_MODULES[fmt])
    return str(module.render(report, colour))
