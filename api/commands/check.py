"""`detgraph check FILE...`: review draft rules against the whole loaded corpus (queries/review/)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from api.clikit import settings_of

__all__ = ["check"]

LANGUAGE_CHOICES = ("sigma", "kql", "eql", "esql", "lucene", "spl")  # queries.review.draft.LANGUAGES (tested)
FORMAT_CHOICES = ("table", "json", "md", "sarif")  # queries.review.formats.CHECK_FORMATS (tested)


def _read(path: str) -> str:
    """The text of a draft file (`-`: standard input); `BadDraft` when it cannot be read as UTF-8 text."""
    from graph_schema.errors import BadDraft
    from loader.walk import read_regular, text_reason, unreadable

    data = b""
    try:
        data = sys.stdin.buffer.read() if path == "-" else read_regular(Path(path))
        return data.decode("utf-8-sig")
    except OSError as exc:
        raise BadDraft(f"{path}: {unreadable(exc)}") from None
    except UnicodeDecodeError as exc:
        raise BadDraft(f"{path}: {text_reason(exc, data)}") from None


@click.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--language", type=click.Choice(LANGUAGE_CHOICES),
              help="The files are bare query text in this language (else: Sigma YAML, Elastic TOML, Splunk ESCU YAML).")
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="table", show_default=True)
@click.option("--fail-on", type=click.Choice(["warning", "error"]), default="error", show_default=True,
              help="Exit 1 when a finding is this severe or worse.")
@click.option("--ecs", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The ECS flat schema (default: the one the graph was loaded with).")
@click.pass_context
def check(ctx: click.Context, files: tuple[str, ...], language: str | None, fmt: str, fail_on: str,
          ecs: Path | None) -> None:
    """Review draft rules against every loaded rule: noise, missing exclusions, near-duplicates, field and
    event fit, tagging and robustness. Nothing is written to the graph.

    Exit 0 when clean, 1 when a finding reaches --fail-on, 2 on bad input.

    \b
    Example:
      detgraph check my_rule.yml
      detgraph check rules/*.toml --format sarif --fail-on warning > check.sarif
      echo 'process.name : "cmd.exe"' | detgraph check - --language kql
    """
    from queries.review.draft import read_draft

    drafts = [read_draft(_read(f), f, language) for f in files]  # bad input fails here, before connecting
    from graph_schema.db import open_driver
    from queries.review.findings import at_least
    from queries.review.formats import render_review
    from queries.review.report import review

    s = settings_of(ctx)
    with open_driver(s) as driver:
        result = review(drafts, driver, s.neo4j_database, ecs)
    click.echo(render_review(result, fmt).rstrip("\n"))
    worst = result.worst()
    if worst is not None and at_least(worst, fail_on):
        sys.exit(1)
