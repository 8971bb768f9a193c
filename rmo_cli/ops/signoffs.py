"""Sign-offs: the content fingerprint (SPEC §6), signing and verification."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmo_cli.adapters.ssh import ssh_sign
from rmo_cli.charter.fingerprint import fingerprint, signed_payload
from rmo_cli.charter.roster import people as roster_people
from rmo_cli.ops.trust import config_for, trust_for
from rmo_cli.rules.signoffs import signer_email
from rmo_cli.support.errors import RefusedError, RmoError
from rmo_cli.support.findings import Finding

if TYPE_CHECKING:
    from rmo_cli.charter.loading import Document


def signers_for(charter_path: Path) -> Path | None:
    """The allowed signers file for a charter (see `config_for`), or None."""
    return config_for(charter_path).signers


# --- signing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignResult:
    """What `sign_charter` recorded: the new sign-off and the one it replaced, if any."""

    file: str
    signoff: dict[str, str]
    replaced: dict[str, Any] | None = None


def new_signoff(
    data: dict[str, Any], person_id: str, date: dt.date, capacity: str | None = None
) -> dict[str, str]:
    """The sign-off entry for person on date (party derived, fingerprint of data); pure.

    A person who is not a representative of a party is an RmoError (exit 2).
    """
    people = roster_people(data)
    if person_id not in people:
        known = ", ".join(sorted(people)) or "none"
        raise RmoError(
            f"--person {person_id!r} is not a representative of any party of this charter "
            f"(people: {known}); add them under parties[].people first"
        )
    person, party = people[person_id]
    entry: dict[str, str] = {"person": person_id, "party": str(party.get("id"))}
    capacity = capacity if capacity is not None else _str_or_none(person.get("title"))
    if capacity:
        entry["capacity"] = capacity
    entry["date"] = date.isoformat()
    entry["version"] = str(data.get("version", ""))
    entry["fingerprint"] = fingerprint(data)
    return entry


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def sign_charter(
    path: Path,
    person_id: str,
    date: dt.date,
    *,
    as_of: dt.date,
    capacity: str | None = None,
    key: Path | None = None,
    file: str | None = None,
) -> SignResult:
    """Record person's sign-off of the charter at path (SPEC §6), signed with key if given.

    Refuses (RmoError, file untouched) an unreadable or invalid charter (exit 1), a person
    outside the parties, a date after as_of, and a repeat sign-off of the same content
    (exit 2). Replaces the person's earlier sign-off; keeps comments, order and quoting.
    One `edit_in_place`: the file's edit lock is held from the read to the rename.
    """
    from rmo_cli.ops.editing import edit_in_place

    path = Path(path)
    name = file or str(path)

    def plan(original: bytes, doc: Document) -> tuple[bytes, SignResult]:
        return _plan_signoff(path, original, doc, name, person_id, date, as_of, capacity, key)

    return edit_in_place(
        path,
        name,
        plan,
        unreadable=lambda loaded: RefusedError(
            _cannot_sign(name, loaded.findings, "cannot be read")
        ),
    )


def _plan_signoff(
    path: Path,
    original: bytes,
    doc: Document,
    name: str,
    person_id: str,
    date: dt.date,
    as_of: dt.date,
    capacity: str | None,
    key: Path | None,
) -> tuple[bytes, SignResult]:
    """The charter's bytes with person's sign-off, and what was recorded (nothing written)."""
    from rmo_cli.ops.validation import check_document, has_errors

    trust = trust_for(Path(path))
    findings = check_document(doc, as_of, trust.register)
    if has_errors(findings):
        errors = [f for f in findings if f.severity == "error"]
        raise RefusedError(_cannot_sign(name, errors, "is not valid"))
    if date > as_of:
        raise RmoError(
            f"--date {date.isoformat()} is in the future (today is {as_of.isoformat()}); "
            "a sign-off records an approval already given"
        )
    if capacity is not None:
        from rmo_cli.charter.scaffold import check_text

        try:
            capacity = check_text(capacity, "capacity")
        except RmoError as exc:
            raise RmoError(
                f"--capacity: {exc.message}; leave it out to use the person's title"
            ) from None
    data: dict[str, Any] = doc.data
    entry = new_signoff(data, person_id, date, capacity)
    earlier = [
        (i, s)
        for i, s in enumerate(data.get("signoffs") or [])
        if isinstance(s, dict) and s.get("person") == person_id
    ]
    for _, signoff in earlier:
        if signoff.get("fingerprint") == entry["fingerprint"]:
            raise RmoError(
                f"{name}: {person_id} already signed this content on {signoff.get('date')} "
                f"({entry['fingerprint']}); nothing to do"
            )
    if key is not None:
        email = signer_email(data, entry, trust)
        entry["signature"] = ssh_sign(signed_payload(data.get("id"), entry, email), key)
    new = _signed_bytes(path, original, name, data, entry, [i for i, _ in earlier])
    return new, SignResult(name, entry, earlier[-1][1] if earlier else None)


def _cannot_sign(name: str, findings: list[Finding], why: str) -> str:
    shown = findings[:10]
    lines = [f"{name} {why}; fix it before signing (see 'rmo validate {name}'):"]
    lines += [f"  {f.file}:{f.line}:{f.column}: {f.severity}[{f.rule}] {f.message}" for f in shown]
    if len(findings) > len(shown):
        lines.append(f"  … and {len(findings) - len(shown)} more")
    return "\n".join(lines)


def _write_signoff(path: Path, entry: dict[str, str], earlier: list[int], name: str) -> None:
    """Put entry in place of the person's first earlier sign-off (dropping the others), or
    append it, in a comment-preserving round-trip edit written atomically."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

    from rmo_cli.ops.editing import edit_charter, put_trailing, take_trailing

    item = CommentedMap()
    for field_name, value in entry.items():
        if field_name == "date":
            # A date object is written unquoted, like the dates people type.
            item[field_name] = dt.date.fromisoformat(value)
        elif field_name == "version":
            item[field_name] = DoubleQuotedScalarString(value)
        elif field_name == "signature":
            item[field_name] = LiteralScalarString(value)
        else:
            item[field_name] = value
    from ruamel.yaml.error import YAMLError

    try:
        with edit_charter(path, "signoffs") as document:
            signoffs = document.get("signoffs")
            if not isinstance(signoffs, list) or not signoffs:
                # An absent, null or empty (`[]`) list becomes a block list.
                signoffs = CommentedSeq()
                document["signoffs"] = signoffs
            # Comments after the last sign-off introduce the next key: keep them there.
            trailing = take_trailing(signoffs)
            if earlier:
                signoffs[earlier[0]] = item
                for index in reversed(earlier[1:]):
                    del signoffs[index]
            else:
                signoffs.append(item)
            put_trailing(signoffs, trailing)
    except YAMLError as exc:
        # The round-trip parser is stricter than the loader in a few corners.
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RmoError(
            f"{name}: cannot edit this file in place ({reason}); nothing was written"
        ) from None


