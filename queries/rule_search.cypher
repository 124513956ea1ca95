// ---
// title: Search rules
// description: Full-text search over rule titles and descriptions (Lucene syntax as Neo4j's full-text index reads it; a plain word list works), best match first, optionally for one vendor — with each rule's techniques.
// category: Rules
// tags: [rule, search, full-text]
// parameters:
//   text: {type: string, required: true, example: "kubectl exec", description: "words to find"}
//   vendor: {type: string, format: vendor, example: elastic, description: "only this vendor"}
//   include_deprecated: {type: boolean, default: false, example: false}
//   limit: {type: integer, default: 25, example: 10, minimum: 1, maximum: 500}
// columns: [uid, vendor, title, techniques, score]
// ---
:param text => "kubectl exec";
:param vendor => "elastic";
:param include_deprecated => false;
:param limit => 10;
CALL db.index.fulltext.queryNodes('rule_text', $text) YIELD node AS r, score
WHERE ($vendor IS NULL OR r.vendor = $vendor) AND ($include_deprecated OR NOT r.deprecated)
RETURN r.uid AS uid, r.vendor AS vendor, r.title AS title, r.technique_ids AS techniques, round(score, 3) AS score
ORDER BY score DESC, uid
LIMIT $limit
