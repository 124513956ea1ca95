// ---
// title: Indicators only one rule uses
// description: Selection indicators that exactly one active rule in the whole catalog uses — the specific, unshared knowledge of a vendor's rules (or its typos) — by vendor and field.
// category: Indicators
// tags: [indicator, unique, reach]
// parameters:
//   vendor: {type: string, format: vendor, example: splunk, description: "only this vendor's rules"}
//   field: {type: string, format: field, example: process.command_line, description: "only this canonical field"}
//   limit: {type: integer, default: 50, example: 20, minimum: 1, maximum: 1000}
// columns: [key, field, operator, value, rule, vendor, title]
// ---
:param vendor => "splunk";
:param field => "process.command_line";
:param limit => 20;
MATCH (i:Indicator)
WHERE i.reach = 1 AND i.value IS NOT NULL AND ($field IS NULL OR i.field = $field)
  AND ($vendor IS NULL OR i['reach_' + $vendor] = 1)  // its one rule is of that vendor (cheap before expanding)
MATCH (i)<-[h:HAS_PREDICATE]-(r:Rule)
WHERE NOT h.exclusion AND NOT r.deprecated AND ($vendor IS NULL OR r.vendor = $vendor)
WITH DISTINCT i, r
RETURN i.key AS key, i.field AS field, i.operator AS operator, i.value AS value, r.uid AS rule, r.vendor AS vendor,
       r.title AS title
ORDER BY field, value, key
LIMIT $limit
