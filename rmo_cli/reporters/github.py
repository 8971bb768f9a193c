"""GitHub Actions workflow commands: `::error file=F,line=L,col=C,title=T::MESSAGE`."""

from __future__ import annotations

from rmo_cli.support.findings import Report


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, colour: bool = False) -> str:
    lines = []
    for f in report.sorted_findings():
        props = ",".join(
            (
                f"file={_escape_property(f.file)}",
                f"line={f.line}",
                f"col={f.column}",
                f"title={_escape_property(f.rule)}",
            )
        )
        lines.append(f"::{f.severity} {props}::{_escape_data(f.message)}")
    from rmo_cli.reporters.text import summary

    lines.append(_escape_data(summary(report)))
    return "\n".join(lines) + "\n"
