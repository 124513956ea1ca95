// ---
// title: Exclusions rules agree on
// description: False-positive exclusions (indicators under a top-level `not`) that several rules share — across techniques and vendors — ranked by how many rules exclude the same canonical field/operator/value. Filter to one vendor, or to exclusions more than one vendor uses.
// category: Exclusions
// tags: [exclusion, false-positive, overlap, cross-vendor]
// parameters:
//   min_rules: {type: integer, default: 2, example: 3, minimum: 1, maximum: 10000}
//   vendor: {type: string, format: vendor, example: sigma, description: "only this vendor's rules"}
//   cross_vendor: {type: boolean, default: false, example: false, description: "only exclusions rules of two or more vendors use"}
//   technique: {type: string, format: technique, example: T1059.001, description: "only rules of this technique"}
//   limit: {type: integer, default: 50, example: 20, minimum: 1, maximum: 1000}
// columns: [key, field, operator, value, rules, vendors, techniques, reach]
// ---
:param min_rules => 3;
:param vendor => "sigma";
:param cross_vendor => false;
:param technique => "T1059.001";
:param limit => 20;
MATCH (r:Rule)-[:HAS_PREDICATE {exclusion: true}]->(i:Indicator)
WHERE NOT r.deprecated AND ($vendor IS NULL OR r.vendor = $vendor)
  AND ($technique IS NULL OR EXISTS { (r)-[:DETECTS]->(:Technique {id: $technique}) })
WITH i, count(DISTINCT r) AS rules, collect(DISTINCT r.vendor) AS vendors
WHERE rules >= $min_rules AND (NOT $cross_vendor OR size(vendors) > 1)
ORDER BY rules DESC, i.key
LIMIT $limit
CALL (i) {
  MATCH (i)<-[:HAS_PREDICATE {exclusion: true}]-(r:Rule)-[:DETECTS]->(t:Technique) WHERE NOT r.deprecated
  RETURN count(DISTINCT t) AS techniques
}
RETURN i.key AS key, i.field AS field, i.operator AS operator, i.value AS value, rules, vendors, techniques,
       i.reach AS reach
