"""Rendering charters as signable documents: Markdown, HTML and PDF (SPEC §7).

Two Jinja environments:
- the default one, over the packaged `templates/` (trusted): `StrictUndefined`, HTML
  autoescaped, Markdown escaped by the `finalize` hook;
- the repository one, when `rmo.yaml` names a `templates` folder: the same loader chain with
  the repository folder first (its templates override the defaults by name), run in Jinja's
  sandbox, bounded in time, output size and memory (in a forked child where the platform
  has `fork`, plus in-process checks of calls and operators everywhere).

`render_site` writes a folder of pages (one per charter plus an index); other pages (the
portfolio dashboard) hook in through `extra_pages`, callables that receive the `Site` and
call `site.write_page(name, content, title)`.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rmo_cli.adapters.worktree import GitState
from rmo_cli.charter.amendment import InForceVersion
from rmo_cli.ops.trust import trust_of_file
from rmo_cli.render.context import _filters, _finalize_factory, charter_context, renderable
from rmo_cli.render.sandbox import (
    MAX_OUTPUT,
    TEMPLATE_TIMEOUT,
    _Bound,
    _bounded_loader_class,
    _bounded_sandbox_class,
    _bytecode_cache,
    _run_forked,
    _show_path,
)
from rmo_cli.rules.signoffs import Trust, verify_signoffs
from rmo_cli.support.errors import RefusedError, RmoError
from rmo_cli.support.findings import Finding
from rmo_cli.support.ids import is_charter_id
from rmo_cli.support.parallel import can_fork
from rmo_cli.support.vocabulary import DEFAULT_DUE_SOON

FORMATS = ("md", "html", "pdf")
CHARTER_TEMPLATE = {"md": "charter.md.j2", "html": "charter.html.j2", "pdf": "charter.html.j2"}
INDEX_TEMPLATE = {"md": "index.md.j2", "html": "index.html.j2", "pdf": "index.html.j2"}
# The index of a PDF site is HTML: it links the PDF files.
INDEX_EXTENSION = {"md": "md", "html": "html", "pdf": "html"}


def _template_error(exc: BaseException, roots: Sequence[Path], fallback: str | None = None) -> str:
    """A one-line message naming the template file and line of a template failure."""
    from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError
    from jinja2.sandbox import SecurityError

    show = _show_path
    if isinstance(exc, TemplateSyntaxError):
        return (
            f"{show(exc.filename or exc.name)}:{exc.lineno}: template syntax error: {exc.message}"
        )
    if isinstance(exc, TemplateNotFound):
        return f"template not found: {exc.name}"
    where = show(fallback)
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2") or any(
            frame.filename.startswith(str(root)) for root in roots
        ):
            where = f"{show(frame.filename)}:{frame.lineno}"
            break
    if isinstance(exc, SecurityError):
        kind = "refused by the template sandbox"
    elif isinstance(exc, UndefinedError):
        kind = "undefined value"
    elif isinstance(exc, MemoryError):
        return f"{where}: the template used too much memory; rendering stopped"
    elif isinstance(exc, _Bound):
        return f"{where}: {exc}; rendering stopped (a loop or value without bound?)"
    else:
        kind = f"template error ({type(exc).__name__})"
    return f"{where}: {kind}: {exc}"


class Renderer:
    """Renders templates by name: the packaged defaults, or a repository's, sandboxed."""

    def __init__(
        self,
        templates: Path | None = None,
        *,
        timeout: float = TEMPLATE_TIMEOUT,
        max_output: int = MAX_OUTPUT,
        isolate: bool = True,
    ) -> None:
        from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, select_autoescape

        from rmo_cli.support.resources import templates_dir

        self.templates = templates
        self.timeout = timeout
        self.max_output = max_output
        self.sandboxed = templates is not None
        # Fork the sandboxed render so time, output and memory bounds hold even in C code.
        self.isolate = isolate and self.sandboxed and can_fork()
        self._warmed: set[str] = set()  # templates compiled before forking
        self.roots = [p for p in (templates, templates_dir()) if p is not None]
        options: dict[str, Any] = {
            "loader": ChoiceLoader(
                ([_bounded_loader_class()(str(templates))] if templates is not None else [])
                + [FileSystemLoader(str(templates_dir()))]
            ),
            "undefined": StrictUndefined,
            "autoescape": select_autoescape(
                enabled_extensions=("html", "htm", "xml", "html.j2"), default=False
            ),
            "trim_blocks": True,
            "lstrip_blocks": True,
            "keep_trailing_newline": True,
            "finalize": _finalize_factory(),
            "auto_reload": False,  # one run renders many pages: no stat() per page
        }
        if self.sandboxed:
            if not templates.is_dir():  # type: ignore[union-attr]
                raise RmoError(
                    f"templates folder {templates} (rmo.yaml `templates`) does not exist; "
                    "create it or remove the setting",
                )
            # No constant folding: it would run filters at compile time, outside the bounds.
            self.env: Any = _bounded_sandbox_class()(optimized=False, **options)
        else:
            from jinja2 import Environment

            # Trusted templates only: compiled code is cached between runs (user cache dir).
            self.env = Environment(bytecode_cache=_bytecode_cache(), **options)
        self.env.filters.update(_filters())

    @classmethod
    def for_repository(cls, start: Path | None = None, **kwargs: Any) -> Renderer:
        """The renderer for the charter repository around start (rmo.yaml `templates`)."""
        from rmo_cli.ops.repository import load_config

        return cls(load_config(start).templates, **kwargs)

    def render(self, name: str, context: dict[str, Any]) -> str:
        """Render template `name`; any failure is an RmoError (exit 1) naming file and line."""
        if self.isolate:
            self._warm(name)
            found = next((root / name for root in self.roots if (root / name).is_file()), None)
            return _run_forked(
                lambda: self._render_here(name, context),
                self.timeout,
                self.max_output,
                _show_path(str(found)) if found else name,
            )
        return self._render_here(name, context)

    def _warm(self, name: str) -> None:
        """Compile name and the templates it names here, once, so forked renders reuse them.

        Compiling runs no template code (the sandbox is built with optimized=False, so no
        constant folding) and template files are capped in size; failures are left for the
        bounded render to report.
        """
        from jinja2 import meta

        warmed = self._warmed
        todo = [name]
        while todo:
            current = todo.pop()
            if current in warmed:
                continue
            warmed.add(current)
            try:
                template = self.env.get_template(current)
                source = self.env.loader.get_source(self.env, current)[0]
                del template
                todo.extend(
                    ref
                    for ref in meta.find_referenced_templates(self.env.parse(source))
                    if isinstance(ref, str)
                )
            except Exception:  # noqa: BLE001 - reported by the render itself, with bounds
                continue

    def _render_here(self, name: str, context: dict[str, Any]) -> str:
        from jinja2 import TemplateError

        deadline = time.monotonic() + self.timeout
        template = None
        if self.sandboxed:
            self.env.deadline = deadline
            self.env.time_limit = self.timeout
            self.env.max_output = self.max_output
        try:
            template = self.env.get_template(name)
            if not self.sandboxed:  # trusted templates: no bounds to check as we go
                return str(template.render(context))
            parts: list[str] = []
            size = 0
            for chunk in template.generate(context):
                parts.append(chunk)
                size += len(chunk)
                if size > self.max_output:
                    raise _Bound(f"output is larger than {self.max_output:,} characters")
                if time.monotonic() > deadline:
                    raise _Bound(f"rendering took longer than {self.timeout:g} seconds")
            return "".join(parts)
        except (
            _Bound,
            TemplateError,
            ArithmeticError,
            TypeError,
            ValueError,
            LookupError,
            AttributeError,
            MemoryError,
            RecursionError,
        ) as exc:
            fallback = template.filename if template is not None else name
            raise RefusedError(_template_error(exc, self.roots, fallback)) from None
        finally:
            if self.sandboxed:
                self.env.deadline = float("inf")


