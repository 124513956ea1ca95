// ---
// title: Most bypassable exclusions
// description: Exclusions an attacker satisfies cheaply — a user-writable or unanchored path, a file name alone, a command-line substring (Indicator.bypassable and bypass_reason, set at load from graph_schema/robustness.yml; docs/robustness.md) — ranked by their blast radius, the number of rules that exclude them, for one technique (its sub-techniques too on request) or the whole catalog.
// category: Robustness
// tags: [robustness, exclusion, bypass, blast-radius, evasion]
// parameters:
//   technique: {type: string, format: technique, example: T1218.011, description: "only exclusions of rules for this technique (empty: every rule)"}
//   rollup: {type: boolean, default: false, example: false, description: "include the rules of its sub-techniques"}
//   vendor: {type: string, format: vendor, example: elastic, description: "only this vendor's rules"}
//   limit: {type: integer, default: 50, example: 10, minimum: 1, maximum: 5000}
// columns: [key, field, operator, value, reason, blast_radius, vendors, techniques, example_rules]
// ---
:param technique => "T1218.011";
:param rollup => false;
:param vendor => "elastic";
:param limit => 10;
MATCH (x:Indicator {bypassable: true})<-[:HAS_PREDICATE {exclusion: true}]-(r:Rule)
WHERE NOT r.deprecated AND ($vendor IS NULL OR r.vendor = $vendor)
  AND ($technique IS NULL OR EXISTS {
    MATCH (r)-[:DETECTS]->(t:Technique)
    WHERE t.id = $technique OR ($rollup AND EXISTS { (t)-[:SUBTECHNIQUE_OF]->(:Technique {id: $technique}) })
  })
WITH x, collect(DISTINCT r) AS rules
RETURN x.key AS key, x.field AS field, x.operator AS operator, x.value AS value, x.bypass_reason AS reason,
       size(rules) AS blast_radius, reduce(acc = [], r IN rules | CASE WHEN r.vendor IN acc THEN acc ELSE acc + r.vendor END) AS vendors,
       size(reduce(acc = [], r IN rules | acc + [t IN r.technique_ids WHERE NOT t IN acc])) AS techniques,
       [r IN rules | r.uid][..5] AS example_rules
ORDER BY blast_radius DESC, key
LIMIT $limit
