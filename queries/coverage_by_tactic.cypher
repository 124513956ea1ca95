// ---
// title: Coverage — tactics by vendor
// description: For each ATT&CK tactic in matrix order, how many of its active techniques (and sub-techniques) have at least one rule, per vendor and by any vendor, and how many rules each vendor has there — the tactic × vendor heat map.
// category: Coverage
// tags: [coverage, tactic, vendor, matrix]
// parameters:
//   include_subtechniques: {type: boolean, default: true, example: true}
// columns: [tactic, name, order, techniques, covered, covered_sigma, covered_elastic, covered_splunk, rules_sigma, rules_elastic, rules_splunk]
// ---
:param include_subtechniques => true;
MATCH (ta:Tactic)
CALL (ta) {
  MATCH (ta)<-[:BELONGS_TO]-(t:Technique)
  WHERE NOT t.revoked AND NOT t.deprecated AND ($include_subtechniques OR NOT t.is_subtechnique)
  CALL (t) {
    OPTIONAL MATCH (t)<-[:DETECTS]-(r:Rule) WHERE NOT r.deprecated AND r.x_building_block_type IS NULL
    RETURN count(CASE r.vendor WHEN 'sigma' THEN 1 END) AS s, count(CASE r.vendor WHEN 'elastic' THEN 1 END) AS e,
           count(CASE r.vendor WHEN 'splunk' THEN 1 END) AS p
  }
  RETURN count(t) AS techniques, count(CASE WHEN s + e + p > 0 THEN 1 END) AS covered,
         count(CASE WHEN s > 0 THEN 1 END) AS covered_sigma, count(CASE WHEN e > 0 THEN 1 END) AS covered_elastic,
         count(CASE WHEN p > 0 THEN 1 END) AS covered_splunk, sum(s) AS rules_sigma, sum(e) AS rules_elastic,
         sum(p) AS rules_splunk
}
RETURN ta.shortname AS tactic, ta.name AS name, ta.order AS order, techniques, covered, covered_sigma, covered_elastic,
       covered_splunk, rules_sigma, rules_elastic, rules_splunk
ORDER BY order
