"""Checking a rendered PDF offline (`rmo verify DOCUMENT.pdf`, SPEC §9).

The checks, each named in the result: the PDF can be read; it embeds `charter.yaml`, a
readable charter; that charter's fingerprint equals the one in the XMP metadata and the one
in every page's footer; `signoffs.json` is embedded and names the same fingerprint; each
sign-off of the embedded charter verifies again (content, SSH signature against the allowed
signers); a PAdES signature, when present, is intact and covers the whole file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from rmo_cli.support.errors import RmoError

CHARTER_ATTACHMENT = "charter.yaml"
SIGNOFFS_ATTACHMENT = "signoffs.json"
XMP_NAMESPACE = "https://rmo-cli.org/ns/charter/1.0/"
SHORT_FINGERPRINT = 12
MAX_PDF_BYTES = 200 * 1024 * 1024
PDF_READER_HINT = (
    "checking a PDF needs the pdf extra: pip install 'rmo-cli[pdf]' (pypdf and pyHanko)"
)


@dataclass
class PdfCheck:
    """One named check of a PDF and its verdict."""

    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of one check."""
        return {"check": self.name, "ok": self.ok, "detail": self.detail}


@dataclass
class PdfVerification:
    """All checks of one PDF, the fingerprint found, and the sign-offs verified again."""

    file: str
    checks: list[PdfCheck] = field(default_factory=list)
    fingerprint: str | None = None
    signoffs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check holds."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        """Record a check; returns ok."""
        self.checks.append(PdfCheck(name, ok, detail))
        return ok

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of `rmo verify FILE.pdf --format json`."""
        return {
            "file": self.file,
            "ok": self.ok,
            "fingerprint": self.fingerprint,
            "checks": [c.as_dict() for c in self.checks],
            "signoffs": self.signoffs,
        }


def is_pdf_path(path: str) -> bool:
    """True for a path `rmo verify` treats as a rendered document."""
    return path.lower().endswith(".pdf")


def short(fingerprint: str) -> str:
    """The 12 hex digits a page footer shows."""
    return fingerprint.split(":", 1)[-1][:SHORT_FINGERPRINT]


def verify_pdf(path: Path, file: str | None = None, signers: Path | None = None) -> PdfVerification:
    """Check a rendered PDF offline; RmoError (exit 2) only when the pdf extra is missing."""
    try:
        import pypdf
    except ImportError as exc:
        raise RmoError(f"{PDF_READER_HINT} ({exc})") from None
    import logging

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    result = PdfVerification(file or str(path))
    try:
        if path.stat().st_size > MAX_PDF_BYTES:
            result.add("readable", False, f"larger than {MAX_PDF_BYTES:,} bytes")
            return result
        data = path.read_bytes()
    except OSError as exc:
        raise RmoError(f"{file or path}: cannot read: {exc.strerror or exc}") from None
    try:
        reader = pypdf.PdfReader(BytesIO(data), strict=False)
        attachments = {name: list(items) for name, items in reader.attachments.items()}
        pages = [page.extract_text() or "" for page in reader.pages]
        metadata = _xmp_bytes(reader)
    except Exception as exc:  # noqa: BLE001 - any broken PDF is a failed check, not a crash
        result.add("readable", False, f"not a readable PDF ({type(exc).__name__})")
        return result
    result.add("readable", True, f"{len(pages)} page{'s' if len(pages) != 1 else ''}")
    current = _check_charter(result, attachments, signers, path)
    if current is not None:
        _check_metadata(result, metadata, current)
        _check_pages(result, pages, current)
        _check_signoffs_file(result, attachments, current)
    _check_pades(result, data)
    return result


def _xmp_bytes(reader: Any) -> bytes:
    root = reader.trailer["/Root"]
    meta = root.get("/Metadata")
    return bytes(meta.get_object().get_data()) if meta is not None else b""


def _check_charter(
    result: PdfVerification,
    attachments: dict[str, list[bytes]],
    signers: Path | None,
    path: Path,
) -> str | None:
    """The embedded charter's fingerprint (and its sign-offs verified), or None."""
    from dataclasses import replace

    from rmo_cli.charter.fingerprint import fingerprint
    from rmo_cli.charter.loading import parse_charter
    from rmo_cli.ops.trust import trust_for
    from rmo_cli.rules.signoffs import verify_document

    found = attachments.get(CHARTER_ATTACHMENT) or []
    if len(found) != 1:
        result.add(
            "embedded-charter",
            False,
            f"{'no' if not found else 'more than one'} embedded {CHARTER_ATTACHMENT}",
        )
        return None
    loaded = parse_charter(found[0], f"{result.file}#{CHARTER_ATTACHMENT}")
    if loaded.document is None or not isinstance(loaded.document.data, dict):
        reason = loaded.findings[0].message if loaded.findings else "not a charter"
        result.add("embedded-charter", False, f"embedded {CHARTER_ATTACHMENT}: {reason}")
        return None
    doc = loaded.document
    current = fingerprint(doc.data)
    result.fingerprint = current
    result.add(
        "embedded-charter",
        True,
        f"{doc.data.get('id')} version {doc.data.get('version')}, fingerprint {current}",
    )
    # The repository around the PDF decides (signers, require, register), else the one
    # around the current directory (a PDF is usually checked where it was received);
    # --signers FILE replaces its allowed signers file.
    from rmo_cli.ops.repository import find_config_file, load_config
    from rmo_cli.ops.trust import trust_of

    if find_config_file(path.resolve().parent) is not None:
        trust = trust_for(path)
    else:
        trust = trust_of(load_config())
    checks = verify_document(doc, replace(trust, signers=signers) if signers else trust)
    failing = [c for c in checks if c.failing]
    result.signoffs = [
        {**c.as_dict(), "signed": c.signed, "detail": c.detail, "file": CHARTER_ATTACHMENT}
        for c in checks
    ]
    result.add(
        "signoffs",
        not failing,
        "; ".join(f"{c.person} ({c.party}): {c.state}" for c in failing)
        if failing
        else f"{len(checks)} sign-off{'s' if len(checks) != 1 else ''} verified again",
    )
    return current