def _signed_bytes(
    path: Path,
    original: bytes,
    name: str,
    data: dict[str, Any],
    entry: dict[str, str],
    earlier: list[int],
) -> bytes:
    """The charter's bytes with the sign-off, changing only the `signoffs` block (SPEC §5),
    checked: the rest of the content and the fingerprint just signed must read back
    unchanged."""
    from rmo_cli.charter.loading import parse_charter
    from rmo_cli.ops.editing import edit_block

    unsigned = {k: v for k, v in data.items() if k != "signoffs"}

    def reads_right(raw: bytes) -> bool:
        doc = parse_charter(raw, name).document
        return (
            doc is not None
            and isinstance(doc.data, dict)
            and {k: v for k, v in doc.data.items() if k != "signoffs"} == unsigned
            and fingerprint(doc.data) == entry["fingerprint"]
            and entry in (doc.data.get("signoffs") or [])
        )

    final = edit_block(
        path,
        original,
        "signoffs",
        lambda draft: _write_signoff(draft, entry, earlier, name),
        reads_right,
        "the sign-off",
    )
    if final is None:
        raise RefusedError(
            f"{name}: rmo's editor would have changed other content of the charter while "
            "adding the sign-off, so nothing was changed. Add the sign-off by hand "
            "(`rmo verify` checks it), and please report the file's layout.",
        )
    return final


# --- what changed since a stale sign-off (git history) ------------------------------------

_MAX_CHANGES = 20
# Keys outside the fingerprint: changes to them do not make a sign-off stale.
_BOOKKEEPING = {
    ("signoffs",),
    ("status",),
    ("lifecycle_stage",),
    ("review", "last_reviewed"),
    ("review", "next_due"),
    ("review", "log"),
}


def _is_bookkeeping(segments: tuple[Any, ...], path: str) -> bool:
    keys = tuple(str(s) for s in segments) or tuple(path.split("."))
    if len(keys) >= 3 and keys[0] == "kpis" and keys[2] == "measurements":
        return True
    return any(keys[: len(prefix)] == prefix for prefix in _BOOKKEEPING)


def changes_since(doc: Document, signed: str) -> tuple[str, ...]:
    """What changed in the charter since the content with fingerprint `signed`, in words.

    Finds the newest commit in the file's git history (renames followed) whose version of
    the file has that fingerprint, and describes the semantic diff from it to the file
    now. Empty when the file is not in a git repository; a one-line note when the signed
    revision cannot be found.
    """
    from rmo_cli.adapters import git as gitrepo
    from rmo_cli.charter.diff import describe_changes, diff_charters
    from rmo_cli.charter.loading import parse_charter

    try:
        repo = gitrepo.open_repo(doc.file)
        relative = gitrepo.relative_path(repo, doc.file)
        entries = gitrepo.file_history(repo, relative)
    except RmoError:
        return ()
    for entry in entries:
        if entry.blob is None:
            continue
        try:
            old = parse_charter(gitrepo.read_blob_id(repo, entry.blob), entry.path).document
        except (OSError, ValueError):
            continue
        if old is None or not isinstance(old.data, dict) or fingerprint(old.data) != signed:
            continue
        changes = [
            c for c in diff_charters(old.data, doc.data) if not _is_bookkeeping(c.segments, c.path)
        ]
        words = describe_changes(old.data, doc.data, changes)
        head = (
            f"changed since the signed revision {entry.sha[:7]} "
            f"({entry.date[:10]}, {entry.subject!r}):"
        )
        shown = [f"- {w}" for w in words[:_MAX_CHANGES]]
        if len(words) > _MAX_CHANGES:
            shown.append(
                f"- … and {len(words) - _MAX_CHANGES} more ('rmo diff {doc.file} {entry.sha[:7]}')"
            )
        return (head, *shown)
    hint = "; " + gitrepo.UNSHALLOW_HINT if gitrepo.is_shallow(repo) else ""
    return (f"the signed revision is not in {relative}'s git history{hint}",)
