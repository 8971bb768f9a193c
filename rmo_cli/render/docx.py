"""Word output (SPEC §9): blocks (render/docx_blocks.py) written as WordprocessingML with
python-docx, tracked changes (`w:ins`/`w:del`, author `rmo`) where a redline marks them.

python-docx is imported inside the functions that use it, so `rmo --help` stays fast.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from rmo_cli.adapters.git import GitState
from rmo_cli.charter.amendment import InForceVersion
from rmo_cli.ops.redline import RevisionSide
from rmo_cli.render.docx_model import Block, DocModel, Para, Row, Run, Table, showable
from rmo_cli.support.errors import RefusedError, RmoError
from rmo_cli.support.findings import Finding
from rmo_cli.support.vocabulary import DEFAULT_DUE_SOON

AUTHOR = "rmo"
REFERENCE_DOCX = "reference.docx"
DOCX_INSTALL_HINT = (
    "Word output needs python-docx: reinstall rmo (pip install --upgrade rmo-cli), "
    "which depends on it"
)
_MONO = "Courier New"


def load_python_docx() -> Any:
    """The docx module, or an RmoError (exit 2) that says how to install it."""
    try:
        import docx
    except ImportError as exc:
        raise RmoError(f"{DOCX_INSTALL_HINT} ({exc})") from None
    return docx


class _Changes:
    """Numbers the tracked changes of one document (w:id is unique across all parts)."""

    def __init__(self, date: str) -> None:
        self.date = date
        self.next_id = 1

    def mark(self, tag: str) -> Any:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        element = OxmlElement(f"w:{tag}")
        element.set(qn("w:id"), str(self.next_id))
        element.set(qn("w:author"), AUTHOR)
        element.set(qn("w:date"), self.date)
        self.next_id += 1
        return element


def write_docx(
    model: DocModel,
    *,
    reference: Path | None = None,
    changed_at: dt.datetime | None = None,
    created: dt.datetime | None = None,
) -> bytes:
    """The .docx bytes of a document model; `reference` supplies styles (reference.docx)."""
    docx = load_python_docx()
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor
    from docx.text.run import Run as DocxRun

    document = docx.Document()
    logo: list[tuple[bytes, int | None]] = []
    if reference is not None:
        from rmo_cli.render.docx_reference import apply_reference

        logo = apply_reference(document, reference)
    when = (changed_at or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    changes = _Changes(when.strftime("%Y-%m-%dT%H:%M:%SZ"))

    props = document.core_properties
    props.title = model.title
    props.subject = model.subject
    props.keywords = model.keywords
    props.author = AUTHOR
    props.last_modified_by = AUTHOR
    props.comments = (
        "Rendered by rmo from the charter file; the fingerprint identifies its content."
    )
    stamp = (created or when).replace(tzinfo=None)
    props.created = stamp
    props.modified = stamp
    props.revision = 1

    _own_styles(document)
    body = document.element.body
    for child in list(body):
        if child.tag.endswith("}p") or child.tag.endswith("}tbl"):
            body.remove(child)
    _write_blocks(document, document, model.body, changes)
    # A document ends with a paragraph (Word needs one after a final table).
    document.add_paragraph()

    section = document.sections[0]
    header, footer = section.header, section.footer
    header.is_linked_to_previous = False
    footer.is_linked_to_previous = False
    first = True
    for blob, width in logo:
        target = header.paragraphs[0] if first else header.add_paragraph()
        first = False
        try:
            target.add_run().add_picture(io.BytesIO(blob), width=width)
        except Exception as exc:  # noqa: BLE001 - any unreadable image in untrusted input
            raise RefusedError(
                f"{reference}: reference.docx not used: its header image cannot be read "
                f"({type(exc).__name__})"
            ) from None
    for position, block in enumerate(model.header):
        paragraph = header.paragraphs[0] if first else header.add_paragraph()
        first = False
        # The last paragraph mark of a header or footer is never tracked (Word keeps one).
        _fill(paragraph, block, changes, last=position == len(model.header) - 1)
        for element in paragraph._p.iter(qn("w:r")):  # runs inside w:ins/w:del too
            run = DocxRun(element, paragraph)
            run.font.size = Pt(20)
            run.font.bold = True
            run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    if model.comment:
        anchor = next(
            (p for p in document.paragraphs if p.runs and p.style.name == "Charter Kind"),
            next((p for p in document.paragraphs if p.runs), None),
        )
        if anchor is not None:
            note = document.add_comment(
                anchor.runs, text=showable(model.comment[0]), author=AUTHOR, initials=AUTHOR
            )
            for line in model.comment[1:]:
                note.add_paragraph(showable(line))
    ffirst = True
    for position, block in enumerate(model.footer):
        paragraph = footer.paragraphs[0] if ffirst else footer.add_paragraph()
        ffirst = False
        _fill(paragraph, block, changes, last=position == len(model.footer) - 1)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# Paragraph styles of rmo's own, based on Word's: pandoc and others read the built-in Title
# and Subtitle as metadata, not as text of the document (a reference.docx may define them).
OWN_STYLES = {"Charter Title": "Title", "Charter Kind": "Subtitle"}


def _own_styles(document: Any) -> None:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    styles = document.styles
    names = {s.name for s in styles}
    for level in (1, 2):  # a sparse reference.docx: headings still drive the navigation pane
        name = f"Heading {level}"
        if name in names:
            continue
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.font.bold = True
        style.paragraph_format.keep_with_next = True
        outline = OxmlElement("w:outlineLvl")
        outline.set(qn("w:val"), str(level - 1))
        style.element.get_or_add_pPr().append(outline)
    for name, base in OWN_STYLES.items():
        if name in [s.name for s in styles]:
            continue
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        try:
            style.base_style = styles[base]
        except KeyError:
            pass
        style.next_paragraph_style = (
            styles["Normal"] if "Normal" in [s.name for s in styles] else None
        )
        style.quick_style = True


def _style(document: Any, name: str) -> str:
    """name when the document has that paragraph style, else Normal (a sparse reference)."""
    from docx.enum.style import WD_STYLE_TYPE

    try:
        style = document.styles[name]
    except KeyError:
        return "Normal"
    return name if style.type == WD_STYLE_TYPE.PARAGRAPH else "Normal"


def _write_blocks(
    document: Any, container: Any, blocks: Iterable[Block], changes: _Changes
) -> None:
    for block in blocks:
        if isinstance(block, Table):
            _write_table(document, container, block, changes)
        else:
            paragraph = container.add_paragraph(style=_style(document, block.style))
            _fill(paragraph, block, changes)


def _write_table(document: Any, container: Any, table: Table, changes: _Changes) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    columns = max((len(row.cells) for row in table.rows), default=1)
    word_table = container.add_table(rows=0, cols=columns)
    try:
        word_table.style = document.styles["Table Grid"]
    except KeyError:
        pass
    for index, row in enumerate(table.rows):
        word_row = word_table.add_row()
        tr_pr = word_row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))  # a row never splits across pages
        if index == 0 and table.header:
            tr_pr.append(OxmlElement("w:tblHeader"))  # repeated on every page
        if row.change:
            tr_pr.append(changes.mark(row.change))
        for cell, paras in zip(word_row.cells, _padded(row, columns), strict=False):
            cell._tc.remove(cell.paragraphs[0]._p)
            for position, para in enumerate(paras):
                paragraph = cell.add_paragraph(style=_style(document, para.style))
                if row.change and not para.mark:
                    para = Para(
                        tuple(_changed(r, row.change) for r in para.runs),
                        para.style,
                        para.keep_next,
                        para.signature,
                    )
                _fill(paragraph, para, changes, last=position == len(paras) - 1)
            if not cell._tc.xpath("./w:p"):
                cell.add_paragraph()
        if table.kind == "control":
            shade = OxmlElement("w:shd")
            shade.set(qn("w:val"), "clear")
            shade.set(qn("w:fill"), "F2F2F2")
            word_row.cells[0]._tc.get_or_add_tcPr().append(shade)
    if table.header and table.rows:
        for cell in word_table.rows[0].cells:
            shade = OxmlElement("w:shd")
            shade.set(qn("w:val"), "clear")
            shade.set(qn("w:fill"), "E7E6E6")
            cell._tc.get_or_add_tcPr().append(shade)


def _changed(run: Run, change: str) -> Run:
    from dataclasses import replace

    return run if run.change else replace(run, change=change)


def _padded(row: Row, columns: int) -> list[tuple[Para, ...]]:
    cells = [tuple(c) for c in row.cells]
    return cells + [()] * (columns - len(cells))


def _fill(paragraph: Any, block: Para, changes: _Changes, last: bool = False) -> None:
    """Runs of block into paragraph, wrapped in w:ins/w:del where marked."""
    from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
    from docx.oxml import OxmlElement
    from docx.shared import Inches

    p = paragraph._p
    if block.keep_next:
        paragraph.paragraph_format.keep_with_next = True
    if block.signature:
        paragraph.paragraph_format.tab_stops.add_tab_stop(
            Inches(6), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.LINES
        )
    if block.style.startswith("Heading "):
        paragraph.paragraph_format.keep_together = True
    wrapper: Any = None
    current: str | None = None
    for run in block.runs:
        if run.change != current:
            wrapper = changes.mark(run.change) if run.change else None
            if wrapper is not None:
                p.append(wrapper)
            current = run.change
        for element in _run_elements(run):
            (wrapper if wrapper is not None else p).append(element)
    if block.mark and not last:
        p_pr = p.get_or_add_pPr()
        r_pr = p_pr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}rPr")
        if r_pr is None:
            r_pr = OxmlElement("w:rPr")
            p_pr.append(r_pr)
        r_pr.insert(0, changes.mark(block.mark))


def _run_elements(run: Run) -> list[Any]:
    """w:r elements for one run: text split at line breaks and tabs; fields as complex fields."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    deleted = run.change == "del"

    def new_run() -> Any:
        r = OxmlElement("w:r")
        props = OxmlElement("w:rPr")
        if run.mono:
            fonts = OxmlElement("w:rFonts")
            for attr in ("w:ascii", "w:hAnsi", "w:cs"):
                fonts.set(qn(attr), _MONO)
            props.append(fonts)
        if run.bold:
            props.append(OxmlElement("w:b"))
        if run.italic:
            props.append(OxmlElement("w:i"))
        if len(props):
            r.append(props)
        return r

    def text(r: Any, value: str, tag: str | None = None) -> None:
        t = OxmlElement(tag or ("w:delText" if deleted else "w:t"))
        t.text = value
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        r.append(t)

    if run.field:
        parts = []
        for kind in ("begin", "instr", "separate", "result", "end"):
            r = new_run()
            if kind == "instr":
                text(r, f" {run.field} ", "w:delInstrText" if deleted else "w:instrText")
            elif kind == "result":
                text(r, run.text)
            else:
                char = OxmlElement("w:fldChar")
                char.set(qn("w:fldCharType"), kind)
                r.append(char)
            parts.append(r)
        return parts
    r = new_run()
    chunk = ""
    for ch in run.text:
        if ch in "\n\t":
            if chunk:
                text(r, chunk)
                chunk = ""
            r.append(OxmlElement("w:br" if ch == "\n" else "w:tab"))
        else:
            chunk += ch
    if chunk:
        text(r, chunk)
    return [r]


