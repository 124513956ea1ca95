// ---
// title: Similar rules
// description: The rules, of any vendor, whose canonical selection indicators overlap one rule's (or a draft's) the most — Jaccard similarity of the two sets, with the count shared — so a rule is seen beside its near-duplicates in other repositories. Telemetry-selection indicators (event.category, host.os.type...) do not count.
// category: Rules
// tags: [rule, similarity, duplicates, cross-vendor]
// parameters:
//   uid: {type: string, format: rule, example: "elastic:3b47900d-e793-49e8-968f-c90dc3526aa1", description: "the rule (or give `indicators`)"}
//   indicators: {type: list, format: indicator, default: [], example: [], description: "a draft's selection indicator keys"}
//   other_vendors: {type: boolean, default: false, example: false, description: "only rules of other vendors"}
//   min_jaccard: {type: float, default: 0.2, example: 0.2, minimum: 0, maximum: 1}
//   limit: {type: integer, default: 10, example: 10, minimum: 1, maximum: 200}
// columns: [uid, vendor, title, jaccard, shared, size]
// ---
:param uid => "elastic:3b47900d-e793-49e8-968f-c90dc3526aa1";
:param indicators => [];
:param other_vendors => false;
:param min_jaccard => 0.2;
:param limit => 10;
OPTIONAL MATCH (me:Rule {uid: $uid})
CALL (me) {
  OPTIONAL MATCH (me)-[h:HAS_PREDICATE]->(i:Indicator)
  WHERE NOT h.exclusion AND NOT i.context AND i.field_kind <> 'aggregate'
  WITH collect(DISTINCT i.key) + $indicators AS keys
  UNWIND keys AS k
  RETURN collect(DISTINCT k) AS mine
}
UNWIND mine AS key
MATCH (:Indicator {key: key})<-[h:HAS_PREDICATE]-(other:Rule)
WHERE NOT h.exclusion AND NOT other.deprecated AND (me IS NULL OR other <> me)
  AND (NOT $other_vendors OR me IS NULL OR other.vendor <> me.vendor)
WITH mine, other, count(DISTINCT key) AS shared
WITH other, shared, 1.0 * shared / (size(mine) + other.selection_indicators - shared) AS jaccard
WHERE jaccard >= $min_jaccard
RETURN other.uid AS uid, other.vendor AS vendor, other.title AS title, round(jaccard, 3) AS jaccard, shared,
       other.selection_indicators AS size
ORDER BY jaccard DESC, shared DESC, uid
LIMIT $limit