def _check_metadata(result: PdfVerification, metadata: bytes, current: str) -> None:
    stated = xmp_property(metadata, "fingerprint")
    if stated is None:
        result.add("fingerprint-metadata", False, "the XMP metadata has no rmo fingerprint")
        return
    result.add(
        "fingerprint-metadata",
        stated == current,
        f"metadata says {stated}"
        + ("" if stated == current else f", the embedded charter's fingerprint is {current}"),
    )


def xmp_property(metadata: bytes, name: str) -> str | None:
    """An rmo property of XMP metadata, as an element or an attribute (pyHanko rewrites
    XMP with properties as attributes), or None."""
    from xml.etree import ElementTree

    if not metadata or len(metadata) > 4 * 1024 * 1024 or b"<!ENTITY" in metadata:
        return None
    try:
        root = ElementTree.fromstring(metadata.strip())
    except ElementTree.ParseError:
        return None
    qualified = f"{{{XMP_NAMESPACE}}}{name}"
    for element in root.iter():
        if element.tag == qualified and element.text:
            return element.text.strip()
        if qualified in element.attrib:
            return str(element.attrib[qualified])
    return None


def _check_pages(result: PdfVerification, pages: list[str], current: str) -> None:
    expected = short(current)
    total = len(pages)
    bad = []
    for number, text in enumerate(pages, start=1):
        flat = " ".join(text.split())
        if f"fingerprint {expected}" not in flat or f"Page {number} of {total}" not in flat:
            bad.append(str(number))
    result.add(
        "fingerprint-pages",
        not bad,
        f"every page's footer shows fingerprint {expected}"
        if not bad
        else f"page{'s' if len(bad) != 1 else ''} {', '.join(bad[:20])} "
        f"do{'es' if len(bad) == 1 else ''} not show fingerprint {expected} and its page number",
    )


def _check_signoffs_file(
    result: PdfVerification, attachments: dict[str, list[bytes]], current: str
) -> None:
    import json

    found = attachments.get(SIGNOFFS_ATTACHMENT) or []
    try:
        payload = json.loads(found[0]) if len(found) == 1 else None
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        result.add("embedded-signoffs", False, f"no readable embedded {SIGNOFFS_ATTACHMENT}")
        return
    stated = payload.get("fingerprint")
    result.add(
        "embedded-signoffs",
        stated == current,
        f"{SIGNOFFS_ATTACHMENT} names fingerprint {stated}",
    )


def _check_pades(result: PdfVerification, data: bytes) -> None:
    """Each PAdES signature intact, valid and covering the whole file (none: nothing to do)."""
    try:
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko_certvalidator import ValidationContext
    except ImportError as exc:
        result.add("pades", False, f"{PDF_READER_HINT} ({exc})")
        return
    import logging

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        signatures = list(reader.embedded_signatures)
    except Exception as exc:  # noqa: BLE001 - a broken file is a failed check
        result.add("pades", False, f"cannot read the signatures ({type(exc).__name__})")
        return
    if not signatures:
        return
    for sig in signatures:
        name = sig.field_name
        try:
            status = validate_pdf_signature(
                sig, ValidationContext(trust_roots=[], allow_fetching=False)
            )
        except Exception as exc:  # noqa: BLE001
            result.add("pades", False, f"signature {name}: cannot be validated ({exc})")
            continue
        coverage = getattr(status.coverage, "name", str(status.coverage))
        problems = []
        if not status.intact:
            problems.append("the signed bytes changed (digest mismatch)")
        if not status.valid:
            problems.append("the signature does not match its certificate")
        if coverage != "ENTIRE_FILE":
            problems.append(f"it does not cover the whole file ({coverage.lower()})")
        signer = status.signing_cert.subject.human_friendly if status.signing_cert else "?"
        trust = "trusted" if status.trusted else "certificate not trusted here"
        result.add(
            "pades",
            not problems,
            f"signature {name} by {signer}: "
            + ("; ".join(problems) if problems else f"intact, covers the whole file ({trust})"),
        )
