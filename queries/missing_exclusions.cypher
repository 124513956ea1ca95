// ---
// title: Exclusions a rule lacks
// description: For one rule (or a draft's canonical indicators), the exclusions its peers use and it does not, ranked by how many peers use them. Peers are rules sharing at least `min_shared` of its selection indicators (telemetry-selection indicators such as event.category do not count), or rules of one of its techniques that read one of its events. `detgraph check` asks this for a draft.
// category: Exclusions
// tags: [exclusion, peers, review, false-positive]
// parameters:
//   uid: {type: string, format: rule, example: "sigma:999e8307-a775-4d5f-addc-4855632335be", description: "the rule (or give the lists below)"}
//   selection: {type: list, format: indicator, default: [], example: [], description: "a draft's selection indicator keys"}
//   exclusions: {type: list, format: indicator, default: [], example: [], description: "a draft's exclusion indicator keys"}
//   techniques: {type: list, format: technique, default: [], example: [], description: "a draft's technique ids"}
//   events: {type: list, format: event, default: [], example: [], description: "a draft's event keys"}
//   min_shared: {type: integer, default: 1, example: 1, minimum: 1, maximum: 50}
//   min_peers: {type: integer, default: 2, example: 2, minimum: 1, maximum: 10000}
//   limit: {type: integer, default: 25, example: 25, minimum: 1, maximum: 500}
// columns: [key, field, operator, value, peers_using, peers, share, example_peers, reach]
// ---
:param uid => "sigma:999e8307-a775-4d5f-addc-4855632335be";
:param selection => [];
:param exclusions => [];
:param techniques => [];
:param events => [];
:param min_shared => 1;
:param min_peers => 2;
:param limit => 25;
OPTIONAL MATCH (me:Rule {uid: $uid})
CALL (me) {
  OPTIONAL MATCH (me)-[h:HAS_PREDICATE]->(i:Indicator)
  RETURN [k IN collect(CASE WHEN NOT h.exclusion AND NOT i.context THEN i.key END) WHERE k IS NOT NULL] + $selection AS selection,
         [k IN collect(CASE WHEN h.exclusion THEN i.key END) WHERE k IS NOT NULL] + $exclusions AS excluded
}
CALL (me) {
  OPTIONAL MATCH (me)-[:DETECTS]->(t:Technique)
  WITH collect(t.id) + $techniques AS techniques
  OPTIONAL MATCH (me)-[:USES_EVENT]->(e:Event)
  RETURN techniques, collect(e.key) + $events AS events
}
CALL (me, selection) {
  UNWIND selection AS key
  MATCH (:Indicator {key: key})<-[h:HAS_PREDICATE]-(p:Rule)
  WHERE NOT h.exclusion AND NOT p.deprecated AND (me IS NULL OR p <> me)
  WITH p, count(DISTINCT key) AS shared WHERE shared >= $min_shared
  RETURN collect(p) AS by_indicator
}
CALL (me, techniques, events) {
  UNWIND techniques AS tid
  MATCH (:Technique {id: tid})<-[:DETECTS]-(p:Rule)-[:USES_EVENT]->(e:Event)
  WHERE e.key IN events AND NOT p.deprecated AND (me IS NULL OR p <> me)
  RETURN collect(DISTINCT p) AS by_technique
}
WITH excluded, by_indicator + [p IN by_technique WHERE NOT p IN by_indicator] AS peers
WITH excluded, peers, size(peers) AS n_peers
UNWIND peers AS p
MATCH (p)-[:HAS_PREDICATE {exclusion: true}]->(x:Indicator)
WHERE NOT x.key IN excluded
WITH x, n_peers, count(DISTINCT p) AS peers_using, collect(DISTINCT p.uid)[..5] AS example_peers
WHERE peers_using >= $min_peers
RETURN x.key AS key, x.field AS field, x.operator AS operator, x.value AS value, peers_using, n_peers AS peers,
       round(1.0 * peers_using / n_peers, 2) AS share, example_peers, x.reach AS reach
ORDER BY peers_using DESC, reach DESC, key
LIMIT $limit
