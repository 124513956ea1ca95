// ---
// title: Vendor field spellings
// description: How one vendor's rules spell fields (per logsource for Sigma, where `Image` of process_creation is not `Image` of image_load), the canonical fields each spelling maps to and how many rules write it so — to find the spelling other rules use for a misspelled one (`Commandline` vs `CommandLine`).
// category: Review
// tags: [fields, vendor, spelling, review, typo]
// parameters:
//   vendor: {type: string, format: vendor, required: true, example: sigma}
//   logsource: {type: string, example: process_creation, description: "Sigma: only this logsource scope (category, else service, else product)"}
//   limit: {type: integer, default: 5000, example: 20, minimum: 1, maximum: 20000}
// columns: [name, key, fields, rules]
// ---
:param vendor => "sigma";
:param logsource => "process_creation";
:param limit => 20;
MATCH (vf:VendorField {vendor: $vendor})
WHERE $logsource IS NULL OR vf.logsource = $logsource
CALL (vf) {
  OPTIONAL MATCH (vf)-[:MAPS_TO]->(f:Field)
  RETURN collect(DISTINCT f.name) AS fields
}
CALL (vf) {
  OPTIONAL MATCH (vf)<-[:WRITTEN_AS]-(:Indicator)<-[h:HAS_PREDICATE]-(r:Rule)
  WHERE h.vendor_field = vf.key AND NOT r.deprecated
  RETURN count(DISTINCT r) AS rules
}
RETURN vf.name AS name, vf.key AS key, fields, rules
ORDER BY rules DESC, name
LIMIT $limit
