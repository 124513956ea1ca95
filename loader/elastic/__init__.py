"""Elastic detection-rules loader: TOML rules with KQL, Lucene, EQL and ES|QL queries."""
from __future__ import annotations

from loader.elastic.reader import ElasticLoader

__all__ = ["ElasticLoader"]
