// ---
// title: Robustness per vendor
// description: How many rules of each vendor sit at each robustness level (1 ephemeral values ... 5 core to the technique, after Summiting the Pyramid; docs/robustness.md), how many have an event layer known, and how many exclude something an attacker satisfies cheaply.
// category: Robustness
// tags: [robustness, distribution, vendor]
// parameters:
//   include_deprecated: {type: boolean, default: false, example: false, description: "count deprecated rules too"}
// columns: [vendor, rules, level_1, level_2, level_3, level_4, level_5, with_layer, with_bypassable_exclusion]
// ---
:param include_deprecated => false;
MATCH (r:Rule)
WHERE $include_deprecated OR NOT r.deprecated
// one pass over the rules, each property read once (exclusion_count: the load's count of its exclusion predicates)
WITH r.vendor AS vendor, r.robustness_level AS level, r.robustness_layer IS NOT NULL AS layered,
     CASE WHEN r.exclusion_count > 0
          THEN EXISTS { (r)-[:HAS_PREDICATE {exclusion: true}]->(:Indicator {bypassable: true}) } ELSE false END
       AS bypassable
RETURN vendor, count(*) AS rules,
       sum(CASE WHEN level = 1 THEN 1 ELSE 0 END) AS level_1,
       sum(CASE WHEN level = 2 THEN 1 ELSE 0 END) AS level_2,
       sum(CASE WHEN level = 3 THEN 1 ELSE 0 END) AS level_3,
       sum(CASE WHEN level = 4 THEN 1 ELSE 0 END) AS level_4,
       sum(CASE WHEN level = 5 THEN 1 ELSE 0 END) AS level_5,
       sum(CASE WHEN layered THEN 1 ELSE 0 END) AS with_layer,
       sum(CASE WHEN bypassable THEN 1 ELSE 0 END) AS with_bypassable_exclusion
ORDER BY vendor
