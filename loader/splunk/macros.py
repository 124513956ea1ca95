"""Splunk search macros (`macros/*.yml`): load them once, expand `` `name` `` and `` `name(args)` `` in SPL.

Expansion is textual, like Splunk's: arguments replace `$arg$` in the definition, nested macros expand
recursively (depth limit, cycle detection, and a size limit: macros that call each other several times
grow exponentially within the depth limit, so a search whose expansion passes `MAX_EXPANSION` characters
is left unexpanded, with the reason as an issue). Each outermost macro call leaves a `MacroSpan` over the text it
expanded to, so a parser can tell which predicates came from which macro the rule author wrote.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from loader.walk import read_regular, unreadable, walk_corpus, yaml_reason

__all__ = ["Macro", "MacroSpan", "Expansion", "MacroLibrary", "is_silent_macro", "strip_comments"]

MAX_DEPTH = 10
MAX_EXPANSION = 100_000  # characters of macro text one search may expand to (ESCU's largest: ~5,000)

# Formatting macros that shape output but never filter events: they expand to nothing.
SILENT_MACROS = frozenset({"security_content_summariesonly", "security_content_ctime"})
# ESCU macros that its corpora use without shipping: their well-known definitions (a corpus file wins).
BUILTIN_MACROS = {
    "drop_dm_object_name": ("rename $name$.* AS *", ("name",)),
}

_CALL = re.compile(r"`(\w[\w.\-]*)\s*(?:\(([^`]*)\))?\s*`")
_COMMENT = re.compile(r"```.*?```", re.S)
_ARITY = re.compile(r"\(\d+\)$")
_ARG_SPLIT = re.compile(r'(?:"(?:[^"\\]|\\.)*"|\\.|[^,"\\])+')


@dataclass(frozen=True, slots=True)
class Macro:
    """One macro definition; `arguments` are the `$name$` placeholders, in call order."""

    name: str
    definition: str
    arguments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MacroSpan:
    """The text `[start, end)` of an expansion that came from the outermost macro `name`."""

    start: int
    end: int
    name: str


@dataclass(slots=True)
class Expansion:
    """SPL with every macro expanded, where each outermost macro landed, and what could not be expanded."""

    text: str
    spans: list[MacroSpan] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)

    def macro_at(self, pos: int) -> str | None:
        """The outermost macro whose expansion covers offset `pos`, if any."""
        for span in self.spans:
            if span.start <= pos < span.end:
                return span.name
        return None


def is_silent_macro(name: str) -> bool:
    """True for macros that contribute nothing: `*_filter` tuning hooks and formatting helpers."""
    return name.endswith("_filter") or name in SILENT_MACROS


def strip_comments(spl: str) -> str:
    """SPL without its ```` ```comments``` ````."""
    return _COMMENT.sub(" ", spl) if "```" in spl else spl


def _split_args(text: str) -> list[str]:
    return [a.strip() for a in _ARG_SPLIT.findall(text) if a.strip()] if text.strip() else []


class MacroLibrary:
    """All macros of a corpus, by name; `broken` maps macro files that could not be read to the reason."""

    def __init__(self, macros: dict[str, Macro], broken: dict[str, str] | None = None) -> None:
        self.macros = macros
        self.broken = broken or {}

    @classmethod
    def load(cls, directory: Path) -> MacroLibrary:
        """Read every `*.yml` below `directory` (missing directory: an empty library)."""
        macros: dict[str, Macro] = {}
        broken: dict[str, str] = {}
        found = walk_corpus(Path(directory), suffixes=".yml", recursive=False)
        for failure in found.failures:
            broken[Path(failure.path).stem] = f"{Path(failure.path).name}: {failure.reason}"
        for path in found.files:
            macro, reason = _read_macro(path)
            if macro is None:
                broken[path.stem] = f"{path.name}: {reason}"
            else:
                macros[macro.name] = macro
        return cls(macros, broken)

    def expand(self, spl: str) -> Expansion:
        """Expand every macro call in `spl` (comments already stripped), recording outermost spans."""
        if "`" not in spl:
            return Expansion(spl)
        out: list[str] = []
        spans: list[MacroSpan] = []
        issues: list[str] = []
        budget = [MAX_EXPANSION]
        length = pos = 0
        try:
            bodies = [(m, self._body(m.group(1), m.group(2), (), issues, budget)) for m in _CALL.finditer(spl)]
        except _TooLarge as exc:
            return Expansion(_CALL.sub(" ", spl), [], [*dict.fromkeys(issues), str(exc)])
        for m, body in bodies:
            out.append(spl[pos : m.start()])
            length += m.start() - pos
            if body.strip():
                spans.append(MacroSpan(length, length + len(body), m.group(1)))
            out.append(body)
            length += len(body)
            pos = m.end()
        out.append(spl[pos:])
        return Expansion("".join(out), spans, list(dict.fromkeys(issues)))

    def _body(self, name: str, args: str | None, stack: tuple[str, ...], issues: list[str], budget: list[int]) -> str:
        """The fully expanded text of one call ('' for silent, unknown or broken macros)."""
        if is_silent_macro(name):
            return " "
        if name in stack:
            issues.append(f"macro cycle: {' -> '.join((*stack, name))}")
            return " "
        if len(stack) >= MAX_DEPTH:
            issues.append(f"macro nesting deeper than {MAX_DEPTH} at `{name}`")
            return " "
        macro = self.macros.get(name) or _builtin(name)
        if macro is None:
            reason = self.broken.get(name, "not defined in macros/")
            issues.append(f"unknown macro `{name}`: {reason}")
            return " "
        values = _split_args(args or "")
        if len(values) != len(macro.arguments):
            issues.append(f"macro `{name}` takes {len(macro.arguments)} argument(s), got {len(values)}")
        text = macro.definition
        for arg, value in zip(macro.arguments, values, strict=False):
            text = text.replace(f"${arg}$", value)
        budget[0] -= len(text)
        if budget[0] < 0:
            raise _TooLarge(f"macros expand to more than {MAX_EXPANSION:,} characters (at `{name}`, "
                            f"via {' -> '.join((*stack, name))}): macros left unexpanded")
        inner = (*stack, name)
        return _CALL.sub(lambda m: self._body(m.group(1), m.group(2), inner, issues, budget), text)


class _TooLarge(Exception):
    """A search's macro expansion passed `MAX_EXPANSION` (the message is the rule issue)."""


def _builtin(name: str) -> Macro | None:
    definition = BUILTIN_MACROS.get(name)
    return Macro(name, *definition) if definition else None


def _read_macro(path: Path) -> tuple[Macro | None, str]:
    """One macro file, or None and the reason it cannot be used."""
    try:
        data = yaml.load(read_regular(path), Loader=yaml.CSafeLoader)
    except OSError as exc:
        return None, unreadable(exc)
    except yaml.YAMLError as exc:
        return None, yaml_reason(exc)
    except RecursionError:
        return None, "YAML nested too deeply to read"
    if not isinstance(data, dict) or not isinstance(data.get("definition"), str | int | float | bool):
        return None, "no definition"
    name = _ARITY.sub("", str(data.get("name") or path.stem))  # Splunk names `name(2)` by argument count
    args = data.get("arguments") or []
    if not isinstance(args, list):
        return None, "arguments is not a list"
    return Macro(name, str(data["definition"]), tuple(str(a) for a in args)), ""
