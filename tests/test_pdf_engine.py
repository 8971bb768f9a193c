"""The PDF engine forked early (issue 17, speed): it imports WeasyPrint while rmo builds the
HTML, then lays out the one document sent to it, with the sandbox's bounds; the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, write_charter

pytest.importorskip("weasyprint")

SAMPLE = SAMPLES / "harbourside-globex-facilities.yaml"


def test_one_pdf_imports_weasyprint_in_the_engine_not_in_rmo(tmp_path: Path) -> None:
    # The overlap is the point: rmo itself must not import WeasyPrint (0.5-1 s) for one PDF.
    code = (
        "import sys; from rmo_cli.cli.main import main; sys.argv = ['rmo'] + sys.argv[1:]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "print('weasyprint' in sys.modules, code, file=sys.stderr)"
    )
    target = tmp_path / "x.pdf"
    done = subprocess.run(
        [sys.executable, "-c", code, "render", str(SAMPLE), "--to", "pdf", "-o", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stderr.strip().splitlines()[-1] in ("False 0", "False None"), done.stderr
    assert target.read_bytes().startswith(b"%PDF-")
    verified = subprocess.run(
        [sys.executable, "-m", "rmo_cli", "verify", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_refused_render_leaves_no_engine_behind(cli, tmp_path: Path, monkeypatch) -> None:
    from rmo_cli.render import pdf

    started = []
    real_start = pdf.start_pdf_engine

    def recording_start():
        engine = real_start()
        started.append((engine, engine.pid if engine else None))
        return engine

    monkeypatch.setattr(pdf, "start_pdf_engine", recording_start)
    path = write_charter(
        tmp_path / "acme-globex.yaml",
        objectives=[{"id": "obj-1", "statement": "Halve outages.", "owner": "nobody"}],
    )
    result = cli("render", path, "--to", "pdf", "-o", tmp_path / "x.pdf")
    assert result.exit_code == 1 and "nobody" in result.stderr
    assert not (tmp_path / "x.pdf").exists()
    [(engine, pid)] = started
    assert engine is not None and pid is not None and engine.pid is None
    with pytest.raises(ChildProcessError):  # already reaped: no zombie, no sleeper
        os.waitpid(pid, os.WNOHANG)
    assert pdf._ENGINE is None


# WeasyPrint 70 leaves its sRGB profile file open; in a child that never mattered.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_without_fork_the_pdf_renders_in_process(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delattr(os, "fork")
    target = tmp_path / "x.pdf"
    result = cli("render", SAMPLE, "--to", "pdf", "-o", target)
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes().startswith(b"%PDF-")


def test_the_early_engine_is_bounded_in_time(monkeypatch) -> None:
    from rmo_cli.render import pdf
    from rmo_cli.support.errors import RmoError

    monkeypatch.setattr(pdf, "PDF_TIMEOUT", 0.5)
    engine = pdf.start_pdf_engine()
    assert engine is not None
    pid = engine.pid
    many = "<p>paragraph</p>" * 200_000
    with pytest.raises(RmoError, match="the PDF engine took longer than 0.5 seconds"):
        pdf.html_to_pdf(f"<html><body>{many}</body></html>")
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _allocate() -> bytes:
    return bytes(bytearray(4 * 1024 * 1024 * 1024))


def _big() -> bytes:
    return b"x" * 100_000


def _fail_install() -> None:
    from rmo_cli.support.errors import RmoError

    raise RmoError("install the pdf extra")


def test_the_worker_bounds_memory_and_output_and_reports_a_failed_import() -> None:
    from rmo_cli.render.sandbox import ForkedWorker
    from rmo_cli.support.errors import RefusedError, RmoError

    with pytest.raises(RefusedError, match="used too much memory"):
        ForkedWorker(lambda: None).run(_allocate, (), 10.0, 1000, "the PDF engine")
    with pytest.raises(RefusedError, match="produced more than 1,000 bytes"):
        ForkedWorker(lambda: None).run(_big, (), 10.0, 1000, "the PDF engine")
    # A prepare that fails (WeasyPrint cannot load Pango) is exit 2, not a refused document.
    with pytest.raises(RmoError, match="install the pdf extra") as failed:
        ForkedWorker(_fail_install).run(_big, (), 10.0, 1000, "the PDF engine")
    assert not isinstance(failed.value, RefusedError)
    unused = ForkedWorker(lambda: None)
    pid = unused.pid
    assert pid is not None
    unused.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _ok() -> bytes:
    return b"done"


def test_the_worker_warms_up_only_while_no_job_waits(tmp_path: Path) -> None:
    import time

    from rmo_cli.render.sandbox import ForkedWorker

    def warm_marker(name: str):
        return lambda: (tmp_path / name).write_text("warmed")

    # The job arrives while the child still prepares: warming up would only delay it.
    busy = ForkedWorker(lambda: time.sleep(0.5), warm_marker("busy"))
    assert busy.run(_ok, (), 10.0, 1000, "the PDF engine") == b"done"
    assert not (tmp_path / "busy").exists()
    # The parent is still working when the child is ready: the warm-up runs first.
    idle = ForkedWorker(lambda: None, warm_marker("idle"))
    time.sleep(0.5)
    assert idle.run(_ok, (), 10.0, 1000, "the PDF engine") == b"done"
    assert (tmp_path / "idle").read_text() == "warmed"
