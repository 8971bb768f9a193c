"""`rmo lsp` end to end, driven by pytest-lsp's real LSP client over stdio.

The server is the installed `rmo lsp`; its diagnostics are compared with what the real
`rmo validate --format json` prints for the same file in the same folder.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from conftest import RMO, SAMPLES
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

HARBOURSIDE = "harbourside-globex-facilities"
SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}


@pytest.fixture
def workspace(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A charter repository: the sample charters under charters/, plus (when parametrized
    with a number) that many copies of one sample, each with its own id."""
    (tmp_path / "charters").mkdir()
    for sample in SAMPLES.glob("*.yaml"):
        shutil.copy(sample, tmp_path / "charters" / sample.name)
    text = (SAMPLES / "meridian-group-shared-services.yaml").read_text(encoding="utf-8")
    for n in range(getattr(request, "param", 0)):
        copy = re.sub(r"(?m)^id: .*$", f"id: copy-{n:03d}", text)
        (tmp_path / "charters" / f"copy-{n:03d}.yaml").write_text(copy, encoding="utf-8")
    return tmp_path


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[str(RMO), "lsp"]))
async def client(lsp_client: LanguageClient, workspace: Path):
    registrations: list[types.RegistrationParams] = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def _register(params: types.RegistrationParams) -> None:
        registrations.append(params)

    lsp_client.registrations = registrations  # type: ignore[attr-defined]
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="charters")],
            root_uri=workspace.as_uri(),
        )
    )
    yield
    await lsp_client.shutdown_session()


# --- helpers --------------------------------------------------------------------------------


async def _published(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    """Wait for the next diagnostics published for uri."""

    async def wait() -> list[types.Diagnostic]:
        while uri not in client.diagnostics:
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        return list(client.diagnostics[uri])

    return await asyncio.wait_for(wait(), timeout=20)


async def _open(client: LanguageClient, path: Path, text: str | None = None):
    uri = path.as_uri()
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(
                uri=uri,
                language_id="yaml",
                version=1,
                text=path.read_text(encoding="utf-8") if text is None else text,
            )
        )
    )
    return uri, await _published(client, uri)


async def _replace(
    client: LanguageClient, uri: str, text: str, version: int
) -> list[types.Diagnostic]:
    """Send the whole new text as a change and wait for its diagnostics."""
    client.diagnostics.pop(uri, None)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    return await _published(client, uri)


