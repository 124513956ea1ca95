"""SPL (the subset ESCU detections use) -> predicates, logic and data models.

The search is macro-expanded, split into pipeline stages and walked left to right (`commands.py` says what
each command does). Filtering stages become expression trees; the others only change what later filters
mean (`fields.FieldState`). A pipeline's main filter is one top-level AND, flattened once by
`loader.logic.flatten`, which marks top-level `NOT`/`!=` conjuncts as exclusions. Conjuncts that only
test aggregated values (thresholds) and subsearches are flattened as parts of their own, into the same
predicate list, and combined as `{"and": [...]}` (`{"or": [...]}` for `append`ed searches). A subsearch
used as a search term (`NOT [| inputlookup allow | fields user]`) is a LOOKUP test in the expression.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graph_schema.errors import QuerySyntaxError
from loader.logic import And, Expr, Leaf, conjuncts, flatten
from loader.model import Operator, Predicate, QueryResult, Scope
from loader.splunk.commands import HANDLERS, PASSIVE, inputlookup_columns, leaves
from loader.splunk.expr import Test
from loader.splunk.fields import FieldState
from loader.splunk.macros import Expansion, MacroLibrary, strip_comments
from loader.splunk.pipeline import split_pipeline

__all__ = ["parse_spl", "Pipeline", "StageContext"]

TIME_MODIFIERS = frozenset({"earliest", "latest", "_index_earliest", "_index_latest", "starttime", "endtime"})
_SYMBOLS = {Operator.EQ: "=", Operator.WILDCARD: "=", Operator.EXISTS: "=", Operator.GT: ">",
            Operator.GTE: ">=", Operator.LT: "<", Operator.LTE: "<="}


@dataclass(slots=True)
class Pipeline:
    """One pipeline (the search, or a subsearch): its field state and the filter parts found so far."""

    fields: FieldState = field(default_factory=FieldState)
    filters: list[Expr] = field(default_factory=list)
    thresholds: list[Expr] = field(default_factory=list)
    subsearches: list[tuple[str, Pipeline]] = field(default_factory=list)  # ("and" | "or", pipeline)

    def add_filter(self, expr: Expr | None) -> None:
        """Add a stage's filter: conjuncts testing only aggregated values are thresholds."""
        for part in conjuncts(expr) if expr is not None else []:
            if all(p.scope is Scope.THRESHOLD for p in leaves(part)):
                self.thresholds.append(part)
            else:
                self.filters.append(part)


class StageContext:
    """One stage being interpreted: makes its leaves (an `expr.Context`) and reaches the walker."""

    def __init__(self, walker: _Walker, pipe: Pipeline, group: str, offset: int) -> None:
        self.walker = walker
        self.pipe = pipe
        self.group = group
        self.offset = offset

    def leaf(self, test: Test) -> Expr | None:
        """The predicate leaf for `test`, in the light of renames, aggregations, lookups and macros."""
        if test.field in TIME_MODIFIERS:
            return None
        state = self.pipe.fields
        macro = self.walker.expansion.macro_at(self.offset + test.pos)
        lookup = state.lookups.get(test.field) if test.field else None
        if lookup is not None:  # only isnull(output) means "not in the lookup"; other tests need a match
            absent = test.operator is Operator.IS_NULL and not test.negated
            return Leaf(Predicate(lookup[1], Operator.LOOKUP, lookup[0], absent, raw_value=_describe(test),
                                  macro=macro, scope=Scope.LOOKUP, group=self.group))
        scope = Scope.FILTER
        if test.field in state.derived:
            scope = Scope.THRESHOLD
        elif test.field == "nodename":
            scope = Scope.EVENT_CATEGORY
        name = state.resolve(test.field) if test.field else None
        return Leaf(Predicate(name, test.operator, test.value, test.negated, raw_value=test.raw_value,
                              modifiers=test.modifiers, macro=macro, scope=scope, group=self.group,
                              relation=test.relation))

    def subsearch(self, text: str, pos: int, kind: str = "and") -> None:
        """Interpret `[text]` (at `pos` of this stage's text) as a pipeline of its own."""
        self.pipe.subsearches.append((kind, self.walker.run(text, self.offset + pos, f"{self.group}/")))

    def subsearch_filter(self, text: str, pos: int) -> Expr | None:
        """A `[subsearch]` used as a search term: `[| inputlookup t | fields f]` is a LOOKUP test of `f`
        against `t`; any other subsearch is interpreted as a pipeline of its own."""
        found = inputlookup_columns(text)
        if found is None:
            self.subsearch(text, pos)
            return None
        table, columns = found
        macro = self.walker.expansion.macro_at(self.offset + pos)
        tests = [Leaf(Predicate(self.pipe.fields.resolve(c) if c else None, Operator.LOOKUP, table,
                                macro=macro, scope=Scope.LOOKUP, group=self.group)) for c in columns or [""]]
        return tests[0] if len(tests) == 1 else And(tuple(tests))

    def issue(self, message: str) -> None:
        """Note a part of this stage that did not become predicates."""
        self.walker.issues.append(f"{self.group}: {message}")

    def datamodel(self, name: str) -> None:
        """The search reads data model `name` (e.g. `Endpoint.Processes`)."""
        if name not in self.walker.datamodels:
            self.walker.datamodels.append(name)


