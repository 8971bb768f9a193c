"""Atomic writes, and comment-preserving in-place edits of charters (ruamel round-trip)."""

from __future__ import annotations

import contextlib
import contextvars
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rmo_cli.support.atomic import atomic_write, locked
from rmo_cli.support.errors import RefusedError, RmoError

if TYPE_CHECKING:
    from rmo_cli.charter.loading import Document, LoadResult

T = TypeVar("T")

# The whole file's text while `edit_block` edits a draft holding only one block: the draft
# keeps the file's indentation style, which the rest of the file may be what shows.
_STYLE_SOURCE: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "rmo_edit_style_source", default=None
)


def _round_trip_yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def detect_indent(text: str, prefer: str | None = None) -> tuple[int, int]:
    """(sequence indent, dash offset) used by the file's block lists, default (4, 2).

    With `prefer`, the lists of that top-level block count first: the block being edited
    is re-emitted, and should keep its own style.
    """
    lines = text.splitlines()
    if prefer is not None:
        block = _top_level_block(lines, prefer)
        if block is not None:
            found = _first_list_indent(lines[block[0] : block[1]])
            if found is not None:
                return found
    return _first_list_indent(lines) or (4, 2)


def _first_list_indent(lines: list[str]) -> tuple[int, int] | None:
    for i, line in enumerate(lines[:-1]):
        stripped = line.rstrip()
        if stripped.endswith(":") and not stripped.lstrip().startswith("#"):
            nxt = lines[i + 1]
            content = nxt.lstrip(" ")
            if content.startswith("- "):
                parent = len(line) - len(line.lstrip(" "))
                offset = len(nxt) - len(content) - parent
                after_dash = len(content) - len(content[1:].lstrip(" "))
                return offset + after_dash, offset
    return None


def detect_mapping_indent(text: str) -> int:
    """Indentation of the file's nested block mappings (2 when nothing says otherwise)."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for line, nxt in zip(lines, lines[1:], strict=False):
        stripped = line.rstrip()
        content = nxt.lstrip(" ")
        if stripped.endswith(":") and not stripped.lstrip().startswith("- "):
            if content.startswith("- ") or ":" not in content:
                continue
            step = (len(nxt) - len(content)) - (len(line) - len(line.lstrip(" ")))
            if step > 0:
                return step
    return 2


@contextlib.contextmanager
def edit_charter(path: Path, block: str | None = None) -> Iterator[Any]:
    """Yield the round-trip document of a charter; on normal exit write it back atomically.

    Comments, key order, quoting and blank lines survive; raising inside leaves the file as is.
    For drafts: the write is not flushed to disk (`edit_in_place` flushes the real file).
    """
    path = Path(path)
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    bom = raw.startswith(b"\xef\xbb\xbf")
    crlf = "\r\n" in text
    yaml = _round_trip_yaml()
    style = _STYLE_SOURCE.get() or text
    sequence, offset = detect_indent(style, block)
    yaml.indent(mapping=detect_mapping_indent(style), sequence=sequence, offset=offset)
    document = yaml.load(text)
    yield document
    out = io.StringIO()
    yaml.dump(document, out)
    result = out.getvalue()
    if crlf:
        result = result.replace("\r\n", "\n").replace("\n", "\r\n")
    # Callers edit private drafts (edit_block's) that `edit_in_place` then puts in place with
    # its own flushed atomic write: a flush to disk here would be wasted.
    atomic_write(path, (b"\xef\xbb\xbf" if bom else b"") + result.encode("utf-8"), fsync=False)


def edit_block(
    path: Path,
    original: bytes,
    key: str,
    edit: Callable[[Path], None],
    reads_right: Callable[[bytes], bool],
    what: str,
) -> bytes | None:
    """The file's new bytes after `edit` changes its top-level `key:` block, or None.

    `edit` works on a private copy (the charter is not touched). Of its result only the
    `key:` block is taken into the original (`splice_section`), so every other line stays
    byte for byte; failing that, the whole edited copy if it changed nothing outside the
    block. Whichever is taken must pass `reads_right` (else None: a bug) and keep every
    comment line exactly once. A layout the editor cannot keep is an RmoError (exit 1)
    naming `what` was to be added; the charter is untouched either way.
    """
    # First the block alone (a fraction of the file for the round-trip editor to read and
    # write back); the whole file when that cannot be edited or does not read right (an
    # alias to an anchor outside the block, a directive the block needs).
    candidates = []
    block = _block_text(original, key)
    if block is not None:
        token = _STYLE_SOURCE.set(original.decode("utf-8-sig", "replace"))
        try:
            candidates = _candidates(path, original, block, key, edit, reads_right)
        except Exception:  # noqa: BLE001 - any failure on the block alone: try the whole file
            candidates = []
        finally:
            _STYLE_SOURCE.reset(token)
    if not candidates or _layout_problem(original, candidates[0], key) is not None:
        candidates = _candidates(path, original, original, key, edit, reads_right)
    if not candidates:
        return None
    name = path.name
    for candidate in candidates:
        problem = _layout_problem(original, candidate, key)
        if problem is None:
            return candidate
    raise RefusedError(
        f"{name}: adding {what} would have {problem}, a layout rmo's editor cannot keep; "
        f"nothing was changed. Add {what} by hand (`rmo validate` checks it).",
    )


def _block_text(original: bytes, key: str) -> bytes | None:
    """The lines of original's top-level `key:` block alone (None when it has none)."""
    lines = original.decode("utf-8-sig", "replace").splitlines(keepends=True)
    found = _top_level_block(lines, key)
    return "".join(lines[found[0] : found[1]]).encode("utf-8") if found is not None else None


