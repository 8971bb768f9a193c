"""JSON: `{"summary": {files, errors, warnings}, "findings": [...]}` (SPEC §5)."""

from __future__ import annotations

from rmo_cli.support import jsontext
from rmo_cli.support.findings import Report, count


def render(report: Report, colour: bool = False) -> str:
    errors, warnings = count(report.findings)
    payload = {
        "summary": {"files": len(report.files), "errors": errors, "warnings": warnings},
        "findings": [f.as_dict() for f in report.sorted_findings()],
    }
    return jsontext.dumps(payload, indent=2) + "\n"
