// ---
// title: Indicators by key
// description: The stored facts of given canonical indicators — field, operator, value, corpus reach (overall and per vendor), how many techniques' rules select on each, how many rules exclude it (its blast radius) and whether an attacker satisfies it cheaply as an exclusion — for a draft's indicators (`detgraph check`) or any list of keys. A key no rule uses is not returned.
// category: Review
// tags: [indicator, reach, noise, review]
// parameters:
//   keys: {type: list, format: indicator, required: true, example: ["ab4dfb384b826c38232f8b21fdfab2c3df0f75ee"], description: "indicator keys"}
// columns: [key, field, operator, value, reach, reach_sigma, reach_elastic, reach_splunk, techniques, excluded_by, bypass_reason]
// ---
:param keys => ["ab4dfb384b826c38232f8b21fdfab2c3df0f75ee"];
UNWIND $keys AS k
MATCH (i:Indicator {key: k})
RETURN i.key AS key, i.field AS field, i.operator AS operator, i.value AS value, coalesce(i.reach, 0) AS reach,
       coalesce(i.reach_sigma, 0) AS reach_sigma, coalesce(i.reach_elastic, 0) AS reach_elastic,
       coalesce(i.reach_splunk, 0) AS reach_splunk, coalesce(i.techniques, 0) AS techniques,
       COUNT { MATCH (i)<-[:HAS_PREDICATE {exclusion: true}]-(r:Rule) WHERE NOT r.deprecated RETURN DISTINCT r }
         AS excluded_by,
       i.bypass_reason AS bypass_reason
ORDER BY reach DESC, key
