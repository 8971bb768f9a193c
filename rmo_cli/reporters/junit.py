"""JUnit XML: one test case per file; errors fail it, warnings go to its system-out."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from rmo_cli.support.escape import NOT_XML
from rmo_cli.support.findings import Report, count


def _xml(text: str) -> str:
    """Text an XML parser accepts: a control character in a file name becomes `\\x01`."""
    return NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def render(report: Report, colour: bool = False) -> str:
    by_file: dict[str, list] = {name: [] for name in report.files}
    for f in report.sorted_findings():
        by_file.setdefault(f.file, []).append(f)
    errors, _ = count(report.findings)
    failed = sum(1 for fs in by_file.values() if any(f.severity == "error" for f in fs))
    suites = ET.Element("testsuites", name="rmo", tests=str(len(by_file)), failures=str(failed))
    suite = ET.SubElement(
        suites, "testsuite", name="rmo", tests=str(len(by_file)), failures=str(failed), errors="0"
    )
    for name, findings in by_file.items():
        case = ET.SubElement(suite, "testcase", classname="rmo", name=_xml(name), file=_xml(name))
        errs = [f for f in findings if f.severity == "error"]
        warns = [f for f in findings if f.severity != "error"]
        if errs:
            failure = ET.SubElement(
                case,
                "failure",
                message=f"{len(errs)} error{'s' if len(errs) != 1 else ''}",
                type="rmo",
            )
            failure.text = _xml("\n".join(str(f) for f in errs))
        if warns:
            out = ET.SubElement(case, "system-out")
            out.text = _xml("\n".join(str(f) for f in warns))
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
