// ---
// title: Most brittle rules
// description: The rules with the lowest robustness level (after MITRE CTID's Summiting the Pyramid, stored on every rule at load from graph_schema/robustness.yml; docs/robustness.md) — for one technique (its sub-techniques too on request) or the whole catalog — with the event layer, the reason, the predicates that set the level and how many of their exclusions an attacker satisfies cheaply.
// category: Robustness
// tags: [robustness, brittle, evasion, review]
// parameters:
//   technique: {type: string, format: technique, example: T1059.001, description: "only rules for this technique (empty: every rule)"}
//   rollup: {type: boolean, default: false, example: false, description: "include the rules of its sub-techniques"}
//   vendor: {type: string, format: vendor, example: sigma, description: "only this vendor"}
//   max_level: {type: integer, default: 2, example: 1, minimum: 1, maximum: 5, description: "the highest level listed"}
//   limit: {type: integer, default: 50, example: 20, minimum: 1, maximum: 5000}
// columns: [uid, vendor, title, level, layer, reason, predicates, bypassable_exclusions, techniques]
// ---
:param technique => "T1059.001";
:param rollup => false;
:param vendor => "sigma";
:param max_level => 1;
:param limit => 20;
MATCH (r:Rule)
WHERE NOT r.deprecated AND r.robustness_level <= $max_level AND ($vendor IS NULL OR r.vendor = $vendor)
  AND ($technique IS NULL OR EXISTS {
    MATCH (r)-[:DETECTS]->(t:Technique)
    WHERE t.id = $technique OR ($rollup AND EXISTS { (t)-[:SUBTECHNIQUE_OF]->(:Technique {id: $technique}) })
  })
CALL (r) {
  OPTIONAL MATCH (r)-[:HAS_PREDICATE {exclusion: true}]->(x:Indicator {bypassable: true})
  RETURN count(DISTINCT x) AS bypassable
}
RETURN r.uid AS uid, r.vendor AS vendor, r.title AS title, r.robustness_level AS level, r.robustness_layer AS layer,
       r.robustness_reason AS reason, r.robustness_predicates AS predicates, bypassable AS bypassable_exclusions,
       r.technique_ids AS techniques
ORDER BY level, bypassable_exclusions DESC, uid
LIMIT $limit
