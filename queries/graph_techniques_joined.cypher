// ---
// title: Graph — two techniques through their shared indicators
// description: For Neo4j Browser to draw — two techniques and the canonical indicators that rules of both select on, through those rules — where two techniques' detections overlap.
// category: Graphs
// tags: [browser, graph, technique, shared]
// parameters:
//   a: {type: string, format: technique, required: true, example: T1059.001, description: "first technique"}
//   b: {type: string, format: technique, required: true, example: T1027, description: "second technique"}
//   limit: {type: integer, default: 10, example: 10, minimum: 1, maximum: 100, description: "shared indicators drawn"}
// columns: [path]
// ---
:param a => "T1059.001";
:param b => "T1027";
:param limit => 10;
MATCH (tb:Technique {id: $b})
OPTIONAL MATCH (tb)<-[:DETECTS]-(rb:Rule) WHERE NOT rb.deprecated
WITH tb, collect(rb) AS brules
MATCH (ta:Technique {id: $a})<-[:DETECTS]-(ra:Rule)-[ha:HAS_PREDICATE]->(i:Indicator)
WHERE NOT ha.exclusion AND NOT i.context AND i.techniques >= 2 AND NOT ra.deprecated
WITH ta, tb, brules, i, collect(DISTINCT ra) AS ras
CALL (i, brules) {
  MATCH (i)<-[hb:HAS_PREDICATE]-(rb:Rule) WHERE NOT hb.exclusion AND rb IN brules
  RETURN collect(DISTINCT rb) AS rbs
}
WITH ta, tb, i, ras, rbs WHERE size(rbs) > 0
ORDER BY size(ras) + size(rbs) DESC, i.key LIMIT $limit
WITH ta, tb, i, ras[0] AS ra, rbs[0] AS rb
MATCH path = (ta)<-[:DETECTS]-(ra)-[:HAS_PREDICATE]->(i)<-[:HAS_PREDICATE]-(rb)-[:DETECTS]->(tb)
RETURN path
