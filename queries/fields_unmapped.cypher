// ---
// title: Vendor fields with no canonical field
// description: Vendor field spellings no field map covers (and which are not ECS or a documented extension as written), worst first — by how many rules and predicates use them. What `detgraph fields unmapped` prints; each is a candidate for graph_schema/fields/.
// category: Fields
// tags: [field, mapping, unmapped, quality]
// parameters:
//   vendor: {type: string, format: vendor, example: splunk, description: "only this vendor"}
//   limit: {type: integer, default: 50, example: 20, minimum: 1, maximum: 5000}
// columns: [vendor, field, logsource, rules, predicates, key]
// ---
:param vendor => "splunk";
:param limit => 20;
MATCH (vf:VendorField)-[:MAPS_TO]->(f:Field {kind: 'unmapped'})
WHERE $vendor IS NULL OR vf.vendor = $vendor
CALL (vf) {
  MATCH (vf)<-[:WRITTEN_AS]-(:Indicator)<-[h:HAS_PREDICATE]-(r:Rule) WHERE h.vendor_field = vf.key
  RETURN count(DISTINCT r) AS rules, count(h) AS predicates
}
RETURN vf.vendor AS vendor, vf.name AS field, vf.logsource AS logsource, rules, predicates, vf.key AS key
ORDER BY rules DESC, predicates DESC, key
LIMIT $limit
