// ---
// title: Telemetry events
// description: The events of the telemetry catalog (Sysmon, Windows Security, ESF, auditd, Elastic Defend, Kubernetes audit, CloudTrail...) with the rules of each vendor that read them and the techniques those rules detect; filter by provider or platform, or keep only events some rule reads.
// category: Events
// tags: [event, telemetry, coverage]
// parameters:
//   provider: {type: string, example: sysmon, description: "provider id"}
//   platform: {type: string, example: windows, choices: [windows, linux, macos, cloud, saas, network, container, any]}
//   used: {type: boolean, default: false, example: true, description: "only events some rule reads"}
//   limit: {type: integer, default: 200, example: 50, minimum: 1, maximum: 5000}
// columns: [key, provider, code, title, layer, rules, sigma, elastic, splunk, techniques]
// ---
:param provider => "sysmon";
:param platform => "windows";
:param used => true;
:param limit => 50;
MATCH (e:Event)
WHERE ($provider IS NULL OR e.provider = $provider) AND ($platform IS NULL OR e.platform = $platform)
CALL (e) {
  OPTIONAL MATCH (e)<-[:USES_EVENT]-(r:Rule) WHERE NOT r.deprecated
  WITH collect(r) AS rules
  RETURN rules, COUNT { MATCH (e)<-[:USES_EVENT]-(x:Rule)-[:DETECTS]->(t:Technique) WHERE NOT x.deprecated
                        RETURN DISTINCT t } AS techniques
}
WITH e, rules, techniques WHERE NOT $used OR size(rules) > 0
RETURN e.key AS key, e.provider AS provider, e.code AS code, e.title AS title, e.layer AS layer, size(rules) AS rules,
       size([r IN rules WHERE r.vendor = 'sigma']) AS sigma, size([r IN rules WHERE r.vendor = 'elastic']) AS elastic,
       size([r IN rules WHERE r.vendor = 'splunk']) AS splunk, techniques
ORDER BY rules DESC, key
LIMIT $limit