def _describe(test: Test) -> str:
    """A lookup-output filter as a short text (kept as the LOOKUP predicate's raw value)."""
    if test.operator is Operator.IS_NULL:
        return f"{'isnotnull' if test.negated else 'isnull'}({test.field})"
    symbol = _SYMBOLS.get(test.operator, f" {test.operator.value} ")
    value = test.value if test.value is not None else "*"
    return f"{'NOT ' if test.negated else ''}{test.field}{symbol}{value}"


class _Walker:
    """Walks one expanded search and its subsearches; collects predicates, data models and issues."""

    def __init__(self, expansion: Expansion) -> None:
        self.expansion = expansion
        self.issues: list[str] = list(expansion.issues)
        self.datamodels: list[str] = []
        self.predicates: list[Predicate] = []

    def run(self, text: str, base: int, prefix: str) -> Pipeline:
        """Interpret the pipeline `text`, which starts at offset `base` of the expanded search."""
        pipe = Pipeline()
        for stage in split_pipeline(text, base):
            group = prefix + (stage.command if stage.index == 1 else f"{stage.command}[{stage.index}]")
            handler = HANDLERS.get(stage.command)
            if handler is None:
                if stage.command not in PASSIVE:
                    self.issues.append(f"{group}: command `{stage.command}` not interpreted")
                continue
            try:
                handler(StageContext(self, pipe, group, stage.offset), stage)
            except QuerySyntaxError as exc:
                self.issues.append(f"{group}: {exc.message}")
        return pipe

    def tree(self, pipe: Pipeline) -> dict[str, Any] | None:
        """Flatten a pipeline's parts into the shared predicate list; return the combined logic tree."""
        main = And(tuple(pipe.filters)) if len(pipe.filters) > 1 else next(iter(pipe.filters), None)
        parts = [t for t in [flatten(main, predicates=self.predicates)[1]] if t is not None]
        parts += [flatten(t, predicates=self.predicates)[1] for t in pipe.thresholds]
        alternatives: list[dict[str, Any]] = []
        for kind, sub in pipe.subsearches:
            subtree = self.tree(sub)
            if subtree is not None:
                (parts if kind == "and" else alternatives).append(subtree)
        combined = _join("and", parts)
        return _join("or", [combined, *alternatives] if combined else alternatives)


def _join(key: str, trees: list[dict[str, Any]]) -> dict[str, Any] | None:
    return trees[0] if len(trees) == 1 else ({key: trees} if trees else None)




def parse_spl(query: str, macros: MacroLibrary) -> QueryResult:
    """Predicates, logic tree, data models (`sources`) and issues of one SPL search."""
    walker = _Walker(macros.expand(strip_comments(query)))
    logic = walker.tree(walker.run(walker.expansion.text, 0, ""))
    return QueryResult(walker.predicates, logic, walker.issues, walker.datamodels)
