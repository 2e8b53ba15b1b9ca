"""Alternative text for every figure on the site, from what the figure shows.

``course_utils.figures`` publishes each figure with ``metadata={"image/png": {"alt": ...}}`` (its
titles and axis labels) and the same words as its ``text/plain``. myst-nb names an image output's
file by the SHA-256 of its bytes but keeps no alt text, so ``figure_alts`` maps those file names to
the text and ``add_alt_text`` writes it into the built pages' ``<img>`` tags.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path

_IMG = re.compile(r"<img\b[^>]*>")
_SRC = re.compile(r'\bsrc="([^"]*)"')
_ALT = re.compile(r'\balt="[^"]*"')
_MATPLOTLIB_REPR = re.compile(r"^<(Figure|matplotlib)\b.*>$")


def output_alt(output: dict, fallback: str) -> str:
    """An image output's alternative text: its metadata's ``alt``, else a meaningful ``text/plain``, else ``fallback``."""
    alt = output.get("metadata", {}).get("image/png", {}).get("alt")
    text = output.get("data", {}).get("text/plain", "")
    text = "".join(text) if isinstance(text, list) else text
    if not alt and text.strip() and not _MATPLOTLIB_REPR.match(text.strip()):
        alt = text.strip()
    return " ".join(str(alt or fallback).split())


def figure_alts(nb, page_title: str) -> dict[str, str]:
    """``{"<sha256>.png": alt}`` for every PNG output of a notebook (an ``nbformat`` node).

    A figure published without alt text (one the inline backend showed) is named by its section.
    """
    alts, section = {}, page_title
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            heading = next((line.lstrip("#").strip() for line in cell.source.splitlines() if line.startswith("#")), None)
            section = f"“{heading}” in {page_title}" if heading and heading != page_title else section
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get("image/png")
            if data:
                png = base64.b64decode("".join(data) if isinstance(data, list) else data)
                name = f"{hashlib.sha256(png).hexdigest()}.png"
                alts[name] = output_alt(output, f"Figure drawn by cell {i + 1}, section {section}")
    return alts


def add_alt_text(site: Path, alts: dict[str, str]) -> int:
    """Set ``alt`` on every ``<img>`` of the built pages whose file is in ``alts``; return how many were set."""
    count = 0

    def fix(match):
        nonlocal count
        tag = match.group(0)
        src = _SRC.search(tag)
        alt = alts.get(Path(src.group(1)).name) if src else None
        if alt is None:
            return tag
        count += 1
        tag = _ALT.sub("", tag).replace("<img", f'<img alt="{html.escape(alt, quote=True)}"', 1)
        return re.sub(r"\s+", " ", tag)

    for page in Path(site).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = _IMG.sub(fix, text)
        if new != text:
            page.write_text(new, encoding="utf-8")
    return count
