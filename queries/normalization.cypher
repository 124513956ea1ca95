// ---
// title: Normalization of the load
// description: What the last load normalized with — the version of the field maps, event catalog, robustness table and ECS schema (a rule is rewritten when it changes), the ECS schema's path and where each vendor's corpus was read (`root_<vendor>`) — so that `detgraph check` normalizes a draft exactly as the load did.
// category: Review
// tags: [normalization, meta, review]
// columns: [version, ecs_path, roots]
// ---
MATCH (m:Meta {key: 'normalization'})
RETURN m.version AS version, m.ecs_path AS ecs_path,
       [k IN keys(m) WHERE k STARTS WITH 'root_' | [substring(k, 5), m[k]]] AS roots