def _candidates(
    path: Path,
    original: bytes,
    draft_bytes: bytes,
    key: str,
    edit: Callable[[Path], None],
    reads_right: Callable[[bytes], bool],
) -> list[bytes]:
    """The edited file's possible new bytes that read right: draft_bytes edited on a private
    copy, its `key:` block spliced into original, then (when the draft is the whole file)
    the whole edited copy."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="rmo-edit-") as scratch:
        draft = Path(scratch) / path.name
        draft.write_bytes(draft_bytes)
        edit(draft)
        edited = draft.read_bytes()
    spliced = splice_section(original, edited, key)
    whole = edited if draft_bytes is original else None
    return [c for c in (spliced, whole) if c is not None and reads_right(c)]


def _layout_problem(before: bytes, after: bytes, key: str) -> str | None:
    """What the edit disturbed besides the `key:` block, or None: a line outside the block
    lost or changed, or a comment line duplicated, dropped or moved into the block."""
    import difflib
    from collections import Counter

    old = before.decode("utf-8-sig").splitlines()
    new = after.decode("utf-8-sig").splitlines()

    def comments(lines: list[str]) -> Counter[str]:
        return Counter(line.strip() for line in lines if line.strip().startswith("#"))

    # Each comment line of the file once, as before (new text may hold "#" lines of its own).
    had, has = comments(old), comments(new)
    for comment, count in had.items():
        if has[comment] != count:
            return f"{'duplicated' if has[comment] > count else 'dropped'} the comment {comment!r}"
    block = _top_level_block(old, key)
    if block is not None:
        # Everything before and after the block exactly as it was, in place.
        start, end = block
        head, tail = old[:start], old[end:]
        if new[:start] != head:
            return f"changed the lines before `{key}:`"
        if tail and new[-len(tail) :] != tail:
            return f"changed the lines after `{key}:` (first: {tail[0].strip()!r})"
        return None
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, _, _, _ in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            return f"changed the line {old[i1].strip()!r}"
    return None


def edit_lock(path: Path) -> contextlib.AbstractContextManager[None]:
    """The lock every in-place edit of path holds from its first read to its rename."""
    return locked(path)


def edit_in_place(
    path: Path,
    name: str,
    plan: Callable[[bytes, Document], tuple[bytes, T]],
    *,
    refuse: Callable[[str], RmoError] = RefusedError,
    unreadable: Callable[[LoadResult], RmoError] | None = None,
) -> T:
    """Edit the charter at path in place under its edit lock; return what `plan` returns.

    The one flow of every command that edits a charter: path checks (RmoError, exit 2),
    then, holding `edit_lock(path)` from the read to the rename, read the bytes (an
    OSError is `refuse("cannot read NAME: why")`), parse them (a charter that cannot be
    read is `unreadable(loaded)`, by default `refuse("file:line:column: message")`), call
    `plan(original, document)` for (new bytes, result) — it raises to refuse — and
    replace the file atomically unless it changed meanwhile. Any refusal leaves the file
    byte-identical.
    """
    from rmo_cli.charter.loading import parse_charter

    path = Path(path)
    if not path.exists():
        raise RmoError(f"{name} does not exist; give the path of a charter file")
    if path.is_dir():
        raise RmoError(f"{name} is a directory; give the path of one charter file")
    with edit_lock(path):
        try:
            original = path.read_bytes()
        except OSError as exc:
            raise refuse(f"cannot read {name}: {exc.strerror or exc}") from None
        loaded = parse_charter(original, name)
        if loaded.document is None:
            if unreadable is not None:
                raise unreadable(loaded)
            first = loaded.findings[0]
            raise refuse(f"{first.file}:{first.line}:{first.column}: {first.message}")
        new, result = plan(original, loaded.document)
        replace_unless_changed(path, original, new, name)
        return result


def replace_unless_changed(path: Path, original: bytes, new: bytes, name: str) -> None:
    """Write new over path atomically, unless someone changed the file meanwhile (exit 2).

    Callers hold `edit_lock(path)` from their first read (`edit_in_place` does): other
    rmo runs wait for it, so the comparison only catches editors that do not take the lock.
    """
    if path.read_bytes() != original:
        raise RmoError(f"{name} changed while rmo was editing it; nothing written, run it again")
    atomic_write(path, new)


def splice_section(original: bytes, edited: bytes, key: str) -> bytes | None:
    """`original` with its top-level `key:` block replaced by `edited`'s, or appended.

    The round-trip editor re-emits the whole file, and can normalise lines it was not
    asked to touch (`status:   active`, a folded plain scalar, mixed indentation). Taking
    only the edited block keeps every other byte. None when a block can't be found; the
    caller checks the result parses to what it expects.
    """
    bom = b"\xef\xbb\xbf" if original.startswith(b"\xef\xbb\xbf") else b""
    before = original.decode("utf-8-sig").splitlines(keepends=True)
    after = edited.decode("utf-8-sig").splitlines(keepends=True)
    new = _top_level_block(after, key)
    if new is None:
        return None
    block = after[new[0] : new[1]]
    old = _top_level_block(before, key)
    # The editor may move an unindented comment that introduces the next key into the
    # block (before its new item); the original keeps it where it was.
    kept = before[: old[0]] + before[old[1] :] if old is not None else before
    outside = {line for line in kept if line.startswith("#")}
    block = [line for line in block if not (line.startswith("#") and line in outside)]
    if old is None:
        newline = "\r\n" if before and before[0].endswith("\r\n") else "\n"
        if before and not before[-1].endswith("\n"):
            before[-1] += newline
        # Before a closing `...` (and the comments or blanks after it), not past it.
        end = len(before)
        while end and (not before[end - 1].strip() or before[end - 1].startswith("#")):
            end -= 1
        if end and before[end - 1].rstrip() == "...":
            end -= 1
        else:
            end = len(before)
        lines = [*before[:end], *block, *before[end:]]
    else:
        lines = [*before[: old[0]], *block, *before[old[1] :]]
    return bom + "".join(lines).encode("utf-8")


def _top_level_block(lines: list[str], key: str) -> tuple[int, int] | None:
    """[start, end) of the lines of a top-level `key:` and its value, without the blank
    and unindented comment lines after it (they belong with what follows)."""
    import re

    quoted = re.escape(key)
    starts = re.compile(rf"(?:{quoted}|\"{quoted}\"|'{quoted}')[ \t]*:(\s|$)")
    start = next((i for i, line in enumerate(lines) if starts.match(line)), None)
    if start is None:
        return None
    end = start + 1
    # The value runs on while lines are indented, sequence items or a flow collection's
    # closing bracket at column 0, or blank.
    while end < len(lines) and not re.match(r"[^\s#\-\]}]|-[^\s]|---|\.\.\.", lines[end]):
        end += 1
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    return start, end


# Comments and blank lines after a block's last item belong to the next key: the round-trip
# editor keeps them on that item, so an append would land after them. Detach, edit, re-attach.


def _last_chain(node: Any) -> list[tuple[Any, Any]]:
    """(container, last key) pairs from node down its last block items."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    chain: list[tuple[Any, Any]] = []
    while isinstance(node, (CommentedMap, CommentedSeq)) and len(node):
        if node.fa.flow_style():
            break
        last = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
        chain.append((node, last))
        node = node[last]
    return chain


