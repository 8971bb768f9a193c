"""The hardened YAML reader: bytes in, plain data with the position of every value out.

Over 500 lines: the reader, its rules and the node builder belong together.

Reading rules (SPEC §3): YAML 1.2 core scalars (only true/false are booleans, dates stay
strings), duplicate keys rejected, language tags refused, bounded depth, aliases and size,
and every problem reported as a `Finding` instead of an exception.

Over 500 lines on purpose: the reading rules are one security boundary (limits, loader and
the builder that enforces them), kept in one module so they are reviewed together.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from rmo_cli.support.findings import ERROR, Finding, Severity, json_pointer

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 100
# Nodes that may be visited again through aliases before the file counts as a bomb.
MAX_ALIAS_NODES = 10_000
# Above this (cheaply computed) nesting bound the file is pre-scanned as an event stream,
# since libyaml's composer recurses in C and crashes the process near 30,000 levels.
_PRESCAN_BOUND = 2_000

API_VERSION = "rmo/v1"
KIND = "RelationshipCharter"

# Reading-rule ids (SPEC §3): a file breaking one of these cannot be read at all.
READING_RULES: dict[str, str] = {
    "file-unreadable": "The file cannot be opened (missing, a directory, no permission).",
    "file-too-large": "The file is larger than 5 MiB.",
    "not-utf8": "The file is not valid UTF-8 text.",
    "empty-file": "The file holds no YAML document.",
    "yaml-syntax": "The YAML cannot be parsed (or holds several documents).",
    "duplicate-key": "A key appears twice in one mapping (both lines are named).",
    "yaml-tag": "A language-specific or unknown tag such as !!python/object (never executed).",
    "yaml-too-deep": f"Nesting deeper than {MAX_DEPTH} levels.",
    "yaml-alias-bomb": f"Aliases that expand to more than {MAX_ALIAS_NODES:,} values.",
    "not-a-mapping": "The top level is not a mapping of keys.",
    "not-a-charter": "The file has no apiVersion: rmo/v1 / kind: RelationshipCharter.",
}

YamlPath = tuple[str | int, ...]
Position = tuple[int, int]

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN = "rmo:plain"
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
_NULL_RE = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT_RE = re.compile(r"^[-+]?[0-9]+$")
_OCT_RE = re.compile(r"^0o[0-7]+$")
_HEX_RE = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT_RE = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF_RE = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN_RE = re.compile(r"^\.(?:nan|NaN|NAN)$")
# Leading indentation plus compact block indicators ("- ", "? ", ": ") of each line.
_LINE_PREFIX_RE = re.compile(r"(?m)^[ \t]*(?:[-?:][ \t]+)*")


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Composes nodes only; plain scalars are tagged so we resolve them by YAML 1.2 rules."""

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is ScalarNode and implicit[0]:
            return _PLAIN
        return str(super().resolve(kind, value, implicit))


@dataclass
class Document:
    """A YAML document as plain data, with the 1-based position of every value and key."""

    file: str
    data: Any
    text: str
    positions: dict[YamlPath, Position] = field(default_factory=dict)
    key_positions: dict[YamlPath, Position] = field(default_factory=dict)

    def locate(self, path: YamlPath, key: bool = False) -> Position:
        """Line and column of the value at path (or of its key), else of its nearest parent."""
        path = tuple(path)
        if key and path in self.key_positions:
            return self.key_positions[path]
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))

    def finding(
        self,
        path: YamlPath,
        rule: str,
        message: str,
        severity: Severity = ERROR,
        key: bool = False,
    ) -> Finding:
        """A finding about the value at path, placed at its line and column."""
        line, column = self.locate(path, key=key)
        return Finding(self.file, line, column, severity, rule, json_pointer(path), message)


@dataclass
class LoadResult:
    """What reading one file gave: the document, or findings saying why it can't be read."""

    file: str
    document: Document | None
    findings: list[Finding]
    text: str | None = None

    @property
    def ok(self) -> bool:
        """True when the file could be read."""
        return self.document is not None


