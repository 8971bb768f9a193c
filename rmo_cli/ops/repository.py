"""Finding charters: `rmo.yaml` (searched upward), its globs, and the paths a user gives."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rmo_cli.charter.policy import Policy
from rmo_cli.support.errors import RmoError
from rmo_cli.support.paths import RealPaths
from rmo_cli.support.vocabulary import DEFAULT_DUE_SOON

CONFIG_NAME = "rmo.yaml"
DEFAULT_CHARTERS_DIR = "charters"
YAML_SUFFIXES = (".yaml", ".yml")
DEFAULT_GLOBS = (f"{DEFAULT_CHARTERS_DIR}/**/*.yaml", f"{DEFAULT_CHARTERS_DIR}/**/*.yml")
# Folders never searched for charters.
_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox"}


class CharterFile:
    """A charter file to read: its path on disk and the name reports use for it.

    Small, as a portfolio lists tens of thousands: the path is kept as text (the display
    name's own string when they are the same) and made a Path when asked for. Immutable.
    """

    __slots__ = ("_path", "display")
    _path: str
    display: str

    def __init__(self, path: Path | str, display: str) -> None:
        text = os.fspath(path)
        object.__setattr__(self, "_path", display if text == display else text)
        object.__setattr__(self, "display", display)

    @property
    def path(self) -> Path:
        """Where the file is."""
        return Path(self._path)

    @property
    def where(self) -> str:
        """Where the file is, as text (no Path made: for loops over a whole portfolio)."""
        return self._path

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"CharterFile is immutable: cannot set {name}")

    def __reduce__(self) -> tuple[type[CharterFile], tuple[str, str]]:
        return CharterFile, (self._path, self.display)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CharterFile):
            return NotImplemented
        return (self._path, self.display) == (other._path, other.display)

    def __hash__(self) -> int:
        return hash((self._path, self.display))

    def __repr__(self) -> str:
        return f"CharterFile(path={self.path!r}, display={self.display!r})"


@dataclass
class Config:
    """A charter repository's settings (`rmo.yaml`), with defaults filled in."""

    root: Path
    file: Path | None = None
    charters: list[str] = field(default_factory=lambda: list(DEFAULT_GLOBS))
    templates: Path | None = None
    due_soon: str = DEFAULT_DUE_SOON
    signers: Path | None = None
    document: dict[str, Any] = field(default_factory=dict)  # the legal frame (SPEC §7)
    # `signers: {file, require: true}`: every sign-off of a live charter must be signed.
    require_signatures: bool = False
    register: Path | None = None
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
    signers = data.get("signers")
    require = False
    if isinstance(signers, dict):  # the long form {file, require}
        require = signers.get("require") is True
        signers = signers.get("file")
    return Config(
        root=root,
        file=config_file,
        charters=list(charters),
        templates=root / data["templates"] if data.get("templates") else None,
        due_soon=data.get("due_soon", DEFAULT_DUE_SOON),
        signers=root / signers if isinstance(signers, str) and signers else None,
        require_signatures=require,
        register=root / data["register"] if data.get("register") else None,
        document=dict(data.get("document") or {}),
        policy=Policy.from_config(data.get("policy")),
    )


def _check_patterns(config_file: Path, policy: Any) -> None:
    """Each policy.placeholders entry must be a regular expression that cannot backtrack
    exponentially (exit 2 naming it)."""
    import re

    from rmo_cli.rules.policy import pattern_problem

    patterns = policy.get("placeholders") if isinstance(policy, dict) else None
    for index, pattern in enumerate(patterns if isinstance(patterns, list) else []):
        try:
            re.compile(str(pattern))
        except re.error as exc:
            raise RmoError(
                f"{config_file}: policy.placeholders[{index}] {pattern!r} is not a regular "
                f"expression: {exc}"
            ) from None
        problem = pattern_problem(str(pattern))
        if problem is not None:
            raise RmoError(
                f"{config_file}: policy.placeholders[{index}] {pattern!r} has {problem}, "
                "which can make matching take exponential time; write it without"
            )


def _stamp(path: Path | None) -> tuple[int, int] | None:
    """(mtime, size) of a file, so cached reads notice a rewrite; None when absent."""
    try:
        info = path.stat() if path is not None else None
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size) if info is not None else None


_CONFIG_CACHE: dict[tuple[Path, tuple[int, int] | None], Config] = {}


# A folder's nearest rmo.yaml (or None) and defaults, remembered for a few seconds: a run
# over thousands of charters in one folder looks once, and a long-lived process (the
# language server) still notices an rmo.yaml created or removed meanwhile.
_FOUND: dict[str, tuple[float, Path | None, Config | None]] = {}
_FOUND_SECONDS = 5.0