def docx_document(
    context: Mapping[str, Any],
    *,
    frame: object = None,
    templates: Path | None = None,
    changed_at: dt.datetime | None = None,
) -> bytes:
    """A charter as .docx bytes, from the template context (render/context.py)."""
    from rmo_cli.render.docx_blocks import build_document

    return write_docx(
        build_document(context, frame),
        reference=reference_path(templates),
        changed_at=changed_at,
    )


def reference_path(templates: Path | None) -> Path | None:
    """The repository's reference.docx (rmo.yaml `templates`), when it has one."""
    if templates is None:
        return None
    candidate = templates / REFERENCE_DOCX
    return candidate if candidate.is_file() else None


def _summary(earlier: RevisionSide, data: dict[str, Any]) -> tuple[str, ...]:
    """The changes since the earlier side in the words of `rmo diff` (SPEC §8)."""
    from rmo_cli.charter.diff import compare, describe_changes

    changes = compare(earlier.data, data).changes
    if earlier.label:
        since = earlier.label
    elif earlier.sha.startswith(earlier.rev.lower()):
        since = earlier.rev
    else:
        since = f"{earlier.rev} ({earlier.sha[:7]})"
    if not changes:
        return (f"No changes in content since {since}.",)
    lines = describe_changes(earlier.data, data, changes)
    count = f"{len(changes)} change{'s' if len(changes) != 1 else ''}"
    return (f"{count} since {since}:", *(f"• {line}" for line in lines))


