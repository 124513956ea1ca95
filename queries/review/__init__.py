"""Reviewing a draft rule against the whole corpus (`detgraph check`, `POST /api/v1/rules/check`).

- `draft.py`: `read_draft` decides a draft's format (bad input: `BadDraft`, exit 2), `parse_draft` parses it
  with its vendor's loader exactly as a load does;
- `report.py`: `review` normalizes it as the load did (`Meta {key: 'normalization'}`), runs every check and
  returns a `Review` whose `to_dict()` is the JSON of both the CLI and the API; `check_text` is the one
  call a web endpoint needs;
- `checks.py`: the checks and their thresholds; `corpus.py`: the graph questions (saved queries only,
  nothing is written); `findings.py`: finding kinds and severities; `formats.py`: table, Markdown, SARIF.

Nothing is imported here, so that `detgraph --help` stays free of the driver and the parsers.
"""
