// ---
// title: Cross-vendor near-duplicates
// description: Pairs of rules from different vendors (or any two, on request) that test nearly the same canonical indicators — the same detection written twice — by Jaccard similarity, from the neighbours each load computes (each rule's ten closest at 0.3 or more).
// category: Rules
// tags: [rule, similarity, duplicates, cross-vendor]
// parameters:
//   min_jaccard: {type: float, default: 0.6, example: 0.6, minimum: 0.3, maximum: 1}
//   same_vendor: {type: boolean, default: false, example: false, description: "also pairs of one vendor"}
//   vendor: {type: string, format: vendor, example: sigma, description: "pairs with a rule of this vendor"}
//   min_shared: {type: integer, default: 2, example: 2, minimum: 1, maximum: 1000, description: "indicators the two share at least"}
//   limit: {type: integer, default: 50, example: 20, minimum: 1, maximum: 5000}
// columns: [a_uid, a_vendor, a_title, b_uid, b_vendor, b_title, jaccard, shared]
// ---
:param min_jaccard => 0.6;
:param same_vendor => false;
:param vendor => "sigma";
:param min_shared => 2;
:param limit => 20;
MATCH (a:Rule)-[s:SIMILAR_TO]->(b:Rule)
WHERE s.jaccard >= $min_jaccard AND s.shared >= $min_shared AND ($same_vendor OR a.vendor <> b.vendor)
  AND ($vendor IS NULL OR a.vendor = $vendor OR b.vendor = $vendor)
RETURN a.uid AS a_uid, a.vendor AS a_vendor, a.title AS a_title, b.uid AS b_uid, b.vendor AS b_vendor,
       b.title AS b_title, s.jaccard AS jaccard, s.shared AS shared
ORDER BY jaccard DESC, shared DESC, a_uid, b_uid
LIMIT $limit
