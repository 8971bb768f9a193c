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
import functools
import html as html_lib
import os
import re
import select
import signal
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rmo_cli.charter.model import as_list, as_mapping
from rmo_cli.support.errors import EXIT_FINDINGS, EXIT_USAGE, RmoError
from rmo_cli.support.findings import Finding
from rmo_cli.support.vocabulary import DEFAULT_DUE_SOON

FORMATS = ("md", "html", "pdf")
CHARTER_TEMPLATE = {"md": "charter.md.j2", "html": "charter.html.j2", "pdf": "charter.html.j2"}
INDEX_TEMPLATE = {"md": "index.md.j2", "html": "index.html.j2", "pdf": "index.html.j2"}
# The index of a PDF site is HTML: it links the PDF files.
INDEX_EXTENSION = {"md": "md", "html": "html", "pdf": "html"}

# Bounds for repository templates (SPEC §7: a template under review must not hang CI).
TEMPLATE_TIMEOUT = 5.0  # seconds per rendered page
MAX_OUTPUT = 20 * 1024 * 1024  # characters of output per page
MAX_MEMORY = 1024 * 1024 * 1024  # bytes a forked render may allocate beyond the parent
MAX_INT_BITS = 100_000  # integers a template computes (2**100000 is plenty)

PDF_INSTALL_HINT = (
    "PDF output needs WeasyPrint: install rmo with the pdf extra "
    "(pip install 'rmo-cli[pdf]' or pipx install 'rmo-cli[pdf]'), plus Pango on Linux "
    "(Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0); "
    "or render --to html and print it from a browser"
)

_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")


# --------------------------------------------------------------------------- escaping


class MdSafe(str):
    """Markdown that is already safe to insert as it is (not escaped again)."""


# `_` inside a word (snake_case) cannot start emphasis, so it stays readable unescaped.
_MD_INLINE_RE = re.compile(r"([\\`*\[\]|~])|(?<![^\W_])_|_(?![^\W_])|(&(?=#?\w+;))|(<)|(>)")
# At the start of a line (and of the value): headings, list items, thematic breaks (`- --`),
# setext underlines and ordered list numbers.
_MD_LINE_START_RE = re.compile(r"^(\s*)(?:([#=+-])|(\d{1,9})([.)])(?=\s|$))")


def _md_inline_sub(match: re.Match[str]) -> str:
    text = match.group(0)
    if text == "&":
        return "&amp;"
    if text == "<":
        return "&lt;"
    if text == ">":
        return "&gt;"
    return "\\" + text


def _md_line_start_sub(match: re.Match[str]) -> str:
    indent, marker, digits, dot = match.groups()
    return f"{indent}\\{marker}" if marker else f"{indent}{digits}\\{dot}"


def md_escape(value: object, newline: str = " ") -> str:
    """Charter text as Markdown that renders literally: `|`, `*`, `_`, `<`, `[`… escaped.

    Newlines become `newline` (a space by default, `<br>` in table cells), so a value can
    never start a new block; a value that starts like a heading or list item is escaped too.
    """
    text = "" if value is None else str(value)
    text = _MD_INLINE_RE.sub(_md_inline_sub, text.replace("\r\n", "\n").replace("\r", "\n"))
    # Lines are stripped (leading spaces would make a code block) and blank ones dropped.
    lines = [line.strip() for line in text.split("\n")]
    return newline.join(_MD_LINE_START_RE.sub(_md_line_start_sub, line) for line in lines if line)


def md_block(value: object) -> MdSafe:
    """Charter text that may hold Markdown (purpose): kept as Markdown, raw HTML neutralised."""
    text = "" if value is None else str(value).replace("\r\n", "\n")
    # Without `<` there is no tag, comment or autolink: raw HTML shows as text.
    return MdSafe(text.replace("<", "&lt;").strip("\n"))


@functools.cache
def _markdown_parser() -> Any:
    from markdown_it import MarkdownIt

    # No raw HTML, and no images: an image would load from the network, and the document
    # must stay self-contained (links stay links).
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


def markdown_html(value: object) -> str:
    """Charter Markdown (purpose) as HTML, with raw HTML and unsafe links refused."""
    return str(_markdown_parser().render("" if value is None else str(value)))


