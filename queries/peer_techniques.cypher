// ---
// title: Techniques peers carry
// description: For one rule (or a draft's canonical selection indicators), the ATT&CK techniques its peers — rules selecting on at least `min_overlap` of the same indicators — are tagged with and it is not (nor a parent of its techniques), ranked by how many peers carry each. `detgraph check` asks this for a draft's tagging.
// category: Review
// tags: [technique, tagging, peers, review]
// parameters:
//   uid: {type: string, format: rule, example: "elastic:f545ff26-3c94-4fd0-bd33-3c7f95a3a0fc", description: "the rule (or give the lists below)"}
//   selection: {type: list, format: indicator, default: [], example: [], description: "a draft's selection indicator keys"}
//   techniques: {type: list, format: technique, default: [], example: [], description: "a draft's technique ids"}
//   min_overlap: {type: float, default: 0.5, example: 0.5, minimum: 0.01, maximum: 1, description: "share of its selection indicators a peer must use"}
//   min_peers: {type: integer, default: 2, example: 1, minimum: 1, maximum: 10000}
//   limit: {type: integer, default: 10, example: 10, minimum: 1, maximum: 200}
// columns: [technique, name, peers_tagging, peers, share, example_peers]
// ---
:param uid => "elastic:f545ff26-3c94-4fd0-bd33-3c7f95a3a0fc";
:param selection => [];
:param techniques => [];
:param min_overlap => 0.5;
:param min_peers => 1;
:param limit => 10;
OPTIONAL MATCH (me:Rule {uid: $uid})
CALL (me) {
  OPTIONAL MATCH (me)-[h:HAS_PREDICATE]->(i:Indicator)
  WHERE NOT h.exclusion AND NOT i.context AND i.field_kind <> 'aggregate'
  WITH collect(DISTINCT i.key) + $selection AS keys
  UNWIND keys AS k
  RETURN collect(DISTINCT k) AS keys
}
CALL (me) {
  OPTIONAL MATCH (me)-[:DETECTS]->(t:Technique)
  WITH collect(t.id) + $techniques AS mine
  OPTIONAL MATCH (parent:Technique)<-[:SUBTECHNIQUE_OF]-(sub:Technique) WHERE sub.id IN mine
  WITH mine, collect(parent.id) AS parents
  RETURN mine + parents AS known
}
CALL (me, keys) {
  UNWIND keys AS key
  MATCH (:Indicator {key: key})<-[h:HAS_PREDICATE]-(p:Rule)
  WHERE NOT h.exclusion AND NOT p.deprecated AND (me IS NULL OR p <> me)
  WITH p, count(DISTINCT key) AS shared WHERE 1.0 * shared / size(keys) >= $min_overlap
  RETURN collect(p) AS peers
}
WITH known, peers, size(peers) AS n_peers
UNWIND peers AS p
MATCH (p)-[:DETECTS]->(t:Technique)
WHERE NOT t.id IN known
WITH t, n_peers, count(DISTINCT p) AS carrying, collect(DISTINCT p.uid)[..5] AS examples
WHERE carrying >= $min_peers
RETURN t.id AS technique, t.name AS name, carrying AS peers_tagging, n_peers AS peers,
       round(1.0 * carrying / n_peers, 2) AS share, examples AS example_peers
ORDER BY peers_tagging DESC, technique
LIMIT $limit
