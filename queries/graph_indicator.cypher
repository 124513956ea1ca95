// ---
// title: Graph — an indicator's rules across vendors
// description: For Neo4j Browser to draw — one canonical indicator, its field, the vendor spellings it is written as, and the rules of every vendor that select on it or exclude it, with their techniques.
// category: Graphs
// tags: [browser, graph, indicator, cross-vendor]
// parameters:
//   key: {type: string, format: indicator, required: true, example: "ab4dfb384b826c38232f8b21fdfab2c3df0f75ee", description: "indicator key"}
//   limit: {type: integer, default: 25, example: 25, minimum: 1, maximum: 200, description: "rules drawn"}
// columns: [path]
// ---
:param key => "ab4dfb384b826c38232f8b21fdfab2c3df0f75ee";
:param limit => 25;
MATCH (i:Indicator {key: $key})
CALL (i) {
  MATCH path = (i)-[:ON_FIELD]->(:Field)
  RETURN path
  UNION
  MATCH path = (i)-[:WRITTEN_AS]->(:VendorField)
  RETURN path
  UNION
  MATCH (i)<-[h:HAS_PREDICATE]-(r:Rule) WHERE NOT r.deprecated
  WITH i, h, r ORDER BY h.exclusion, r.vendor, r.title LIMIT $limit
  MATCH path = (i)<-[h]-(r)-[:DETECTS]->(:Technique)
  RETURN path
}
RETURN path
