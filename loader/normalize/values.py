"""Canonical string comparisons: every vendor's eq / contains / startswith / endswith / wildcard as one glob.

A vendor value becomes a `Glob` (literal text and `*` / `?` wildcards, after the vendor's own escaping
rules); `classify` reads the glob back as the simplest canonical operator — `eq` without wildcards,
`contains` for `*x*`, `startswith` for `x*`, `endswith` for `*x`, `exists` for a lone `*`, else
`wildcard` with the glob written with `\\` escapes — so `*\\x.exe` and `endswith \\x.exe` are one test.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["STAR", "QMARK", "Glob", "glob_of", "literal_glob", "wrap", "classify", "fold", "split_basename"]

STAR = "\x00*"
QMARK = "\x00?"
"""Wildcard tokens inside a `Glob` (never confused with literal text)."""

_SEPARATORS = ("\\", "/")


@dataclass(frozen=True, slots=True)
class Glob:
    """A pattern: literal strings and `STAR` / `QMARK` tokens, consecutive literals merged, `**` collapsed."""

    parts: tuple[str, ...]

    @property
    def wild(self) -> bool:
        """True when the pattern holds any wildcard."""
        return any(p in (STAR, QMARK) for p in self.parts)

    def text(self) -> str:
        """The pattern written as a glob: `*` and `?` wildcards, literal `*`, `?` and `\\` escaped by `\\`."""
        out = []
        for part in self.parts:
            if part == STAR:
                out.append("*")
            elif part == QMARK:
                out.append("?")
            else:
                out.append(re.sub(r"([\\*?])", r"\\\1", part))
        return "".join(out)


def _normalised(parts: list[str]) -> Glob:
    merged: list[str] = []
    for part in parts:
        if part == "":
            continue
        if part == STAR and merged and merged[-1] == STAR:
            continue
        if part not in (STAR, QMARK) and merged and merged[-1] not in (STAR, QMARK):
            merged[-1] += part
        else:
            merged.append(part)
    return Glob(tuple(merged))


def literal_glob(text: str) -> Glob:
    """A glob matching exactly `text`."""
    return _normalised([text])


def glob_of(text: str, *, escapes: str = "", question: bool = True) -> Glob:
    """Read a vendor pattern: `*` (and `?` when `question`) are wildcards; a backslash before a character
    in `escapes` makes it literal (Sigma: `*?\\\\`, KQL/Lucene: any character); other backslashes are literal."""
    parts: list[str] = []
    buf: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and (escapes == "any" or text[i + 1] in escapes):
            buf.append(text[i + 1])
            i += 2
            continue
        if c == "*" or (c == "?" and question):
            parts.append("".join(buf))
            buf = []
            parts.append(STAR if c == "*" else QMARK)
        else:
            buf.append(c)
        i += 1
    parts.append("".join(buf))
    return _normalised(parts)


def wrap(glob: Glob, *, start: bool, end: bool) -> Glob:
    """`glob` with a leading and/or trailing `*` (contains -> both, endswith -> start, startswith -> end)."""
    return _normalised([*([STAR] if start else []), *glob.parts, *([STAR] if end else [])])


def classify(glob: Glob) -> tuple[str, str | None]:
    """(canonical operator, value) of a string pattern."""
    parts = glob.parts
    if not parts:
        return "eq", ""
    if parts == (STAR,):
        return "exists", None
    if not glob.wild:
        return "eq", parts[0]
    inner = parts
    lead = inner[0] == STAR
    trail = inner[-1] == STAR
    core = inner[1 if lead else 0: len(inner) - 1 if trail else len(inner)]
    if len(core) == 1 and core[0] not in (STAR, QMARK):
        if lead and trail:
            return "contains", core[0]
        return ("endswith" if lead else "startswith"), core[0]
    return "wildcard", glob.text()


def fold(glob: Glob) -> Glob:
    """The pattern lower-cased (the vendor matches case-insensitively)."""
    return Glob(tuple(p if p in (STAR, QMARK) else p.lower() for p in glob.parts))


def split_basename(value: str) -> str | None:
    """`\\\\powershell.exe` -> `powershell.exe`: the file name when `value` is one separator and a name."""
    if len(value) > 1 and value[0] in _SEPARATORS and not any(s in value[1:] for s in _SEPARATORS):
        return value[1:]
    return None
