"""Splitting SPL into pipeline stages (loader/splunk/pipeline.py)."""
from __future__ import annotations

from loader.splunk.pipeline import split_pipeline, subsearches


def test_pipeline_split_ignores_pipes_in_quotes_and_brackets():
    text = 'a="x|y" | join id [search b=1 | stats count] | where c="|"'
    stages = split_pipeline(text)
    assert [s.command for s in stages] == ["search", "join", "where"]
    assert stages[1].args.strip() == "id [search b=1 | stats count]"
    assert stages[2].args.strip() == 'c="|"'


def test_pipeline_split_offsets_point_at_args():
    text = '| tstats count where x=1 |  where y=2'
    for stage in split_pipeline(text, base=100):
        assert text[stage.offset - 100 :].startswith(stage.args)
    assert [s.index for s in split_pipeline(text)] == [1, 2]


def test_pipeline_split_first_bare_stage_is_search_unless_generating():
    assert split_pipeline("index=main foo")[0].command == "search"
    assert split_pipeline("search index=main")[0].args.strip() == "index=main"
    assert split_pipeline(" mstats avg(x) where index=m")[0].command == "mstats"


def test_pipeline_split_skips_empty_stages():
    stages = split_pipeline("a=1 |   | stats count |")
    assert [s.command for s in stages] == ["search", "stats"]
    assert stages[1].index == 2


def test_pipeline_subsearches_are_top_level_brackets():
    text = 'join x [search a=1 [search b=2]] | append [ search c="]" ]'
    spans = subsearches(text)
    assert [text[s:e] for s, e in spans] == ["search a=1 [search b=2]", ' search c="]" ']
