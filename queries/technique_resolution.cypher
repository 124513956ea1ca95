// ---
// title: How technique ids resolve
// description: Every technique id in the graph with the active technique it stands for — itself, the replacement of a revoked id (following REVOKED_BY), or none for a deprecated one. The loader links rule tags through it.
// category: Techniques
// tags: [technique, attack, revoked]
// parameters: {}
// columns: [id, revoked, deprecated, replacement]
// ---
MATCH (t:Technique)
OPTIONAL MATCH (t)-[:REVOKED_BY*1..5]->(r:Technique) WHERE NOT r.revoked AND NOT r.deprecated
RETURN t.id AS id, t.revoked AS revoked, t.deprecated AS deprecated, collect(r.id)[0] AS replacement
ORDER BY id
