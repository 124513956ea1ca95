// ---
// title: Recommended log sources vs events used
// description: For one technique, the log sources ATT&CK v18's detection strategies and analytics recommend, the catalog events they stand for, and how many of the technique's rules (per vendor) read each event — next to the events the rules read that ATT&CK does not name.
// category: Events
// tags: [technique, events, attack, telemetry]
// parameters:
//   technique: {type: string, format: technique, required: true, example: T1059.001, description: "ATT&CK technique id"}
// columns: [event, title, recommended_by_attack, log_sources, rules, sigma, elastic, splunk]
// ---
:param technique => "T1059.001";
MATCH (t:Technique {id: $technique})
CALL (t) {
  OPTIONAL MATCH (t)-[:DETECTED_BY]->(:DetectionStrategy)-[:USES_ANALYTIC]->(:Analytic)-[:READS_LOG]->(l:LogSource)
                 -[:MAPS_TO_EVENT]->(e:Event)
  WITH e, collect(DISTINCT l.name + coalesce(' / ' + l.channel, '')) AS sources WHERE e IS NOT NULL
  RETURN collect({e: e, sources: sources}) AS recommended
}
CALL (t) {
  OPTIONAL MATCH (t)<-[:DETECTS]-(r:Rule)-[:USES_EVENT]->(e:Event) WHERE NOT r.deprecated
  WITH e, collect(DISTINCT r) AS rules WHERE e IS NOT NULL
  RETURN collect({e: e, rules: rules}) AS used
}
UNWIND [x IN recommended | x.e] + [x IN used | x.e] AS e
WITH DISTINCT e, recommended, used
WITH e, [x IN recommended WHERE x.e = e | x.sources][0] AS sources, coalesce([x IN used WHERE x.e = e | x.rules][0], []) AS rules
RETURN e.key AS event, e.title AS title, sources IS NOT NULL AS recommended_by_attack, coalesce(sources, []) AS log_sources,
       size(rules) AS rules, size([r IN rules WHERE r.vendor = 'sigma']) AS sigma,
       size([r IN rules WHERE r.vendor = 'elastic']) AS elastic, size([r IN rules WHERE r.vendor = 'splunk']) AS splunk
ORDER BY recommended_by_attack DESC, rules DESC, event
