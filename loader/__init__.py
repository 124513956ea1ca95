"""Reads detection-rule corpora into the shared rule model and writes them to Neo4j."""