def config_for(charter_path: Path) -> Config:
    """The configuration that governs a charter: the nearest rmo.yaml upward from its own
    folder (SPEC §11), else defaults. Never the current directory's: a charter is judged
    by its own repository's signers, register and policy wherever rmo runs. A broken
    rmo.yaml is an RmoError naming its place; an edited one is read again."""
    import time

    path = os.path.abspath(charter_path)
    if os.path.islink(path):  # a linked charter is governed where the file really is
        path = os.path.realpath(path)
    folder = os.path.dirname(path)
    now = time.monotonic()
    found = _FOUND.get(folder)
    if found is None or now - found[0] > _FOUND_SECONDS:
        resolved = Path(folder).resolve()
        config_file = find_config_file(resolved)
        found = (now, config_file, None if config_file else Config(root=resolved))
        _FOUND[folder] = found
    _, config_file, defaults = found
    if config_file is None:
        assert defaults is not None
        return defaults
    key = (config_file, _stamp(config_file))
    if key not in _CONFIG_CACHE:
        _CONFIG_CACHE[key] = read_config(config_file)
    return _CONFIG_CACHE[key]


def _display(path: Path) -> str:
    """A path as reports show it: relative to the current directory when below it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def repository_path(path: Path) -> str:
    """A charter's place in its repository (relative to the nearest folder above it with an
    rmo.yaml or .git, with / separators); its file name when it is in none."""
    resolved = Path(os.path.realpath(path))
    for folder in resolved.parents:
        if (folder / CONFIG_NAME).is_file() or (folder / ".git").exists():
            return resolved.relative_to(folder).as_posix()
    return resolved.name


DEFAULT_REGISTER = "organisations.yaml"  # what `rmo init` offers beside rmo.yaml


def _registers_of(config_file: Path | None) -> set[str]:
    """Real paths of the register a rmo.yaml names and of the one `rmo init` offers beside
    it (enabled or not, a register is never a charter)."""
    if config_file is None:
        return set()
    found = {os.path.realpath(config_file.parent / DEFAULT_REGISTER)}
    try:
        register = read_config(config_file).register
    except RmoError:
        return found
    return found | ({os.path.realpath(register)} if register is not None else set())


def _walk_yaml(folder: Path) -> Iterable[Path]:
    def unreadable(error: OSError) -> None:  # never skip charters silently
        raise RmoError(f"{error.filename}: cannot read this folder ({error.strerror or error})")

    # The organisation register is data about charters, never a charter (SPEC §11).
    registers = _registers_of(find_config_file(folder))
    real = RealPaths()
    for dirpath, dirnames, filenames in os.walk(folder, onerror=unreadable):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        if CONFIG_NAME in filenames:
            registers |= _registers_of(Path(dirpath) / CONFIG_NAME)
        for name in sorted(filenames):
            # rmo.yaml and dot-files (.pre-commit-config.yaml) are configuration, not charters.
            if name.endswith(YAML_SUFFIXES) and name != CONFIG_NAME and not name.startswith("."):
                path = Path(dirpath) / name
                if real.file(path) in registers:
                    continue
                if path.is_file():  # a FIFO or device in a folder is no charter (and may block)
                    yield path


def discover(paths: Sequence[str | Path] = (), config: Config | None = None) -> list[CharterFile]:
    """Charter files from the given files and folders, else from the repository's globs.

    A path that does not exist is an `RmoError` (exit 2). Each file appears once, in order.
    """
    found: list[CharterFile] = []
    seen: set[str] = set()
    real = RealPaths()

    def add(path: Path, display: str) -> None:
        key = real.file(path)  # never raises, not even on a symlink loop
        if key == display:
            key = display  # one string for both (a portfolio lists tens of thousands)
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
    register = os.path.realpath(config.register) if config.register else None
    for pattern in config.charters:
        for file in _glob(config.root, pattern):
            if os.path.realpath(file) == register:
                continue
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


def find_charter(charter: str) -> Path:
    """The file a CHARTER argument names: a path, else the charter whose `id` it is.

    The file named after the id wins; else the id must be unique among the repository's
    charters. RmoError (exit 2) when it names no file.
    """
    from rmo_cli.support.ids import SLUG_RE

    if not charter.strip():
        raise RmoError("an empty CHARTER names no file; give a charter's path or id")
    given = Path(charter)
    try:
        exists = given.exists()
    except OSError as exc:  # e.g. a name longer than the file system allows
        raise RmoError(f"{charter[:80]}: not a usable path ({exc.strerror or exc})") from None
    if exists or len(charter) < 2 or not SLUG_RE.match(charter):
        return given
    from rmo_cli.charter.loading import read_charter  # only to search by id

    try:
        files = discover([])
    except RmoError as exc:
        raise RmoError(
            f"{charter}: no such file, and no charters to search for that id ({exc})"
        ) from None
    files.sort(key=lambda f: f.path.stem != charter)
    found: list[str] = []
    for file in files:
        loaded = read_charter(file.path, file.display)
        if loaded.document is not None and isinstance(loaded.document.data, dict):
            if loaded.document.data.get("id") == charter:
                if file.path.stem == charter:
                    return Path(file.display)
                found.append(file.display)
    if len(found) == 1:
        return Path(found[0])
    if found:
        raise RmoError(
            f"{charter}: {len(found)} charters have this id ({', '.join(found)}); give a path"
        )
    raise RmoError(
        f"{charter}: no such file and no charter with that id among {len(files)} charter(s); "
        "give the charter's path"
    )