def _validate_json(cwd: Path, *paths: str) -> list[dict[str, Any]]:
    done = subprocess.run(
        [str(RMO), "validate", *paths, "--format", "json"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)["findings"]


def _as_validate(diagnostics: list[types.Diagnostic]) -> list[tuple[Any, ...]]:
    return [
        (d.range.start.line + 1, d.range.start.character + 1, d.severity, d.code, d.message)
        for d in diagnostics
    ]


def _expected(findings: list[dict[str, Any]], file: str) -> list[tuple[Any, ...]]:
    return [
        (f["line"], f["column"], SEVERITY[f["severity"]], f["rule"], f["message"])
        for f in findings
        if f["file"] == file
    ]


def _position(text: str, needle: str, offset: int = 0, occurrence: int = 0) -> types.Position:
    """The position of the occurrence-th needle in text, plus offset characters."""
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(needle, index + 1)
    index += offset
    line = text.count("\n", 0, index)
    return types.Position(line=line, character=index - (text.rfind("\n", 0, index) + 1))


def _apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP text edits (ASCII ranges) as a client does: from the last to the first."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))
    for edit in reversed(ordered):
        start = offsets[edit.range.start.line] + edit.range.start.character
        end = offsets[edit.range.end.line] + edit.range.end.character
        text = text[:start] + edit.new_text + text[end:]
    return text


# --- diagnostics ----------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("name", sorted(p.stem for p in SAMPLES.glob("*.yaml")))
async def test_diagnostics_of_a_sample_are_validates_findings(
    client: LanguageClient, workspace: Path, name: str
) -> None:
    file = f"charters/{name}.yaml"
    _, diagnostics = await _open(client, workspace / file)
    assert _as_validate(diagnostics) == _expected(_validate_json(workspace, file), file)
    assert all(d.source == "rmo" for d in diagnostics)


BROKEN = {
    "typos": [
        ("status: active", "status: activ"),
        ('version: "1.2.0"\n', "version: 1.20\n"),
        ("    owner: mlee", "    owner: mle"),
        ("    target_date: 2027-12-31", "    targt_date: 2027-12-31"),
        ("      chair: mlee", "      chair: rsmith"),
        ("  lead_party: harbourside", "  lead_party: harborside"),
    ],
    "unquoted-colon": [("title: Harbourside", "title: Note: Harbourside")],
    "tab": [("    people:\n      - id: jdoe", "    people:\n\t  - id: jdoe")],
    "unclosed-quote": [('version: "1.2.0"', 'version: "1.2.0')],
    "duplicate-key": [("status: active\n", "status: active\nstatus: draft\n")],
    "missing-lead-party": [("  lead_party: harbourside\n", "")],
    "dates": [("  effective: 2025-02-01", "  effective: 2031-04-01")],
}


@pytest.mark.asyncio
@pytest.mark.parametrize("variant", sorted(BROKEN))
async def test_diagnostics_of_a_broken_charter_are_validates_findings(
    client: LanguageClient, workspace: Path, variant: str
) -> None:
    text = (SAMPLES / f"{HARBOURSIDE}.yaml").read_text(encoding="utf-8")
    for old, new in BROKEN[variant]:
        assert old in text, old
        text = text.replace(old, new, 1)
    file = f"charters/{variant}.yaml"
    (workspace / file).write_text(text, encoding="utf-8")
    _, diagnostics = await _open(client, workspace / file)
    # With no path, validate reads every charter of the repository, as the server does:
    # this variant shares its charter id with the sample it was made from.
    expected = _expected(_validate_json(workspace), file)
    assert len(expected) >= 1
    assert _as_validate(diagnostics) == expected


@pytest.mark.asyncio
async def test_syntax_error_while_typing_keeps_the_last_good_parse(
    client: LanguageClient, workspace: Path
) -> None:
    path = workspace / "charters" / f"{HARBOURSIDE}.yaml"
    text = path.read_text(encoding="utf-8")
    uri, _ = await _open(client, path)
    half_typed = text.replace("  - id: obj-energy\n", "  - id: obj-energy\n    owner: [jd\n", 1)
    diagnostics = await _replace(client, uri, half_typed, 2)
    assert [d.code for d in diagnostics] == ["yaml-syntax"]
    # Completion still knows the people, from the last text that could be read.
    place = _position(half_typed, "    owner: mlee", len("    owner: "))
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), place)
    )
    assert {"jdoe", "mlee", "rsmith", "tkhan"} <= {i.label for i in result.items}


@pytest.mark.asyncio
async def test_a_file_that_is_not_a_charter_gets_no_diagnostics(
    client: LanguageClient, workspace: Path
) -> None:
    path = workspace / "workflow.yaml"
    path.write_text("on: push\njobs:\n  a: b: c\n", encoding="utf-8")
    _, diagnostics = await _open(client, path)
    assert diagnostics == []


