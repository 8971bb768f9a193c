"""SARIF 2.1.0, one rule entry per rule id, for code scanning."""

from __future__ import annotations

from pathlib import PurePath

from rmo_cli import __version__
from rmo_cli.support import jsontext
from rmo_cli.support.findings import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(file: str) -> str:
    """A file path as a URI reference: `#`, `%`, spaces and non-ASCII percent-encoded."""
    from urllib.parse import quote

    return quote(PurePath(file).as_posix(), safe="/")


def render(report: Report, colour: bool = False) -> str:
    from rmo_cli.rules.catalogue import rule_catalogue

    catalogue = rule_catalogue()
    used = sorted({f.rule for f in report.findings} | set(catalogue))
    index = {rule_id: i for i, rule_id in enumerate(used)}
    rules = []
    for rule_id in used:
        severity, description = catalogue.get(rule_id, ("error", rule_id))
        rules.append(
            {
                "id": rule_id,
                "name": rule_id,
                "shortDescription": {"text": description},
                "defaultConfiguration": {"level": severity},
                "helpUri": "https://github.com/rmo-cli/rmo#rules",
            }
        )
    results = [
        {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": f.severity,
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.file)},
                        "region": {"startLine": max(f.line, 1), "startColumn": max(f.column, 1)},
                    }
                }
            ],
            "properties": {"pointer": f.pointer},
        }
        for f in report.sorted_findings()
    ]
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "rmo",
                        "version": __version__,
                        "informationUri": "https://github.com/rmo-cli/rmo",
                        "rules": rules,
                    }
                },
                # Columns count characters (code points), as editors show them.
                "columnKind": "unicodeCodePoints",
                "artifacts": [{"location": {"uri": _uri(f)}} for f in report.files],
                "results": results,
            }
        ],
    }
    return jsontext.dumps(sarif, indent=2) + "\n"
