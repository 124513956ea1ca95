// ---
// title: Rules filtering on fields their events do not carry
// description: Rules whose selection tests a canonical field that none of the events they read carries (where the catalog or a data source lists the event's fields) — a misspelled field, a field of another event, or a rule that can never match as written.
// category: Events
// tags: [event, fields, quality, review]
// parameters:
//   vendor: {type: string, format: vendor, example: splunk, description: "only this vendor"}
//   limit: {type: integer, default: 50, example: 20, minimum: 1, maximum: 5000}
// columns: [uid, vendor, title, events, fields]
// ---
:param vendor => "splunk";
:param limit => 20;
MATCH (r:Rule)-[:USES_EVENT]->(e:Event)
WHERE NOT r.deprecated AND ($vendor IS NULL OR r.vendor = $vendor) AND size(coalesce(e.fields, [])) > 0
WITH r, collect(e) AS events
WITH r, events, reduce(acc = [], e IN events | acc + e.fields) AS carried
MATCH (r)-[h:HAS_PREDICATE]->(i:Indicator)
WHERE NOT h.exclusion AND i.field IS NOT NULL AND i.field_kind IN ['ecs', 'extension'] AND NOT i.context
  AND NOT i.field IN carried
WITH r, events, collect(DISTINCT i.field) AS fields
RETURN r.uid AS uid, r.vendor AS vendor, r.title AS title, [e IN events | e.key] AS events, fields
ORDER BY size(fields) DESC, uid
LIMIT $limit
