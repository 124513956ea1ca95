// ---
// title: Find a rule by id
// description: Rules whose graph uid (vendor:rule_id) or vendor rule id is the given id — one row per match, so an id two vendors share is seen as ambiguous.
// category: Rules
// tags: [rule, lookup]
// parameters:
//   id: {type: string, format: rule, required: true, example: "a1b0ca4e-7835-413e-8471-3ff2b8a66be6", description: "a rule id, or vendor:rule_id"}
// columns: [uid, vendor, title]
// ---
:param id => "a1b0ca4e-7835-413e-8471-3ff2b8a66be6";
MATCH (r:Rule) WHERE r.uid = $id OR r.rule_id = $id
RETURN r.uid AS uid, r.vendor AS vendor, r.title AS title
ORDER BY uid
