// ---
// title: Canonical fields
// description: The canonical fields rules filter on (ECS 9.5, documented extensions, and vendor fields no map covers yet), with rule and predicate counts per vendor and the vendor spellings that map to each.
// category: Fields
// tags: [field, ecs, mapping]
// parameters:
//   kind: {type: string, example: ecs, choices: [ecs, extension, unmapped, aggregate], description: "only this kind of field"}
//   vendor: {type: string, format: vendor, example: sigma, description: "only fields this vendor's rules use"}
//   search: {type: string, example: process, description: "text in the field name"}
//   limit: {type: integer, default: 100, example: 20, minimum: 1, maximum: 5000}
//   offset: {type: integer, default: 0, example: 0, minimum: 0, maximum: 100000}
// columns: [field, kind, rules, predicates, sigma, elastic, splunk, spellings]
// ---
:param kind => "ecs";
:param vendor => "sigma";
:param search => "process";
:param limit => 20;
:param offset => 0;
MATCH (f:Field)
WHERE f.rules > 0 AND ($kind IS NULL OR f.kind = $kind) AND ($search IS NULL OR toLower(f.name) CONTAINS toLower($search))
  AND ($vendor IS NULL OR ($vendor = 'sigma' AND f.rules_sigma > 0) OR ($vendor = 'elastic' AND f.rules_elastic > 0)
       OR ($vendor = 'splunk' AND f.rules_splunk > 0))
WITH f ORDER BY f.rules DESC, f.name
SKIP $offset LIMIT $limit
CALL (f) {
  OPTIONAL MATCH (vf:VendorField)-[:MAPS_TO]->(f)
  RETURN collect(vf.key)[..12] AS spellings
}
RETURN f.name AS field, f.kind AS kind, f.rules AS rules, f.predicates AS predicates, f.rules_sigma AS sigma,
       f.rules_elastic AS elastic, f.rules_splunk AS splunk, spellings
