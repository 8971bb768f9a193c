"""`rmo lsp`: the language server (pygls) that wires rmo's checks and the charter's ids into LSP.

Only this module knows pygls and the protocol's types; it reads the editor's text, calls
the same validation `rmo validate` runs, and turns findings, ids and schema help into
diagnostics, completions, hovers, locations, edits and symbols. Over 500 lines: one small
handler per LSP request, kept beside the one server object they share.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import to_fs_path

from rmo_cli import __version__
from rmo_cli.charter.loading import Document
from rmo_cli.lsp import completion, navigation
from rmo_cli.lsp.actions import Fix, fixes
from rmo_cli.lsp.navigation import Occurrence
from rmo_cli.lsp.text import Span, lines_of, token_span
from rmo_cli.lsp.workspace import Workspace, roots_from
from rmo_cli.ops.validation import check_text
from rmo_cli.support.findings import ERROR, Finding

log = logging.getLogger(__name__)

# Changes closer together than this are validated once, with the newest text; the first
# change after a quiet spell is validated at once.
DEFAULT_DEBOUNCE = 0.075
# Charters of the workspace read per turn of the event loop while the server starts.
WARM_BATCH = 20
# A file is a charter (and gets diagnostics) when it says so, even while it cannot be parsed.
_CHARTER_RE = re.compile(
    r"(?m)^(?:apiVersion:[ \t]*['\"]?rmo/v1|kind:[ \t]*['\"]?RelationshipCharter)"
)
_REQUEST_FAILED = -32803
_SYMBOL_KINDS = {
    "party": types.SymbolKind.Namespace,
    "person": types.SymbolKind.Object,
    "objective": types.SymbolKind.Event,
    "kpi": types.SymbolKind.Number,
    "risk": types.SymbolKind.Key,
}


@dataclass
class _Open:
    """What the server knows of one open document."""

    uri: str
    path: Path
    is_charter: bool = False
    last_good: Document | None = None  # the newest text that could be read
    good_version: int | None = None  # the version last_good was read from
    checked_version: int | None = None  # the version the diagnostics below are for
    diagnostics: list[tuple[types.Diagnostic, list[Fix]]] = field(default_factory=list)
    pending: asyncio.TimerHandle | None = None
    last_run: float = -1e9


class _Protocol(LanguageServerProtocol):
    """pygls's protocol, without its memory leak on notifications.

    pygls 2.1 files the future of every notification handled by one of its own generator
    handlers (didOpen, didChange, didClose…) under a fresh id in `_request_futures`, and
    only responses to requests ever remove entries: about 2 KB per keystroke, for ever
    (measured with benchmarks/bench_lsp.py). Entries a notification added are dropped
    once done.
    """

    def _handle_notification(self, method_name: str, params: Any) -> None:
        futures = getattr(self, "_request_futures", None)
        if not isinstance(futures, dict):
            super()._handle_notification(method_name, params)
            return
        before = set(futures)
        super()._handle_notification(method_name, params)
        for key in set(futures) - before:
            future = futures[key]
            if future.done():
                del futures[key]
            else:
                future.add_done_callback(lambda _, key=key: futures.pop(key, None))


class RmoLanguageServer(LanguageServer):
    """The rmo language server: diagnostics, completion, hover, navigation, fixes, symbols."""

    def __init__(self) -> None:
        super().__init__("rmo", __version__, protocol_cls=_Protocol)
        self.open: dict[str, _Open] = {}
        self.space = Workspace([])
        self.debounce = DEFAULT_DEBOUNCE
        # The as-of date of every check: the CLI passes its clock in (serve), so the server
        # itself never reads it.
        self.today: Callable[[], dt.date] = dt.date.today

    # --- text and positions ---------------------------------------------------------------

    def lines(self, uri: str) -> list[str]:
        """The document's current lines."""
        return lines_of(self.workspace.get_text_document(uri).source)

    def to_range(self, lines: Sequence[str], span: Span) -> types.Range:
        """A span (code points) as an LSP range in the client's position encoding."""
        codec = self.workspace.position_codec
        start = codec.position_to_client_units(lines, types.Position(span[0], span[1]))
        end = codec.position_to_client_units(lines, types.Position(span[2], span[3]))
        return types.Range(start, end)

    def from_position(self, lines: Sequence[str], position: types.Position) -> tuple[int, int]:
        """An LSP position as a 0-based line and code-point column."""
        if position.line >= len(lines):
            return len(lines), 0
        server = self.workspace.position_codec.position_from_client_units(
            lines, types.Position(position.line, position.character)
        )
        return server.line, server.character

    # --- diagnostics ----------------------------------------------------------------------

    def schedule(self, uri: str, at_once: bool = False) -> None:
        """Validate uri soon: now after a quiet spell, else once at the end of the window."""
        state = self.open.get(uri)
        if state is None or state.pending is not None:
            return  # a run is already due; it reads the newest text
        loop = asyncio.get_running_loop()
        delay = 0.0 if at_once else max(0.0, state.last_run + self.debounce - loop.time())
        state.pending = loop.call_later(delay, self._run, uri)

    def _run(self, uri: str) -> None:
        state = self.open.get(uri)
        if state is None:
            return
        state.pending = None
        state.last_run = asyncio.get_running_loop().time()
        try:
            self.validate(state)
        except Exception as exc:  # a bug must not take the editor's server down
            log.exception("validating %s failed", uri)
            self.window_log_message(
                types.LogMessageParams(types.MessageType.Error, f"rmo: validating failed: {exc!r}")
            )

    def findings(self, state: _Open, text: str) -> tuple[list[Finding], Document | None]:
        """What `rmo validate` reports for this text: the file's findings, then the rules
        across the workspace's charters, then the git-history rule."""
        display = self.space.display(state.path)
        found, doc = check_text(display, text, self.today(), state.path)
        if doc is not None:
            open_docs = {
                s.path.resolve(): s.last_good
                for s in self.open.values()
                if s is not state and s.last_good is not None
            }
            found.extend(self.space.collection_findings(state.path, doc, open_docs))
            found.extend(self.space.history_findings(state.path, doc))
        # In the order validate's reports list them: by line and column, stable.
        found.sort(key=lambda f: (f.line, f.column))
        return found, doc

    def validate(self, state: _Open) -> None:
        """Check the document's current text and publish the findings as diagnostics."""
        document = self.workspace.get_text_document(state.uri)
        text, version = document.source, document.version
        state.is_charter = bool(_CHARTER_RE.search(text))
        if not state.is_charter:
            state.diagnostics = []
            state.checked_version = version
            self.publish(state, version)
            return
        found, doc = self.findings(state, text)
        if doc is not None:
            if _charter_id(state.last_good) != _charter_id(doc):
                self.revalidate_others(state)  # their duplicate-id findings may change
            state.last_good, state.good_version = doc, version
        lines = lines_of(text)
        state.diagnostics = [(self.diagnostic(f, lines), fixes(f, lines)) for f in found]
        state.checked_version = version
        self.publish(state, version)

    def diagnostic(self, finding: Finding, lines: Sequence[str]) -> types.Diagnostic:
        """A finding as an LSP diagnostic: its rule id as the code, its words as the message."""
        span = token_span(lines, finding.line, finding.column)
        severity = (
            types.DiagnosticSeverity.Error
            if finding.severity == ERROR
            else types.DiagnosticSeverity.Warning
        )
        return types.Diagnostic(
            range=self.to_range(lines, span),
            message=finding.message,
            severity=severity,
            code=finding.rule,
            source="rmo",
            data={"line": finding.line, "column": finding.column, "pointer": finding.pointer},
        )

    def publish(self, state: _Open, version: int | None) -> None:
        """Send the document's diagnostics to the client."""
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=state.uri, diagnostics=[d for d, _ in state.diagnostics], version=version
            )
        )

    def warm(self) -> None:
        """Read the workspace's charters a few at a time, between requests; when all are
        read, check the open charters again with the rules across charters complete."""
        try:
            done = self.space.warm(WARM_BATCH)
        except Exception:  # a bug must not take the editor's server down
            log.exception("reading the workspace's charters failed")
            return
        if done:
            self.revalidate_all()
        else:
            asyncio.get_running_loop().call_soon(self.warm)

    def revalidate_others(self, changed: _Open) -> None:
        """Check the other open charters again: this one's id changed."""
        for uri, state in self.open.items():
            if state is not changed and state.is_charter:
                self.schedule(uri)

    def revalidate_all(self) -> None:
        """Check every open charter again (another charter or the configuration changed)."""
        for uri, state in self.open.items():
            if state.is_charter:
                self.schedule(uri, at_once=True)

    # --- reading the last good parse ------------------------------------------------------

    def occurrences_at(
        self, uri: str, position: types.Position
    ) -> tuple[list[Occurrence], Occurrence | None, list[str]]:
        """The ids of the document and the one under the cursor (from the last good parse)."""
        state = self.open.get(uri)
        lines = self.lines(uri)
        if state is None or state.last_good is None:
            return [], None, lines
        found = navigation.occurrences(state.last_good, lines)
        line, character = self.from_position(lines, position)
        return found, navigation.at(found, line, character), lines


