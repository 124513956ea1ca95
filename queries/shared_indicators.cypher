// ---
// title: Indicators shared across techniques
// description: Canonical indicators (field, operator, value) that selections of rules tagged with at least `min_techniques` different techniques use — within the given techniques, or across the whole catalog — with the techniques, rule counts and vendors. An indicator many techniques share is context, not a discriminator.
// category: Indicators
// tags: [indicator, technique, shared, cross-vendor]
// parameters:
//   techniques: {type: list, format: technique, default: [], example: ["T1059.001", "T1027", "T1218.011"], description: "technique ids (empty: every technique)"}
//   min_techniques: {type: integer, default: 3, example: 2, minimum: 1, maximum: 500}
//   vendor: {type: string, format: vendor, example: elastic, description: "only indicators this vendor's rules use"}
//   include_exclusions: {type: boolean, default: false, example: false, description: "count exclusions too"}
//   include_context: {type: boolean, default: false, example: false, description: "include telemetry-selection indicators (event.category, host.os.type...)"}
//   limit: {type: integer, default: 50, example: 20, minimum: 1, maximum: 1000}
// columns: [key, field, operator, value, techniques, technique_ids, rules, vendors, reach]
// ---
:param techniques => ["T1059.001", "T1027", "T1218.011"];
:param min_techniques => 2;
:param vendor => "elastic";
:param include_exclusions => false;
:param include_context => false;
:param limit => 20;
CALL () {
  WITH 1 AS all_techniques WHERE size($techniques) = 0  // the whole catalog: techniques counted at load time
  MATCH (i:Indicator) WHERE i.techniques >= $min_techniques
  RETURN i, i.techniques AS techniques
  UNION
  WITH 1 AS some_techniques WHERE size($techniques) > 0
  MATCH (t:Technique)<-[:DETECTS]-(r:Rule)-[h:HAS_PREDICATE]->(i:Indicator)
  WHERE t.id IN $techniques AND NOT r.deprecated AND ($include_exclusions OR NOT h.exclusion)
  WITH i, count(DISTINCT t) AS techniques WHERE techniques >= $min_techniques
  RETURN i, techniques
}
WITH i, techniques WHERE i.value IS NOT NULL AND i.field_kind <> 'aggregate' AND ($include_context OR NOT i.context)
ORDER BY techniques DESC, i.reach DESC, i.key
CALL (i) {
  MATCH (t:Technique)<-[:DETECTS]-(r:Rule)-[h:HAS_PREDICATE]->(i)
  WHERE NOT r.deprecated AND ($include_exclusions OR NOT h.exclusion) AND (size($techniques) = 0 OR t.id IN $techniques)
  RETURN collect(DISTINCT t.id) AS ids, count(DISTINCT r) AS rules, collect(DISTINCT r.vendor) AS vendors
}
WITH i, techniques, ids, rules, vendors WHERE $vendor IS NULL OR $vendor IN vendors
RETURN i.key AS key, i.field AS field, i.operator AS operator, i.value AS value, techniques,
       ids[..20] AS technique_ids, rules, vendors, i.reach AS reach
LIMIT $limit