# --------------------------------------------------------------------------- git


@dataclass(frozen=True)
class GitState:
    """The commit a rendered file comes from and whether the file differs from it."""

    commit: str | None  # HEAD's short SHA, None before the first commit
    state: str  # clean | modified | untracked

    @property
    def dirty(self) -> bool:
        """True when the file on disk is not exactly what the commit holds."""
        return self.state != "clean"


@dataclass
class _RepoScan:
    """One git work tree, read once: HEAD, `git status` and the tracked files."""

    root: Path
    head: str | None
    status: dict[str, str]
    tracked: set[str]


class GitLookup:
    """Finds the git state of files: one scan (status, ls-files) per repository, not per file."""

    def __init__(self) -> None:
        self._repos: list[_RepoScan] = []
        self._missing: set[Path] = set()

    def _open(self, folder: Path) -> _RepoScan | None:
        for scan in self._repos:
            if folder == scan.root or scan.root in folder.parents:
                return scan
        if folder in self._missing:
            return None
        if not any((parent / ".git").exists() for parent in (folder, *folder.parents)):
            self._missing.add(folder)  # not in a work tree: skip importing GitPython
            return None
        try:
            import git
        except ImportError:  # pragma: no cover - GitPython is a dependency
            return None
        try:
            repo = git.Repo(folder, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            self._missing.add(folder)
            return None
        if repo.working_tree_dir is None:  # a bare repository
            self._missing.add(folder)
            return None
        try:
            head: str | None = repo.head.commit.hexsha[:12]
        except ValueError:  # no commit yet
            head = None
        try:
            status_out = repo.git.status("--porcelain=v1", "-z", "--untracked-files=all")
            tracked_out = repo.git.ls_files("-z")
        except git.GitCommandError:
            self._missing.add(folder)
            return None
        status: dict[str, str] = {}
        entries = status_out.split("\0")
        i = 0
        while i < len(entries):
            entry = entries[i]
            i += 1
            if len(entry) < 4:
                continue
            status[entry[3:]] = entry[:2]
            if "R" in entry[:2] or "C" in entry[:2]:
                i += 1  # the source path of a rename or copy follows
        scan = _RepoScan(
            Path(repo.working_tree_dir).resolve(),
            head,
            status,
            {name for name in tracked_out.split("\0") if name},
        )
        self._repos.append(scan)
        return scan

    def state(self, path: Path) -> GitState | None:
        """The git state of a file, or None when it is not inside a git working tree."""
        path = path.resolve()
        scan = self._open(path.parent)
        if scan is None:
            return None
        rel = path.relative_to(scan.root).as_posix()
        code = scan.status.get(rel)
        if code == "??" or (not code and rel not in scan.tracked):  # new, or ignored by git
            return GitState(scan.head, "untracked")
        if code or scan.head is None:
            return GitState(scan.head, "modified")
        return GitState(scan.head, "clean")


# --------------------------------------------------------------------------- context


# The shape templates rely on: these hold lists of mappings, or mappings.
_LISTS_OF_MAPPINGS = ("parties", "objectives", "principles", "roles", "kpis", "risks", "signoffs")
_MAPPINGS = ("governance", "escalation", "communication", "term", "review", "exit")
_NESTED_LISTS = {
    "parties": "people",
    "governance": "bodies",
    "escalation": "levels",
    "communication": "meetings",
    "review": "log",
}
_ID_LISTS = ("members", "attendees", "people", "reviewers", "responsibilities", "triggers")


def renderable(data: Any) -> dict[str, Any]:
    """A charter with errors (rendered with --force) in the shape templates rely on.

    Items of the wrong type are dropped: a mapping where a list of mappings belongs, a string
    where a mapping belongs. A valid charter comes back equal to itself.
    """

    def dicts(value: Any) -> list[dict[str, Any]]:
        return (
            [fix(item) for item in value if isinstance(item, dict)]
            if isinstance(value, list)
            else []
        )

    def fix(item: dict[str, Any]) -> dict[str, Any]:
        out = dict(item)
        for key in _ID_LISTS:
            if key in out and not isinstance(out[key], list):
                out[key] = []
        return out

    if not isinstance(data, dict):
        return {}
    out = dict(data)
    for key in _LISTS_OF_MAPPINGS:
        if key in out:
            out[key] = dicts(out[key])
    for key in _MAPPINGS:
        if key in out:
            out[key] = fix(out[key]) if isinstance(out[key], dict) else {}
    for key, inner in _NESTED_LISTS.items():
        section = out.get(key)
        if isinstance(section, dict) and inner in section:
            section[inner] = dicts(section[inner])
        elif isinstance(section, list):
            for item in section:
                if inner in item:
                    item[inner] = dicts(item[inner])
    return out


def next_review(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """The next review date (ISO) and where it comes from: next_due, or last review + cadence.

    Computed whatever the status, since the document shows the agreed schedule.
    """
    from rmo_cli.support.dates import add_duration, parse_iso_date

    review = as_mapping(data.get("review"))
    next_due = parse_iso_date(review.get("next_due"))
    if next_due is not None:
        return next_due.isoformat(), "next_due"
    start = parse_iso_date(review.get("last_reviewed"))
    source = "last_reviewed"
    if start is None:
        start = parse_iso_date(as_mapping(data.get("term")).get("effective"))
        source = "effective"
    cadence = review.get("cadence")
    if start is None or not isinstance(cadence, str):
        return None, None
    try:
        return add_duration(start, cadence).isoformat(), source
    except (ValueError, OverflowError):
        return None, None


def _review_state(data: dict[str, Any], as_of: dt.date, within: str) -> str | None:
    try:
        from rmo_cli.charter.reviews import review_status
    except ImportError:  # pragma: no cover - the reviews module is part of the package
        return None
    return review_status(data, as_of, within).state


def charter_context(
    data: dict[str, Any],
    *,
    as_of: dt.date,
    file: str = "",
    git: GitState | None = None,
    findings: Sequence[Finding] = (),
    draft: bool = False,
    within: str = DEFAULT_DUE_SOON,
) -> dict[str, Any]:
    """Everything a charter template receives: `charter` (the data as loaded) and helpers.

    `people` and `parties` map ids to their records, `signoffs` has one row per party,
    `review` the schedule, `document` the control data for the footer (fingerprint, git).
    """
    from rmo_cli.charter.fingerprint import fingerprint, party_states

    parties: dict[str, dict[str, Any]] = {}
    people: dict[str, dict[str, Any]] = {}
    for party in as_list(data.get("parties")):
        if not isinstance(party, dict) or not isinstance(party.get("id"), str):
            continue
        parties[party["id"]] = party
        for person in as_list(party.get("people")):
            if isinstance(person, dict) and isinstance(person.get("id"), str):
                people[person["id"]] = {
                    **person,
                    "party": party["id"],
                    "party_name": party.get("name"),
                }

    rows = []
    current = fingerprint(data)
    for party_id, (state, signoff) in party_states(data, current).items():
        signoff = signoff or {}
        person_id = signoff.get("person")
        rows.append(
            {
                "party": parties.get(party_id, {"id": party_id, "name": party_id}),
                "state": state,
                "person_id": person_id,
                "person": people.get(person_id) if isinstance(person_id, str) else None,
                "capacity": signoff.get("capacity"),
                "date": signoff.get("date"),
                "version": signoff.get("version"),
                "fingerprint": signoff.get("fingerprint"),
                "ssh_signed": bool(signoff.get("signature")),
            }
        )

    next_due, source = next_review(data)
    review = as_mapping(data.get("review"))
    errors = list(  # one line per distinct finding, in order
        dict.fromkeys(str(f) for f in findings)
    )
    return {
        "charter": data,
        "parties": parties,
        "people": people,
        "objectives": {
            o["id"]: o
            for o in as_list(data.get("objectives"))
            if isinstance(o, dict) and isinstance(o.get("id"), str)
        },
        "signoffs": rows,
        "review": {
            "cadence": review.get("cadence"),
            "last_reviewed": review.get("last_reviewed"),
            "next_due": next_due,
            "next_due_source": source,
            "state": _review_state(data, as_of, within),
        },
        "document": {
            "id": data.get("id"),
            "version": data.get("version"),
            "status": data.get("status"),
            "title": data.get("title"),
            "file": file,
            "fingerprint": current,
            "generated": as_of.isoformat(),
            "git": (
                {"commit": git.commit, "state": git.state, "dirty": git.dirty} if git else None
            ),
            "draft": draft,
            "findings": errors,
        },
    }


# --------------------------------------------------------------------------- filters


def _lookup_person(context: Any, person_id: object) -> dict[str, Any] | None:
    people = context.get("people") or {}
    return people.get(person_id) if isinstance(person_id, str) else None


def _filters() -> dict[str, Callable[..., Any]]:
    from jinja2 import pass_context, pass_eval_context
    from markupsafe import Markup

    from rmo_cli.support.dates import CADENCE_KEYWORDS, date_in_words, duration_in_words

    @pass_context
    def person(context: Any, person_id: object, with_party: bool = False) -> str:
        """`jdoe` → 'Jane Doe (Director, Procurement)'; unknown ids are marked as such."""
        found = _lookup_person(context, person_id)
        if found is None:
            return f"{person_id} (unknown person)"
        text = str(found.get("name", person_id))
        extra = [str(found["title"])] if found.get("title") else []
        if with_party and found.get("party_name"):
            extra.append(str(found["party_name"]))
        return f"{text} ({', '.join(extra)})" if extra else text

    @pass_context
    def person_name(context: Any, person_id: object) -> str:
        """`jdoe` → 'Jane Doe'."""
        found = _lookup_person(context, person_id)
        return str(found.get("name", person_id)) if found else f"{person_id} (unknown person)"

    @pass_context
    def people_list(context: Any, ids: object, titles: bool = True) -> str:
        """A list of person ids as names (with titles), joined with commas."""
        func = person if titles else person_name
        return "; ".join(func(context, i) for i in as_list(ids))

    @pass_context
    def party(context: Any, party_id: object) -> str:
        """`acme` → 'ACME Public Works Agency'."""
        parties = context.get("parties") or {}
        found = parties.get(party_id) if isinstance(party_id, str) else None
        return str(found.get("name", party_id)) if found else f"{party_id} (unknown party)"

    @pass_eval_context
    def richtext(eval_ctx: Any, value: object) -> Any:
        """Charter Markdown: safe HTML in an HTML template, neutralised Markdown otherwise."""
        if eval_ctx.autoescape:
            return Markup(markdown_html(value))
        return md_block(value)

    def label(value: object) -> str:
        """`quasi-hierarchy` → 'Quasi-hierarchy', `lead-party` → 'Lead party'."""
        text = "" if value is None else str(value)
        text = text.replace("_", " ")
        if "-" in text and text not in ("quasi-hierarchy",):
            text = text.replace("-", " ")
        return text[:1].upper() + text[1:]

    def every(value: object) -> str:
        """`P1M` → 'every month', `P6M` → 'every 6 months', `quarterly` → 'quarterly'."""
        text = "" if value is None else str(value)
        if text in CADENCE_KEYWORDS:
            return text
        words = duration_in_words(text)
        if words == text:  # not a duration: shown as it is
            return text
        if words.startswith("1 ") and " " not in words[2:]:
            return f"every {words[2:]}"
        return f"every {words}"

    def number(value: object) -> str:
        """41200 → '41,200'; 71.5 → '71.5'."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "" if value is None else str(value)
        if isinstance(value, float) and not value.is_integer():
            return f"{value:,}"
        return f"{int(value):,}"

    return {
        "person": person,
        "person_name": person_name,
        "people": people_list,
        "party": party,
        "duration": duration_in_words,
        "every": every,
        "longdate": date_in_words,
        "richtext": richtext,
        "md": md_escape,
        "md_cell": lambda v: MdSafe(md_escape(v, newline="<br>")),
        "label": label,
        "number": number,
    }


def _finalize_factory() -> Callable[..., Any]:
    from jinja2 import pass_eval_context

    @pass_eval_context
    def finalize(eval_ctx: Any, value: Any) -> Any:
        # Markdown templates get every `{{ }}` escaped; HTML templates are autoescaped.
        if value is None:
            return ""
        if eval_ctx.autoescape or isinstance(value, MdSafe):
            return value
        return md_escape(value)

    return finalize


# --------------------------------------------------------------------------- environments


def _show_path(name: str | None) -> str:
    """A template path as messages show it: relative to the current directory when below it."""
    if not name:
        return "<template>"
    try:
        rel = os.path.relpath(name)
    except ValueError:
        return name
    return name if rel.startswith("..") else rel


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
        self.isolate = isolate and self.sandboxed and hasattr(os, "fork")
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
                    EXIT_USAGE,
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
            raise RmoError(_template_error(exc, self.roots, fallback), EXIT_FINDINGS) from None
        finally:
            if self.sandboxed:
                self.env.deadline = float("inf")


MAX_TEMPLATE_BYTES = 1024 * 1024


def _bounded_loader_class() -> type:
    """FileSystemLoader that refuses template files over MAX_TEMPLATE_BYTES, and any file
    whose real path is outside the templates folder: a symlink committed in a pull request
    (to /proc/self/environ, to ../../etc) must not put the CI machine's secrets in a page.
    """
    from jinja2 import FileSystemLoader, TemplateError
    from jinja2.loaders import split_template_path

    class BoundedLoader(FileSystemLoader):
        def get_source(self, environment: Any, template: str) -> Any:
            for folder in self.searchpath:
                path = os.path.join(folder, *split_template_path(template))
                if not os.path.lexists(path):
                    continue
                inside = os.path.realpath(folder) + os.sep
                if not os.path.realpath(path).startswith(inside):
                    raise TemplateError(
                        f"{_show_path(path)}: links outside the templates folder; refused"
                    )
                if os.path.isfile(path) and os.path.getsize(path) > MAX_TEMPLATE_BYTES:
                    raise TemplateError(
                        f"{_show_path(path)}: template larger than {MAX_TEMPLATE_BYTES:,} "
                        "bytes; refused"
                    )
            return super().get_source(environment, template)

    return BoundedLoader


def _bytecode_cache() -> Any:
    """A cache of compiled default templates in the user's cache folder, or None."""
    from jinja2 import FileSystemBytecodeCache

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "rmo" / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    if not os.access(folder, os.W_OK):
        return None

    class QuietCache(FileSystemBytecodeCache):
        """A cache that never fails a render: a write error only means no caching."""

        def dump_bytecode(self, bucket: Any) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass

    return QuietCache(str(folder))


class _Bound(Exception):
    """A repository template went past a time or size bound."""


_SANDBOX_CLASS: type | None = None


def _bounded_sandbox_class() -> type:
    """SandboxedEnvironment that checks a deadline on every call and bounds big values."""
    global _SANDBOX_CLASS
    if _SANDBOX_CLASS is not None:
        return _SANDBOX_CLASS
    from jinja2.sandbox import SandboxedEnvironment, SecurityError

    class BoundedSandbox(SandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+"})
        deadline = float("inf")
        time_limit = TEMPLATE_TIMEOUT
        max_output = MAX_OUTPUT

        def _check_time(self) -> None:
            if time.monotonic() > self.deadline:
                raise _Bound(f"rendering took longer than {self.time_limit:g} seconds")

        def _check_size(self, size: int) -> None:
            if size > self.max_output:
                raise SecurityError(f"value of {size:,} items is larger than the output bound")

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            self._check_time()
            if operator == "*":
                for seq, n in ((left, right), (right, left)):
                    if isinstance(seq, (str, list, tuple, bytes)) and isinstance(n, int):
                        self._check_size(len(seq) * n)
                if isinstance(left, int) and isinstance(right, int):
                    if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                        raise SecurityError("integer result too large")
            elif operator == "**":
                if isinstance(left, int) and isinstance(right, int) and abs(left) > 1:
                    if right * max(abs(left).bit_length(), 1) > MAX_INT_BITS:
                        raise SecurityError("integer result too large")
            elif operator == "+":
                if hasattr(left, "__len__") and hasattr(right, "__len__"):
                    self._check_size(len(left) + len(right))
            return super().call_binop(context, operator, left, right)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
            __self._check_time()
            return super().call(__context, __obj, *args, **kwargs)

        def getattr(self, obj: Any, attribute: str) -> Any:
            self._check_time()
            return super().getattr(obj, attribute)

        def getitem(self, obj: Any, argument: Any) -> Any:
            self._check_time()
            return super().getitem(obj, argument)

    _SANDBOX_CLASS = BoundedSandbox
    return BoundedSandbox


def _memory_limit() -> int | None:
    """The address-space limit for a forked render: the parent's size plus MAX_MEMORY."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            pages = int(f.read().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE") + MAX_MEMORY
    except (OSError, ValueError, IndexError):
        return None


def _run_forked(func: Callable[[], str], timeout: float, max_output: int, name: str) -> str:
    """Run func in a forked child, killed after timeout (+1 s grace) or on too much output."""
    import warnings

    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        pid = os.fork()
    if pid == 0:  # the child: render, send the result, never return
        code = 0
        try:
            os.close(read_fd)
            limit = _memory_limit()
            if limit is not None:
                try:
                    import resource

                    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
                    if hard != resource.RLIM_INFINITY:
                        limit = min(limit, hard)
                    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
                except (ImportError, ValueError, OSError):
                    pass
            try:
                payload = b"0" + func().encode("utf-8", "surrogatepass")
            except RmoError as exc:
                payload = b"1" + exc.message.encode("utf-8", "replace")
            except MemoryError:
                payload = (
                    b"1"
                    + (f"{name}: the template used too much memory; rendering stopped").encode()
                )
            view = memoryview(payload)
            while view:
                written = os.write(write_fd, view[: 1 << 16])
                view = view[written:]
        except BaseException:  # noqa: BLE001 - the child must never return into the CLI
            code = 1
        finally:
            os._exit(code)

    os.close(write_fd)
    chunks: list[bytes] = []
    total = 0
    deadline = time.monotonic() + timeout + 1.0
    reaped = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RmoError(
                    f"template {name} took longer than {timeout:g} seconds and was stopped "
                    "(a loop without bound?)",
                    EXIT_FINDINGS,
                )
            ready, _, _ = select.select([read_fd], [], [], remaining)
            if not ready:
                continue
            data = os.read(read_fd, 1 << 16)
            if not data:
                break
            chunks.append(data)
            total += len(data)
            # UTF-8 may take up to 4 bytes a character.
            if total > 4 * max_output + 1:
                raise RmoError(
                    f"template {name} produced more than {max_output:,} characters and was stopped",
                    EXIT_FINDINGS,
                )
        os.waitpid(pid, 0)
        reaped = True
    finally:
        os.close(read_fd)
        if not reaped:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
    payload = b"".join(chunks)
    if payload[:1] == b"0":
        return payload[1:].decode("utf-8", "surrogatepass")
    if payload[:1] == b"1":
        raise RmoError(payload[1:].decode("utf-8", "replace"), EXIT_FINDINGS)
    raise RmoError(f"template {name}: rendering failed (the render process died)", EXIT_FINDINGS)


# --------------------------------------------------------------------------- documents


def output_name(data: dict[str, Any], file: str, ext: str) -> str:
    """`<id>.<ext>`; the file's stem when the id is not a safe slug (a forced draft)."""
    ident = data.get("id")
    if not (isinstance(ident, str) and _SLUG_RE.match(ident) and len(ident) <= 64):
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
) -> str | bytes:
    """One charter as Markdown or HTML text, or PDF bytes."""
    if fmt not in FORMATS:
        raise RmoError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}", EXIT_USAGE)
    if draft:  # a charter with errors: drop what the templates cannot show
        data = renderable(data)
    context = charter_context(
        data, as_of=as_of, file=file, git=git, findings=findings, draft=draft, within=within
    )
    text = renderer.render(CHARTER_TEMPLATE[fmt], context)
    if fmt == "pdf":
        return html_to_pdf(text)
    return text


def load_weasyprint() -> Any:
    """The weasyprint module, or an RmoError (exit 2) that says how to install it."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango or its friends are missing
        raise RmoError(f"{PDF_INSTALL_HINT} ({type(exc).__name__}: {exc})", EXIT_USAGE) from None
    return weasyprint


def html_to_pdf(html_text: str, base_url: str | None = None) -> bytes:
    """PDF bytes of an HTML document, with WeasyPrint (imported only here)."""
    weasyprint = load_weasyprint()
    import logging

    # WeasyPrint logs unsupported CSS at warning level; the CLI prints its own messages.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    pdf = weasyprint.HTML(string=html_text, base_url=base_url or ".").write_pdf()
    return bytes(pdf)


# --------------------------------------------------------------------------- sites


@dataclass
class SitePage:
    """A page of a rendered site, as the index links it."""

    name: str  # file name without extension
    title: str
    href: str


@dataclass
class Site:
    """A folder of rendered pages. Extra pages call `write_page` (before the index is made)."""

    out_dir: Path
    fmt: str
    renderer: Renderer
    as_of: dt.date
    charters: list[dict[str, Any]] = field(default_factory=list)  # index rows
    pages: list[SitePage] = field(default_factory=list)  # extra pages, linked from the index
    written: list[Path] = field(default_factory=list)

    @property
    def page_extension(self) -> str:
        """Extension of pages that are not charters: md for Markdown sites, else html."""
        return INDEX_EXTENSION[self.fmt]

    def write_page(
        self,
        name: str,
        content: str | bytes,
        title: str | None = None,
        extension: str | None = None,
        link: bool = True,
    ) -> Path:
        """Write `<name>.<ext>` into the site; linked from the index unless link=False."""
        from rmo_cli.support.atomic import atomic_write

        if not _SLUG_RE.match(name) and name != "index":
            raise RmoError(f"page name {name!r} is not a safe file name", EXIT_USAGE)
        ext = extension or self.page_extension
        path = self.out_dir / f"{name}.{ext}"
        atomic_write(path, content, fsync=False)
        self.written.append(path)
        if link:
            self.pages.append(SitePage(name, title or name, path.name))
        return path


@dataclass
class RefusedCharter:
    """A charter left out of a site, with the reason (its error findings, or a clash)."""

    file: str
    findings: list[Finding]
    message: str = ""


@dataclass
class SiteResult:
    """What render_site wrote and which charters it refused."""

    site: Site
    refused: list[RefusedCharter] = field(default_factory=list)

    @property
    def written(self) -> list[Path]:
        """Every file written, the index last."""
        return self.site.written


# From this many charters a site is rendered by a pool of forked worker processes: PDF pages
# take ~0.3 s each, Markdown and HTML ~1 ms (below 300, one process was as fast here).
PARALLEL_PAGES = {"md": 300, "html": 300, "pdf": 8}


@dataclass
class _SiteJob:
    """What every page of a site needs; forked workers inherit it (nothing is pickled)."""

    documents: list[Any]
    git_states: list[GitState | None]
    fmt: str
    renderer: Renderer
    as_of: dt.date
    force: bool
    within: str


_SITE_JOB: _SiteJob | None = None

# A checked and rendered page: (error findings, invalid, content or None, template error).
_PageResult = tuple[list[Finding], bool, "str | bytes | None", "tuple[str, int] | None"]


def _render_page(job: _SiteJob, index: int) -> _PageResult:
    """Check one charter and render it unless refused; template errors come back as values."""
    from rmo_cli.ops.validation import check_document, has_errors

    doc = job.documents[index]
    findings = check_document(doc, job.as_of)
    errors = [f for f in findings if f.severity == "error"]
    invalid = has_errors(findings)
    if invalid and not job.force:
        return errors, True, None, None
    try:
        content = render_charter(
            doc.data,
            job.fmt,
            job.renderer,
            as_of=job.as_of,
            file=doc.file,
            git=job.git_states[index],
            findings=errors,
            draft=invalid,
            within=job.within,
        )
    except RmoError as exc:  # exceptions do not keep their exit code through a pool
        return errors, invalid, None, (exc.message, exc.exit_code)
    return errors, invalid, content, None


def _render_pages(indices: list[int]) -> list[_PageResult]:
    """Worker entry point: render some pages of the inherited site job."""
    assert _SITE_JOB is not None
    return [_render_page(_SITE_JOB, i) for i in indices]


def _site_workers(count: int, fmt: str) -> int:
    """How many processes render a site of count charters (env RMO_JOBS overrides)."""
    jobs = os.environ.get("RMO_JOBS", "")
    if jobs.isdigit() and int(jobs) > 0:
        return int(jobs)
    if count < PARALLEL_PAGES[fmt] or not hasattr(os, "fork"):
        return 1
    return min(os.cpu_count() or 1, 8)


def _render_all(job: _SiteJob) -> list[_PageResult]:
    """Every page of the job, in order: in this process, or by forked workers."""
    global _SITE_JOB
    count = len(job.documents)
    workers = min(_site_workers(count, job.fmt), count)
    if workers <= 1:
        return [_render_page(job, i) for i in range(count)]
    import multiprocessing
    import warnings
    from concurrent.futures import ProcessPoolExecutor

    if job.renderer.isolate:  # compile once here; every worker inherits the compiled code
        job.renderer._warm(CHARTER_TEMPLATE[job.fmt])
    size = max(1, -(-count // (workers * 4)))
    chunks = [list(range(i, min(i + size, count))) for i in range(0, count, size)]
    _SITE_JOB = job
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                return [page for chunk in pool.map(_render_pages, chunks) for page in chunk]
    finally:
        _SITE_JOB = None


def render_site(
    documents: Iterable[Any],
    out_dir: Path,
    fmt: str,
    renderer: Renderer,
    *,
    as_of: dt.date,
    force: bool = False,
    within: str = DEFAULT_DUE_SOON,
    extra_pages: Sequence[Callable[[Site], None]] = (),
    git: GitLookup | None = None,
) -> SiteResult:
    """Write one page per charter plus `index.<ext>` into out_dir.

    Charters with errors are refused (returned in `refused`) unless force, which renders
    them marked as drafts; a charter whose id another one already took is refused too.
    `extra_pages` run after the charters and before the index; each receives the Site
    (with `charters`, the index rows) and calls `site.write_page`. Many charters are
    checked and rendered by worker processes; the result is the same, in the same order.
    """
    from rmo_cli.support.atomic import atomic_write

    if fmt not in FORMATS:
        raise RmoError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}", EXIT_USAGE)
    if out_dir.exists() and not out_dir.is_dir():
        raise RmoError(f"{out_dir}: exists and is not a folder; give a folder for -o", EXIT_USAGE)
    out_dir.mkdir(parents=True, exist_ok=True)
    docs = list(documents)
    git = git or GitLookup()
    job = _SiteJob(
        docs, [git.state(Path(d.file)) for d in docs], fmt, renderer, as_of, force, within
    )
    site = Site(out_dir, fmt, renderer, as_of)
    result = SiteResult(site)
    used: dict[str, str] = {}
    for doc, (errors, invalid, content, failure) in zip(docs, _render_all(job), strict=True):
        if failure is not None:
            raise RmoError(*failure)
        if content is None:
            result.refused.append(RefusedCharter(doc.file, errors))
            continue
        data = doc.data
        name = output_name(data, doc.file, fmt)
        if name in used:
            result.refused.append(
                RefusedCharter(
                    doc.file, [], f"id {data.get('id')!r} is also the id of {used[name]}"
                )
            )
            continue
        used[name] = doc.file
        path = out_dir / name
        atomic_write(path, content, fsync=False)
        site.written.append(path)
        next_due, _ = next_review(data)
        site.charters.append(
            {
                "id": data.get("id"),
                # The index links by title: an untitled (--force) charter by id or file.
                "title": _text_or(data.get("title"), _text_or(data.get("id"), name)),
                "status": data.get("status"),
                "version": data.get("version"),
                "next_review": next_due,
                "review_state": _review_state(data, as_of, within),
                "href": name,
                "draft": invalid,
                "parties": [
                    p.get("name") for p in as_list(data.get("parties")) if isinstance(p, dict)
                ],
            }
        )
    for hook in extra_pages:
        hook(site)
    index = renderer.render(
        INDEX_TEMPLATE[fmt],
        {
            "charters": site.charters,
            "pages": site.pages,
            "generated": as_of.isoformat(),
            "refused": [r.file for r in result.refused],
        },
    )
    site.write_page("index", index, link=False)
    return result


def html_escape(value: object) -> str:
    """Plain HTML escaping for pages built outside templates."""
    return html_lib.escape("" if value is None else str(value))


def _text_or(value: Any, fallback: str) -> str:
    """value when it is non-blank text, else fallback."""
    return value if isinstance(value, str) and value.strip() else fallback
