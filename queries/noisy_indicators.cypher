// ---
// title: Noisiest indicators
// description: The canonical indicators with the highest corpus reach — the values so many rules, techniques and vendors select on that alone they discriminate nothing — with how many techniques they appear under.
// category: Indicators
// tags: [indicator, noise, reach]
// parameters:
//   min_techniques: {type: integer, default: 1, example: 5, minimum: 1, maximum: 500}
//   field: {type: string, format: field, example: process.name, description: "only this canonical field"}
//   limit: {type: integer, default: 50, example: 20, minimum: 1, maximum: 1000}
// columns: [key, field, operator, value, reach, reach_sigma, reach_elastic, reach_splunk, techniques]
// ---
:param min_techniques => 5;
:param field => "process.name";
:param limit => 20;
MATCH (i:Indicator)
WHERE i.reach > 1 AND i.value IS NOT NULL AND i.field_kind <> 'aggregate' AND NOT i.context
  AND ($field IS NULL OR i.field = $field)
WITH i ORDER BY i.reach DESC LIMIT $limit * 5
CALL (i) {
  MATCH (i)<-[:HAS_PREDICATE]-(r:Rule)-[:DETECTS]->(t:Technique) WHERE NOT r.deprecated
  RETURN count(DISTINCT t) AS techniques
}
WITH i, techniques WHERE techniques >= $min_techniques
RETURN i.key AS key, i.field AS field, i.operator AS operator, i.value AS value, i.reach AS reach,
       i.reach_sigma AS reach_sigma, i.reach_elastic AS reach_elastic, i.reach_splunk AS reach_splunk, techniques
ORDER BY reach DESC, key
LIMIT $limit
