"""PDF output through WeasyPrint (the `pdf` extra), imported only when a PDF is asked for.

The HTML comes from a template that may be the repository's (untrusted, SPEC §7): the PDF
engine fetches nothing but `data:` URIs and rmo's own packaged resources, embeds no file the
HTML names (`rel=attachment` is stripped), and runs in a forked child bounded in time,
memory and output size, like the template step.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rmo_cli.support.errors import RmoError

if TYPE_CHECKING:
    from rmo_cli.render.sandbox import ForkedWorker

PDF_INSTALL_HINT = (
    "PDF output needs WeasyPrint: install rmo with the pdf extra "
    "(pip install 'rmo-cli[pdf]' or pipx install 'rmo-cli[pdf]'), plus Pango on Linux "
    "(Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0); "
    "or render --to html and print it from a browser"
)

PDF_TIMEOUT = 30.0  # seconds for laying out and writing one PDF (a sample takes ~0.3 s)


MAX_PDF_BYTES = 200 * 1024 * 1024  # bytes of one PDF


def load_weasyprint() -> Any:
    """The weasyprint module, or an RmoError (exit 2) that says how to install it."""
    import sys

    if "weasyprint" in sys.modules and sys.modules["weasyprint"] is not None:
        return sys.modules["weasyprint"]
    try:
        with _libraries_by_soname():
            import weasyprint
    except OSError:  # a library not found by its soname: let ctypes look everywhere
        try:
            import weasyprint
        except (ImportError, OSError) as exc:  # OSError: Pango or its friends are missing
            raise RmoError(f"{PDF_INSTALL_HINT} ({type(exc).__name__}: {exc})") from None
    except ImportError as exc:
        raise RmoError(f"{PDF_INSTALL_HINT} ({type(exc).__name__}: {exc})") from None
    return weasyprint


def require_weasyprint() -> None:
    """An RmoError (exit 2) that says how to install WeasyPrint when it is not installed.

    Cheap (no import): a render checks this before any work; a missing Pango shows when the
    PDF engine imports WeasyPrint.
    """
    from importlib.util import find_spec

    try:
        found = find_spec("weasyprint") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise RmoError(f"{PDF_INSTALL_HINT} (No module named 'weasyprint')")


@contextmanager
def _libraries_by_soname() -> Iterator[None]:
    """While WeasyPrint loads Pango and friends on Linux, skip ctypes.util.find_library.

    WeasyPrint tries several names per library; cffi hands each name that dlopen does not take
    as given to find_library, which on Linux runs ldconfig, gcc and ld (about 60 processes,
    0.2-0.5 s). The sonames WeasyPrint also tries (libpango-1.0.so.0) load directly, so on
    Linux find_library is not needed; if a library is still missing, load_weasyprint imports
    again with find_library back (and WeasyPrint's printed advice, held back here, shows).
    """
    import ctypes.util
    import io
    import sys
    from contextlib import redirect_stdout

    if not sys.platform.startswith("linux"):
        yield
        return
    original = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        with redirect_stdout(io.StringIO()):  # WeasyPrint prints advice when a load fails
            yield
    finally:
        ctypes.util.find_library = original


def _packaged_roots() -> list[str]:
    """Real paths of the folders whose files the PDF engine may read (rmo's own resources)."""
    from rmo_cli.support.resources import templates_dir

    return [os.path.realpath(templates_dir()) + os.sep]


def safe_url_fetcher() -> Any:
    """A WeasyPrint URL fetcher that serves `data:` URIs and rmo's packaged files, nothing else.

    Every other URL (http, https, ftp, file outside the packaged resources, relative URLs)
    raises, so WeasyPrint leaves the resource out: no connection, no local file read.
    """
    weasyprint = load_weasyprint()
    from urllib.parse import unquote, urlsplit

    base = weasyprint.URLFetcher

    class SafeFetcher(base):  # type: ignore[misc, valid-type]
        """Refuses every URL but `data:` and files inside rmo's packaged resources."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = os.path.realpath(unquote(urlsplit(url).path))
                if any(path.startswith(root) for root in _packaged_roots()) and os.path.isfile(
                    path
                ):
                    with open(path, "rb") as f:
                        body = f.read()
                    return weasyprint.urls.URLFetcherResponse(url, body)
            raise ValueError(f"rmo does not fetch {url[:80]!r} (only data: URIs)")

    # No redirects, no protocols beyond what fetch() lets through, short timeouts anyway.
    return SafeFetcher(timeout=1, allow_redirects=False, allowed_protocols=("data", "file"))


def strip_attachments(root: Any) -> None:
    """Remove the `attachment` link type from every `rel` in a parsed HTML tree (in place)."""
    for element in root.iter():
        rel = element.get("rel") if hasattr(element, "get") else None
        if not rel:
            continue
        tokens = [t for t in rel.split() if t.lower() != "attachment"]
        if len(tokens) != len(rel.split()):
            element.set("rel", " ".join(tokens))


def html_to_pdf(
    html_text: str,
    *,
    stylesheets: list[str] | None = None,
    options: dict[str, Any] | None = None,
    finish: Callable[[Any], dict[str, Any]] | None = None,
    isolate: bool = True,
) -> bytes:
    """PDF bytes of an HTML document, fetching nothing and embedding no file the HTML names.

    `stylesheets` are rmo's own CSS (user origin), `options` WeasyPrint's write_pdf options
    (variant, attachments as weasyprint.Attachment built by rmo), `finish` a callback given the
    laid-out document that may return more options. Runs in a forked child (where the platform
    has fork) bounded by PDF_TIMEOUT, memory and MAX_PDF_BYTES.
    """
    engine = _take_engine() if isolate else None
    if engine is not None:
        job = (html_text, stylesheets or [], options or {}, finish)
        if _picklable(job):
            return engine.run(_write_pdf, job, PDF_TIMEOUT, MAX_PDF_BYTES, "the PDF engine")
        engine.close()
    load_weasyprint()  # import here, before forking: children reuse the parent's import

    def work() -> bytes:
        return _write_pdf(html_text, stylesheets or [], options or {}, finish)

    if isolate and hasattr(os, "fork"):
        from rmo_cli.render.sandbox import run_forked_bytes

        return run_forked_bytes(work, PDF_TIMEOUT, MAX_PDF_BYTES, "the PDF engine")
    return work()


_ENGINE: ForkedWorker | None = None  # started by start_pdf_engine, for the next html_to_pdf
_ENGINE_OWNER = 0  # the process that started it (forked workers must not use it)


def start_pdf_engine() -> ForkedWorker | None:
    """Fork the PDF engine now, so it imports WeasyPrint while this process builds the HTML.

    The next html_to_pdf of this process hands its job to it (a pipe); close() the worker when
    done (it is a no-op once the job ran). None where there is no fork or no WeasyPrint (the
    render then says how to install it).
    """
    global _ENGINE, _ENGINE_OWNER
    if not hasattr(os, "fork"):
        return None
    try:
        require_weasyprint()
    except RmoError:
        return None
    from rmo_cli.render.sandbox import ForkedWorker

    close_pdf_engine()
    _ENGINE = ForkedWorker(load_weasyprint, _warm_engine)
    _ENGINE_OWNER = os.getpid()
    return _ENGINE


def close_pdf_engine() -> None:
    """Stop the engine start_pdf_engine forked, if no html_to_pdf used it."""
    global _ENGINE
    engine, _ENGINE = _ENGINE, None
    if engine is not None and _ENGINE_OWNER == os.getpid():
        engine.close()


def _take_engine() -> ForkedWorker | None:
    """The engine started for this process's next PDF, once; None when there is none."""
    global _ENGINE
    engine, _ENGINE = _ENGINE, None
    return engine if engine is not None and _ENGINE_OWNER == os.getpid() else None


def _picklable(job: Any) -> bool:
    """True when job can go down the pipe to the engine (finish is not a closure)."""
    import pickle

    try:
        pickle.dumps(job)
    except (pickle.PicklingError, TypeError, AttributeError):
        return False
    return True


WARM_UP_HTML = (
    '<html><body style="font-family: DejaVu Serif"><h1 style="font-family: DejaVu Sans">'
    'A</h1><p><b>A</b> <span style="font-family: DejaVu Sans Mono">a</span></p>'
    "<table><tr><th>a</th><td>b</td></tr></table></body></html>"
)


def _warm_engine() -> None:
    """In the early engine, once WeasyPrint is imported: lay out and write a tiny PDF/A page
    with the fonts rmo's pages use (fontconfig, font and C type caches warm for the real one)."""
    try:
        _write_pdf(WARM_UP_HTML, [], {"pdf_variant": "pdf/a-3b", "pdf_tags": True}, None)
    except Exception:  # noqa: BLE001 - only a warm-up: the real document reports its errors
        pass


def _write_pdf(
    html_text: str,
    stylesheets: list[str],
    options: dict[str, Any],
    finish: Callable[[Any], dict[str, Any]] | None,
) -> bytes:
    weasyprint = load_weasyprint()
    import logging

    # WeasyPrint logs unsupported CSS and refused URLs; the CLI prints its own messages.
    logging.getLogger("weasyprint").setLevel(logging.CRITICAL)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    fetcher = safe_url_fetcher()
    html = weasyprint.HTML(string=html_text, base_url=None, url_fetcher=fetcher)
    strip_attachments(html.etree_element)
    css = [weasyprint.CSS(string=text, url_fetcher=fetcher) for text in stylesheets]
    document = html.render(stylesheets=css, **options)
    document.metadata.attachments = []  # nothing the HTML named, whatever got through
    extra = finish(document) if finish is not None else {}
    pdf = document.write_pdf(**{**options, **extra})
    return bytes(pdf)
