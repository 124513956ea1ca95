"""What each SPL command contributes: filters (`search`, `where`, `regex`, tstats `where`), field changes
(`rename`, `eval`, aggregations, `lookup`) or subsearches (`join`, `append`). One handler per command.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from graph_schema.errors import QuerySyntaxError
from loader.logic import Expr, Leaf, Not
from loader.model import Operator, Predicate
from loader.splunk.expr import Test, parse_search, parse_where, unquote
from loader.splunk.pipeline import Stage, split_pipeline, subsearches

if TYPE_CHECKING:
    from loader.splunk.spl import StageContext

__all__ = ["HANDLERS", "PASSIVE", "AGGREGATING", "leaves", "inputlookup_columns"]

Handler = Callable[["StageContext", Stage], None]

# Commands that neither filter events nor rename fields that a later filter could use.
PASSIVE = frozenset({
    "addinfo", "addtotals", "anomalydetection", "appendpipe", "apply", "bin", "bucket", "collect",
    "convert", "cyberchef", "datamodel", "dedup", "delta", "extract", "fieldformat", "fields", "fillnull",
    "fit", "foreach", "format", "fromjson", "head", "inputlookup", "iplocation", "makemv", "makeresults",
    "multikv", "mvcombine", "mvexpand", "nomv", "outlier", "outputlookup", "replace", "rest", "reverse",
    "rex", "sort", "spath", "summary", "table", "tail", "tojson", "typer", "uniq", "untable", "xmlkv",
    "xpath",
})
# Aggregating commands, with the columns they add without being asked.
AGGREGATING: dict[str, tuple[str, ...]] = {
    "stats": (), "eventstats": (), "streamstats": (), "chart": (), "timechart": (), "sistats": (),
    "top": ("count", "percent"), "rare": ("count", "percent"), "transaction": ("duration", "eventcount"),
}

_WORDS = re.compile(r'"(?:[^"\\]|\\.)*"|[()\[\]]|[^\s()\[\]"]+')
_PIECES = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|[(),]|[^"\'(),]+')
_DATAMODEL = re.compile(r'\bdatamodel\s*[=:]?\s*"?([A-Za-z_][\w.]*)"?', re.I)
_RENAME = re.compile(r'((?:"[^"]*"|[^\s,"])+)\s+as\s+((?:"[^"]*"|[^\s,"])+)', re.I)
_ASSIGN = re.compile(r"""\s*(?:'([^']+)'|"([^"]+)"|([^\s=,]+))\s*=(?!=)""")
_IDENT = re.compile(r"""'([^']+)'|"(?:[^"\\]|\\.)*"|\b([A-Za-z_][\w.{}]*)\b(?!\s*\()""")
_BARE = re.compile(r"'[^']+'|[A-Za-z_][\w.{}]*")
_REGEX_ARGS = re.compile(r'\s*(?:("[^"]+"|[^\s"!=]+)\s*(!?=)\s*)?("(?:[^"\\]|\\.)*"|\S+)')
_LOOKUP_WORDS = re.compile(r'"[^"]*"|[^\s,]+')
_OPTION = re.compile(r"\w+=\S+")
_INPUTLOOKUP = re.compile(r'\s*\|?\s*inputlookup\s+(?:\w+=\S+\s+)*"?([^\s|"]+)', re.I)


def leaves(expr: Expr) -> Iterator[Predicate]:
    """Every predicate of `expr`, left to right."""
    if isinstance(expr, Leaf):
        yield expr.predicate
    elif isinstance(expr, Not):
        yield from leaves(expr.child)
    else:
        for child in expr.children:
            yield from leaves(child)


def _find_word(text: str, keyword: str, start: int = 0) -> int | None:
    """Offset of the first bare word `keyword` (any case) outside quotes and brackets, from `start`."""
    depth = 0
    for m in _WORDS.finditer(text, start):
        word = m.group()
        depth += (word in "([") - (word in ")]")
        if depth == 0 and word.lower() == keyword:
            return m.start()
    return None


def _split_commas(text: str) -> list[str]:
    """`text` split on commas outside quotes and parentheses."""
    pieces, depth, start = [], 0, 0
    for m in _PIECES.finditer(text):
        piece = m.group()
        depth += (piece == "(") - (piece == ")")
        if depth == 0 and piece == ",":
            pieces.append(text[start : m.start()])
            start = m.end()
    pieces.append(text[start:])
    return pieces


def inputlookup_columns(text: str) -> tuple[str, list[str]] | None:
    """`| inputlookup t | fields a | rename a AS b` -> `("t", ["b"])`: the lookup a subsearch reads and the
    fields its rows are matched on (None when the subsearch does not start with `inputlookup`)."""
    m = _INPUTLOOKUP.match(text)
    if not m:
        return None
    columns: list[str] = []
    for stage in split_pipeline(text)[1:]:
        if stage.command in ("fields", "table") and not stage.args.strip().startswith("-"):
            columns = [w.strip('"') for w in re.split(r"[\s,]+", stage.args) if w and w != "+"]
        elif stage.command == "rename":
            for rename in _RENAME.finditer(stage.args):
                old, new = rename.group(1).replace('"', ""), rename.group(2).replace('"', "")
                columns = [new if c == old else c for c in columns]
    return m.group(1), columns


