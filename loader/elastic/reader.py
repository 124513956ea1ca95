"""Elastic detection-rules TOML files -> `Rule`s: metadata, ATT&CK, and the query in its language.

KQL and Lucene queries are parsed to trees here so that Kibana `filters` and threshold conditions join
the query's top-level AND before `flatten` decides exclusions; EQL and ES|QL come back as QueryResults.
"""
from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import tomli
from lark.exceptions import LarkError

from loader.base import VendorLoader, relative_path
from loader.elastic.eql_query import parse_eql
from loader.elastic.esql import parse_esql
from loader.elastic.filters import filter_expr
from loader.elastic.kql import kql_expr, map_leaves
from loader.elastic.lucene import lucene_expr
from loader.expect import Field, article, check_fields, type_name
from loader.logic import And, Expr, Leaf, flatten
from loader.model import (
    LoadFailure,
    Operator,
    ParsedFile,
    Predicate,
    QueryResult,
    Rule,
    Scope,
    TechniqueRef,
    Telemetry,
)
from loader.walk import read_regular, text_reason, unreadable

__all__ = ["ElasticLoader", "read_rule", "QUERY_PARSERS", "QUERY_TREES", "ML_REASON"]

# languages whose query is a boolean tree: Kibana filters and threshold conditions are AND-ed into it
QUERY_TREES: dict[str, Callable[[str], Expr | None]] = {"kuery": kql_expr, "lucene": lucene_expr}
# languages whose parser returns a finished QueryResult (sequences, pipelines)
QUERY_PARSERS: dict[str, Callable[[str], QueryResult]] = {"eql": parse_eql, "esql": parse_esql}
ML_REASON = "machine_learning rule: no query by design"
_PRIMITIVES = (str, int, float, bool)
_RULE_PROPERTIES = (
    "risk_score", "building_block_type", "license", "from", "interval", "max_signals", "timestamp_override",
    "event_category_override", "note", "setup", "rule_name_override", "timeline_title", "threat_indicator_path",
)  # fmt: skip
_METADATA_PROPERTIES = ("maturity", "min_stack_version", "deprecation_date", "deprecated_reason")
# The fields read here: required ones are those every rule of elastic/detection-rules carries
_RULE_FIELDS = {
    "name": Field("text", True), "description": Field("text", True), "type": Field("text", True),
    "severity": Field("text", True), "risk_score": Field("number", True), "author": Field("texts", True),
    "tags": Field("texts", True), "threat": Field("mappings"), "references": Field("texts"),
    "false_positives": Field("texts"), "index": Field("texts"), "language": Field("text"),
    "related_integrations": Field("mappings"), "required_fields": Field("mappings"),
}  # fmt: skip
_METADATA_FIELDS = {"creation_date": Field("text", True), "updated_date": Field("text", True),
                    "maturity": Field("text", True), "integration": Field("texts")}
_T = TypeVar("_T")


class _Issues(list[str]):
    """The reasons a rule is partial; `attempt` is the one place that turns bad content into a reason
    (DetgraphError is a ValueError; LarkError and RecursionError guard against parser surprises)."""

    def attempt(self, what: str, fn: Callable[..., _T], *args: Any) -> _T | None:
        """`fn(*args)`, or None with `what: error` recorded when the rule's content breaks it."""
        try:
            return fn(*args)
        except (LookupError, TypeError, ValueError, AttributeError, LarkError, RecursionError) as exc:
            self.append(f"{what}: missing {exc}" if isinstance(exc, KeyError) else f"{what}: {exc}")
            return None


def _strings(value: Any) -> list[str]:
    """A TOML string or list of scalars as a list of strings (anything else: empty)."""
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value if isinstance(v, _PRIMITIVES)] if isinstance(value, list) else []


def _property(value: Any) -> Any:
    """A Neo4j-storable property value: a primitive, or a list of primitives (None to drop it)."""
    if isinstance(value, _PRIMITIVES):
        return value
    if isinstance(value, list):  # Neo4j lists are homogeneous: mixed or nested items become strings
        same = len({type(v) for v in value}) == 1 and isinstance(value[0], _PRIMITIVES)
        return (value if same else [str(v) for v in value]) or None
    return None if value is None else str(value)


