"""What the fields of an SPL pipeline mean at a given stage: renames, aggregated values, lookup outputs.

A filter late in a pipeline names fields as the pipeline has reshaped them; `FieldState` maps such a name
back to the event field it came from (`rename`, `eval x=y`, `values(y) AS x`, `drop_dm_object_name`),
knows which names hold aggregated values (thresholds) and which a `lookup ... OUTPUT` filled in.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["FieldState", "VALUE_FUNCTIONS"]

# Aggregations whose result is still the field's own values (not a count or a statistic).
VALUE_FUNCTIONS = frozenset({"values", "list", "first", "last", "earliest", "latest", "mode"})

_WORD = re.compile(r"\w+")
_AS = re.compile(r'\s+as\s+("?)([^\s,"()]+)\1', re.I)
_FIELD = re.compile(r"[A-Za-z_][\w.{}:]*|'[^']+'|\"[^\"]+\"")
_OPTION = re.compile(r"\w+=\S+")


@dataclass(slots=True)
class FieldState:
    """Field bookkeeping for one pipeline."""

    aliases: dict[str, str] = field(default_factory=dict)  # name now -> event field
    derived: set[str] = field(default_factory=set)  # names holding aggregated values
    lookups: dict[str, tuple[str, str]] = field(default_factory=dict)  # output -> (lookup, input field)
    columns: set[str] = field(default_factory=set)  # names an aggregation grouped by

    def resolve(self, name: str) -> str:
        """The event field behind `name` (itself when it was never renamed)."""
        return self.aliases.get(name, name)

    def assign(self, new: str, sources: list[str], *, alias: bool = False) -> None:
        """`new` now holds a value computed from `sources` (`alias`: it is a copy of the only source)."""
        original = self.resolve(sources[0]) if alias and sources else None
        derived = any(s in self.derived for s in sources)
        linked = next((self.lookups[s] for s in sources if s in self.lookups), None)
        self.aliases.pop(new, None)
        self.derived.discard(new)
        self.lookups.pop(new, None)
        if original is not None and original != new:
            self.aliases[new] = original
        if derived:
            self.derived.add(new)
        if linked:
            self.lookups[new] = linked

    def rename(self, old: str, new: str) -> None:
        """`rename old AS new`; a `*` in `old` renames every known name it matches (`Processes.* AS *`)."""
        if "*" not in old:
            self.assign(new, [old], alias=True)
            return
        pattern = re.compile(re.escape(old).replace(r"\*", "(.*)"))
        known = self.columns | self.aliases.keys() | self.derived | self.lookups.keys()
        for name in sorted(known):
            m = pattern.fullmatch(name)
            if m:
                target = new.replace("*", m.group(1), 1) if "*" in new else new
                self.assign(target, [name], alias=True)
                self.columns.add(target)

    def aggregate(self, head: str, by: str, defaults: tuple[str, ...] = ()) -> None:
        """`stats <head> by <by>`: value-preserving columns alias their field, the others are derived."""
        for func, arg, name, written in _calls(_OPTION.sub(" ", head)):
            if arg is None and func.lower() != "count":
                continue
            column = name or written
            arg = (arg or "").strip()
            if func.lower() in VALUE_FUNCTIONS and _FIELD.fullmatch(arg):
                self.assign(column, [arg.strip("'\"")], alias=True)
            else:
                self.assign(column, [])
                self.derived.add(column)
            self.columns.add(column)
        for name in defaults:
            self.assign(name, [])
            self.derived.add(name)
        self.columns |= {w.strip("'\"") for w in re.split(r"[\s,]+", by) if w and "=" not in w}

    def add_lookup(self, lookup: str, input_field: str, output: str) -> None:
        """`lookup <lookup> ... AS <input_field> OUTPUT ... AS <output>`."""
        self.assign(output, [])
        self.lookups[output] = (lookup, self.resolve(input_field))


def _calls(text: str) -> list[tuple[str, str | None, str | None, str]]:
    """`func(arg) [AS name]` and bare `word [AS name]` items of an aggregation list, with their text."""
    items = []
    pos = 0
    while m := _WORD.search(text, pos):
        func, end, arg = m.group(), m.end(), None
        if end < len(text) and text[end] == "(":
            close = _closing(text, end)
            arg, end = text[end + 1 : close], close + 1
        written = text[m.start() : end]
        alias = _AS.match(text, end)
        items.append((func, arg, alias.group(2) if alias else None, written))
        pos = alias.end() if alias else end
    return items


def _closing(text: str, start: int) -> int:
    """Offset of the parenthesis closing the one at `start` (quotes respected; end of text if none)."""
    depth, quoted = 0, False
    for i in range(start, len(text)):
        char = text[i]
        if char == '"' and text[i - 1] != "\\":
            quoted = not quoted
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
            if depth == 0:
                return i
    return len(text) - 1
