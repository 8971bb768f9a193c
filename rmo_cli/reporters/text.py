"""Plain text: one finding a line (`FILE:LINE:COL: SEVERITY[RULE] MESSAGE`), then a summary.

On a terminal (colour) the same lines are coloured, each with its source line and a caret.
"""

from __future__ import annotations

from itertools import groupby

from rmo_cli.support.escape import terminal_text
from rmo_cli.support.findings import Report, count

_RED, _YELLOW, _BOLD, _DIM, _RESET = "\033[31m", "\033[33m", "\033[1m", "\033[2m", "\033[0m"


def summary(report: Report) -> str:
    """`N files checked: E errors, W warnings`."""
    errors, warnings = count(report.findings)
    files = len(report.files)
    return (
        f"{files} file{'s' if files != 1 else ''} checked: "
        f"{errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''}"
    )


def render(report: Report, colour: bool = False) -> str:
    if colour:
        return _render_grouped(report)
    # Charter text in messages and file names: control, bidi and invisible characters escaped.
    lines = [terminal_text(str(f)) for f in report.sorted_findings()]
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def _render_grouped(report: Report) -> str:
    """Each finding in SPEC's line format (terminals make FILE:LINE:COL a link), coloured,
    with the offending source line and a caret under the column."""
    out: list[str] = []
    for file, group in groupby(report.sorted_findings(), key=lambda f: f.file):
        source = report.sources.get(file, "").splitlines()
        for f in group:
            tint = _RED if f.severity == "error" else _YELLOW
            out.append(
                f"{_BOLD}{terminal_text(f.file)}:{f.line}:{f.column}:{_RESET} "
                f"{tint}{f.severity}{_RESET}[{f.rule}] {terminal_text(f.message)}"
            )
            if 0 < f.line <= len(source):
                raw = source[f.line - 1].rstrip()
                text = terminal_text(raw)
                out.append(f"  {_DIM}{f.line:>5} |{_RESET} {text}")
                caret = _pad(terminal_text(raw[: max(f.column - 1, 0)])) + "^"
                out.append(f"  {_DIM}      |{_RESET} {tint}{caret}{_RESET}")
        out.append("")
    errors, _ = count(report.findings)
    tint = _RED if errors else "\033[32m"
    out.append(f"{tint}{summary(report)}{_RESET}")
    return "\n".join(out) + "\n"


def _pad(prefix: str) -> str:
    """Blank space as wide on screen as prefix: tabs kept, wide (CJK, emoji) characters 2."""
    from rmo_cli.support.width import char_width

    return "".join("\t" if ch == "\t" else " " * char_width(ch) for ch in prefix)
