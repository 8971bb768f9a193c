"""A repository's `reference.docx` (rmo.yaml `templates`): styles for Word output, as
pandoc's `--reference-doc` takes them.

The file is untrusted, like the other repository templates. Only these are read from it:
the style definitions, the list numbering and the theme (fonts, colours), the page size and
margins, and the images of its first header (a logo). Its body, header text, fields,
settings, macros and custom XML are never copied; a part reached through an external
relationship is never read; a part with relationships of its own (a theme or numbering
that points elsewhere) is skipped. Sizes are bounded before anything is parsed.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from typing import Any

from rmo_cli.support.errors import RefusedError

MAX_FILE = 20 * 1024 * 1024  # bytes on disk
MAX_PART = 10 * 1024 * 1024  # bytes of one part, uncompressed
MAX_PARTS = 2000
MAX_LOGO_WIDTH = 6 * 914400  # EMU: six inches
_IMAGE_EXTENSIONS = (".png", ".jpeg", ".jpg", ".gif", ".bmp")
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_REL = _R + "/"


class _Package:
    """The reference file's zip, read part by part within the bounds."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            if path.stat().st_size > MAX_FILE:
                raise self.refuse(f"larger than {MAX_FILE // (1024 * 1024)} MiB")
            self.zip = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise self.refuse(f"not a Word document ({exc})") from None
        infos = self.zip.infolist()
        if len(infos) > MAX_PARTS:
            raise self.refuse(f"more than {MAX_PARTS} parts")
        self.sizes = {info.filename: info.file_size for info in infos}

    def refuse(self, why: str) -> RefusedError:
        return RefusedError(f"{self.path}: reference.docx not used: {why}")

    def read(self, name: str) -> bytes | None:
        if self.sizes.get(name, 0) > MAX_PART:
            raise self.refuse(f"{name} is larger than {MAX_PART // (1024 * 1024)} MiB")
        if name not in self.sizes:
            return None
        try:
            return self.zip.read(name)
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:  # bad CRC, encrypted
            raise self.refuse(f"{name} cannot be read ({exc})") from None

    def xml(self, name: str) -> Any:
        from lxml import etree

        data = self.read(name)
        if data is None:
            return None
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
        )
        try:
            return etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            raise self.refuse(f"{name} is not well-formed XML ({exc})") from None

    def rels(self, part: str) -> dict[str, tuple[str, str]]:
        """Internal relationships of a part: id -> (type, part name); external ones dropped."""
        folder, base = posixpath.split(part)
        tree = self.xml(posixpath.join(folder, "_rels", base + ".rels"))
        out: dict[str, tuple[str, str]] = {}
        for rel in [] if tree is None else tree.iter(f"{{{_PKG}}}Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target") or ""
            name = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            out[rel.get("Id") or ""] = (rel.get("Type") or "", posixpath.normpath(name))
        return out

    def has_rels(self, part: str) -> bool:
        folder, base = posixpath.split(part)
        return posixpath.join(folder, "_rels", base + ".rels") in self.sizes


def apply_reference(document: Any, path: Path) -> list[tuple[bytes, int | None]]:
    """Give document the reference file's styles; return its header images (bytes, width)."""
    from docx.oxml.parser import parse_xml

    package = _Package(path)
    main = next(
        (name for kind, name in package.rels("").values() if kind.endswith("/officeDocument")),
        None,
    )
    if main is None:
        raise package.refuse("no main document part")
    related = package.rels(main)
    by_type = {kind.rsplit("/", 1)[-1]: name for kind, name in related.values()}

    ours = document.part
    styles = package.read(by_type.get("styles", ""))
    if styles is not None:
        element = parse_xml(styles)
        for node in element.iter():  # styles hold no relationships: drop any that claim one
            for attr in [a for a in node.attrib if a.startswith(f"{{{_R}}}")]:
                del node.attrib[attr]
        ours._styles_part._element = element
    numbering_name = by_type.get("numbering")
    if numbering_name and not package.has_rels(numbering_name):
        numbering = package.read(numbering_name)
        if numbering is not None:
            ours.numbering_part._element = parse_xml(numbering)
    theme_name = by_type.get("theme")
    if theme_name and not package.has_rels(theme_name):
        theme = package.read(theme_name)
        if theme is not None and package.xml(theme_name) is not None:
            for rel in ours.rels.values():
                if not rel.is_external and rel.reltype == _REL + "theme":
                    rel.target_part._blob = theme
    body = package.xml(main)
    section = None if body is None else body.find(f"{{{_W}}}body/{{{_W}}}sectPr")
    if section is not None:
        _page_setup(document, section)
        return _header_images(package, main, section, related)
    return []


def _page_setup(document: Any, section: Any) -> None:
    """Page size and margins of the reference's last section."""
    from docx.shared import Emu

    ours = document.sections[0]
    size = section.find(f"{{{_W}}}pgSz")
    margins = section.find(f"{{{_W}}}pgMar")

    def twips(element: Any, name: str) -> int | None:
        value = None if element is None else element.get(f"{{{_W}}}{name}")
        return int(value) * 635 if value and value.lstrip("-").isdigit() else None

    for attr, element, name in (
        ("page_width", size, "w"),
        ("page_height", size, "h"),
        ("top_margin", margins, "top"),
        ("bottom_margin", margins, "bottom"),
        ("left_margin", margins, "left"),
        ("right_margin", margins, "right"),
        ("header_distance", margins, "header"),
        ("footer_distance", margins, "footer"),
    ):
        emu = twips(element, name)
        if emu is not None and 0 <= emu <= 2 * 914400 * 20:  # up to 40 inches
            setattr(ours, attr, Emu(emu))


def _header_images(
    package: _Package, main: str, section: Any, related: dict[str, tuple[str, str]]
) -> list[tuple[bytes, int | None]]:
    """The images the reference's default header shows (its logo), with their widths."""
    reference = next(
        (
            ref
            for ref in section.findall(f"{{{_W}}}headerReference")
            if ref.get(f"{{{_W}}}type") in ("default", None)
        ),
        None,
    )
    if reference is None:
        return []
    _kind, header_name = related.get(reference.get(f"{{{_R}}}id") or "", ("", ""))
    header = package.xml(header_name) if header_name else None
    if header is None:
        return []
    header_rels = package.rels(header_name)
    images: list[tuple[bytes, int | None]] = []
    blip = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
    extent = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}extent"
    for drawing in header.iter(f"{{{_W}}}drawing"):
        found = drawing.find(f".//{blip}")
        if found is None:
            continue
        kind, name = header_rels.get(found.get(f"{{{_R}}}embed") or "", ("", ""))
        if not kind.endswith("/image") or not name.lower().endswith(_IMAGE_EXTENSIONS):
            continue
        data = package.read(name)
        if not data:
            continue
        size = drawing.find(f".//{extent}")
        cx = size.get("cx") if size is not None else None
        width = int(cx) if cx and cx.isdigit() else None
        images.append((data, min(width, MAX_LOGO_WIDTH) if width else None))
    return images[:4]