class _Stop(Exception):
    def __init__(self, finding: Finding) -> None:
        self.finding = finding


def _file_finding(file: str, rule: str, message: str, line: int = 1, column: int = 1) -> Finding:
    return Finding(file, line, column, ERROR, rule, "", message)


def read_charter(path: str | Path, file: str | None = None) -> LoadResult:
    """Read and parse a charter file; `file` is the name to report (default: the path)."""
    return _read(path, file, parse_charter)


def read_yaml(path: str | Path, file: str | None = None) -> LoadResult:
    """Read and parse any YAML file (such as `rmo.yaml`) under the reading rules."""
    return _read(path, file, parse_yaml)


def _read(
    path: str | Path, file: str | None, parse: Callable[[bytes, str], LoadResult]
) -> LoadResult:
    name = file if file is not None else str(path)
    raw = read_bytes(path, name)
    if isinstance(raw, LoadResult):
        return raw
    return parse(raw, name)


def read_bytes(path: str | Path, file: str) -> bytes | LoadResult:
    """The bytes of a file under the reading rules on files, or why they cannot be read."""
    name = file
    try:
        info = Path(path).stat()
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError
        if stat.S_ISBLK(info.st_mode):
            problem = "is a block device, not a charter file"
            return LoadResult(name, None, [_file_finding(name, "file-unreadable", problem)])
        if info.st_size > MAX_BYTES:
            return LoadResult(name, None, [_too_large(name, info.st_size)])
        # A pipe given on purpose (/dev/stdin, <(git show REV:x.yaml)) is read like a file;
        # the bound stops an endless one (/dev/zero) and a file that grew since stat.
        if stat.S_ISFIFO(info.st_mode):
            raw = _read_pipe(path)
            if raw is None:
                problem = "is a pipe (FIFO) that gave no data: nothing writes to it"
                return LoadResult(name, None, [_file_finding(name, "file-unreadable", problem)])
        else:
            with open(path, "rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            return LoadResult(name, None, [_too_large(name, len(raw))])
    except IsADirectoryError:
        return LoadResult(name, None, [_file_finding(name, "file-unreadable", "is a directory")])
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return LoadResult(
            name, None, [_file_finding(name, "file-unreadable", f"cannot read: {reason}")]
        )
    return raw


def _read_pipe(path: str | Path) -> bytes | None:
    """A pipe's bytes (up to the size bound), or None when it gave none.

    Opened without blocking: a named pipe nothing writes to reads as end of file at once
    instead of hanging the run; a pipe with a writer (/dev/stdin, `<(git show …)`) is
    waited on until the writer closes it.
    """
    import select

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        chunks: list[bytes] = []
        total = 0
        while total <= MAX_BYTES:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:  # a writer is there and has not written yet
                select.select([fd], [], [])
                continue
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return b"".join(chunks) if chunks else None
    finally:
        os.close(fd)


def parse_charter(raw: bytes, file: str, positions: bool = True) -> LoadResult:
    """Parse bytes as a charter: reading rules plus the apiVersion/kind identity check.

    positions=False skips recording where each value is (faster; for callers such as
    `rmo log` that need the data and the reading rules' findings only)."""
    result = parse_yaml(raw, file, positions)
    doc = result.document
    if doc is None:
        return result
    data = doc.data
    if not isinstance(data, dict):
        kind = _type_name(data)
        finding = _file_finding(
            file, "not-a-mapping", f"the top level is {kind}; a charter is a mapping of keys"
        )
        return LoadResult(file, None, [finding], result.text)
    if data.get("kind") != KIND and (data.get("apiVersion") != API_VERSION or "kind" in data):
        found = f" (kind: {data['kind']!r})" if "kind" in data else ""
        finding = _file_finding(
            file,
            "not-a-charter",
            f"not a relationship charter{found}: expected 'apiVersion: {API_VERSION}' "
            f"and 'kind: {KIND}'",
        )
        return LoadResult(file, None, [finding], result.text)
    return result


def parse_yaml(raw: bytes, file: str, positions: bool = True) -> LoadResult:
    """Parse bytes as one YAML document under the reading rules (no charter check)."""
    if len(raw) > MAX_BYTES:
        return LoadResult(file, None, [_too_large(file, len(raw))])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return LoadResult(file, None, [_encoding_finding(file, raw, exc)])
    if _nesting_bound(text) > _PRESCAN_BOUND:
        problem = _prescan(text, file)
        if problem is not None:
            return LoadResult(file, None, [problem], text)
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        return LoadResult(file, None, [_syntax_finding(file, exc, text)], text)
    except yaml.reader.ReaderError as exc:
        line, column = _line_col(text, exc.position)
        char = (
            exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or " ")
        )
        message = f"character U+{char:04X} is not allowed in YAML ({exc.reason})"
        finding = Finding(file, line, column, ERROR, "yaml-syntax", "", message)
        return LoadResult(file, None, [finding], text)
    except yaml.YAMLError as exc:
        return LoadResult(file, None, [_file_finding(file, "yaml-syntax", str(exc))], text)
    except RecursionError:
        finding = _file_finding(file, "yaml-too-deep", f"nested deeper than {MAX_DEPTH} levels")
        return LoadResult(file, None, [finding], text)
    if node is None:
        finding = _file_finding(file, "empty-file", "the file is empty: nothing to read")
        return LoadResult(file, None, [finding], text)
    builder = _Builder(file, positions)
    try:
        data = builder.build(node, (), 0)
    except _Stop as stop:
        return LoadResult(file, None, [stop.finding], text)
    if builder.findings:
        return LoadResult(file, None, builder.findings, text)
    doc = Document(file, data, text, builder.positions, builder.key_positions)
    return LoadResult(file, doc, [], text)


