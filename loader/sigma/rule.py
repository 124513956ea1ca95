"""A Sigma detection rule (raw YAML dict) -> `Rule`: metadata, logsource telemetry, predicates."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sigma.exceptions import SigmaError, SigmaLogsourceError
from sigma.rule import SigmaLogSource, SigmaRule

from graph_schema.errors import QuerySyntaxError
from loader.logic import Expr, Or, flatten
from loader.model import Predicate, Rule, Telemetry
from loader.sigma.condition import parse_condition
from loader.sigma.detection import combine, selection_expr
from loader.sigma.metadata import base_rule, text, validation_issues

__all__ = ["detection_rule", "detection_logic"]

_NOT_DETECTIONS = frozenset({"condition", "timeframe"})


def detection_rule(data: dict[str, Any], path: str, rule_id: str) -> Rule:
    """The `Rule` of one (merged) Sigma detection-rule document."""
    rule = base_rule(data, path, rule_id)
    rule.rule_type = "detection"
    rule.issues.extend(validation_issues(lambda: SigmaRule.from_dict_common_params(data, True)[1]))
    rule.issues.extend(validation_issues(lambda: _logsource_errors(data.get("logsource"))))
    logsource = data.get("logsource")
    if isinstance(logsource, dict):
        rule.telemetry = Telemetry(
            product=text(logsource.get("product")),
            category=text(logsource.get("category")),
            service=text(logsource.get("service")),
        )
    detection = data.get("detection")
    if isinstance(detection, dict):
        rule.predicates, rule.logic = detection_logic(detection, rule.issues)
        for key in ("condition", "timeframe"):
            if isinstance(detection.get(key), str | list):
                rule.properties[key] = detection[key]
    else:
        rule.issues.append("no detection mapping")
    return rule


def detection_logic(
    detection: dict[Any, Any], issues: list[str]
) -> tuple[list[Predicate], dict[str, Any] | None]:
    """Predicates and logic tree of a `detection:` mapping; what cannot be parsed is listed in `issues`.

    When the condition itself cannot be read, every detection's predicates are still listed (logic None).
    """
    detections = {
        str(name): selection_expr(str(name), definition, issues)
        for name, definition in detection.items()
        if name not in _NOT_DETECTIONS
    }
    condition = detection.get("condition")
    conditions = condition if isinstance(condition, list) else [condition]
    if not conditions or not all(isinstance(c, str) for c in conditions):
        issues.append("no condition string; predicates listed without logic")
        return _unlinked(detections.values())
    try:
        expr = combine(Or, [parse_condition(c, detections, issues) for c in conditions])
    except QuerySyntaxError as error:
        issues.append(f"{error.message}; predicates listed without logic")
        return _unlinked(detections.values())
    return flatten(expr)




def _unlinked(exprs: Iterable[Expr | None]) -> tuple[list[Predicate], None]:
    predicates: list[Predicate] = []
    for expr in exprs:
        flatten(expr, predicates)
    return predicates, None


def _logsource_errors(logsource: Any) -> list[SigmaError]:
    if not isinstance(logsource, dict):
        return [SigmaLogsourceError("Sigma rule must have a logsource mapping")]
    SigmaLogSource.from_dict(logsource)  # raises on an invalid log source
    return []
