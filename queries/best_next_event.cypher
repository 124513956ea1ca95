// ---
// title: Telemetry what-if — the event to add next
// description: Given the events you collect (or whole providers), the single additional catalog event that would bring the most techniques under coverage — techniques no rule reading your events covers, but some rule reading the new event does — per vendor if asked. With nothing collected, the events that cover the most techniques.
// category: Coverage
// tags: [what-if, telemetry, events, coverage, gaps]
// parameters:
//   have_events: {type: list, format: event, default: [], example: ["windows-security:4688"], description: "event keys you collect"}
//   have_providers: {type: list, default: [], example: [], description: "provider ids you collect in full"}
//   vendor: {type: string, format: vendor, example: elastic, description: "only this vendor's rules"}
//   limit: {type: integer, default: 10, example: 10, minimum: 1, maximum: 500}
// columns: [event, title, provider, new_techniques, rules, techniques]
// ---
:param have_events => ["windows-security:4688"];
:param have_providers => [];
:param vendor => "elastic";
:param limit => 10;
OPTIONAL MATCH (h:Event) WHERE h.key IN $have_events OR h.provider IN $have_providers
WITH collect(h) AS have
MATCH (t:Technique)<-[:DETECTS]-(r:Rule)-[:USES_EVENT]->(e:Event)
WHERE NOT t.revoked AND NOT t.deprecated AND NOT r.deprecated AND ($vendor IS NULL OR r.vendor = $vendor)
  AND NOT e IN have
WITH have, t, e, count(DISTINCT r) AS rules
WITH have, t, collect({e: e, rules: rules}) AS options
WHERE NOT EXISTS { (t)<-[:DETECTS]-(x:Rule)-[:USES_EVENT]->(c:Event)
                   WHERE c IN have AND NOT x.deprecated AND ($vendor IS NULL OR x.vendor = $vendor) }
UNWIND options AS o
WITH o.e AS e, count(t) AS new_techniques, sum(o.rules) AS rules, collect(t.id) AS ids
ORDER BY new_techniques DESC, rules DESC, e.key
LIMIT $limit
RETURN e.key AS event, e.title AS title, e.provider AS provider, new_techniques, rules, ids[..25] AS techniques
