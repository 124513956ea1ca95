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
WITH r.vendor AS vendor, collect(r) AS rules
RETURN vendor, size(rules) AS rules,
       size([r IN rules WHERE r.robustness_level = 1]) AS level_1,
       size([r IN rules WHERE r.robustness_level = 2]) AS level_2,
       size([r IN rules WHERE r.robustness_level = 3]) AS level_3,
       size([r IN rules WHERE r.robustness_level = 4]) AS level_4,
       size([r IN rules WHERE r.robustness_level = 5]) AS level_5,
       size([r IN rules WHERE r.robustness_layer IS NOT NULL]) AS with_layer,
       size([r IN rules WHERE EXISTS { (r)-[:HAS_PREDICATE {exclusion: true}]->(:Indicator {bypassable: true}) }])
         AS with_bypassable_exclusion
ORDER BY vendor