def _date(value: Any) -> str | None:
    """`2020/02/18` -> `2020-02-18`."""
    return str(value).replace("/", "-") if value else None


def _tactic_shortname(tactic: Any) -> str | None:
    """ATT&CK tactic name -> shortname: "Command and Control" -> "command-and-control"."""
    name = tactic.get("name") if isinstance(tactic, dict) else None
    return "-".join(str(name).lower().split()) if name else None


def _technique_ids(entry: dict[str, Any], where: str, issues: list[str]) -> list[str]:
    """A threat entry's technique and sub-technique ids; each one of the wrong shape is an issue."""
    ids: list[str] = []
    named = entry.get("technique") or []
    if not isinstance(named, list):
        shape = article(type_name(named))
        issues.append(f"field '{where}.technique' is {shape}, expected a list of mappings (ignored)")
        return ids
    for n, technique in enumerate(named, 1):
        subs = technique.get("subtechnique") or [] if isinstance(technique, dict) else []
        for ref in [technique, *(subs if isinstance(subs, list) else [subs])]:
            if isinstance(ref, dict) and isinstance(ref.get("id"), str) and ref["id"]:
                ids.append(ref["id"])
            else:
                issues.append(f"field '{where}.technique' item {n}: a technique without an id (ignored)")
    return ids


def _attack(threats: Any, issues: list[str]) -> tuple[list[TechniqueRef], list[str]]:
    """Every `[[rule.threat]]` technique and sub-technique with its tactic; tactics named alone."""
    techniques: dict[TechniqueRef, None] = {}
    tactics: dict[str, None] = {}
    for i, entry in enumerate(threats if isinstance(threats, list) else [], 1):
        if not isinstance(entry, dict):
            continue  # reported by the field check
        tactic = _tactic_shortname(entry.get("tactic"))
        if tactic is None:
            issues.append(f"field 'rule.threat' item {i} has no tactic name")
        ids = _technique_ids(entry, f"rule.threat[{i}]", issues)
        if not ids and tactic:
            tactics[tactic] = None
        for tid in ids:
            techniques[TechniqueRef(tid, tactic)] = None
    return list(techniques), list(tactics)


def _packages(rule: dict[str, Any]) -> list[str]:
    """Package names of `related_integrations` (`[{package, version, integration}]`)."""
    return [str(i["package"]) for i in rule.get("related_integrations") or [] if isinstance(i, dict) and "package" in i]


def _field_list(spec: Any, key: str = "field") -> list[str]:
    return _strings(spec.get(key)) if isinstance(spec, dict) else []


