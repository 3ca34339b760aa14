"""Logs as users really have them: saved files, copies out of forum posts and wrapper output.

A pasted log may have CRLF line ends, `> ` quoting (nested too), Markdown backticks, lines written as Python or
JSON list items (`'Time   0s. ...',`), and every line doubled by a wrapper. `clean_line` undoes what it can for
one line; `read_log` turns a whole text into the lines Kilosort printed.
"""

from __future__ import annotations

from collections.abc import Iterable

# A line that starts with one of these may be quoted; anything else is passed through untouched (the hot path).
QUOTE_STARTS = frozenset(">'\"`")


def clean_line(text: str) -> str:
    """One line without its line end, forum quoting, Markdown backticks or list-item quotes."""
    text = text.strip()
    if not text or text[0] not in QUOTE_STARTS:
        return text
    while text.startswith(">"):  # "> ", "> > ", ">>" (a MATLAB prompt line is harmless to strip too)
        text = text[1:].lstrip()
    text = text.strip("`").strip()
    for quote in ("'", '"'):
        # 'Time   0s. Computing whitening matrix..',  or  "22168.31 sec, 240301 batches, 595349028 spikes",
        if text.startswith(quote) and text.rstrip(",").endswith(quote) and len(text.rstrip(",")) >= 2:
            text = text.rstrip(",")[1:-1].strip()
            break
    return text


def read_log(text: str) -> list[str]:
    """The lines of a saved or pasted log, cleaned, with doubled lines (wrapper echo) dropped."""
    return list(without_doubles(clean_line(line) for line in text.splitlines()))


def without_doubles(lines: Iterable[str]) -> Iterable[str]:
    """Drop a line equal to the one before it: wrappers that echo output print every line twice."""
    previous = None
    for line in lines:
        if line and line == previous:
            continue
        previous = line
        yield line
