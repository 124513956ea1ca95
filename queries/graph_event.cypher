// ---
// title: Graph — an event's techniques
// description: For Neo4j Browser to draw — one telemetry event, its provider, the ATT&CK log sources that name it, and the techniques the rules reading it detect (one rule drawn per technique).
// category: Graphs
// tags: [browser, graph, event, technique]
// parameters:
//   event: {type: string, format: event, required: true, example: "sysmon:1", description: "event key"}
//   limit: {type: integer, default: 25, example: 25, minimum: 1, maximum: 200, description: "techniques drawn"}
// columns: [path]
// ---
:param event => "sysmon:1";
:param limit => 25;
MATCH (e:Event {key: $event})
CALL (e) {
  MATCH path = (e)-[:FROM_PROVIDER]->(:Provider)
  RETURN path
  UNION
  MATCH path = (e)<-[:MAPS_TO_EVENT]-(:LogSource)
  RETURN path
  UNION
  MATCH (e)<-[:USES_EVENT]-(r:Rule)-[:DETECTS]->(t:Technique) WHERE NOT r.deprecated
  WITH e, t, count(r) AS rules, collect(r)[0] AS r ORDER BY rules DESC, t.id LIMIT $limit
  MATCH path = (e)<-[:USES_EVENT]-(r)-[:DETECTS]->(t)
  RETURN path
}
RETURN path