def _properties(rule: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """Vendor extras (primitives or lists of them) from `[rule]` and `[metadata]`."""
    threshold = rule.get("threshold") if isinstance(rule.get("threshold"), dict) else {}
    new_terms = rule.get("new_terms") if isinstance(rule.get("new_terms"), dict) else {}
    raw: dict[str, Any] = {
        **{k: rule.get(k) for k in _RULE_PROPERTIES},
        **{k: meta.get(k) for k in _METADATA_PROPERTIES},
        "related_integrations": _packages(rule),
        "required_fields": [f"{f.get('name')}:{f.get('type')}" for f in rule.get("required_fields") or []],
        "new_terms_fields": _field_list(new_terms, "value"),
        "history_window_start": [w.get("value") for w in new_terms.get("history_window_start") or []],
        "threshold_fields": _field_list(threshold),
        "threshold_value": threshold.get("value"),
        "threshold_cardinality": [f"{c['field']}>={c['value']}" for c in threshold.get("cardinality") or []],
        "machine_learning_job_ids": _strings(rule.get("machine_learning_job_id")),
        "anomaly_threshold": rule.get("anomaly_threshold"),
        "threat_index": _strings(rule.get("threat_index")),
        "threat_mapping": [
            " AND ".join(f"{e['field']}={e['value']}" for e in group.get("entries") or [])
            for group in rule.get("threat_mapping") or []
        ],
        "alert_suppression_fields": _field_list(rule.get("alert_suppression"), "group_by"),
        "investigation_fields": _field_list(rule.get("investigation_fields"), "field_names"),
    }
    return {k: p for k, v in raw.items() if (p := _property(v)) not in (None, "")}


def _threshold_leaves(rule: dict[str, Any]) -> list[Expr]:
    """A threshold rule's conditions on its aggregation: `count >= value`, `cardinality(f) >= n`."""
    spec = rule.get("threshold")
    if rule.get("type") != "threshold" or not isinstance(spec, dict):
        return []
    leaves = [Predicate("count", Operator.GTE, str(spec["value"]))] if "value" in spec else []
    leaves += [
        Predicate(str(c["field"]), Operator.GTE, str(c["value"]), modifiers=("cardinality",))
        for c in spec.get("cardinality") or []
    ]
    return [Leaf(replace(p, scope=Scope.THRESHOLD, group="threshold")) for p in leaves]


def _tagged(expr: Expr | None, group: str) -> Expr | None:
    """`expr` with every predicate's `group` set (where it came from: filters, threat query ...)."""
    if expr is None:
        return None
    return map_leaves(expr, lambda leaf: Leaf(replace(leaf.predicate, group=group)))


def _conjunction(parts: list[Expr | None]) -> Expr | None:
    kept = [p for p in parts if p is not None]
    return None if not kept else kept[0] if len(kept) == 1 else And(tuple(kept))


def _filters(rule: dict[str, Any], key: str, issues: _Issues) -> list[Expr | None]:
    """A rule's Kibana filters array (`filters`, `threat_filters`) as trees tagged with the key."""
    filters = rule.get(key) or []
    if not isinstance(filters, list):
        issues.append(f"{key}: not an array of filters")
        return []
    return [_tagged(issues.attempt(f"{key}[{i}]", filter_expr, f), key) for i, f in enumerate(filters)]


def _main_query(language: Any, query: str, extras: list[Expr | None], issues: _Issues) -> QueryResult:
    """The query in its language, AND-ed with `extras` (filters, threshold conditions)."""
    if language in QUERY_TREES:
        tree = issues.attempt("query", QUERY_TREES[language], query)
        predicates, logic = flatten(_conjunction([tree, *extras]))
        return QueryResult(predicates=predicates, logic=logic)
    if language not in QUERY_PARSERS:
        issues.append(f"query: unsupported language {language!r}")
        return QueryResult()
    result = issues.attempt("query", QUERY_PARSERS[language], query) or QueryResult()
    extra = _conjunction(extras)
    if extra is not None:  # filters on an EQL/ES|QL rule (none in the corpus): their own AND chain
        _, extra_logic = flatten(extra, result.predicates)
        result.logic = extra_logic if result.logic is None else {"and": [result.logic, extra_logic]}
    return result


def _add_threat_side(rule: dict[str, Any], result: QueryResult, issues: _Issues) -> None:
    """threat_match: the indicator-index query and filters, as `{"threat_match": [events, indicators]}`."""
    language, query = rule.get("threat_language") or "kuery", rule.get("threat_query")
    if language not in QUERY_TREES:
        issues.append(f"threat_query: unsupported language {language!r}")
        return
    tree = issues.attempt("threat_query", QUERY_TREES[language], query) if query else None
    indicators = _conjunction([_tagged(tree, "threat_query"), *_filters(rule, "threat_filters", issues)])
    if indicators is not None:
        _, indicator_logic = flatten(indicators, result.predicates)
        result.logic = {"threat_match": [result.logic, indicator_logic]}


def _add_logic(out: Rule, rule: dict[str, Any], issues: _Issues) -> None:
    """Predicates, logic and FROM sources of the rule's query (or why it has none)."""
    query = rule.get("query")
    if rule.get("type") == "machine_learning" and not query:
        out.no_predicates_reason = ML_REASON
        return
    if not isinstance(query, str):
        issues.append("query: the rule has no query")
        return
    extras = [*_filters(rule, "filters", issues), *(issues.attempt("threshold", _threshold_leaves, rule) or [])]
    result = _main_query(rule.get("language"), query, extras, issues)
    if rule.get("type") == "threat_match":
        _add_threat_side(rule, result, issues)
    out.predicates, out.logic = result.predicates, result.logic
    issues.extend(result.issues)
    out.telemetry.index_patterns += [s for s in result.sources if s not in out.telemetry.index_patterns]
    if not out.predicates and not issues:
        out.no_predicates_reason = "query has no field conditions"


def read_rule(doc: dict[str, Any], path: str) -> Rule | LoadFailure:
    """One parsed TOML document -> its `Rule` (partial when parts break), or a `LoadFailure`."""
    rule, meta = doc.get("rule"), doc.get("metadata")
    if not isinstance(rule, dict):
        return LoadFailure(path, "no [rule] table")
    rule_id = rule.get("rule_id")
    if not isinstance(rule_id, str) or not rule_id:
        return LoadFailure(path, "[rule] has no rule_id")
    issues = _Issues(check_fields(rule, _RULE_FIELDS, "rule."))
    if meta is not None and not isinstance(meta, dict):
        issues.append(f"field 'metadata' is {article(type_name(meta))}, expected a mapping (ignored)")
    meta = meta if isinstance(meta, dict) else {}
    issues += check_fields(meta, _METADATA_FIELDS, "metadata.")
    name, description = rule.get("name"), rule.get("description")
    maturity = meta.get("maturity")
    integrations = _strings(meta.get("integration"))
    out = Rule(
        vendor="elastic",
        rule_id=rule_id,
        title=name if isinstance(name, str) and name else rule_id,
        path=path,
        description=description.strip() if isinstance(description, str) else "",
        status=str(maturity) if maturity else None,
        deprecated=maturity == "deprecated" or "_deprecated" in Path(path).parts,
        severity=str(rule["severity"]) if rule.get("severity") else None,
        rule_type=str(rule["type"]) if rule.get("type") else None,
        language=str(rule["language"]) if rule.get("language") else None,
        query=rule["query"] if isinstance(rule.get("query"), str) else None,
        author=", ".join(_strings(rule.get("author"))) or None,
        created=_date(meta.get("creation_date")),
        modified=_date(meta.get("updated_date")),
        references=_strings(rule.get("references")),
        false_positives=[textwrap.dedent(s).strip() for s in _strings(rule.get("false_positives"))],
        tags=_strings(rule.get("tags")),
        telemetry=Telemetry(
            index_patterns=_strings(rule.get("index")),
            integrations=list(dict.fromkeys(integrations + _packages(rule))),
        ),
    )
    attack = issues.attempt("threat", _attack, rule.get("threat"), issues)
    if attack:
        out.techniques, out.tactics = attack
    out.properties = issues.attempt("properties", _properties, rule, meta) or {}
    _add_logic(out, rule, issues)
    out.issues = list(issues)
    return out


class ElasticLoader(VendorLoader):
    """The elastic/detection-rules corpus: `rules/` and `rules_building_block/` TOML files."""

    vendor: ClassVar[str] = "elastic"
    rule_dirs: ClassVar[tuple[str, ...]] = ("rules", "rules_building_block")
    suffix: ClassVar[str] = ".toml"

    def parse_file(self, path: Path) -> ParsedFile:
        """One TOML file -> one rule (possibly partial), or a failure when it is no valid rule file."""
        rel = relative_path(Path(path), self.root)
        raw = b""
        try:
            raw = read_regular(Path(path))
            doc = tomli.loads(raw.decode("utf-8-sig"))  # a byte-order mark is no TOML error
        except OSError as exc:
            return ParsedFile(failures=[LoadFailure(rel, unreadable(exc))])
        except UnicodeDecodeError as exc:
            return ParsedFile(failures=[LoadFailure(rel, text_reason(exc, raw))])
        except tomli.TOMLDecodeError as exc:
            return ParsedFile(failures=[LoadFailure(rel, f"invalid TOML: {exc}")])
        except RecursionError:
            return ParsedFile(failures=[LoadFailure(rel, "invalid TOML: arrays or tables nested too deeply to read")])
        rule = read_rule(doc, rel)
        return ParsedFile(failures=[rule]) if isinstance(rule, LoadFailure) else ParsedFile(rules=[rule])
