"""Where the packaged schemas and templates live (inside the wheel, or the source tree)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path


@cache
def data_dir(name: str) -> Path:
    """The folder `schemas` or `templates`: packaged in the wheel, else at the source root."""
    packaged = Path(str(files("rmo_cli"))) / name
    if packaged.is_dir():
        return packaged
    # An editable install or a source checkout: the folder sits beside the package.
    return Path(__file__).resolve().parents[2] / name


def schema_path(name: str = "charter.schema.json") -> Path:
    """Path of a packaged JSON Schema."""
    return data_dir("schemas") / name


def templates_dir() -> Path:
    """Folder of the default Jinja2 templates."""
    return data_dir("templates")
