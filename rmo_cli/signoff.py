"""Sign-offs: the content fingerprint (SPEC §6), signing and verification."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmo_cli.errors import EXIT_FINDINGS, RmoError
from rmo_cli.findings import WARNING, Finding

if TYPE_CHECKING:
    from rmo_cli.loading import Document

FINGERPRINT_PREFIX = "sha256:"


def fingerprint_payload(data: dict[str, Any]) -> bytes:
    """The canonical JSON bytes the fingerprint hashes (SPEC §6)."""
    # Copies of the two mappings that lose keys are enough: nothing else is changed.
    content = dict(data)
    content.pop("signoffs", None)
    review = content.get("review")
    if isinstance(review, dict):
        content["review"] = {
            k: v for k, v in review.items() if k not in ("last_reviewed", "next_due", "log")
        }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def fingerprint(data: dict[str, Any]) -> str:
    """`sha256:<hex>` of the charter's signed content: the one fingerprint used everywhere."""
    return FINGERPRINT_PREFIX + hashlib.sha256(fingerprint_payload(data)).hexdigest()


def content_state(data: dict[str, Any], signoff: dict[str, Any], current: str | None = None) -> str:
    """'valid' when the sign-off's fingerprint matches the content now, else 'stale'.

    Content only: SSH signatures are checked by verification, not here.
    """
    current = current or fingerprint(data)
    return "valid" if signoff.get("fingerprint") == current else "stale"


def party_states(
    data: dict[str, Any], current: str | None = None
) -> dict[str, tuple[str, dict[str, Any] | None]]:
    """For each party id: ('valid'|'stale'|'unsigned', its newest sign-off or None).

    current: the charter's fingerprint when the caller has it already (saves a deep copy).
    """
    current = current or fingerprint(data)
    states: dict[str, tuple[str, dict[str, Any] | None]] = {}
    parties, signoffs = data.get("parties"), data.get("signoffs")
    for party in parties if isinstance(parties, list) else []:
        if isinstance(party, dict) and isinstance(party.get("id"), str):
            states[party["id"]] = ("unsigned", None)
    for signoff in signoffs if isinstance(signoffs, list) else []:
        if not isinstance(signoff, dict):
            continue
        party_id = signoff.get("party")
        if not isinstance(party_id, str) or party_id not in states:
            continue
        state = content_state(data, signoff, current)
        previous = states[party_id][0]
        # A valid sign-off of a party outranks a stale one, whatever the order.
        if previous != "valid":
            states[party_id] = (state, signoff)
    return states


# --- verification -----------------------------------------------------------------------

SIGNATURE_NAMESPACE = "rmo-charter"
VALID = "valid"
STALE = "stale"
BAD_SIGNATURE = "bad-signature"
UNKNOWN_SIGNER = "unknown-signer"
# SPEC §6: a sign-off's state is the first of these that applies.
STATES = (BAD_SIGNATURE, UNKNOWN_SIGNER, STALE, VALID)
FAILING_STATES = frozenset({BAD_SIGNATURE, UNKNOWN_SIGNER, STALE})

RULE_STALE = "signoff-stale"
RULE_BAD_SIGNATURE = "signoff-bad-signature"
RULE_UNKNOWN_SIGNER = "signoff-unknown-signer"
RULE_MISSING = "signoff-missing"
# Rule ids this module reports, with the one-line description the README lists.
RULES = {
    RULE_STALE: "the charter's content changed after this sign-off (its fingerprint differs)",
    RULE_BAD_SIGNATURE: "the sign-off's SSH signature does not match its fingerprint",
    RULE_UNKNOWN_SIGNER: (
        "the SSH signature is intact but its key is not allowed for the person's email "
        "in the allowed signers file (or no signers file is configured)"
    ),
    RULE_MISSING: "warning: an active charter lacks a valid sign-off from every party",
}
_RULE_OF_STATE = {
    STALE: RULE_STALE,
    BAD_SIGNATURE: RULE_BAD_SIGNATURE,
    UNKNOWN_SIGNER: RULE_UNKNOWN_SIGNER,
}


@dataclass(frozen=True)
class SignoffCheck:
    """The verdict on one sign-off of one charter (SPEC §6)."""

    file: str
    person: str
    party: str
    state: str
    index: int
    version: str | None = None
    date: str | None = None
    fingerprint: str | None = None
    current: str = ""
    signed: bool = False
    detail: str = ""
    changes: tuple[str, ...] = ()

    @property
    def failing(self) -> bool:
        """True for stale, bad-signature and unknown-signer."""
        return self.state in FAILING_STATES

    def as_dict(self) -> dict[str, str]:
        """The JSON shape of `rmo verify --format json` (SPEC §5)."""
        return {"file": self.file, "person": self.person, "party": self.party, "state": self.state}


