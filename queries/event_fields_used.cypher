// ---
// title: Fields rules on an event use
// description: The canonical fields the rules reading the given events filter on, with how many rules use each, beside the fields the events carry (Event.fields, where the catalog or a data source lists them; a carried field no rule uses has 0 rules); with no events, every field any rule uses. `detgraph check` asks this to spot a draft field its event does not emit, or that no rule on the event ever uses.
// category: Review
// tags: [event, fields, review, typo]
// parameters:
//   events: {type: list, format: event, default: [], example: ["sysmon:1"], description: "event keys (empty: every rule's fields)"}
//   limit: {type: integer, default: 2000, example: 20, minimum: 1, maximum: 20000}
// columns: [field, kind, rules, carried]
// ---
:param events => ["sysmon:1"];
:param limit => 20;
OPTIONAL MATCH (e:Event) WHERE e.key IN $events
WITH collect(e) AS events
WITH events, reduce(acc = [], e IN events | acc + [f IN coalesce(e.fields, []) WHERE NOT f IN acc]) AS carried
CALL (events, carried) {
  UNWIND events AS e
  MATCH (e)<-[:USES_EVENT]-(r:Rule)
  WHERE NOT r.deprecated
  WITH DISTINCT r
  MATCH (r)-[:HAS_PREDICATE]->(i:Indicator)
  WHERE i.field IS NOT NULL
  WITH DISTINCT r, i.field AS field, i.field_kind AS kind
  RETURN field, kind, count(*) AS rules
  UNION ALL
  MATCH (f:Field) WHERE size(events) = 0 AND f.rules > 0
  RETURN f.name AS field, f.kind AS kind, f.rules AS rules
  UNION ALL
  UNWIND carried AS name
  WITH events, name WHERE NOT EXISTS {
    MATCH (:Field {name: name})<-[:ON_FIELD]-(:Indicator)<-[:HAS_PREDICATE]-(r:Rule)-[:USES_EVENT]->(e:Event)
    WHERE e IN events AND NOT r.deprecated
  }
  RETURN name AS field, null AS kind, 0 AS rules
}
RETURN field, kind, rules, field IN carried AS carried
ORDER BY rules DESC, field
LIMIT $limit
