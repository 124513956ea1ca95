// ---
// title: Find indicators
// description: Canonical indicators on a field, optionally with an operator and a value (a value matches when it is contained, case-insensitively), most used first — to get from what a rule tests to the indicator key the other questions take.
// category: Indicators
// tags: [indicator, search]
// parameters:
//   field: {type: string, format: field, required: true, example: process.name, description: "canonical field"}
//   operator: {type: string, example: eq, choices: [eq, wildcard, contains, startswith, endswith, regex_match, cidr, gt, gte, lt, lte, exists, match, fieldref]}
//   value: {type: string, example: powershell, description: "text the value contains"}
//   limit: {type: integer, default: 25, example: 10, minimum: 1, maximum: 1000}
// columns: [key, field, operator, value, qualifiers, reach, reach_sigma, reach_elastic, reach_splunk]
// ---
:param field => "process.name";
:param operator => "eq";
:param value => "powershell";
:param limit => 10;
MATCH (i:Indicator {field: $field})
WHERE ($operator IS NULL OR i.operator = $operator)
  AND ($value IS NULL OR toLower(i.value) CONTAINS toLower($value))
RETURN i.key AS key, i.field AS field, i.operator AS operator, i.value AS value, i.qualifiers AS qualifiers,
       i.reach AS reach, i.reach_sigma AS reach_sigma, i.reach_elastic AS reach_elastic, i.reach_splunk AS reach_splunk
ORDER BY reach DESC, key
LIMIT $limit
