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
WITH collect(h.key) AS have
MATCH (t:Technique)<-[:DETECTS]-(r:Rule)
WHERE NOT t.revoked AND NOT t.deprecated AND NOT r.deprecated AND ($vendor IS NULL OR r.vendor = $vendor)
WITH have, t, collect(r) AS rs
// r.event_keys: the keys of the rule's USES_EVENT events, stored by the load (cheaper than the relationships)
WHERE none(r IN rs WHERE any(k IN r.event_keys WHERE k IN have))
UNWIND rs AS r
UNWIND r.event_keys AS k
WITH t, k, count(DISTINCT r) AS rules
WITH k, count(t) AS new_techniques, sum(rules) AS rules, collect(t.id) AS ids
ORDER BY new_techniques DESC, rules DESC, k
LIMIT $limit
MATCH (e:Event {key: k})
RETURN e.key AS event, e.title AS title, e.provider AS provider, new_techniques, rules, ids[..25] AS techniques