@pytest.mark.asyncio
async def test_another_charter_changing_on_disk_updates_the_duplicate_id(
    client: LanguageClient, workspace: Path
) -> None:
    later = workspace / "charters" / "riverside-cardiac-research-network.yaml"
    uri, diagnostics = await _open(client, later)
    assert "duplicate-charter-id" not in {d.code for d in diagnostics}
    registered = client.registrations  # type: ignore[attr-defined]
    assert any(
        r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        for params in registered
        for r in params.registrations
    )
    earlier = workspace / "charters" / "eastern-counties-road-salt-framework.yaml"
    text = earlier.read_text(encoding="utf-8")
    earlier.write_text(
        re.sub(r"(?m)^id: .*$", "id: riverside-cardiac-research-network", text), encoding="utf-8"
    )
    client.diagnostics.pop(uri, None)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(uri=earlier.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    diagnostics = await _published(client, uri)
    file = "charters/riverside-cardiac-research-network.yaml"
    expected = _expected(_validate_json(workspace), file)
    assert "duplicate-charter-id" in {e[3] for e in expected}
    assert _as_validate(diagnostics) == expected


# --- completion, hover, navigation ----------------------------------------------------------


@pytest.mark.asyncio
async def test_completion_offers_person_ids_at_an_owner(
    client: LanguageClient, workspace: Path
) -> None:
    path = workspace / "charters" / f"{HARBOURSIDE}.yaml"
    text = path.read_text(encoding="utf-8")
    uri, _ = await _open(client, path)
    place = _position(text, "    owner: mlee", len("    owner: "))
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), place)
    )
    labels = {item.label for item in result.items}
    assert labels == {"jdoe", "mlee", "rsmith", "tkhan"}  # people, not parties
    jdoe = next(i for i in result.items if i.label == "jdoe")
    assert "Jane Doe" in (jdoe.detail or "")
    # As it is typed: an owner with no value yet, the cursor after "owner: ".
    typing = text.replace("    owner: tkhan\n", "    owner: \n", 1)
    await _replace(client, uri, typing, 2)
    place = _position(typing, "    owner: \n", len("    owner: "))
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), place)
    )
    assert {item.label for item in result.items} == {"jdoe", "mlee", "rsmith", "tkhan"}


@pytest.mark.asyncio
async def test_completion_offers_keys_with_descriptions_and_enum_values(
    client: LanguageClient, workspace: Path
) -> None:
    path = workspace / "charters" / f"{HARBOURSIDE}.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    target_date: 2027-12-31\n", "    \n", 1)
    uri, _ = await _open(client, path, text)
    place = _position(text, "    \n", 4)
    keys = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), place)
    )
    by_label = {item.label: item for item in keys.items}
    assert set(by_label) == {"target_date"}  # the objective's other keys are written
    documentation = by_label["target_date"].documentation
    assert isinstance(documentation, types.MarkupContent) and "YYYY-MM-DD" in documentation.value
    place = _position(text, "status: active", len("status: "))
    values = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), place)
    )
    assert {"draft", "active", "under-review", "terminated"} <= {i.label for i in values.items}
    place = _position(text, "  lead_party: harbourside", len("  lead_party: "))
    party_ids = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), place)
    )
    assert {i.label for i in party_ids.items} == {"harbourside", "globex"}
    place = _position(text, "    objective: obj-energy", len("    objective: "))
    objective_ids = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), place)
    )
    assert {i.label for i in objective_ids.items} == {"obj-outages", "obj-energy"}


@pytest.mark.asyncio
async def test_hover_describes_a_key_and_names_an_id(
    client: LanguageClient, workspace: Path
) -> None:
    path = workspace / "charters" / f"{HARBOURSIDE}.yaml"
    text = path.read_text(encoding="utf-8")
    uri, _ = await _open(client, path)
    on_key = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), _position(text, "lead_party:", 2))
    )
    assert on_key is not None and isinstance(on_key.contents, types.MarkupContent)
    assert "Id of the party that leads the relationship" in on_key.contents.value
    on_id = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), _position(text, "chair: jdoe", 8))
    )
    assert on_id is not None and isinstance(on_id.contents, types.MarkupContent)
    assert "Jane Doe" in on_id.contents.value and "Harbourside" in on_id.contents.value


