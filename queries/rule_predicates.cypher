// ---
// title: Predicates of several rules
// description: Every predicate of each given rule in both forms — as the vendor wrote it (field, operator, raw value, negation, exclusion, modifiers, group) and the canonical indicator with its corpus reach — in one round trip (the technique page opens each of its rules to these).
// category: Rules
// tags: [rule, predicates]
// parameters:
//   uids: {type: list, format: rule, required: true, example: ["sigma:a1b0ca4e-7835-413e-8471-3ff2b8a66be6"], description: "rule uids (vendor:rule_id)"}
// columns: [uid, predicates]
// ---
:param uids => ["sigma:a1b0ca4e-7835-413e-8471-3ff2b8a66be6"];
UNWIND $uids AS uid
MATCH (r:Rule {uid: uid})
CALL (r) {
  MATCH (r)-[h:HAS_PREDICATE]->(i:Indicator)
  WITH h, i ORDER BY h.idx
  RETURN collect({
    idx: h.idx, field: h.field, operator: h.operator, value: h.value, raw_value: h.raw_value,
    negated: h.negated, exclusion: h.exclusion, modifiers: coalesce(h.modifiers, []), group: h.group,
    canonical: {key: i.key, field: i.field, field_kind: i.field_kind, operator: i.operator, value: i.value,
                qualifiers: coalesce(i.qualifiers, [])},
    corpus_reach: coalesce(i.reach, 0)}) AS predicates
}
RETURN r.uid AS uid, predicates
