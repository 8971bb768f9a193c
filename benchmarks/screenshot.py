"""Screenshot the first page of a rendered charter with headless Chromium, for people to look at.

    python benchmarks/screenshot.py [CHARTER] [-o OUT.png] [--pdf]

Renders CHARTER (default: the Harbourside sample) with `rmo render --to html`, then takes a
screenshot of the first A4 page as Chromium prints it (print styles applied: 794 x 1123 CSS
pixels at 96 dpi). With --pdf, the first page of the WeasyPrint PDF is shown instead (needs
pdftoppm from poppler-utils). Prints the path of the PNG.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RMO = Path(sys.executable).parent / "rmo"
DEFAULT = ROOT / "sample_charters" / "harbourside-globex-facilities.yaml"
# Chromium screenshots use screen media; this makes it lay the page out as it prints.
PRINT_SHIM = """
<style>
html { background: #fff !important; }
body { margin: 0 auto !important; padding: 20mm 18mm !important; box-shadow: none !important;
       max-width: 210mm !important; width: 210mm !important; font-size: 10.5pt !important; }
</style>
"""


def chromium() -> str:
    """Path of the Chromium binary, or exit with advice."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        sys.exit("screenshot.py: chromium not found (Debian: apt-get install chromium)")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("charter", nargs="?", default=str(DEFAULT))
    parser.add_argument("-o", "--output", default="charter-first-page.png")
    parser.add_argument("--pdf", action="store_true", help="show the WeasyPrint PDF instead")
    args = parser.parse_args()
    out = Path(args.output).resolve()
    with tempfile.TemporaryDirectory(prefix="rmo-shot-") as tmp:
        work = Path(tmp)
        if args.pdf:
            pdf = work / "charter.pdf"
            subprocess.run(
                [str(RMO), "render", args.charter, "--to", "pdf", "-o", str(pdf)], check=True
            )
            if not shutil.which("pdftoppm"):
                sys.exit("screenshot.py: pdftoppm not found (apt-get install poppler-utils)")
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    "96",
                    "-f",
                    "1",
                    "-l",
                    "1",
                    "-singlefile",
                    str(pdf),
                    str(out.with_suffix("")),
                ],
                check=True,
            )
        else:
            page = work / "charter.html"
            subprocess.run(
                [str(RMO), "render", args.charter, "--to", "html", "-o", str(page)], check=True
            )
            html = page.read_text(encoding="utf-8").replace("</head>", PRINT_SHIM + "</head>", 1)
            page.write_text(html, encoding="utf-8")
            subprocess.run(
                [
                    chromium(),
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--hide-scrollbars",
                    f"--user-data-dir={work / 'profile'}",
                    "--window-size=794,1123",
                    f"--screenshot={out}",
                    page.as_uri(),
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
