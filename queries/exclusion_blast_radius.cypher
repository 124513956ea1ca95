// ---
// title: Blast radius of an exclusion
// description: Every rule that excludes one indicator — so an allow-listed path or account is seen everywhere it hides activity — with the rule's techniques and vendor, and the rules that select on the same indicator instead.
// category: Exclusions
// tags: [exclusion, blast-radius, allow-list]
// parameters:
//   key: {type: string, format: indicator, required: true, example: "ab4dfb384b826c38232f8b21fdfab2c3df0f75ee", description: "indicator key"}
//   limit: {type: integer, default: 200, example: 50, minimum: 1, maximum: 5000}
// columns: [indicator, excluded_by, techniques, selected_by]
// ---
:param key => "ab4dfb384b826c38232f8b21fdfab2c3df0f75ee";
:param limit => 50;
MATCH (i:Indicator {key: $key})
CALL (i) {
  OPTIONAL MATCH (i)<-[:HAS_PREDICATE {exclusion: true}]-(r:Rule) WHERE NOT r.deprecated
  WITH DISTINCT r ORDER BY r.vendor, r.title
  RETURN [x IN collect({uid: r.uid, vendor: r.vendor, title: r.title, severity: r.severity,
                        techniques: r.technique_ids}) WHERE x.uid IS NOT NULL] AS excluded_by
}
CALL (i) {
  OPTIONAL MATCH (i)<-[:HAS_PREDICATE {exclusion: true}]-(r:Rule)-[:DETECTS]->(t:Technique) WHERE NOT r.deprecated
  WITH t, count(DISTINCT r) AS rules WHERE t IS NOT NULL
  ORDER BY rules DESC, t.id
  RETURN collect({id: t.id, name: t.name, rules: rules}) AS techniques
}
CALL (i) {
  OPTIONAL MATCH (i)<-[h:HAS_PREDICATE]-(r:Rule) WHERE NOT h.exclusion AND NOT r.deprecated
  RETURN count(DISTINCT r) AS selected_by
}
RETURN i {.key, .field, .operator, .value, .qualifiers, .reach, excluding_rules: size(excluded_by)} AS indicator,
       excluded_by[..$limit] AS excluded_by, techniques, selected_by