def _people(data: dict[str, Any]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Person id -> (person, party) for every representative of every party."""
    from rmo_cli.roster import people

    return people(data)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def verify_document(
    doc: Document,
    signers: Path | None,
    history: Callable[[Document, str], tuple[str, ...]] | None = None,
) -> list[SignoffCheck]:
    """Check every sign-off of a charter: content fingerprint, then SSH signature.

    signers is the allowed signers file (None when the repository configures none).
    history, when given, says what changed since a stale sign-off's fingerprint.
    """
    data = doc.data if isinstance(doc.data, dict) else {}
    signoffs = data.get("signoffs")
    if not isinstance(signoffs, list):
        return []
    current = fingerprint(data)
    people = _people(data)
    checks: list[SignoffCheck] = []
    for index, signoff in enumerate(signoffs):
        if not isinstance(signoff, dict):
            continue
        # A wrong-typed field (the schema's finding) shows as empty, never as a Python repr.
        person_id = _text(signoff.get("person")) or ""
        stored = _text(signoff.get("fingerprint"))
        signature = _text(signoff.get("signature"))
        state, detail = STALE, ""
        if signature is not None:
            person = people.get(person_id, ({}, {}))[0]
            state, detail = check_signature(
                stored or "", signature, _text(person.get("email")), signers
            )
        if state not in (BAD_SIGNATURE, UNKNOWN_SIGNER):
            state = content_state(data, signoff, current)
            if state == STALE:
                detail = "the charter's content changed since this sign-off"
            else:
                detail = "signature verified" if signature is not None else "content unchanged"
        changes: tuple[str, ...] = ()
        if state == STALE and history is not None and stored:
            changes = history(doc, stored)
        checks.append(
            SignoffCheck(
                file=doc.file,
                person=person_id,
                party=_text(signoff.get("party")) or "",
                state=state,
                index=index,
                version=_text(signoff.get("version")),
                date=_text(signoff.get("date")),
                fingerprint=stored,
                current=current,
                signed=signature is not None,
                detail=detail,
                changes=changes,
            )
        )
    return checks


def missing_parties(doc: Document, checks: list[SignoffCheck]) -> list[tuple[int, str, str]]:
    """(index, id, name) of the parties of an active charter without a valid sign-off."""
    data = doc.data if isinstance(doc.data, dict) else {}
    if data.get("status") != "active":
        return []
    signed = {c.party for c in checks if c.state == VALID}
    missing: list[tuple[int, str, str]] = []
    listed = data.get("parties")
    for index, party in enumerate(listed if isinstance(listed, list) else []):
        if (
            isinstance(party, dict)
            and isinstance(party.get("id"), str)
            and party["id"] not in signed
        ):
            missing.append((index, party["id"], str(party.get("name") or party["id"])))
    return missing


def verify_findings(
    doc: Document,
    signers: Path | None,
    checks: list[SignoffCheck] | None = None,
    history: Callable[[Document, str], tuple[str, ...]] | None = None,
) -> list[Finding]:
    """Sign-off findings for `rmo check`: failing sign-offs (errors), missing ones (warnings)."""
    if checks is None:
        checks = verify_document(doc, signers, history)
    findings: list[Finding] = []
    for check in checks:
        if not check.failing:
            continue
        message = f"sign-off by {check.person} ({check.party}) is {check.state}: "
        if not check.changes:
            message += check.detail
        else:
            head, *items = check.changes
            message += head.rstrip(":")
            if items:
                message += ": " + "; ".join(item.removeprefix("- ") for item in items)
        findings.append(
            doc.finding(("signoffs", check.index), _RULE_OF_STATE[check.state], message)
        )
    for index, party_id, name in missing_parties(doc, checks):
        findings.append(
            doc.finding(
                ("parties", index),
                RULE_MISSING,
                f"active charter has no valid sign-off from party {party_id} ({name}); "
                f"run 'rmo sign {doc.file} --person PERSON' for one of its representatives",
                severity=WARNING,
            )
        )
    return findings


# --- SSH signatures (ssh-keygen -Y) ---------------------------------------------------------


def _ssh_keygen() -> str:
    """The ssh-keygen executable, or an RmoError saying how to get it."""
    exe = shutil.which("ssh-keygen")
    if exe is None:
        raise RmoError(
            "ssh-keygen not found: install the OpenSSH client (8.2 or later) to sign or "
            "verify SSH signatures"
        )
    return exe


def check_signature(
    message: str, signature: str, email: str | None, signers: Path | None
) -> tuple[str, str]:
    """(state, detail) of an SSH signature of message: valid, bad-signature or unknown-signer.

    The signature must be intact for message in namespace rmo-charter (else bad-signature),
    and its key allowed for the email in the signers file (else unknown-signer).
    """
    exe = _ssh_keygen()
    # In-process first (ssh-keygen -Y verify semantics, verify time now as ssh-keygen's
    # default); ssh-keygen itself only for key types that module does not verify (sk-*, DSA).
    from rmo_cli.adapters import sshsig

    allowed: bytes | None = None
    if signers is not None and signers.is_file() and email:
        try:
            allowed = signers.read_bytes()
        except OSError:
            allowed = b""  # unreadable: no key is allowed, as with ssh-keygen
    armored = (signature if signature.endswith("\n") else signature + "\n").encode("utf-8")
    payload, now = message.encode("utf-8"), int(time.time())
    verdict = sshsig.verify(armored, payload, email or "", allowed, SIGNATURE_NAMESPACE, now)
    if verdict.status == sshsig.VERIFIED:
        return VALID, "signature verified"
    intact_ok = verdict.status == sshsig.UNKNOWN_SIGNER
    if verdict.status == sshsig.UNSUPPORTED:
        with tempfile.TemporaryDirectory(prefix="rmo-verify-") as tmp:
            sig = Path(tmp) / "signoff.sig"
            sig.write_bytes(armored)
            if allowed is not None and signers is not None and email:
                verify = ["-Y", "verify", "-f", str(signers), "-I", email]
                verify += ["-n", SIGNATURE_NAMESPACE, "-s", str(sig)]
                if _run([exe, *verify], message).returncode == 0:
                    return VALID, "signature verified"
            intact = _run(
                [exe, "-Y", "check-novalidate", "-n", SIGNATURE_NAMESPACE, "-s", str(sig)],
                message,
            )
        intact_ok = intact.returncode == 0
    if not intact_ok:
        return BAD_SIGNATURE, "the SSH signature does not match the sign-off's fingerprint"
    if signers is None:
        return UNKNOWN_SIGNER, (
            "no allowed signers file is configured (set 'signers' in rmo.yaml), "
            "so the signature's key cannot be trusted"
        )
    if not signers.is_file():
        return UNKNOWN_SIGNER, f"the allowed signers file {signers} does not exist"
    if not email:
        return UNKNOWN_SIGNER, "the person has no email to check the signature for"
    return UNKNOWN_SIGNER, f"the signing key is not allowed for {email} in {signers}"


def _run(args: list[str], stdin: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(args, input=stdin.encode("utf-8"), capture_output=True, check=False)
    except OSError as exc:
        raise RmoError(f"cannot run ssh-keygen: {exc.strerror or exc}") from None


def ssh_sign(message: str, key: Path) -> str:
    """The armoured SSH signature (namespace rmo-charter) of message's exact UTF-8 bytes.

    key is a private key file, or a public key whose private half is in ssh-agent.
    """
    exe = _ssh_keygen()
    if not Path(key).is_file():
        raise RmoError(f"--key: {key}: no such key file")
    with tempfile.TemporaryDirectory(prefix="rmo-sign-") as tmp:
        payload = Path(tmp) / "fingerprint"
        payload.write_bytes(message.encode("utf-8"))
        try:
            # stdin stays the terminal so ssh-keygen can ask for a passphrase.
            done = subprocess.run(
                [exe, "-Y", "sign", "-n", SIGNATURE_NAMESPACE, "-f", str(key), str(payload)],
                capture_output=True,
                check=False,
            )
        except OSError as exc:
            raise RmoError(f"cannot run ssh-keygen: {exc.strerror or exc}") from None
        sig = payload.with_name(payload.name + ".sig")
        if done.returncode != 0 or not sig.is_file():
            reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
            last = reason[-1] if reason else f"exit status {done.returncode}"
            raise RmoError(f"ssh-keygen could not sign with {key}: {last}")
        return sig.read_text(encoding="utf-8")


# --- repository configuration ------------------------------------------------------------


def signers_for(charter_path: Path) -> Path | None:
    """The allowed signers file for a charter: `signers` of the nearest rmo.yaml upward from
    its folder, else of the current directory's rmo.yaml, else None."""
    from rmo_cli.repository import load_config

    folder = Path(charter_path).resolve().parent
    config = load_config(folder)
    if config.file is None:
        config = load_config()
    return config.signers


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
    people = _people(data)
    if person_id not in people:
        known = ", ".join(sorted(people)) or "none"
        raise RmoError(
            f"--person {person_id!r} is not a representative of any party of this charter "
            f"(people: {known}); add them under parties[].people first"
        )
    person, party = people[person_id]
    entry: dict[str, str] = {"person": person_id, "party": str(party.get("id"))}
    capacity = capacity if capacity is not None else _text(person.get("title"))
    if capacity:
        entry["capacity"] = capacity
    entry["date"] = date.isoformat()
    entry["version"] = str(data.get("version", ""))
    entry["fingerprint"] = fingerprint(data)
    return entry


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
    """
    from rmo_cli.loading import read_charter
    from rmo_cli.validation import check_document, has_errors

    name = file or str(path)
    loaded = read_charter(path, name)
    if loaded.document is None:
        raise RmoError(_cannot_sign(name, loaded.findings, "cannot be read"), EXIT_FINDINGS)
    doc = loaded.document
    findings = check_document(doc, as_of)
    if has_errors(findings):
        errors = [f for f in findings if f.severity == "error"]
        raise RmoError(_cannot_sign(name, errors, "is not valid"), EXIT_FINDINGS)
    if date > as_of:
        raise RmoError(
            f"--date {date.isoformat()} is in the future (today is {as_of.isoformat()}); "
            "a sign-off records an approval already given"
        )
    if capacity is not None:
        from rmo_cli.scaffold import check_text

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
        entry["signature"] = ssh_sign(entry["fingerprint"], key)
    _write_checked(Path(path), name, data, entry, [i for i, _ in earlier])
    return SignResult(name, entry, earlier[-1][1] if earlier else None)


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

    from rmo_cli.editing import edit_charter, put_trailing, take_trailing

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


def _write_checked(
    path: Path, name: str, data: dict[str, Any], entry: dict[str, str], earlier: list[int]
) -> None:
    """Write the sign-off changing only the `signoffs` block (SPEC §5), checked first: the
    rest of the content and the fingerprint just signed must read back unchanged."""
    from rmo_cli.editing import edit_block, replace_unless_changed
    from rmo_cli.loading import parse_charter

    try:
        original = path.read_bytes()
    except OSError as exc:
        raise RmoError(f"cannot read {name}: {exc.strerror or exc}") from None
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
        raise RmoError(
            f"{name}: rmo's editor would have changed other content of the charter while "
            "adding the sign-off, so nothing was changed. Add the sign-off by hand "
            "(`rmo verify` checks it), and please report the file's layout.",
            EXIT_FINDINGS,
        )
    replace_unless_changed(path, original, final, name)


# --- what changed since a stale sign-off (git history) ------------------------------------

_MAX_CHANGES = 20
# Keys outside the fingerprint: changes to them do not make a sign-off stale.
_BOOKKEEPING = {
    ("signoffs",),
    ("review", "last_reviewed"),
    ("review", "next_due"),
    ("review", "log"),
}


def _is_bookkeeping(segments: tuple[Any, ...], path: str) -> bool:
    keys = tuple(str(s) for s in segments) or tuple(path.split("."))
    return any(keys[: len(prefix)] == prefix for prefix in _BOOKKEEPING)


def changes_since(doc: Document, signed: str) -> tuple[str, ...]:
    """What changed in the charter since the content with fingerprint `signed`, in words.

    Finds the newest commit in the file's git history (renames followed) whose version of
    the file has that fingerprint, and describes the semantic diff from it to the file
    now. Empty when the file is not in a git repository; a one-line note when the signed
    revision cannot be found.
    """
    from rmo_cli import history
    from rmo_cli.diff import describe_changes, diff_charters
    from rmo_cli.loading import parse_charter

    try:
        repo = history.open_repo(doc.file)
        relative = history.relative_path(repo, doc.file)
        entries = history.file_history(repo, relative)
    except RmoError:
        return ()
    for entry in entries:
        if entry.blob is None:
            continue
        try:
            old = parse_charter(history.read_blob_id(repo, entry.blob), entry.path).document
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
    hint = "; " + history.UNSHALLOW_HINT if history.is_shallow(repo) else ""
    return (f"the signed revision is not in {relative}'s git history{hint}",)