def _search(ctx: StageContext, stage: Stage) -> None:
    if stage.args.strip():
        ctx.pipe.add_filter(parse_search(stage.args, ctx))


def _where(ctx: StageContext, stage: Stage) -> None:
    if stage.args.strip():
        ctx.pipe.add_filter(parse_where(stage.args, ctx))


def _tstats(ctx: StageContext, stage: Stage) -> None:
    """tstats / mstats: `<aggregates> [from datamodel=X.Y] [where <search terms>] [by <fields>]`."""
    args = stage.args
    dm = _DATAMODEL.search(args)
    if dm:
        ctx.datamodel(dm.group(1))
    where = _find_word(args, "where", dm.end() if dm else 0)
    by = _find_word(args, "by", where if where is not None else (dm.end() if dm else 0))
    if where is not None:
        clause = args[where + 5 : by]
        ctx.offset = stage.offset + where + 5
        if clause.strip():
            ctx.pipe.add_filter(parse_search(clause, ctx))
    head_end = min(x for x in (dm.start() if dm else None, where, by, len(args)) if x is not None)
    ctx.pipe.fields.aggregate(args[:head_end], args[by + 2 :] if by is not None else "")


def _from(ctx: StageContext, stage: Stage) -> None:
    dm = _DATAMODEL.search(stage.args)
    if dm:
        ctx.datamodel(dm.group(1))


def _aggregate(ctx: StageContext, stage: Stage) -> None:
    by = _find_word(stage.args, "by")
    by_fields = stage.args[by + 2 :] if by is not None else ""
    ctx.pipe.fields.aggregate(stage.args[:by], by_fields, AGGREGATING[stage.command])


def _rename(ctx: StageContext, stage: Stage) -> None:
    for m in _RENAME.finditer(stage.args):
        ctx.pipe.fields.rename(m.group(1).replace('"', ""), m.group(2).replace('"', ""))


def _eval(ctx: StageContext, stage: Stage) -> None:
    """`eval x=y` makes `x` an alias of `y`; `eval x=f(y, z)` derives `x` from what `y` and `z` are."""
    for piece in _split_commas(stage.args):
        m = _ASSIGN.match(piece)
        if not m:
            continue
        name = m.group(1) or m.group(2) or m.group(3)
        expr = piece[m.end() :].strip()
        sources = [quoted or bare for quoted, bare in _IDENT.findall(expr) if quoted or bare]
        ctx.pipe.fields.assign(name, sources, alias=bool(_BARE.fullmatch(expr)))


def _lookup(ctx: StageContext, stage: Stage) -> None:
    """`lookup [opts] <table> <column> [AS <field>] ... [OUTPUT|OUTPUTNEW <column> [AS <field>] ...]`."""
    words = _LOOKUP_WORDS.findall(stage.args)
    while words and _OPTION.fullmatch(words[0]):
        words.pop(0)
    if len(words) < 2:
        raise QuerySyntaxError("lookup: no table and input field")
    table, rest = words[0], words[1:]
    split = next((i for i, w in enumerate(rest) if w.upper() in ("OUTPUT", "OUTPUTNEW")), len(rest))
    inputs = _field_pairs(rest[:split])
    if not inputs:
        raise QuerySyntaxError(f"lookup {table}: no input field")
    for output in _field_pairs(rest[split + 1 :]):
        ctx.pipe.fields.add_lookup(table, inputs[0], output)


def _field_pairs(words: list[str]) -> list[str]:
    """The field names of `column [AS field] ...` (the `field` when renamed), quotes removed."""
    names: list[str] = []
    i = 0
    while i < len(words):
        renamed = i + 2 < len(words) and words[i + 1].lower() == "as"
        names.append(unquote(words[i + 2 if renamed else i])[0])
        i += 3 if renamed else 1
    return names


def _regex(ctx: StageContext, stage: Stage) -> None:
    """`regex [field=|field!=]"<re>"` (the field defaults to `_raw`)."""
    m = _REGEX_ARGS.match(stage.args)
    if not m:
        raise QuerySyntaxError("regex: no expression")
    value, raw = unquote(m.group(3))
    field = unquote(m.group(1))[0] if m.group(1) else "_raw"
    pos = m.start(1) if m.group(1) else m.start(3)
    ctx.pipe.add_filter(ctx.leaf(Test(field, Operator.REGEX_MATCH, value, pos, m.group(2) == "!=", raw)))


def _with_subsearches(kind: str) -> Handler:
    """`join`/`append`/`appendcols [subsearch]`: each subsearch is a pipeline of its own."""

    def handle(ctx: StageContext, stage: Stage) -> None:
        for start, end in subsearches(stage.args):
            ctx.subsearch(stage.args[start:end], start, kind)

    return handle


def _map(ctx: StageContext, stage: Stage) -> None:
    ctx.issue("map: the templated search is not interpreted")


HANDLERS: dict[str, Handler] = {
    "search": _search,
    "where": _where,
    "tstats": _tstats,
    "mstats": _tstats,
    "from": _from,
    "regex": _regex,
    "rename": _rename,
    "eval": _eval,
    "lookup": _lookup,
    "join": _with_subsearches("and"),
    "append": _with_subsearches("or"),
    "appendcols": _with_subsearches("and"),
    "map": _map,
    **{command: _aggregate for command in AGGREGATING},
}
