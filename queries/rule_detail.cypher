// ---
// title: Rule detail
// description: One rule as loaded — properties, techniques, tactics, events, data sources, correlated rules and every predicate in both forms (as the vendor wrote it, and the canonical indicator with its corpus reach). `detgraph rule show` and the API's rule endpoint shape this into the rule JSON of docs/rule-json.md.
// category: Rules
// tags: [rule, detail]
// parameters:
//   uid: {type: string, format: rule, required: true, example: "sigma:a1b0ca4e-7835-413e-8471-3ff2b8a66be6", description: "the rule's uid (vendor:rule_id)"}
// columns: [rule, techniques, tactics, events, data_sources, correlates, predicates]
// ---
:param uid => "sigma:a1b0ca4e-7835-413e-8471-3ff2b8a66be6";
MATCH (r:Rule {uid: $uid})
OPTIONAL MATCH (r)-[d:DETECTS]->(t:Technique)
WITH r, collect(CASE WHEN t IS NULL THEN null ELSE
     {id: t.id, name: t.name, tactics: d.tactics, tagged_as: d.tagged_as} END) AS techniques
OPTIONAL MATCH (r)-[:TAGGED_TACTIC]->(ta:Tactic)
WITH r, techniques, collect(ta.shortname) AS tactics
OPTIONAL MATCH (r)-[:USES_EVENT]->(e:Event)
WITH r, techniques, tactics, collect(CASE WHEN e IS NULL THEN null ELSE
     {key: e.key, provider: e.provider, code: e.code, title: e.title} END) AS events
OPTIONAL MATCH (r)-[:READS]->(ds:DataSource)
WITH r, techniques, tactics, events, collect(ds.name) AS data_sources
OPTIONAL MATCH (r)-[:CORRELATES]->(c:Rule)
WITH r, techniques, tactics, events, data_sources, collect(c.uid) AS correlates
OPTIONAL MATCH (r)-[h:HAS_PREDICATE]->(i:Indicator)
WITH r, techniques, tactics, events, data_sources, correlates, h, i
ORDER BY h.idx
WITH r, techniques, tactics, events, data_sources, correlates,
     collect(CASE WHEN h IS NULL THEN null ELSE {
       idx: h.idx, field: h.field, operator: h.operator, value: h.value, raw_value: h.raw_value,
       negated: h.negated, exclusion: h.exclusion, modifiers: coalesce(h.modifiers, []), macro: h.macro,
       scope: h.scope, group: h.group, relation: h.relation,
       canonical: {key: i.key, field: i.field, field_kind: i.field_kind, operator: i.operator, value: i.value,
                   qualifiers: coalesce(i.qualifiers, [])},
       corpus_reach: coalesce(i.reach, 0),
       reach_by_vendor: {sigma: coalesce(i.reach_sigma, 0), elastic: coalesce(i.reach_elastic, 0),
                         splunk: coalesce(i.reach_splunk, 0)}
     } END) AS predicates
RETURN r {.*} AS rule, techniques, tactics, events, data_sources, correlates, predicates
