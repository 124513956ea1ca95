// ---
// title: Event
// description: One telemetry event — its provider, layer and the fields it carries — with the techniques and rules that depend on it, per vendor, and the ATT&CK v18 log sources that name it. The what-if of one event — every rule listed reads it.
// category: Events
// tags: [event, telemetry, techniques, what-if]
// parameters:
//   event: {type: string, format: event, required: true, example: "sysmon:1", description: "event key (provider:code)"}
//   limit: {type: integer, default: 100, example: 50, minimum: 1, maximum: 5000, description: "rules and techniques listed"}
// columns: [event, techniques, rules, attack_log_sources]
// ---
:param event => "sysmon:1";
:param limit => 50;
MATCH (e:Event {key: $event})
OPTIONAL MATCH (e)-[:FROM_PROVIDER]->(p:Provider)
CALL (e) {
  OPTIONAL MATCH (e)<-[:USES_EVENT]-(r:Rule)-[:DETECTS]->(t:Technique) WHERE NOT r.deprecated
  WITH t, count(DISTINCT r) AS rules, collect(DISTINCT r.vendor) AS vendors WHERE t IS NOT NULL
  ORDER BY rules DESC, t.id
  RETURN collect({id: t.id, name: t.name, rules: rules, vendors: vendors}) AS techniques
}
CALL (e) {
  OPTIONAL MATCH (e)<-[:USES_EVENT]-(r:Rule) WHERE NOT r.deprecated
  WITH r ORDER BY r.vendor, r.title
  WITH [x IN collect({uid: r.uid, vendor: r.vendor, title: r.title, techniques: r.technique_ids,
                      only_event: COUNT { (r)-[:USES_EVENT]->() } = 1}) WHERE x.uid IS NOT NULL] AS rules
  RETURN rules
}
CALL (e) {
  OPTIONAL MATCH (l:LogSource)-[:MAPS_TO_EVENT]->(e)
  WITH l ORDER BY l.name, l.channel
  RETURN [x IN collect({name: l.name, channel: l.channel, analytics: COUNT { (l)<-[:READS_LOG]-() }})
          WHERE x.name IS NOT NULL] AS attack_log_sources
}
RETURN e {.key, .provider, .code, .title, .layer, .platform, .aliases, .fields, provider_title: p.title,
          rules: size(rules), rules_sigma: size([r IN rules WHERE r.vendor = 'sigma']),
          rules_elastic: size([r IN rules WHERE r.vendor = 'elastic']),
          rules_splunk: size([r IN rules WHERE r.vendor = 'splunk']),
          techniques: size(techniques), rules_only_this_event: size([r IN rules WHERE r.only_event])} AS event,
       techniques[..$limit] AS techniques, rules[..$limit] AS rules, attack_log_sources