def output_name(data: dict[str, Any], file: str, ext: str) -> str:
    """`<id>.<ext>`; the file's stem when the id is not a safe slug (a forced draft)."""
    ident = data.get("id")
    if not is_charter_id(ident):
        stem = re.sub(r"[^a-z0-9-]+", "-", Path(file).stem.lower()).strip("-")
        ident = stem or "charter"
    return f"{ident}.{ext}"


def render_charter(
    data: dict[str, Any],
    fmt: str,
    renderer: Renderer,
    *,
    as_of: dt.date,
    file: str = "",
    git: GitState | None = None,
    findings: Sequence[Finding] = (),
    draft: bool = False,
    within: str = DEFAULT_DUE_SOON,
    site_nav: Sequence[Mapping[str, Any]] = (),
    source: bytes | None = None,
    document_frame: dict[str, Any] | None = None,
    trust: Trust | None = None,
    in_force: InForceVersion | None = None,
) -> str | bytes:
    """One charter as Markdown or HTML text, or PDF bytes (PDF/A-3b embedding `source`;
    site_nav: a site's navigation bar, for HTML pages of a rendered site).

    Sign-offs are verified as `rmo verify` does (SPEC §7), against trust: by default the
    signers and register of the rmo.yaml above file (none when file is not on disk), and
    in_force, the charter's in-force version while an amendment is in progress (SPEC §8).
    """
    if fmt not in FORMATS:
        raise RmoError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if trust is None:
        trust = trust_of_file(file)
    checks = verify_signoffs(data, file, trust, in_force)
    if draft:  # a charter with errors: drop what the templates cannot show
        data = renderable(data)
    context = charter_context(
        data,
        as_of=as_of,
        file=file,
        git=git,
        findings=findings,
        draft=draft,
        within=within,
        checks=checks,
    )
    if site_nav and fmt == "html":
        context["site_nav"] = [dict(item) for item in site_nav]
    context["frame"] = frame_context(document_frame, data)
    text = renderer.render(CHARTER_TEMPLATE[fmt], context)
    if fmt == "pdf":
        from rmo_cli.render.evidence import evidence_pdf

        return evidence_pdf(text, context, source)
    return text


