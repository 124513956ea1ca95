// ---
// title: ATT&CK Navigator layer data
// description: Per active technique with rules, the rules per vendor, the vendors, and the catalog events the rules read — what `detgraph export navigator` turns into an ATT&CK Navigator layer (format 4.5), optionally for one vendor. Deprecated and building-block rules are left out.
// category: Coverage
// tags: [navigator, coverage, layer, export]
// parameters:
//   vendor: {type: string, format: vendor, example: elastic, description: "only this vendor's rules"}
// columns: [id, tactics, rules, sigma, elastic, splunk, vendors, events]
// ---
:param vendor => "elastic";
MATCH (t:Technique)<-[:DETECTS]-(r:Rule)
WHERE NOT t.revoked AND NOT t.deprecated AND NOT r.deprecated AND r.x_building_block_type IS NULL
  AND ($vendor IS NULL OR r.vendor = $vendor)
WITH t, collect(r) AS rules, collect(r.vendor) AS rule_vendors
CALL (rules) {
  UNWIND rules AS r
  UNWIND r.event_keys AS k  // the keys of the rule's USES_EVENT events, stored by the load
  RETURN collect(DISTINCT k) AS events
}
RETURN t.id AS id, t.tactics AS tactics, size(rules) AS rules,
       size([v IN rule_vendors WHERE v = 'sigma']) AS sigma, size([v IN rule_vendors WHERE v = 'elastic']) AS elastic,
       size([v IN rule_vendors WHERE v = 'splunk']) AS splunk,
       [v IN ['sigma', 'elastic', 'splunk'] WHERE v IN rule_vendors] AS vendors, events
ORDER BY id
