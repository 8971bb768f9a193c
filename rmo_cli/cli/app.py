"""The Typer application every command module registers on, and its error mapping."""

from __future__ import annotations

import errno
import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

try:  # typer >= 0.20 vendors Click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer with Click as a dependency
    from click.exceptions import ClickException  # type: ignore[no-redef, assignment]

from rmo_cli.cli.exits import EXIT_INTERNAL, EXIT_USAGE, exit_code_of
from rmo_cli.support.errors import RmoError

READER_GONE = 141  # 128 + SIGPIPE
# OS errors that are the machine's, not a bug: exit 2 with git's one-line wording.
_MACHINE_ERRORS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS, errno.EACCES, errno.EPERM}
)


def stdout_gone() -> bool:
    """Whether the reader of stdout went away (a pipe whose read end is closed)."""
    import select
    import sys

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(event & select.POLLERR for _, event in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no real stdout (tests): assume it
        return True


def reader_gone() -> None:
    """The reader of our output went away (`rmo log | head -1`): stop writing, quietly.

    Later writes, and the final flush, go to /dev/null. A command cut off while writing
    exits READER_GONE (141, as git does when SIGPIPE ends it), so `rmo check | head` under
    `set -o pipefail` never passes by accident; one whose verdict was already made keeps
    its own exit code.
    """
    import sys

    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


def _fail(message: str, exit_code: int) -> typer.Exit:
    typer.echo(f"rmo: {message}", err=True)
    return typer.Exit(exit_code)


class RmoGroup(TyperGroup):
    """Maps library errors to exit codes for every command, under `rmo` and in tests alike."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:  # --help and --version write while the context is made
            return super().make_context(*args, **kwargs)
        except BrokenPipeError:
            reader_gone()
            raise typer.Exit(READER_GONE) from None
        except OSError as exc:
            raise _fail(
                f"error: cannot write the output: {exc.strerror or exc}", EXIT_USAGE
            ) from None

    def invoke(self, ctx: Any) -> Any:
        # Each run sees the repositories as they are now (a test or a library user runs
        # many commands in one process); nothing to forget before the module is loaded.
        amendments = sys.modules.get("rmo_cli.ops.amendments")
        if amendments is not None:
            amendments.forget_git_state()
        try:
            return super().invoke(ctx)
        except RmoError as exc:
            raise _fail(f"error: {exc.message}", exit_code_of(exc)) from None
        except BrokenPipeError as exc:
            if not stdout_gone():
                # A pipe to a child process (git, ssh-keygen) broke: it died, the reader of
                # our output is still there and must hear why.
                raise _fail(
                    f"error: a helper process stopped unexpectedly ({exc.strerror or exc}); "
                    "run with RMO_DEBUG=1 for details",
                    EXIT_USAGE,
                ) from None
            reader_gone()
            raise typer.Exit(READER_GONE) from None
        except (ClickException, typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except OSError as exc:
            if exc.errno not in _MACHINE_ERRORS:
                raise _internal(exc) from None
            # The machine, not rmo: a full disk, a read-only file system, no permission.
            where = f"{exc.filename}: " if exc.filename else ""
            raise _fail(f"error: {where}{exc.strerror or exc}", EXIT_USAGE) from None
        except Exception as exc:  # a bug: one line, the traceback only on request
            raise _internal(exc) from None


def _internal(exc: Exception) -> typer.Exit:
    """A bug: one line asking for a report (exit 3), the traceback only with RMO_DEBUG."""
    if os.environ.get("RMO_DEBUG", "") not in ("", "0"):
        raise exc
    return _fail(
        f"internal error: {type(exc).__name__}: {exc}; this is a bug in rmo, please "
        "report it with the command you ran (RMO_DEBUG=1 shows the traceback)",
        EXIT_INTERNAL,
    )


app = typer.Typer(
    name="rmo",
    cls=RmoGroup,
    help=(
        "Relationship charters as code: scaffold, validate, render, diff, review and sign "
        "them.\n\nExit codes: 0 nothing failing, 1 something failing found, 2 usage or "
        "input error, 3 internal error (please report it), 130 interrupted."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from rmo_cli import __version__

        typer.echo(f"rmo {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Relationship charters as code."""
