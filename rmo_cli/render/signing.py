"""PAdES signatures of rendered PDFs with pyHanko (the `pdf` extra), SPEC §9."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rmo_cli.support.errors import RmoError

PYHANKO_HINT = (
    "signing PDFs needs pyHanko: install rmo with the pdf extra (pip install 'rmo-cli[pdf]')"
)


def load_signer(cert: Path, password: bytes | None) -> Any:
    """A pyHanko signer from a PKCS#12 file; RmoError (exit 2) when it cannot be used.

    pyHanko's loader returns None (it logs, it does not raise) on a wrong password or an
    unreadable file, so None is an error here too.
    """
    try:
        from pyhanko.sign import signers
    except ImportError as exc:
        raise RmoError(f"{PYHANKO_HINT} ({exc})") from None
    import logging

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    if not cert.is_file():
        raise RmoError(f"--sign-with {cert}: no such certificate file")
    try:
        signer = signers.SimpleSigner.load_pkcs12(str(cert), passphrase=password)
    except Exception as exc:  # noqa: BLE001 - any failure to read the file is the same answer
        raise RmoError(
            f"--sign-with {cert}: cannot read the PKCS#12 certificate ({type(exc).__name__})"
        ) from None
    if signer is None:
        raise RmoError(
            f"--sign-with {cert}: cannot open the PKCS#12 certificate: wrong password "
            "(--sign-password-env) or not a PKCS#12 file"
        )
    return signer


def signer_name(signer: Any) -> str:
    """The common name of the signer's certificate (or its whole subject)."""
    subject = signer.signing_cert.subject
    try:
        return str(subject.native.get("common_name") or subject.human_friendly)
    except (AttributeError, ValueError):
        return str(subject.human_friendly)


def sign_pdf(pdf: bytes, signer: Any, reason: str) -> bytes:
    """The PDF with a PAdES signature over the whole file (an incremental update)."""
    from io import BytesIO

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name="rmo-signature",
        reason=reason,
        name=signer_name(signer),
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    try:
        out = signers.sign_pdf(writer, meta, signer=signer)
    except Exception as exc:  # noqa: BLE001 - a signing failure writes no document
        raise RmoError(f"signing the PDF failed: {type(exc).__name__}: {exc}") from None
    return bytes(out.getvalue())
