// ---
// title: Field
// description: One canonical field — its vendor spellings (per logsource for Sigma) with how many rules write it each way, the rules per vendor, the operators used on it (predicates and distinct indicators) and its most used values with their corpus reach.
// category: Fields
// tags: [field, spellings, values]
// parameters:
//   field: {type: string, format: field, required: true, example: process.name, description: "canonical field name"}
//   limit: {type: integer, default: 25, example: 25, minimum: 1, maximum: 500, description: "rows per section"}
// columns: [field, spellings, operators, values]
// ---
:param field => "process.name";
:param limit => 25;
MATCH (f:Field {name: $field})
CALL (f) {
  // each indicator's predicates read once, counted by the spelling they were written with (h.vendor_field)
  OPTIONAL MATCH (f)<-[:ON_FIELD]-(i:Indicator)<-[h:HAS_PREDICATE]-(r:Rule) WHERE NOT r.deprecated
  WITH f, h.vendor_field AS key, count(DISTINCT r) AS rules
  WITH f, collect({key: key, rules: rules}) AS counted
  MATCH (vf:VendorField)-[:MAPS_TO]->(f)
  WITH vf, coalesce([c IN counted WHERE c.key = vf.key][0].rules, 0) AS rules
  ORDER BY rules DESC, vf.key
  RETURN collect({vendor: vf.vendor, name: vf.name, logsource: vf.logsource, key: vf.key, rules: rules}) AS spellings
}
CALL (f) {
  MATCH (f)<-[:ON_FIELD]-(i:Indicator) WHERE i.uses > 0
  WITH i.operator AS operator, sum(i.uses) AS predicates, count(i) AS indicators
  ORDER BY predicates DESC, operator
  RETURN collect({operator: operator, predicates: predicates, indicators: indicators}) AS operators
}
CALL (f) {
  MATCH (f)<-[:ON_FIELD]-(i:Indicator) WHERE i.value IS NOT NULL AND i.reach > 0
  WITH i ORDER BY i.reach DESC, i.key LIMIT $limit
  RETURN collect(i {.key, .operator, .value, .qualifiers, .reach, .reach_sigma, .reach_elastic, .reach_splunk})
         AS values
}
RETURN f {.name, .kind, .rules, .predicates, .rules_sigma, .rules_elastic, .rules_splunk} AS field,
       spellings[..$limit] AS spellings, operators, values