def source_bytes(file: str, text: str) -> bytes:
    """The exact bytes of a charter file as read, when the file still holds that text."""
    try:
        raw = Path(file).read_bytes()
    except OSError:
        return text.encode("utf-8")
    try:
        same = raw.decode("utf-8-sig") == text
    except UnicodeDecodeError:
        same = False
    return raw if same else text.encode("utf-8")


# The document's sections in order: (id, title, present?) for numbering and the contents.
_SECTIONS: tuple[tuple[str, str], ...] = (
    ("parties", "Parties and representatives"),
    ("purpose", "Purpose"),
    ("objectives", "Objectives"),
    ("principles", "Principles"),
    ("governance", "Governance"),
    ("roles", "Roles and responsibilities"),
    ("communication", "Communication"),
    ("kpis", "Performance measures"),
    ("risks", "Risks"),
    ("escalation", "Escalation"),
    ("review", "Review"),
    ("term", "Term"),
    ("exit", "Exit"),
    ("signoff", "Sign-off"),
)


def _present(data: dict[str, Any], section: str) -> bool:
    """Whether the default templates show a section (the same conditions as theirs)."""
    value = data.get(section)
    if section in ("parties", "review", "signoff"):
        return True
    if section == "communication":
        return isinstance(value, dict) and bool(value.get("meetings"))
    if section == "escalation":
        return isinstance(value, dict) and bool(value.get("levels") or value.get("final_recourse"))
    return bool(value)


def frame_context(frame: dict[str, Any] | None, data: dict[str, Any]) -> dict[str, Any]:
    """The legal frame (rmo.yaml `document`, SPEC §7) as templates receive it.

    `binding_text` is the sentence to show (None: say nothing), `numbers` maps section ids
    to clause numbers, `contents` lists the sections shown (for a table of contents).
    """
    frame = frame or {}
    binding = frame.get("binding")
    binding_text = None
    if binding is True:
        binding_text = "This charter is legally binding on the parties."
    elif binding is False:
        binding_text = "This charter is not legally binding."
    shown = [(key, title) for key, title in _SECTIONS if _present(data, key)]
    return {
        "binding": binding,
        "binding_text": binding_text,
        "precedence": frame.get("precedence"),
        "numbering": bool(frame.get("numbering")),
        "contents": bool(frame.get("contents")),
        "numbers": {key: str(i) for i, (key, _) in enumerate(shown, start=1)},
        "sections": [
            {"id": key, "title": title, "number": str(i)}
            for i, (key, title) in enumerate(shown, start=1)
        ],
    }