@pytest.mark.asyncio
async def test_definition_jumps_to_the_person(client: LanguageClient, workspace: Path) -> None:
    path = workspace / "charters" / f"{HARBOURSIDE}.yaml"
    text = path.read_text(encoding="utf-8")
    uri, _ = await _open(client, path)
    place = _position(text, "    owner: tkhan", len("    owner: ") + 2)
    result = await client.text_document_definition_async(
        types.DefinitionParams(types.TextDocumentIdentifier(uri), place)
    )
    assert isinstance(result, list) and len(result) == 1
    defined = _position(text, "- id: tkhan", len("- id: "))
    assert result[0].uri == uri
    assert result[0].range.start == defined
    assert result[0].range.end == types.Position(defined.line, defined.character + len("tkhan"))


@pytest.mark.asyncio
async def test_references_list_every_use_of_an_objective(
    client: LanguageClient, workspace: Path
) -> None:
    path = workspace / "charters" / f"{HARBOURSIDE}.yaml"
    text = path.read_text(encoding="utf-8")
    uri, _ = await _open(client, path)
    place = _position(text, "- id: obj-outages", len("- id: "))
    result = await client.text_document_references_async(
        types.ReferenceParams(
            context=types.ReferenceContext(include_declaration=True),
            text_document=types.TextDocumentIdentifier(uri),
            position=place,
        )
    )
    assert len(result) == text.count("obj-outages") == 3
    lines = text.split("\n")
    assert all(lines[r.range.start.line].rstrip().endswith("obj-outages") for r in result)


@pytest.mark.asyncio
async def test_rename_changes_every_reference_and_nothing_else(
    client: LanguageClient, workspace: Path
) -> None:
    path = workspace / "charters" / f"{HARBOURSIDE}.yaml"
    text = path.read_text(encoding="utf-8")
    # Traps: the same word in free text, as another kind of id, and inside a longer id.
    text = text.replace("  service.\n", "  service. Ask mlee first.\n", 1).replace(
        "  - id: rm-harbourside\n", "  - id: mlee\n", 1
    )
    text = text.replace("  - id: obj-energy\n", "  - id: obj-mlee\n", 1)
    text = text.replace("objective: obj-energy", "objective: obj-mlee")
    path.write_text(text, encoding="utf-8")
    uri, before = await _open(client, path)
    place = _position(text, "holder: mlee", len("holder: "))
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(types.TextDocumentIdentifier(uri), place)
    )
    assert isinstance(prepared, types.PrepareRenamePlaceholder)
    assert prepared.placeholder == "mlee"
    edit = await client.text_document_rename_async(
        types.RenameParams(types.TextDocumentIdentifier(uri), place, "marcus")
    )
    assert edit is not None and edit.changes is not None and list(edit.changes) == [uri]
    renamed = _apply(text, edit.changes[uri])
    protected = ("  service. Ask mlee first.", "roles:\n  - id: mlee", "obj-mlee")
    expected = re.sub(r"(?<![\w-])mlee(?![\w-])", "marcus", text)
    for keep in protected:
        expected = expected.replace(keep.replace("mlee", "marcus"), keep)
    assert renamed == expected
    assert len(edit.changes[uri]) == 13  # the definition and its 12 uses
    after = await _replace(client, uri, renamed, 2)
    assert _as_validate(after) == _as_validate(before)  # nothing dangles


