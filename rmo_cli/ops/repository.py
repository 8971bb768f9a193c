"""Finding charters: `rmo.yaml` (searched upward), its globs, and the paths a user gives."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rmo_cli.charter.policy import Policy
from rmo_cli.support.errors import RmoError
from rmo_cli.support.vocabulary import DEFAULT_DUE_SOON

CONFIG_NAME = "rmo.yaml"
DEFAULT_CHARTERS_DIR = "charters"
YAML_SUFFIXES = (".yaml", ".yml")
DEFAULT_GLOBS = (f"{DEFAULT_CHARTERS_DIR}/**/*.yaml", f"{DEFAULT_CHARTERS_DIR}/**/*.yml")
# Folders never searched for charters.
_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox"}


@dataclass(frozen=True)
class CharterFile:
    """A charter file to read: its path on disk and the name reports use for it."""

    path: Path
    display: str


@dataclass
class Config:
    """A charter repository's settings (`rmo.yaml`), with defaults filled in."""

    root: Path
    file: Path | None = None
    charters: list[str] = field(default_factory=lambda: list(DEFAULT_GLOBS))
    templates: Path | None = None
    due_soon: str = DEFAULT_DUE_SOON
    signers: Path | None = None
    policy: Policy = field(default_factory=Policy)

    @property
    def charters_dir(self) -> Path:
        """Where new charters go: the fixed part of the first glob."""
        first = self.charters[0] if self.charters else DEFAULT_CHARTERS_DIR
        fixed: list[str] = []
        for part in Path(first).parts:
            if any(ch in part for ch in "*?[") or part.endswith(YAML_SUFFIXES):
                break
            fixed.append(part)
        return self.root.joinpath(*fixed) if fixed else self.root / DEFAULT_CHARTERS_DIR


def find_config_file(start: Path | None = None) -> Path | None:
    """The nearest `rmo.yaml` from start (default: the current directory) upward."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(start: Path | None = None) -> Config:
    """The repository configuration found from start upward, or defaults rooted at start."""
    config_file = find_config_file(start)
    if config_file is None:
        return Config(root=(start or Path.cwd()).resolve())
    return read_config(config_file)


def read_config(config_file: Path) -> Config:
    """Read and check one `rmo.yaml`; a broken one is an error that names its place."""
    from rmo_cli.charter.loading import read_yaml
    from rmo_cli.charter.schema import config_findings

    result = read_yaml(config_file)
    findings = [f for f in result.findings if f.rule != "empty-file"]  # empty: all defaults
    if result.document is not None:
        findings.extend(config_findings(result.document))
    if findings:
        first = findings[0]
        raise RmoError(f"{first.file}:{first.line}:{first.column}: {first.message}")
    data: dict[str, Any] = (result.document.data if result.document is not None else None) or {}
    root = config_file.parent
    _check_patterns(config_file, data.get("policy"))
    charters = data.get("charters", list(DEFAULT_GLOBS))
    if isinstance(charters, str):
        charters = [charters]
    return Config(
        root=root,
        file=config_file,
        charters=list(charters),
        templates=root / data["templates"] if data.get("templates") else None,
        due_soon=data.get("due_soon", DEFAULT_DUE_SOON),
        signers=root / data["signers"] if data.get("signers") else None,
        policy=Policy.from_config(data.get("policy")),
    )


def _check_patterns(config_file: Path, policy: Any) -> None:
    """Each policy.placeholders entry must be a regular expression (exit 2 naming it)."""
    import re

    patterns = policy.get("placeholders") if isinstance(policy, dict) else None
    for index, pattern in enumerate(patterns if isinstance(patterns, list) else []):
        try:
            re.compile(str(pattern))
        except re.error as exc:
            raise RmoError(
                f"{config_file}: policy.placeholders[{index}] {pattern!r} is not a regular "
                f"expression: {exc}"
            ) from None


_CONFIG_FILES: dict[Path, Path | None] = {}
_POLICIES: dict[tuple[Path, int, int], Policy] = {}


def policy_for(charter_path: Path) -> Policy:
    """The policy of the nearest rmo.yaml upward from a charter's folder (one read a folder);
    a broken rmo.yaml is an RmoError naming its place."""
    folder = Path(charter_path).resolve().parent
    if folder not in _CONFIG_FILES:
        _CONFIG_FILES[folder] = find_config_file(folder)
    config_file = _CONFIG_FILES[folder]
    if config_file is None:
        return Policy()
    try:
        stat = config_file.stat()
    except OSError:
        return Policy()
    key = (config_file, stat.st_mtime_ns, stat.st_size)  # an edited rmo.yaml is read again
    if key not in _POLICIES:
        _POLICIES[key] = read_config(config_file).policy
    return _POLICIES[key]


def _display(path: Path) -> str:
    """A path as reports show it: relative to the current directory when below it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _walk_yaml(folder: Path) -> Iterable[Path]:
    def unreadable(error: OSError) -> None:  # never skip charters silently
        raise RmoError(f"{error.filename}: cannot read this folder ({error.strerror or error})")

    for dirpath, dirnames, filenames in os.walk(folder, onerror=unreadable):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            # rmo.yaml and dot-files (.pre-commit-config.yaml) are configuration, not charters.
            if name.endswith(YAML_SUFFIXES) and name != CONFIG_NAME and not name.startswith("."):
                path = Path(dirpath) / name
                if path.is_file():  # a FIFO or device in a folder is no charter (and may block)
                    yield path


