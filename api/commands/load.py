"""`detgraph load` and `detgraph fetch`: read the corpora into the graph.

The `--<corpus>` options come from the corpus registry (loader/vendors.py); the pipeline and the parsers
are imported when the command runs.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from api.clikit import settings_of
from loader.fetch import UPSTREAMS
from loader.vendors import ATTACK, CORPORA, VENDORS

__all__ = ["load", "fetch_command"]

PATH = click.Path(exists=True, path_type=Path)


def _corpus_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """One `--<name> PATH` option per corpus of the registry, in its order."""
    for corpus in reversed(CORPORA.values()):
        command = click.option(corpus.option, corpus.name, type=PATH, help=corpus.help)(command)
    return command


@click.command()
@_corpus_options
@click.option("--attack-version", help="ATT&CK release of the bundle (e.g. 18.1) when the bundle does not name it.")
@click.option("--ecs", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="ECS 9.5 flat schema (ecs_flat.json.gz) for canonical fields (default: the --elastic checkout's).")
@click.option("--partial-load", is_flag=True,
              help="Keep rules that are missing from this input (default: a full reload removes them).")
@click.option("--force", is_flag=True, help="Rewrite every rule, even unchanged ones.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to save the JSON report (default: <state dir>/load-report.json).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.pass_context
def load(ctx: click.Context, attack_version: str | None, ecs: Path | None, partial_load: bool, force: bool,
         report_path: Path | None, quiet: bool, **paths: Path | None) -> None:
    """Load ATT&CK and rule corpora into Neo4j (paths default to [corpora] in detgraph.toml).

    \b
    Example:
      detgraph load --attack ../shared/corpora/attack/enterprise-attack.json.gz \\
                    --sigma ../shared/corpora/sigma --elastic ../shared/corpora/elastic \\
                    --splunk ../shared/corpora/splunk
    """
    from graph_schema.db import open_driver
    from graph_schema.field_catalog import ecs_schema_path
    from loader.pipeline import run_load

    s = settings_of(ctx)
    corpora = {k: v for k, v in paths.items() if v is not None and k in VENDORS}
    attack = paths.get(ATTACK.name)
    if not corpora and attack is None:  # nothing on the command line: use detgraph.toml / env
        corpora = {k: s.corpora[k] for k in VENDORS if k in s.corpora}
        attack = s.corpora.get(ATTACK.name)
    if not corpora and attack is None:
        options = "/".join(c.option for c in CORPORA.values())
        raise click.UsageError(f"nothing to load: pass {options} or set [corpora] in detgraph.toml")
    # ECS: --ecs, else the settings' (DETGRAPH_ECS, [corpora] ecs), else the Elastic corpus's own copy
    ecs = ecs or s.corpora.get("ecs")
    if ecs is None and "elastic" not in corpora and "elastic" in s.corpora:
        ecs = ecs_schema_path(s.corpora["elastic"])
    with open_driver(s) as driver:
        report = run_load(driver, s.neo4j_database, attack=attack, attack_version=attack_version,
                          corpora=corpora, ecs=ecs, full=not partial_load, force=force, show_progress=not quiet)
    path = report_path or s.state_dir / "load-report.json"
    report.save(path)
    click.echo(report.summary())
    click.echo(f"report: {path}")


@click.command("fetch")
@click.argument("names", nargs=-1, type=click.Choice(sorted(UPSTREAMS)))
@click.pass_context
def fetch_command(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Clone or update upstream repositories into the cache (URLs from [upstreams] in detgraph.toml).

    \b
    Example:
      detgraph fetch sigma elastic     # then: detgraph load --sigma ~/.cache/detgraph/corpora/sigma
    """
    from loader.fetch import fetch

    s = settings_of(ctx)
    for repo in fetch(s.cache_dir, list(names or sorted(UPSTREAMS)), s.upstreams):
        click.echo(f"{repo.name}: {repo.action} {repo.url} at {repo.commit[:12]} -> {repo.load_path}")
