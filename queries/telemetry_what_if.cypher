// ---
// title: Telemetry what-if — remove events
// description: If these events (or every event of these providers) stopped arriving, which rules would lose all the telemetry they read, and which techniques would lose rules — per vendor, with how many rules remain (0 means the vendor no longer covers the technique). Rules linked to no catalog event are not counted as losing anything.
// category: Coverage
// tags: [what-if, telemetry, events, coverage]
// parameters:
//   remove_events: {type: list, format: event, default: [], example: ["sysmon:1"], description: "event keys to remove"}
//   remove_providers: {type: list, default: [], example: [], description: "provider ids whose events all go"}
//   vendor: {type: string, format: vendor, example: sigma, description: "only this vendor's rules"}
//   limit: {type: integer, default: 200, example: 50, minimum: 1, maximum: 5000, description: "rows per section"}
// columns: [summary, rules_losing, techniques]
// ---
:param remove_events => ["sysmon:1"];
:param remove_providers => [];
:param vendor => "sigma";
:param limit => 50;
OPTIONAL MATCH (gone:Event) WHERE gone.key IN $remove_events OR gone.provider IN $remove_providers
WITH collect(gone) AS removed
CALL (removed) {
  UNWIND removed AS e
  MATCH (e)<-[:USES_EVENT]-(r:Rule)
  WHERE NOT r.deprecated AND ($vendor IS NULL OR r.vendor = $vendor)
  WITH DISTINCT r, removed
  WHERE NOT EXISTS { (r)-[:USES_EVENT]->(other:Event) WHERE NOT other IN removed }
  RETURN collect(r) AS losing
}
CALL (losing) {
  UNWIND losing AS r
  MATCH (r)-[:DETECTS]->(t:Technique)
  WITH DISTINCT t, losing
  MATCH (t)<-[:DETECTS]-(x:Rule) WHERE NOT x.deprecated AND ($vendor IS NULL OR x.vendor = $vendor)
  WITH t, x.vendor AS vendor, count(x) AS before, count(CASE WHEN x IN losing THEN 1 END) AS lost
  WHERE lost > 0
  WITH t, vendor, before, before - lost AS after
  ORDER BY after, before DESC, t.id, vendor
  RETURN collect({id: t.id, name: t.name, vendor: vendor, before: before, after: after}) AS techniques
}
RETURN {events_removed: [e IN removed | e.key], rules_losing: size(losing),
        techniques_affected: size(techniques), vendor_coverage_lost: size([t IN techniques WHERE t.after = 0])}
       AS summary,
       [r IN losing | {uid: r.uid, vendor: r.vendor, title: r.title, techniques: r.technique_ids}][..$limit]
       AS rules_losing,
       techniques[..$limit] AS techniques
