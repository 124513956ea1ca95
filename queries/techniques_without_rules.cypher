// ---
// title: Techniques no rule detects
// description: Active ATT&CK techniques with no (non-deprecated) rule of any vendor — or of one vendor — with their tactics and the catalog events ATT&CK v18 recommends for them, so a gap comes with the telemetry to close it.
// category: Coverage
// tags: [coverage, gaps, technique]
// parameters:
//   vendor: {type: string, format: vendor, example: splunk, description: "gaps of this vendor only"}
//   tactic: {type: string, format: tactic, example: persistence, description: "only this tactic"}
//   include_subtechniques: {type: boolean, default: true, example: true}
//   limit: {type: integer, default: 1000, example: 50, minimum: 1, maximum: 5000}
// columns: [id, name, tactics, platforms, recommended_events]
// ---
:param vendor => "splunk";
:param tactic => "persistence";
:param include_subtechniques => true;
:param limit => 50;
MATCH (t:Technique)
WHERE NOT t.revoked AND NOT t.deprecated AND ($include_subtechniques OR NOT t.is_subtechnique)
  AND ($tactic IS NULL OR EXISTS { (t)-[:BELONGS_TO]->(ta:Tactic) WHERE ta.shortname = $tactic OR ta.id = $tactic })
  AND NOT EXISTS { (t)<-[:DETECTS]-(r:Rule) WHERE NOT r.deprecated AND ($vendor IS NULL OR r.vendor = $vendor) }
CALL (t) {
  OPTIONAL MATCH (t)-[:DETECTED_BY]->(:DetectionStrategy)-[:USES_ANALYTIC]->(:Analytic)-[:READS_LOG]->(:LogSource)
                 -[:MAPS_TO_EVENT]->(e:Event)
  RETURN collect(DISTINCT e.key)[..10] AS recommended_events
}
RETURN t.id AS id, t.name AS name, t.tactics AS tactics, t.platforms AS platforms, recommended_events
ORDER BY id
LIMIT $limit
