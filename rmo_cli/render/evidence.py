"""The PDF as evidence (SPEC §9): footer, DRAFT mark, PDF/A-3b, embedded source and metadata.

rmo adds all of this itself, outside the (possibly repository) template: its own user-origin
stylesheet with `!important` page rules (user important rules beat any author rule), the
embedded `charter.yaml` (exact bytes) and `signoffs.json`, and XMP properties with the
charter id, version and fingerprint.
"""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from rmo_cli.ops.pdf_evidence import (
    CHARTER_ATTACHMENT,
    SIGNOFFS_ATTACHMENT,
    XMP_NAMESPACE,
    short,
)
from rmo_cli.render.pdf import html_to_pdf

PDF_VARIANT = "pdf/a-3b"
# Statuses whose documents are not final: every page says DRAFT.
DRAFT_STATUSES = frozenset({"draft", "proposed", "under-review"})


def footer_text(document: dict[str, Any]) -> str:
    """The footer's left part: `<id> · version <v> · fingerprint <12 hex>`."""
    return (
        f"{document.get('id')} · version {document.get('version')} · "
        f"fingerprint {short(str(document.get('fingerprint') or ''))}"
    )


def is_draft(document: dict[str, Any]) -> bool:
    """True when every page must carry the DRAFT mark (non-final status, or forced render)."""
    return bool(document.get("draft")) or document.get("status") in DRAFT_STATUSES


def _css_string(text: str) -> str:
    """A CSS string literal: quotes, backslashes and control characters escaped."""
    out = []
    for ch in text:
        if ch in '"\\' or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def evidence_css(document: dict[str, Any]) -> str:
    """rmo's page stylesheet: footer on every page, DRAFT mark when not final."""
    box = (
        'font-family: "DejaVu Sans", sans-serif !important; font-size: 7.5pt !important; '
        "color: #3a3f4a !important; visibility: visible !important; "
        "display: block !important; opacity: 1 !important;"
    )
    draft = ""
    if is_draft(document):
        status = str(document.get("status") or "")
        label = "DRAFT, NOT VALID" if document.get("draft") else f"DRAFT ({status})"
        draft = (
            f"@top-left {{ content: {_css_string(label)} !important; {box} "
            "color: #8a1c1c !important; font-size: 12pt !important; width: 45% !important; "
            "white-space: nowrap !important; text-align: left !important; "
            "font-weight: bold !important; letter-spacing: 0.15em !important; }\n"
            "  @top-center { content: none !important; }\n"
        )
    return (
        "@page {\n"
        "  margin-top: 18mm !important; margin-bottom: 18mm !important;\n"
        f"  @bottom-left {{ content: {_css_string(footer_text(document))} !important; "
        f"{box} width: 75% !important; }}\n"
        '  @bottom-right { content: "Page " counter(page) " of " counter(pages) !important; '
        f"{box} }}\n"
        f"  {draft}"
        "}\n"
        "@page :first {\n"
        f"  @bottom-left {{ content: {_css_string(footer_text(document))} !important; }}\n"
        "}\n"
        "tr, li, .signature, .level, .signoff-row { break-inside: avoid !important; }\n"
    )


def signoffs_payload(context: dict[str, Any]) -> dict[str, Any]:
    """`signoffs.json`: each party's sign-off and its state when the document was rendered."""
    document = context.get("document") or {}
    rows = []
    for row in context.get("signoffs") or []:
        party = row.get("party") or {}
        rows.append(
            {
                "party": party.get("id"),
                "party_name": party.get("name"),
                "person": row.get("person_id"),
                "capacity": row.get("capacity"),
                "date": row.get("date"),
                "version": row.get("version"),
                "fingerprint": row.get("fingerprint"),
                "state": row.get("state"),
                "signed": bool(row.get("signed")),
                "verified": bool(row.get("verified")),
            }
        )
    return {
        "charter": document.get("id"),
        "version": document.get("version"),
        "fingerprint": document.get("fingerprint"),
        "rendered": document.get("generated"),
        "signoffs": rows,
    }