@pytest.mark.asyncio
async def test_rename_to_a_bad_or_taken_id_is_refused(
    client: LanguageClient, workspace: Path
) -> None:
    path = workspace / "charters" / f"{HARBOURSIDE}.yaml"
    text = path.read_text(encoding="utf-8")
    uri, _ = await _open(client, path)
    place = _position(text, "holder: mlee", len("holder: "))
    for new_name in ("Marcus Lee", "jdoe"):
        with pytest.raises(Exception, match="not an id|already defined"):
            await client.text_document_rename_async(
                types.RenameParams(types.TextDocumentIdentifier(uri), place, new_name)
            )


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("old", "new", "rule", "fixed"),
    [
        ("    owner: mlee", "    owner: mle", "unknown-person", "    owner: mlee"),
        ("status: active", "status: Active", "schema-enum", "status: active"),
        ("    target_date: 2027", "    targt_date: 2027", "schema-unknown-key", "    target_date"),
        ('version: "1.2.0"\n', "version: 1.20\n", "schema-type", 'version: "1.20"\n'),
    ],
)
async def test_a_quick_fix_applied_makes_the_finding_disappear(
    client: LanguageClient, workspace: Path, old: str, new: str, rule: str, fixed: str
) -> None:
    path = workspace / "charters" / f"{HARBOURSIDE}.yaml"
    text = path.read_text(encoding="utf-8").replace(old, new, 1)
    uri, diagnostics = await _open(client, path, text)
    (diagnostic,) = [d for d in diagnostics if d.code == rule]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri),
            diagnostic.range,
            types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    assert actions and len(actions) == 1
    action = actions[0]
    assert isinstance(action, types.CodeAction) and action.kind == types.CodeActionKind.QuickFix
    assert action.edit is not None and action.edit.changes is not None
    fixed_text = _apply(text, action.edit.changes[uri])
    assert fixed in fixed_text
    after = await _replace(client, uri, fixed_text, 2)
    assert rule not in {d.code for d in after}
    assert len(after) == len(diagnostics) - 1


@pytest.mark.asyncio
async def test_document_symbols_outline_parties_people_objectives_kpis_risks(
    client: LanguageClient, workspace: Path
) -> None:
    path = workspace / "charters" / f"{HARBOURSIDE}.yaml"
    uri, _ = await _open(client, path)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(types.TextDocumentIdentifier(uri))
    )
    assert symbols is not None
    names = [s.name for s in symbols]
    assert names == [
        "harbourside", "globex", "obj-outages", "obj-energy",
        "kpi-closures", "kpi-first-fix", "kpi-energy",
        "r-turnover", "r-legacy-bms", "r-insurance",
    ]  # fmt: skip
    harbourside = symbols[0]
    assert isinstance(harbourside, types.DocumentSymbol) and harbourside.children
    assert [c.name for c in harbourside.children] == ["jdoe", "mlee"]


@pytest.mark.asyncio
async def test_positions_are_in_utf16_units_after_a_character_outside_the_bmp(
    client: LanguageClient, workspace: Path
) -> None:
    path = workspace / "charters" / f"{HARBOURSIDE}.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("      attendees: [mlee, tkhan]", '      attendees: ["🚀", mle]', 1)
    path.write_text(text, encoding="utf-8")
    _, diagnostics = await _open(client, path)
    (finding,) = [
        f for f in _validate_json(workspace, "charters/" + path.name) if "'mle'" in f["message"]
    ]
    (diagnostic,) = [d for d in diagnostics if "'mle'" in d.message]
    # validate counts the rocket as one character; LSP (UTF-16) as two.
    assert diagnostic.range.start == types.Position(finding["line"] - 1, finding["column"])
    assert diagnostic.range.end == types.Position(finding["line"] - 1, finding["column"] + 3)


def _frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


