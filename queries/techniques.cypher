// ---
// title: Techniques
// description: ATT&CK techniques (active, not revoked or deprecated) with how many rules of each vendor detect them — filter by tactic, by a text in the id or name, or to the techniques a vendor covers. Deprecated and building-block rules are not counted.
// category: Techniques
// tags: [technique, coverage, list]
// parameters:
//   tactic: {type: string, format: tactic, example: execution, description: "tactic shortname or id (TA0002)"}
//   search: {type: string, example: container, description: "text in the technique id or name"}
//   vendor: {type: string, format: vendor, example: sigma, description: "only techniques this vendor has rules for"}
//   limit: {type: integer, default: 100, example: 20, minimum: 1, maximum: 1000}
//   offset: {type: integer, default: 0, example: 0, minimum: 0, maximum: 100000}
// columns: [id, name, tactics, is_subtechnique, rules, sigma, elastic, splunk]
// ---
:param tactic => "execution";
:param search => "container";
:param vendor => "sigma";
:param limit => 20;
:param offset => 0;
MATCH (t:Technique)
WHERE NOT t.revoked AND NOT t.deprecated
  AND ($tactic IS NULL OR EXISTS { (t)-[:BELONGS_TO]->(ta:Tactic) WHERE ta.shortname = $tactic OR ta.id = $tactic })
  AND ($search IS NULL OR toLower(t.id) CONTAINS toLower($search) OR toLower(t.name) CONTAINS toLower($search))
CALL (t) {
  OPTIONAL MATCH (t)<-[:DETECTS]-(r:Rule) WHERE NOT r.deprecated AND r.x_building_block_type IS NULL
  RETURN count(r) AS rules, count(CASE r.vendor WHEN 'sigma' THEN 1 END) AS sigma,
         count(CASE r.vendor WHEN 'elastic' THEN 1 END) AS elastic, count(CASE r.vendor WHEN 'splunk' THEN 1 END) AS splunk
}
WITH t, rules, sigma, elastic, splunk
WHERE $vendor IS NULL OR ($vendor = 'sigma' AND sigma > 0) OR ($vendor = 'elastic' AND elastic > 0)
   OR ($vendor = 'splunk' AND splunk > 0)
RETURN t.id AS id, t.name AS name, t.tactics AS tactics, t.is_subtechnique AS is_subtechnique,
       rules, sigma, elastic, splunk
ORDER BY id
SKIP $offset LIMIT $limit
