// ---
// title: Graph — a technique's neighbourhood
// description: For Neo4j Browser to draw — a technique, the rules that detect it, each rule's most shared selection indicators and exclusions with their canonical fields, and the events the rules read. `limit` bounds the rules drawn, `per_rule` the indicators per rule, so the picture stays readable.
// category: Graphs
// tags: [browser, graph, technique]
// parameters:
//   technique: {type: string, format: technique, required: true, example: T1609, description: "ATT&CK technique id"}
//   limit: {type: integer, default: 15, example: 15, minimum: 1, maximum: 100, description: "rules drawn"}
//   per_rule: {type: integer, default: 4, example: 4, minimum: 1, maximum: 20, description: "indicators per rule"}
// columns: [path]
// ---
:param technique => "T1609";
:param limit => 15;
:param per_rule => 4;
MATCH (t:Technique {id: $technique})<-[:DETECTS]-(r:Rule)
WHERE NOT r.deprecated
WITH t, r ORDER BY r.vendor, r.title LIMIT $limit
CALL (t, r) {
  MATCH path = (t)<-[:DETECTS]-(r)
  RETURN path
  UNION
  MATCH (r)-[h:HAS_PREDICATE]->(i:Indicator) WHERE NOT i.context
  WITH r, h, i ORDER BY i.reach DESC LIMIT $per_rule
  MATCH path = (r)-[h]->(i)-[:ON_FIELD]->(:Field)
  RETURN path
  UNION
  MATCH path = (r)-[:USES_EVENT]->(:Event)
  RETURN path
}
RETURN path
