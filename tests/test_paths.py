"""RealPaths (rmo_cli.support.paths) gives os.path.realpath and Path.resolve's answers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rmo_cli.support.paths import RealPaths


def test_real_paths_agree_with_realpath_through_file_and_folder_symlinks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    (real / "sub" / "a.yaml").write_text("a")
    (real / "b.yaml").write_text("b")
    (tmp_path / "linked").symlink_to(real / "sub")  # a folder symlink
    (real / "c.yaml").symlink_to(real / "sub" / "a.yaml")  # a file symlink to another folder
    (real / "loop.yaml").symlink_to(real / "loop.yaml")  # a loop: realpath never raises
    monkeypatch.chdir(real)
    paths = [
        real / "b.yaml",
        tmp_path / "linked" / "a.yaml",
        real / "c.yaml",
        real / "loop.yaml",
        Path("b.yaml"),
        Path("sub/../b.yaml"),
        Path("missing.yaml"),
    ]
    resolver = RealPaths()
    for _ in range(2):  # the second time from its folder cache
        for path in paths:
            assert resolver.file(path) == os.path.realpath(path), path
            assert resolver.file(str(path)) == os.path.realpath(path), path
            assert resolver.folder(path) == Path(os.path.realpath(path)).parent, path
    assert resolver.folder(real / "c.yaml") == real / "sub"  # the target's folder