def render_docx(
    data: dict[str, Any],
    *,
    as_of: dt.date,
    file: str = "",
    git: GitState | None = None,
    findings: Sequence[Finding] = (),
    draft: bool = False,
    within: str = DEFAULT_DUE_SOON,
    templates: Path | None = None,
    frame: object = None,
    changed_at: dt.datetime | None = None,
    earlier: RevisionSide | None = None,
    in_force: InForceVersion | None = None,
) -> bytes:
    """One charter as a Word document; with `earlier` (the charter at a revision), the
    redline from that side to this one as Word tracked changes. in_force: the charter's
    in-force version while an amendment is in progress (SPEC §8)."""
    from rmo_cli.ops.trust import trust_of_file
    from rmo_cli.render.context import charter_context, renderable
    from rmo_cli.render.docx_blocks import build_document
    from rmo_cli.rules.signoffs import verify_signoffs

    # Sign-offs are judged as `rmo verify` judges them, by the charter's repository (SPEC §7).
    trust = trust_of_file(file)
    checks = verify_signoffs(data, file, trust, in_force)
    if draft:  # a charter with errors: drop what the document cannot show
        data = renderable(data)
    model = build_document(
        charter_context(
            data,
            as_of=as_of,
            file=file,
            git=git,
            findings=findings,
            draft=draft,
            within=within,
            checks=checks,
        ),
        frame,
    )
    if earlier is not None:
        from rmo_cli.render.docx_redline import redline

        old = build_document(
            charter_context(
                renderable(earlier.data),
                as_of=as_of,
                file=earlier.path if earlier.moved else file,
                git=earlier.git,
                within=within,
                checks=verify_signoffs(earlier.data, file, trust),
            ),
            frame,
        )
        model = replace(redline(old, model), comment=_summary(earlier, data))
    return write_docx(model, reference=reference_path(templates), changed_at=changed_at)
