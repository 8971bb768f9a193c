"""Which repository judges a charter's sign-offs: its nearest rmo.yaml, signers and register."""

from __future__ import annotations

from pathlib import Path

from rmo_cli.ops.register import read_register
from rmo_cli.ops.repository import Config, find_config_file, load_config, read_config
from rmo_cli.rules.signoffs import Trust


def _stamp(path: Path | None) -> tuple[int, int] | None:
    """(mtime, size) of a file, so cached reads notice a rewrite; None when absent."""
    try:
        info = path.stat() if path is not None else None
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size) if info is not None else None


_CONFIG_CACHE: dict[tuple[Path, tuple[int, int] | None], Config] = {}


def config_for(charter_path: Path) -> Config:
    """The configuration that governs a charter: the nearest rmo.yaml upward from its own
    folder (SPEC §11), else defaults. Never the current directory's: a charter is judged
    by its own repository's signers and register wherever rmo runs."""
    folder = Path(charter_path).resolve().parent
    config_file = find_config_file(folder)
    if config_file is None:
        return load_config(folder)
    key = (config_file, _stamp(config_file))
    if key not in _CONFIG_CACHE:
        _CONFIG_CACHE[key] = read_config(config_file)
    return _CONFIG_CACHE[key]


def trust_of(config: Config) -> Trust:
    """The Trust a configuration sets up: signers file, require flag and register."""
    key = (config.signers, config.require_signatures, config.register, _stamp(config.register))
    if key not in _TRUST_CACHE:
        loaded = read_register(config.register) if config.register is not None else None
        _TRUST_CACHE[key] = Trust(
            config.signers,
            config.require_signatures,
            loaded.register if loaded else None,
            tuple(loaded.findings) if loaded else (),
        )
    return _TRUST_CACHE[key]


_TRUST_CACHE: dict[tuple[Path | None, bool, Path | None, tuple[int, int] | None], Trust] = {}


def trust_for(charter_path: Path) -> Trust:
    """What sign-offs of the charter at charter_path are checked against (SPEC §6, §11)."""
    return trust_of(config_for(charter_path))


def trust_of_file(file: str) -> Trust:
    """The Trust of a charter named by its file (nothing trusted when it is not on disk)."""
    return trust_for(Path(file)) if file and Path(file).is_file() else Trust()
