// ---
// title: Coverage — techniques by vendor
// description: Every active ATT&CK technique (optionally of one tactic) with its rule count per vendor and in total — the techniques × vendors matrix. Deprecated and building-block rules are not counted.
// category: Coverage
// tags: [coverage, technique, vendor, matrix]
// parameters:
//   tactic: {type: string, format: tactic, example: execution, description: "tactic shortname or id"}
//   include_subtechniques: {type: boolean, default: true, example: true}
// columns: [id, name, tactics, sigma, elastic, splunk, total, vendors]
// ---
:param tactic => "execution";
:param include_subtechniques => true;
MATCH (t:Technique)
WHERE NOT t.revoked AND NOT t.deprecated AND ($include_subtechniques OR NOT t.is_subtechnique)
  AND ($tactic IS NULL OR EXISTS { (t)-[:BELONGS_TO]->(ta:Tactic) WHERE ta.shortname = $tactic OR ta.id = $tactic })
CALL (t) {
  OPTIONAL MATCH (t)<-[:DETECTS]-(r:Rule) WHERE NOT r.deprecated AND r.x_building_block_type IS NULL
  RETURN count(CASE r.vendor WHEN 'sigma' THEN 1 END) AS sigma, count(CASE r.vendor WHEN 'elastic' THEN 1 END) AS elastic,
         count(CASE r.vendor WHEN 'splunk' THEN 1 END) AS splunk, count(r) AS total
}
RETURN t.id AS id, t.name AS name, t.tactics AS tactics, sigma, elastic, splunk, total,
       size([n IN [sigma, elastic, splunk] WHERE n > 0]) AS vendors
ORDER BY id