def discover(paths: Sequence[str | Path] = (), config: Config | None = None) -> list[CharterFile]:
    """Charter files from the given files and folders, else from the repository's globs.

    A path that does not exist is an `RmoError` (exit 2). Each file appears once, in order.
    """
    found: list[CharterFile] = []
    seen: set[Path] = set()

    def add(path: Path, display: str) -> None:
        key = Path(os.path.realpath(path))  # never raises, not even on a symlink loop
        if key not in seen:
            seen.add(key)
            found.append(CharterFile(path, display))

    if paths:
        for given in paths:
            path = Path(given)
            if path.is_dir():
                for file in _walk_yaml(path):
                    add(file, str(file))
            elif path.exists():
                add(path, str(given))
            else:
                raise RmoError(f"{given}: no such file or directory")
        return found

    config = config or load_config()
    if config.file is None:
        folder = config.root / DEFAULT_CHARTERS_DIR
        if not folder.is_dir():
            raise RmoError(
                f"no charters to check: no {CONFIG_NAME} found from {config.root} upward and no "
                f"{DEFAULT_CHARTERS_DIR}/ folder here; give a path or run 'rmo init'"
            )
        for file in _walk_yaml(folder):
            add(file, _display(file))
        return found
    for pattern in config.charters:
        for file in _glob(config.root, pattern):
            if file.is_file() and file.name.endswith(YAML_SUFFIXES):
                add(file, _display(file))
    return found


def _glob(root: Path, pattern: str) -> list[Path]:
    """Paths matching a glob relative to root, sorted, as `glob.glob` finds them, except that:

    the root's own name is taken literally (a checkout in `repo[1]/` still finds its
    charters), and `**` does not descend into symlinked folders (two links to `.` made
    `glob.glob` run for ever). Like glob, `**.yaml` means `*.yaml`, and wildcards don't
    match hidden names (a hidden folder named in the pattern is searched).
    """
    import re

    anchor = Path(pattern).anchor
    base = Path(anchor) if anchor else root
    parts = [
        part if part == "**" else re.sub(r"\*\*+", "*", part)
        for part in Path(pattern[len(anchor) :]).parts
        if part != "."
    ]
    literal = {part for part in parts if not any(ch in part for ch in "*?[")}
    try:
        matches = sorted(base.glob("/".join(parts)))
    except ValueError as exc:
        raise RmoError(f"rmo.yaml: charters pattern {pattern!r} is not a glob ({exc})") from None
    except OSError as exc:
        raise RmoError(f"{exc.filename}: cannot read this folder ({exc.strerror or exc})") from None
    return [
        m
        for m in matches
        if all(not p.startswith(".") or p in literal for p in m.relative_to(base).parts)
    ]
