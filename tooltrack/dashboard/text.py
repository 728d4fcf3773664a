"""User text made safe to show: never HTML, never Markdown that the data itself controls.

Tool names, commands, file paths, error messages and `adw_id`s come from agents' logs and from
uploads, so they may hold `<script>` or Markdown. Streamlit already escapes HTML in Markdown, but
Markdown itself (links, images, emphasis) would still be interpreted; Plotly interprets a few HTML
tags in labels. These helpers keep such text literal.
"""

from __future__ import annotations

import html
import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
#: Terminal escape sequences: CSI (colours `\x1b[41m`, cursor moves), OSC (titles, links, ended by
#: BEL or ST), and the short ones (`\x1b(B`, `\x1b=`); then any stray ESC or other control but tab and newline.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[ -/]*[0-~]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def md(text: object) -> str:
    """`text` escaped for a Streamlit Markdown string (st.markdown, st.info, subheaders, labels)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def chart_label(text: object) -> str:
    """`text` for a Plotly label: `<` and `&` become entities, which Plotly shows as the characters."""
    return html.escape(str(text), quote=False)


def strip_ansi(text: str | None) -> str:
    """`text` without terminal escapes (a test runner's colours) or other control characters: the
    one place the dashboard cleans tool output for reading. None is ""."""
    if not text:
        return ""
    return _CONTROL.sub("", _ANSI.sub("", text.replace("\r\n", "\n")))


def shorten(text: str | None, limit: int = 120) -> str:
    """One line of at most `limit` characters, for table cells and chart labels."""
    if not text:
        return ""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
