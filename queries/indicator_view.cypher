// ---
// title: Indicator
// description: One canonical indicator — its field, operator, value and corpus reach — with every rule, of any vendor, that uses it (as a selection or as an exclusion, with the field and value as that vendor wrote them) and the techniques it appears under.
// category: Indicators
// tags: [indicator, cross-vendor, exclusion]
// parameters:
//   key: {type: string, format: indicator, required: true, example: "ab4dfb384b826c38232f8b21fdfab2c3df0f75ee", description: "indicator key (from any indicator list)"}
//   limit: {type: integer, default: 200, example: 50, minimum: 1, maximum: 2000, description: "rules listed"}
// columns: [indicator, techniques, rules]
// ---
:param key => "ab4dfb384b826c38232f8b21fdfab2c3df0f75ee";
:param limit => 50;
MATCH (i:Indicator {key: $key})
CALL (i) {
  MATCH (i)<-[h:HAS_PREDICATE]-(r:Rule)
  WITH r, collect(DISTINCT {field: h.field, operator: h.operator, value: coalesce(h.raw_value, h.value)}) AS written,
       max(h.exclusion) AS exclusion, max(h.negated) AS negated
  ORDER BY exclusion, r.vendor, r.title
  RETURN collect({uid: r.uid, vendor: r.vendor, title: r.title, deprecated: r.deprecated, exclusion: exclusion,
                  negated: negated, written: written})[..$limit] AS rules
}
CALL (i) {
  MATCH (i)<-[h:HAS_PREDICATE]-(r:Rule)-[:DETECTS]->(t:Technique) WHERE NOT r.deprecated
  WITH t, count(DISTINCT CASE WHEN NOT h.exclusion THEN r END) AS selecting,
       count(DISTINCT CASE WHEN h.exclusion THEN r END) AS excluding
  ORDER BY selecting + excluding DESC, t.id
  RETURN collect({id: t.id, name: t.name, selection_rules: selecting, exclusion_rules: excluding}) AS techniques
}
OPTIONAL MATCH (i)-[:WRITTEN_AS]->(vf:VendorField)
WITH i, rules, techniques, collect(DISTINCT vf.key) AS spellings
RETURN i {.key, .field, .field_kind, .operator, .value, .qualifiers, .reach, .reach_sigma, .reach_elastic,
          .reach_splunk, spellings: spellings,
          selection_rules: size([r IN rules WHERE NOT r.exclusion]), exclusion_rules: size([r IN rules WHERE r.exclusion])}
       AS indicator, techniques, rules
