// ---
// title: Graph generation
// description: "The random id the last load left on the graph (the generation of Meta {key: 'graph'}), new whenever a load runs, so a reader that caches answers (the API) knows when to drop them."
// category: Service
// tags: [service, cache]
// columns: [generation]
// ---
MATCH (m:Meta {key: 'graph'})
RETURN m.generation AS generation