def xmp_description(document: dict[str, Any]) -> bytes:
    """An rdf:Description with the rmo properties (id, version, fingerprint, status)."""
    props = {
        "id": document.get("id"),
        "version": document.get("version"),
        "fingerprint": document.get("fingerprint"),
        "status": document.get("status"),
    }
    inner = "".join(
        f"<rmo:{key}>{xml_escape(str(value))}</rmo:{key}>"
        for key, value in props.items()
        if value is not None
    )
    described = "".join(
        '<rdf:li rdf:parseType="Resource">'
        f"<pdfaProperty:name>{key}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>The charter's {key}</pdfaProperty:description>"
        "</rdf:li>"
        for key in props
    )
    # PDF/A wants every property outside the standard schemas described by an extension schema.
    extension = (
        '<rdf:Description rdf:about="" '
        'xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" '
        'xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" '
        'xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
        '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
        "<pdfaSchema:schema>rmo relationship charter</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{XMP_NAMESPACE}</pdfaSchema:namespaceURI>"
        "<pdfaSchema:prefix>rmo</pdfaSchema:prefix>"
        f"<pdfaSchema:property><rdf:Seq>{described}</rdf:Seq></pdfaSchema:property>"
        "</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"
    )
    return (
        extension
        + f'<rdf:Description rdf:about="" xmlns:rmo="{XMP_NAMESPACE}">{inner}</rdf:Description>'
    ).encode()


def _with_rmo_properties(metadata: Any, document: dict[str, Any]) -> None:
    """Make WeasyPrint's XMP carry rmo's properties inside its one rdf:RDF element."""
    generate = metadata.generate_rdf_metadata

    def generate_with_rmo(*args: Any, **kwargs: Any) -> bytes:
        rdf = bytes(generate(*args, **kwargs))
        end = rdf.rfind(b"</rdf:RDF>")
        if end < 0:  # pragma: no cover - WeasyPrint always writes one rdf:RDF
            return rdf
        return rdf[:end] + xmp_description(document) + rdf[end:]

    metadata.generate_rdf_metadata = generate_with_rmo


def evidence_pdf(html_text: str, context: dict[str, Any], source: bytes | None) -> bytes:
    """The PDF/A-3b document: html laid out with rmo's footer, source and sign-offs embedded."""
    from functools import partial

    document = dict(context.get("document") or {})
    signoffs = json.dumps(signoffs_payload(context), indent=2, ensure_ascii=False).encode()
    title = str(document.get("title") or document.get("id") or "Charter")
    # Plain values only: the finish step may go down a pipe to an engine forked earlier.
    facts = {key: document.get(key) for key in ("id", "version", "fingerprint", "status")}
    return html_to_pdf(
        html_text,
        stylesheets=[evidence_css(document)],
        options={"pdf_variant": PDF_VARIANT, "pdf_tags": True},
        finish=partial(_finish, title=title, document=facts, source=source, signoffs=signoffs),
    )


def _finish(
    laid_out: Any,
    *,
    title: str,
    document: dict[str, Any],
    source: bytes | None,
    signoffs: bytes,
) -> dict[str, Any]:
    """Metadata, XMP and the embedded files of the laid-out document; more write_pdf options."""
    import datetime as dt
    from io import BytesIO

    import weasyprint

    meta = laid_out.metadata
    meta.title = title
    meta.generator = "rmo"
    meta.description = f"Charter {document.get('id')} v{document.get('version')}"
    meta.keywords = [f"fingerprint={document.get('fingerprint')}"]
    meta.authors = []
    meta.custom = {
        "rmo-charter": str(document.get("id")),
        "rmo-version": str(document.get("version")),
        "rmo-fingerprint": str(document.get("fingerprint")),
    }
    meta.xmp_metadata = []
    _with_rmo_properties(meta, document)
    stamp = dt.datetime(2000, 1, 1)
    attachments = []
    for name, body, description, relation in (
        (CHARTER_ATTACHMENT, source, "The charter as rendered (exact bytes)", "Source"),
        (SIGNOFFS_ATTACHMENT, signoffs, "Sign-offs and their states when rendered", "Data"),
    ):
        if body is None:
            continue
        attachments.append(
            weasyprint.Attachment(
                file_obj=BytesIO(body),
                name=name,
                description=description,
                relationship=relation,
                created=stamp,
                modified=stamp,
            )
        )
    return {"attachments": attachments, "custom_metadata": True}
