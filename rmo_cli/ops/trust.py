"""Which repository judges a charter's sign-offs: its nearest rmo.yaml, signers and register."""

from __future__ import annotations

from pathlib import Path

from rmo_cli.ops.register import read_register
from rmo_cli.ops.repository import Config, _stamp, config_for
from rmo_cli.rules.signoffs import Trust


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