def _token_slot(container: Any) -> int:
    from ruamel.yaml.comments import CommentedMap

    return 2 if isinstance(container, CommentedMap) else 0


def _is_block_scalar(value: Any) -> bool:
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

    return isinstance(value, (LiteralScalarString, FoldedScalarString))


def _token_text(token: Any) -> str:
    """A full-line comment token's text with the indentation it had in the file."""
    value: str = token.value
    column = getattr(getattr(token, "start_mark", None), "column", 0) or 0
    return " " * column + value if value.startswith("#") else value


def take_trailing(root: Any) -> str:
    """Detach the blank lines and comments after root's last item (they precede the next key)."""
    parts: list[tuple[int, int, str]] = []
    for depth, (container, last) in enumerate(_last_chain(root)):
        slot = _token_slot(container)
        entry = container.ca.items.get(last)
        token = entry[slot] if entry and len(entry) > slot else None
        if token is not None and isinstance(token.value, str):
            value = token.value
            # A block scalar ends its own line; any other value's token starts with its line end.
            block = _is_block_scalar(container[last])
            cut = value.find("\n") + 1 if value.startswith("#") else 0 if block else 1
            if cut > 0 and value[cut:]:
                parts.append((depth, 0, value[cut:]))
                if value[:cut].strip():
                    token.value = value[:cut]
                else:
                    entry[slot] = None
        end = getattr(container.ca, "end", None)
        if end:
            text = "".join(_token_text(t) for t in end if isinstance(t.value, str))
            parts.append((depth, 1, text))
            container.ca.end = []
    parts.sort(key=lambda p: (-p[0], p[1]))
    return "".join(text for _, _, text in parts)


def put_trailing(root: Any, text: str) -> None:
    """Attach text (blank lines, comments) after root's last item."""
    if not text:
        return
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    chain = _last_chain(root)
    if not chain:
        return
    container, last = chain[-1]
    slot = _token_slot(container)
    entry = container.ca.items.setdefault(
        last, [None, None, None, None] if slot == 2 else [None, None]
    )
    token = entry[slot]
    if token is not None and isinstance(token.value, str) and token.value.endswith("\n"):
        token.value += text
    else:
        prefix = "" if _is_block_scalar(container[last]) else "\n"
        entry[slot] = CommentToken(prefix + text, CommentMark(0), None)
