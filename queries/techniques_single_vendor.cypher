// ---
// title: Techniques only one vendor covers
// description: Active techniques that rules of exactly one vendor detect — where the other vendors could learn from that vendor's rules — with the vendor and its rule count.
// category: Coverage
// tags: [coverage, technique, vendor]
// parameters:
//   vendor: {type: string, format: vendor, example: sigma, description: "only techniques this vendor alone covers"}
//   limit: {type: integer, default: 1000, example: 50, minimum: 1, maximum: 5000}
// columns: [id, name, tactics, vendor, rules]
// ---
:param vendor => "sigma";
:param limit => 50;
MATCH (t:Technique)<-[:DETECTS]-(r:Rule)
WHERE NOT t.revoked AND NOT t.deprecated AND NOT r.deprecated AND r.x_building_block_type IS NULL
WITH t, collect(DISTINCT r.vendor) AS vendors, count(DISTINCT r) AS rules
WHERE size(vendors) = 1 AND ($vendor IS NULL OR vendors[0] = $vendor)
RETURN t.id AS id, t.name AS name, t.tactics AS tactics, vendors[0] AS vendor, rules
ORDER BY rules DESC, id
LIMIT $limit