@pytest.mark.parametrize(("shutdown", "code"), [(True, 0), (False, 1)])
def test_exit_code_is_0_after_shutdown_and_1_without(tmp_path: Path, shutdown: bool, code: int):
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
    ]
    if shutdown:
        messages.append({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
    messages.append({"jsonrpc": "2.0", "method": "exit", "params": None})
    done = subprocess.run(
        [str(RMO), "lsp"],
        input=b"".join(_frame(m) for m in messages),
        capture_output=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == code, done.stderr
    assert b'"capabilities"' in done.stdout and b"Traceback" not in done.stderr


def test_the_cli_does_not_import_pygls_until_rmo_lsp_runs() -> None:
    script = "import sys, rmo_cli.cli.main; print('pygls' in sys.modules)"
    done = subprocess.run(
        [str(RMO.parent / "python"), "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


@pytest.mark.asyncio
async def test_a_burst_of_changes_is_validated_once_with_the_newest_text(
    client: LanguageClient, workspace: Path
) -> None:
    path = workspace / "charters" / f"{HARBOURSIDE}.yaml"
    text = path.read_text(encoding="utf-8")
    uri, _ = await _open(client, path)
    features = client.protocol.fm.features
    published = features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]
    counted: list[types.PublishDiagnosticsParams] = []

    def count(params: types.PublishDiagnosticsParams) -> None:
        counted.append(params)
        published(params)

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = count
    for version in range(2, 32):  # as fast as the client can send them
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangeWholeDocument(
                        text=text.replace("status: active", f"status: active{version}")
                    )
                ],
            )
        )
    await asyncio.wait_for(_until(lambda: any(p.version == 31 for p in counted)), timeout=20)
    await asyncio.sleep(0.3)  # anything still due would arrive now
    assert 1 <= len(counted) <= 5  # not one validation per change
    assert counted[-1].version == 31
    assert any("'active31'" in d.message for d in counted[-1].diagnostics)


async def _until(condition) -> None:
    while not condition():
        await asyncio.sleep(0.01)


@pytest.mark.asyncio
async def test_an_unsaved_id_change_in_one_charter_updates_another_open_one(
    client: LanguageClient, workspace: Path
) -> None:
    earlier = workspace / "charters" / "eastern-counties-road-salt-framework.yaml"
    later = workspace / "charters" / "riverside-cardiac-research-network.yaml"
    later_uri, diagnostics = await _open(client, later)
    assert "duplicate-charter-id" not in {d.code for d in diagnostics}
    earlier_uri, _ = await _open(client, earlier)
    text = earlier.read_text(encoding="utf-8")
    client.diagnostics.pop(later_uri, None)
    await _replace(
        client,
        earlier_uri,
        re.sub(r"(?m)^id: .*$", "id: riverside-cardiac-research-network", text),
        2,
    )

    def duplicates() -> list[types.Diagnostic]:
        found = client.diagnostics.get(later_uri, [])
        return [d for d in found if d.code == "duplicate-charter-id"]

    await asyncio.wait_for(_until(lambda: bool(duplicates())), timeout=20)
    (duplicate,) = duplicates()
    assert "charters/eastern-counties-road-salt-framework.yaml" in duplicate.message


@pytest.mark.asyncio
@pytest.mark.parametrize("workspace", [200], indirect=True)  # read in batches of 20
async def test_a_repository_read_in_batches_ends_with_validates_findings(
    client: LanguageClient, workspace: Path
) -> None:
    # A charter read early and one read in the last batch share the id of the open one.
    last = workspace / "charters" / "zz-last.yaml"
    shutil.copy(workspace / "charters" / "copy-190.yaml", last)
    shutil.copy(workspace / "charters" / "copy-190.yaml", workspace / "charters" / "a-first.yaml")
    uri = last.as_uri()
    await _open(client, last)
    await asyncio.wait_for(
        _until(lambda: "duplicate-charter-id" in {d.code for d in client.diagnostics[uri]}),
        timeout=30,
    )
    expected = _expected(_validate_json(workspace), "charters/zz-last.yaml")
    assert _as_validate(list(client.diagnostics[uri])) == expected


@pytest.mark.asyncio
async def test_the_git_history_rule_is_reported_as_validate_reports_it(
    client: LanguageClient, workspace: Path
) -> None:
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "charters"]):
        subprocess.run(["git", *args], cwd=workspace, check=True, capture_output=True)
    path = workspace / "charters" / f"{HARBOURSIDE}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("  last_reviewed: 2026-09-15", "  last_reviewed: 2026-09-20"), encoding="utf-8"
    )
    _, diagnostics = await _open(client, path)
    file = f"charters/{HARBOURSIDE}.yaml"
    expected = _expected(_validate_json(workspace, file), file)
    assert "review-date-without-log" in {e[3] for e in expected}
    assert _as_validate(diagnostics) == expected