def _too_large(file: str, size: int) -> Finding:
    limit = MAX_BYTES // (1024 * 1024)
    return _file_finding(
        file, "file-too-large", f"the file is {size:,} bytes; charters are limited to {limit} MiB"
    )


def _encoding_finding(file: str, raw: bytes, exc: UnicodeDecodeError) -> Finding:
    start = raw.rfind(b"\n", 0, exc.start) + 1
    line = raw.count(b"\n", 0, exc.start) + 1
    column = len(raw[start : exc.start].decode("utf-8", "replace")) + 1
    byte = raw[exc.start : exc.start + 1].hex()
    return Finding(
        file,
        line,
        column,
        ERROR,
        "not-utf8",
        "",
        f"not valid UTF-8 (byte 0x{byte}); save the file with UTF-8 encoding",
    )


def _syntax_finding(file: str, exc: yaml.MarkedYAMLError, text: str = "") -> Finding:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    if _is_depth_error(exc):
        message = f"nested deeper than {MAX_DEPTH} levels"
        return Finding(file, line, column, ERROR, "yaml-too-deep", "", message)
    problem = exc.problem or "invalid YAML"
    if exc.context and exc.context_mark is not None and exc.context_mark is not mark:
        problem = f"{problem} ({exc.context} at line {exc.context_mark.line + 1})"
    elif exc.context:
        problem = f"{exc.context}: {problem}"
    message = f"YAML syntax: {problem}{_syntax_hint(exc, mark, text)}"
    return Finding(file, line, column, ERROR, "yaml-syntax", "", message)


def _syntax_hint(exc: yaml.MarkedYAMLError, mark: Any, text: str) -> str:
    """What usually causes this syntax error, when that is known ("" when it is not)."""
    problem = exc.problem or ""
    lines = text.splitlines()
    row = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    if "tab" in problem or (mark is not None and row[mark.column : mark.column + 1] == "\t"):
        return "; YAML indents with spaces, not tabs: replace the tab with spaces"
    if "mapping values are not allowed" in problem and mark is not None:
        key, sep, value = row.partition(": ")
        if sep and len(key) < mark.column and not value.lstrip().startswith(("'", '"', "[", "{")):
            example = ""
            if '"' not in value and "\\" not in value:
                example = f', as in {key.strip().lstrip("- ")}: "{value.strip()}"'
            return (
                "; a colon followed by a space inside unquoted text starts a new key: "
                f"quote the text{example}"
            )
    if "while scanning a quoted scalar" in (exc.context or "") and exc.context_mark is not None:
        opened = exc.context_mark
        return (
            f"; the quote opened at line {opened.line + 1}, column {opened.column + 1} is never "
            "closed: add the closing quote"
        )
    return ""