server = RmoLanguageServer()


def _charter_id(doc: Document | None) -> Any:
    return doc.data.get("id") if doc is not None and isinstance(doc.data, dict) else None


def _path(uri: str) -> Path:
    return Path(to_fs_path(uri) or uri)


def _location(ls: RmoLanguageServer, uri: str, lines: Sequence[str], span: Span) -> types.Location:
    return types.Location(uri=uri, range=ls.to_range(lines, span))


@server.feature(types.INITIALIZE)
def _initialize(ls: RmoLanguageServer, params: types.InitializeParams) -> None:
    folders = [to_fs_path(f.uri) or f.uri for f in params.workspace_folders or []]
    root = to_fs_path(params.root_uri) if params.root_uri else params.root_path
    ls.space = Workspace(roots_from(folders, root))
    options = params.initialization_options
    if isinstance(options, dict) and isinstance(options.get("debounceMs"), (int, float)):
        ls.debounce = max(0.0, float(options["debounceMs"]) / 1000)


@server.feature(types.INITIALIZED)
def _initialized(ls: RmoLanguageServer, params: types.InitializedParams) -> None:
    ls.warm()  # the first few at once: a small repository is ready before any file opens
    capabilities = ls.client_capabilities.workspace
    watched = capabilities.did_change_watched_files if capabilities else None
    if watched is None or not watched.dynamic_registration:
        return
    watchers = [
        types.FileSystemWatcher(glob_pattern="**/*.yaml"),
        types.FileSystemWatcher(glob_pattern="**/*.yml"),
    ]
    answer = ls.client_register_capability(
        types.RegistrationParams(
            registrations=[
                types.Registration(
                    id="rmo-charters",
                    method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers),
                )
            ]
        )
    )
    # A client that refuses only loses the updates from disk; say so, don't crash.
    answer.add_done_callback(lambda done: _registration_answered(ls, done))


