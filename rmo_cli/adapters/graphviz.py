"""Graphviz's `dot`: lays out the relationship network when it is installed."""

from __future__ import annotations

import os
import shutil
import subprocess


def dot_available() -> bool:
    """True when Graphviz's dot is on PATH (and RMO_NO_GRAPHVIZ is not set)."""
    return not os.environ.get("RMO_NO_GRAPHVIZ") and shutil.which("dot") is not None


def dot_to_svg(source: str, timeout: float = 60.0) -> str | None:
    """`dot -Tsvg` of a DOT text rmo wrote, or None when dot is missing or fails.

    The DOT comes from rmo's own writer (quoted labels, no file attributes such as image
    or shapefile), so Graphviz reads nothing but its standard input.
    """
    exe = shutil.which("dot")
    if exe is None or os.environ.get("RMO_NO_GRAPHVIZ"):
        return None
    try:
        done = subprocess.run(
            [exe, "-Tsvg"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 or b"<svg" not in done.stdout:
        return None
    return done.stdout.decode("utf-8", errors="replace")