def _line_col(text: str, index: int) -> Position:
    start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - start + 1


def _nesting_bound(text: str) -> int:
    """A cheap upper bound on how deep the document can nest."""
    prefix = max((len(m) for m in _LINE_PREFIX_RE.findall(text)), default=0)
    return text.count("[") + text.count("{") + 2 * prefix + 4


def _prescan(text: str, file: str) -> Finding | None:
    """Walk the event stream (iterative in libyaml) to bound depth before composing."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_BaseLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
                    return Finding(
                        file,
                        line,
                        column,
                        ERROR,
                        "yaml-too-deep",
                        "",
                        f"nested deeper than {MAX_DEPTH} levels",
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        if _is_depth_error(exc):
            return _syntax_finding(file, exc, text)
        return None  # composing again reports the syntax error with its place
    except yaml.YAMLError:
        return None
    return None


def _is_depth_error(exc: yaml.MarkedYAMLError) -> bool:
    """libyaml 0.2.5+ (PyYAML 6.0.4) stops deep flow nesting itself, before our own bound."""
    return "maximum nesting depth" in (exc.problem or "")


def _type_name(value: Any) -> str:
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


class _Builder:
    """Turns composed nodes into plain data, recording positions and rule violations."""

    def __init__(self, file: str, record: bool = True) -> None:
        self.file = file
        self.record = record  # False: no positions (same data, same findings)
        self.positions: dict[YamlPath, Position] = {}
        self.key_positions: dict[YamlPath, Position] = {}
        self.findings: list[Finding] = []
        self._seen: set[int] = set()
        self._alias_depth = 0
        self._alias_nodes = 0

    def _finding(self, node: Node, rule: str, message: str, path: YamlPath) -> Finding:
        mark = node.start_mark
        return Finding(
            self.file, mark.line + 1, mark.column + 1, ERROR, rule, json_pointer(path), message
        )

    def build(self, node: Node, path: YamlPath, depth: int) -> Any:
        # One limit for block and flow style: MAX_DEPTH collections inside each other (the
        # root is depth 0); scalars add no level, as in the event pre-scan.
        if depth >= MAX_DEPTH and isinstance(node, (MappingNode, SequenceNode)):
            raise _Stop(
                self._finding(node, "yaml-too-deep", f"nested deeper than {MAX_DEPTH} levels", ())
            )
        aliased = id(node) in self._seen
        if aliased:
            self._alias_depth += 1
        else:
            self._seen.add(id(node))
        if self._alias_depth:
            self._alias_nodes += 1
            if self._alias_nodes > MAX_ALIAS_NODES:
                raise _Stop(
                    self._finding(
                        node,
                        "yaml-alias-bomb",
                        f"aliases expand to more than {MAX_ALIAS_NODES:,} values; "
                        "write the repeated content out instead",
                        path,
                    )
                )
        if self.record:
            mark = node.start_mark
            self.positions[path] = (mark.line + 1, mark.column + 1)
        try:
            if isinstance(node, ScalarNode):
                return self._scalar(node, path)
            if isinstance(node, SequenceNode):
                self._check_tag(node, _SEQ, path)
                return [
                    self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)
                ]
            if isinstance(node, MappingNode):
                self._check_tag(node, _MAP, path)
                return self._mapping(node, path, depth)
            raise _Stop(self._finding(node, "yaml-syntax", "unsupported YAML node", path))
        finally:
            if aliased:
                self._alias_depth -= 1

    def _check_tag(self, node: Node, expected: str, path: YamlPath) -> None:
        if node.tag not in (expected, "!"):
            raise _Stop(self._tag_finding(node, path))

    def _tag_finding(self, node: Node, path: YamlPath) -> Finding:
        tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
        return self._finding(
            node,
            "yaml-tag",
            f"the tag {tag} is not allowed: charters hold plain data (text, numbers, "
            "true/false, lists, mappings)",
            path,
        )

    def _scalar(self, node: ScalarNode, path: YamlPath) -> Any:
        try:
            return self._typed_scalar(node, path)
        except ValueError:  # e.g. an integer of more digits than Python converts
            raise _Stop(
                self._finding(
                    node, "yaml-syntax", f"the number {node.value[:20]}… is too long to read", path
                )
            ) from None

    def _typed_scalar(self, node: ScalarNode, path: YamlPath) -> Any:
        value: str = node.value
        tag = node.tag
        if tag == _PLAIN:
            return _resolve_plain(value)
        if tag in (_STR, "!"):
            return value
        converted = _resolve_plain(value)
        expected = {_INT: int, _FLOAT: float, _BOOL: bool, _NULL: type(None)}.get(tag)
        if expected is None:
            raise _Stop(self._tag_finding(node, path))
        if expected is float and isinstance(converted, int) and not isinstance(converted, bool):
            converted = float(converted)
        if type(converted) is not expected:
            raise _Stop(
                self._finding(node, "yaml-tag", f"{value!r} is not a valid {tag[18:]}", path)
            )
        return converted

    def _mapping(self, node: MappingNode, path: YamlPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise _Stop(
                    self._finding(
                        key_node, "yaml-syntax", "complex (non-scalar) keys are not supported", path
                    )
                )
            if key_node.tag == _PLAIN and key_node.value == "<<":
                merges.append(value_node)
                continue
            key_value = self._scalar(key_node, path)
            key = key_value if isinstance(key_value, str) else key_node.value
            line = key_node.start_mark.line + 1
            if key in first_line:
                self.findings.append(
                    self._finding(
                        key_node,
                        "duplicate-key",
                        f"duplicate key {key!r}: first at line {first_line[key]}, "
                        f"again at line {line}; keep one",
                        (*path, key),
                    )
                )
                continue
            first_line[key] = line
            child = (*path, key)
            if self.record:
                self.key_positions[child] = (line, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, child, depth + 1)
        for merge in merges:
            self._merge(merge, result, path, depth)
        return result

    def _merge(self, node: Node, result: dict[str, Any], path: YamlPath, depth: int) -> None:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, MappingNode):
                raise _Stop(
                    self._finding(source, "yaml-syntax", "a merge key (<<) needs a mapping", path)
                )
            # Explicit keys win, so their positions must survive the merged copy's.
            saved, saved_keys = dict(self.positions), dict(self.key_positions)
            merged = self.build(source, path, depth)
            self.positions.update(saved)
            self.key_positions.update(saved_keys)
            for key, value in merged.items():
                result.setdefault(key, value)


def _bounded(number: int) -> int:
    """An integer Python can still write in decimal (4,300 digits), else ValueError.

    Decimal literals meet that limit when read; hex and octal ones only when written out,
    by a report or the fingerprint, far from the file and line that hold them.
    """
    if number.bit_length() > _MAX_INT_BITS:
        raise ValueError("integer too long")
    return number


_MAX_INT_BITS = 14_000  # 4,300 decimal digits need about 14,284 bits


def _resolve_plain(value: str) -> Any:
    """Type a plain scalar by the YAML 1.2 core schema."""
    if not value or value[0] in "~nN":
        if _NULL_RE.match(value):
            return None
    first = value[0]
    if first in "tTfF" and _BOOL_RE.match(value):
        return value[0] in "tT"
    if first in "0123456789+-.":
        if _INT_RE.match(value):
            return int(value)
        if _OCT_RE.match(value):
            return _bounded(int(value[2:], 8))
        if _HEX_RE.match(value):
            return _bounded(int(value[2:], 16))
        if _FLOAT_RE.match(value):
            return float(value)
        if _INF_RE.match(value):
            return -math.inf if first == "-" else math.inf
        if _NAN_RE.match(value):
            return math.nan
    return value
