// ---
// title: Technique guide
// description: Everything the rules for one ATT&CK technique rest on — the events they read; the canonical fields they filter on most, with operators and sample values; their top indicator values with corpus reach (how many rules in the whole catalog use the same field/operator/value, overall and per vendor); the exclusions they use, by how many of these rules exclude them; the rules by vendor; and ATT&CK v18's recommended log sources beside the events the rules use. Sub-techniques are rolled up on request. Deprecated and building-block rules are left out unless asked for.
// category: Techniques
// tags: [technique, guide, fields, indicators, exclusions, events]
// parameters:
//   technique: {type: string, format: technique, required: true, example: T1609, description: "ATT&CK technique id"}
//   rollup: {type: boolean, default: false, example: false, description: "include the rules of its sub-techniques"}
//   include_deprecated: {type: boolean, default: false, example: false, description: "include deprecated rules"}
//   include_building_blocks: {type: boolean, default: false, example: false, description: "include Elastic building-block rules"}
//   limit: {type: integer, default: 25, example: 25, minimum: 1, maximum: 500, description: "rows per section"}
// columns: [technique, events, fields, indicators, exclusions, rules, recommended]
// ---
:param technique => "T1609";
:param rollup => false;
:param include_deprecated => false;
:param include_building_blocks => false;
:param limit => 25;
MATCH (t:Technique {id: $technique})
OPTIONAL MATCH (sub:Technique)-[:SUBTECHNIQUE_OF]->(t)
WITH t, collect(sub) AS subs
WITH t, subs, CASE WHEN $rollup THEN [t] + subs ELSE [t] END AS scope
CALL (scope) {
  UNWIND scope AS s
  MATCH (s)<-[:DETECTS]-(r:Rule)
  WHERE ($include_deprecated OR NOT r.deprecated) AND ($include_building_blocks OR r.x_building_block_type IS NULL)
  RETURN collect(DISTINCT r) AS rules
}
CALL (rules) {
  UNWIND rules AS r
  MATCH (r)-[:USES_EVENT]->(e:Event)
  WITH e, count(DISTINCT r) AS n, collect(DISTINCT r.vendor) AS vendors
  ORDER BY n DESC, e.key
  RETURN collect({key: e.key, provider: e.provider, code: e.code, title: e.title, layer: e.layer, rules: n,
                  vendors: vendors})[..$limit] AS events
}
CALL (rules) {
  UNWIND rules AS r
  MATCH (r)-[h:HAS_PREDICATE]->(i:Indicator)
  WHERE NOT h.exclusion AND i.field IS NOT NULL AND i.field_kind <> 'aggregate'
  WITH i.field AS field, i.field_kind AS kind, r, i
  WITH field, kind, count(DISTINCT r) AS n, collect(DISTINCT r.vendor) AS vendors, collect(i) AS inds
  ORDER BY n DESC, field
  LIMIT $limit
  CALL (inds) {
    UNWIND inds AS i
    WITH i.operator AS op, count(*) AS uses ORDER BY uses DESC, op
    RETURN collect({operator: op, count: uses}) AS operators
  }
  CALL (inds) {
    UNWIND inds AS i
    WITH i WHERE i.value IS NOT NULL
    WITH i.value AS value, count(*) AS uses ORDER BY uses DESC, value
    RETURN collect(value)[..5] AS samples
  }
  RETURN collect({field: field, kind: kind, rules: n, vendors: vendors, operators: operators,
                  samples: samples}) AS fields
}
CALL (rules) {
  UNWIND rules AS r
  MATCH (r)-[h:HAS_PREDICATE]->(i:Indicator)
  WHERE NOT h.exclusion AND i.value IS NOT NULL AND i.field_kind <> 'aggregate' AND NOT i.context
  WITH i, count(DISTINCT r) AS here, collect(DISTINCT r.vendor) AS vendors
  ORDER BY here DESC, i.reach DESC, i.key
  LIMIT $limit
  RETURN collect({key: i.key, field: i.field, operator: i.operator, value: i.value, qualifiers: i.qualifiers,
                  rules: here, vendors: vendors, reach: i.reach, reach_sigma: i.reach_sigma,
                  reach_elastic: i.reach_elastic, reach_splunk: i.reach_splunk}) AS indicators
}
CALL (rules) {
  UNWIND rules AS r
  MATCH (r)-[h:HAS_PREDICATE {exclusion: true}]->(i:Indicator)
  WITH i, count(DISTINCT r) AS here, collect(DISTINCT r.vendor) AS vendors
  ORDER BY here DESC, i.reach DESC, i.key
  LIMIT $limit
  RETURN collect({key: i.key, field: i.field, operator: i.operator, value: i.value, qualifiers: i.qualifiers,
                  rules: here, vendors: vendors, reach: i.reach}) AS exclusions
}
CALL (rules) {
  UNWIND rules AS r
  WITH r ORDER BY r.vendor, r.title
  WITH r.vendor AS vendor, collect({uid: r.uid, title: r.title, severity: r.severity, language: r.language,
                                    predicates: r.predicate_count, robustness: r.robustness_level,
                                    robustness_layer: r.robustness_layer}) AS vendor_rules
  RETURN collect({vendor: vendor, count: size(vendor_rules), rules: vendor_rules}) AS by_vendor
}
CALL (scope, rules) {
  UNWIND scope AS s
  MATCH (s)-[:DETECTED_BY]->(:DetectionStrategy)-[:USES_ANALYTIC]->(:Analytic)-[:READS_LOG]->(l:LogSource)
  OPTIONAL MATCH (l)-[:MAPS_TO_EVENT]->(e:Event)
  WITH l, e, CASE WHEN e IS NULL THEN 0 ELSE size([r IN rules WHERE (r)-[:USES_EVENT]->(e)]) END AS used
  WITH l.name AS name, l.channel AS channel, collect(DISTINCT CASE WHEN e IS NULL THEN null ELSE
       {key: e.key, title: e.title, rules: used} END) AS events
  ORDER BY name, channel
  RETURN collect({log_source: name, channel: channel, events: events})[..$limit] AS recommended
}
RETURN t {.id, .name, .tactics, .platforms, .url, .is_subtechnique,
          subtechniques: [s IN subs | s.id], rolled_up: $rollup, rules: size(rules)} AS technique,
       events, fields, indicators, exclusions, by_vendor AS rules, recommended