def _registration_answered(ls: RmoLanguageServer, answer: Any) -> None:
    error = None if answer.cancelled() else answer.exception()
    if error is not None:
        log.warning("the editor did not let rmo watch charter files: %s", error)
    else:
        ls.space.watched = True


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def _did_open(ls: RmoLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.open[uri] = _Open(uri, _path(uri))
    ls.schedule(uri, at_once=True)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def _did_change(ls: RmoLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def _did_save(ls: RmoLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
    state = ls.open.get(params.text_document.uri)
    if state is not None:
        ls.space.forget_history(state.path)
        ls.schedule(state.uri, at_once=True)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def _did_close(ls: RmoLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
    state = ls.open.pop(params.text_document.uri, None)
    if state is None:
        return
    if state.pending is not None:
        state.pending.cancel()
    ls.space.changed(state.path, created_or_deleted=False)
    state.diagnostics = []
    ls.publish(state, None)
    ls.revalidate_all()  # the others now see this charter as saved on disk


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def _watched(ls: RmoLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
    for change in params.changes:
        ls.space.changed(
            _path(change.uri),
            created_or_deleted=change.type != types.FileChangeType.Changed,
        )
    ls.revalidate_all()


# --- completion and hover -----------------------------------------------------------------

_ITEM_KINDS = {
    "key": types.CompletionItemKind.Property,
    "value": types.CompletionItemKind.EnumMember,
    "id": types.CompletionItemKind.Reference,
}


def _markdown(text: str) -> types.MarkupContent:
    return types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)


@server.feature(
    types.TEXT_DOCUMENT_COMPLETION,
    types.CompletionOptions(trigger_characters=[":", " ", "[", ",", "-"]),
)
def _completion(ls: RmoLanguageServer, params: types.CompletionParams) -> types.CompletionList:
    uri = params.text_document.uri
    state = ls.open.get(uri)
    if state is None or not state.is_charter:
        return types.CompletionList(is_incomplete=False, items=[])
    lines = ls.lines(uri)
    line, character = ls.from_position(lines, params.position)
    items = [
        types.CompletionItem(
            label=s.label,
            kind=_ITEM_KINDS[s.what],
            detail=s.detail or None,
            documentation=_markdown(s.documentation) if s.documentation else None,
            insert_text=s.insert_text,
            sort_text=s.sort_text,
        )
        for s in completion.complete(state.last_good, lines, line, character)
    ]
    return types.CompletionList(is_incomplete=False, items=items)


@server.feature(types.TEXT_DOCUMENT_HOVER)
def _hover(ls: RmoLanguageServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    state = ls.open.get(uri)
    if state is None or not state.is_charter:
        return None
    lines = ls.lines(uri)
    line, character = ls.from_position(lines, params.position)
    found = completion.hover(state.last_good, lines, line, character)
    if found is None:
        return None
    text, span = found
    return types.Hover(contents=_markdown(text), range=ls.to_range(lines, span))


# --- ids: definition, references, rename -------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def _definition(ls: RmoLanguageServer, params: types.DefinitionParams) -> list[types.Location]:
    uri = params.text_document.uri
    found, target, lines = ls.occurrences_at(uri, params.position)
    if target is None:
        return []
    return [
        _location(ls, uri, lines, o.span) for o in navigation.same_id(found, target) if o.definition
    ]


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
def _references(ls: RmoLanguageServer, params: types.ReferenceParams) -> list[types.Location]:
    uri = params.text_document.uri
    found, target, lines = ls.occurrences_at(uri, params.position)
    if target is None:
        return []
    return [
        _location(ls, uri, lines, o.span)
        for o in navigation.same_id(found, target)
        if params.context.include_declaration or not o.definition
    ]


def _current_target(
    ls: RmoLanguageServer, uri: str, position: types.Position
) -> tuple[list[Occurrence], Occurrence | None, list[str]]:
    """Like occurrences_at, but only from a parse of the text as it stands now: an edit
    placed from an older parse could land in the wrong place."""
    state = ls.open.get(uri)
    document = ls.workspace.get_text_document(uri)
    if state is None or state.last_good is None or state.good_version != document.version:
        raise JsonRpcException(
            "rmo: the charter cannot be read as it stands (see its YAML error); fix that first",
            code=_REQUEST_FAILED,
        )
    return ls.occurrences_at(uri, position)


@server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
def _prepare_rename(
    ls: RmoLanguageServer, params: types.PrepareRenameParams
) -> types.PrepareRenamePlaceholder | None:
    _, target, lines = _current_target(ls, params.text_document.uri, params.position)
    if target is None:
        return None
    return types.PrepareRenamePlaceholder(
        range=ls.to_range(lines, target.span), placeholder=target.name
    )


@server.feature(types.TEXT_DOCUMENT_RENAME)
def _rename(ls: RmoLanguageServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
    uri = params.text_document.uri
    found, target, lines = _current_target(ls, uri, params.position)
    if target is None:
        return None
    problem = navigation.rename_problem(found, target, params.new_name)
    if problem is not None:
        raise JsonRpcException(f"rmo: {problem}", code=_REQUEST_FAILED)
    edits = [
        types.TextEdit(range=ls.to_range(lines, o.span), new_text=params.new_name)
        for o in navigation.same_id(found, target)
    ]
    return types.WorkspaceEdit(changes={uri: edits})


# --- quick fixes and symbols -------------------------------------------------------------


def _overlaps(a: types.Range, b: types.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and (
        b.start.line,
        b.start.character,
    ) <= (a.end.line, a.end.character)


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
)
def _code_action(ls: RmoLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    state = ls.open.get(uri)
    document = ls.workspace.get_text_document(uri)
    if state is None or state.checked_version != document.version:
        return []  # the fixes were placed on older text
    lines = ls.lines(uri)
    actions = []
    for diagnostic, offered in state.diagnostics:
        if not _overlaps(diagnostic.range, params.range):
            continue
        for fix in offered:
            edit = types.TextEdit(range=ls.to_range(lines, fix.span), new_text=fix.new_text)
            actions.append(
                types.CodeAction(
                    title=fix.title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    is_preferred=len(offered) == 1,
                    edit=types.WorkspaceEdit(changes={uri: [edit]}),
                )
            )
    return actions


def _symbol(
    ls: RmoLanguageServer, lines: Sequence[str], symbol: navigation.Symbol
) -> types.DocumentSymbol:
    return types.DocumentSymbol(
        name=symbol.name,
        detail=symbol.detail[:80] or None,
        kind=_SYMBOL_KINDS.get(symbol.kind, types.SymbolKind.Object),
        range=ls.to_range(lines, symbol.span),
        selection_range=ls.to_range(lines, symbol.selection),
        children=[_symbol(ls, lines, child) for child in symbol.children] or None,
    )


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def _document_symbols(
    ls: RmoLanguageServer, params: types.DocumentSymbolParams
) -> list[types.DocumentSymbol]:
    uri = params.text_document.uri
    state = ls.open.get(uri)
    if state is None or state.last_good is None:
        return []
    lines = ls.lines(uri)
    return [_symbol(ls, lines, s) for s in navigation.symbols(state.last_good, lines)]


def serve(today: Callable[[], dt.date]) -> int:
    """Run the language server over stdin and stdout until the client says exit.

    today gives the as-of date of each check. Returns the exit code LSP asks for: 0 after
    a shutdown request, else 1.
    """
    server.today = today
    import os
    import sys

    logging.basicConfig(level=logging.WARNING, format="rmo lsp: %(message)s")
    logging.getLogger("pygls").setLevel(logging.ERROR)  # its shutdown notes are no news
    # The protocol gets its own copy of stdout; file descriptor 1 then points at stderr, so
    # a stray print from any library can never corrupt the message stream.
    sys.stdout.flush()
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    server.start_io(stdin=sys.stdin.buffer, stdout=protocol_out)
    return 0 if getattr(server.protocol, "_shutdown", True) else 1
