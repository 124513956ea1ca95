"""A hostile corpus for the reliability tests: every kind of bad input beside a few good rules of each vendor.

`write_corpus(root)` writes a Sigma, an Elastic and a Splunk corpus below `root` and returns what each file
must become: `good` (a rule that loads clean), `partial` (a rule that loads with issues), `failure` (no
rule: the file is in the report's failures with a reason), `duplicate` (a second file with a rule id
already loaded: a failure too), `support` (a Splunk macro or data-source file that is reported), `macro`
(a good Splunk macro: no rule of its own, always written).
`kinds` picks which files are written: the good and partial ones alone make the graph a hostile load
must end in.

Oversized values (a 5 MB Sigma value, a 10 KB Elastic title: kind `oversize`, loaded whole; a 10 KB rule id:
kind `refused`, over the unique index's key limit) are written only with `oversize=True` (defect 1 of issue #14:
separately), so they get a corpus run of their own.
"""
from __future__ import annotations

import os
import random
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
KINDS = ("good", "partial", "failure", "duplicate", "support", "macro")

_TACTIC = ('[rule.threat.tactic]\nid = "TA0002"\nname = "Execution"\n'
           'reference = "https://attack.mitre.org/tactics/TA0002/"\n')


def sigma_rule(n: int, *, title: str | None = None, value: str | None = None, rule_id: str | None = None) -> str:
    """A small good Sigma rule (number `n`), optionally with a given title, selection value or id."""
    return f"""title: {title or f'Hostile Corpus Good Rule {n}'}
id: {rule_id or f'6f0e0000-0000-4000-8000-0000000000{n:02d}'}
status: test
description: A good rule beside the hostile ones.
author: detgraph tests
date: 2026-01-01
tags:
    - attack.execution
    - attack.t1059.001
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\\good{n}.exe'
        CommandLine|contains: '{value or f'good {n}'}'
    filter:
        User: SYSTEM
    condition: selection and not filter
level: medium
"""


def elastic_rule(n: int, *, language: str = "kuery", query: str | None = None, title: str | None = None,
                 rule_id: str | None = None) -> str:
    """A small good Elastic rule (number `n`) in `language`, optionally with a given query, title or id."""
    queries = {"kuery": f'process.name : "good{n}.exe" and not user.name : "SYSTEM"',
               "eql": f'process where process.name == "good{n}.exe" and not user.name == "SYSTEM"',
               "esql": f'FROM logs-endpoint.events.process-* | WHERE process.name == "good{n}.exe"'}
    kind = {"kuery": "query", "eql": "eql", "esql": "esql"}[language]
    return f"""[metadata]
creation_date = "2026/01/01"
maturity = "production"
updated_date = "2026/01/02"

[rule]
author = ["detgraph tests"]
description = "A good rule beside the hostile ones."
index = ["logs-endpoint.events.process-*"]
language = "{language}"
license = "Elastic License v2"
name = "{title or f'Hostile Corpus Good Rule {n}'}"
risk_score = 21
rule_id = "{rule_id or f'6f0e0000-0000-4000-8000-0000000001{n:02d}'}"
severity = "low"
tags = ["Domain: Endpoint"]
type = "{kind}"
query = '''
{query if query is not None else queries[language]}
'''

[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1609"
name = "Container Administration Command"
reference = "https://attack.mitre.org/techniques/T1609/"

{_TACTIC}"""


def splunk_rule(n: int, *, search: str | None = None, rule_id: str | None = None) -> str:
    """A small good ESCU detection (number `n`), optionally with a given search or id."""
    spl = search or (f"| tstats `security_content_summariesonly` count min(_time) as firstTime "
                     f"from datamodel=Endpoint.Processes where `process_powershell` Processes.process=\"*good{n}*\" "
                     f"by Processes.dest | `drop_dm_object_name(Processes)` | `security_content_ctime(firstTime)` "
                     f"| `hostile_good_{n}_filter`")
    return f"""name: Hostile Corpus Good Rule {n}
id: {rule_id or f'6f0e0000-0000-4000-8000-0000000002{n:02d}'}
version: 1
date: '2026-01-01'
author: detgraph tests
status: production
type: TTP
description: A good rule beside the hostile ones.
data_source:
- Sysmon EventID 1
search: '{spl.replace("'", "''")}'
how_to_implement: Ingest process events.
known_false_positives: none
references:
- https://example.invalid/good
tags:
  analytic_story:
  - Hostile Corpus
  asset_type: Endpoint
  mitre_attack_id:
  - T1059.001
  product:
  - Splunk Enterprise
  security_domain: endpoint
"""


def _junk(seed: int, size: int = 4096) -> bytes:
    return random.Random(seed).randbytes(size)


def _nest(depth: int, table: bool) -> str:
    return ("{a = " * depth + "1" + "}" * depth) if table else ("[" * depth + "]" * depth)


@dataclass(slots=True)
class Case:
    """One file of the hostile corpus and what the load must make of it."""

    vendor: str
    path: str  # relative to the vendor's corpus root
    kind: str  # one of KINDS
    why: str
    content: bytes | None = None  # None: `special` makes it
    special: str | None = None  # fifo | selflink | dangling | loop


@dataclass(slots=True)
class HostileCorpus:
    """The corpus roots per vendor and every case written."""

    roots: dict[str, Path]
    cases: list[Case] = field(default_factory=list)

    def paths(self, vendor: str, *kinds: str) -> set[str]:
        """The paths of `vendor`'s cases of the given kinds."""
        return {c.path for c in self.cases if c.vendor == vendor and c.kind in kinds}


def _sigma_cases(oversize: bool) -> list[Case]:
    good = sigma_rule(1)
    h = "rules/hostile"
    cases = [Case("sigma", f"rules/good/good_{n}.yml", "good", "a good rule", sigma_rule(n).encode())
             for n in (1, 2, 3)]
    cases += [
        Case("sigma", f"{h}/bom.yml", "good", "a UTF-8 byte-order mark", b"\xef\xbb\xbf" + sigma_rule(4).encode()),
        Case("sigma", f"{h}/truncated.yml", "failure", "cut mid-mapping", good[: good.index("selection:") + 30]
             .replace("    selection:\n", "    selection: {").encode()),
        Case("sigma", f"{h}/truncated_valid.yml", "partial", "cut before its detection",
             sigma_rule(10)[: sigma_rule(10).index("detection:")].encode()),
        Case("sigma", f"{h}/invalid.yml", "failure", "invalid YAML", b"title: [unclosed\nid: x\n"),
        Case("sigma", f"{h}/wrong_types.yml", "partial", "wrong types everywhere",
             b"title: [1, 2]\nid: 6f0e0000-0000-4000-8000-000000000099\nstatus: 3\ntags: {a: 1}\nlevel: 5\n"
             b"logsource: 5\ndetection: oops\n"),
        Case("sigma", f"{h}/binary.yml", "failure", "binary junk", _junk(1)),
        Case("sigma", f"{h}/deep.yml", "partial", "500-level nesting in a value",
             sigma_rule(5).replace("'good 5'", _nest(500, False)).encode()),
        Case("sigma", f"{h}/unknown_modifier.yml", "partial", "an unknown modifier",
             sigma_rule(6).replace("CommandLine|contains", "CommandLine|containz").encode()),
        Case("sigma", f"{h}/latin1.yml", "failure", "latin-1 bytes", sigma_rule(7).replace("Good", "Gööd")
             .encode("latin-1")),
        Case("sigma", f"{h}/dup_id.yml", "duplicate", "the id of rules/good/good_1.yml", sigma_rule(1).encode()),
        Case("sigma", f"{h}/alias_bomb.yml", "failure", "a YAML alias bomb",
             b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
                 f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
                 f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n".encode()
                 for i in range(8)) + sigma_rule(8).encode()),
        Case("sigma", f"{h}/empty.yml", "failure", "an empty file", b""),
        Case("sigma", f"{h}/not_mapping.yml", "failure", "a YAML list", b"- a\n- b\n"),
    ]
    if oversize:
        cases.append(Case("sigma", f"{h}/huge_value.yml", "oversize", "a 5 MB value (defect 1)",
                          sigma_rule(9, value="A" * 5_000_000).encode()))
        cases.append(Case("sigma", f"{h}/huge_id.yml", "refused", "a 10 KB rule id: over Neo4j's index key limit",
                          sigma_rule(10, rule_id="X" * 10_000).encode()))
    return cases


def _elastic_cases(oversize: bool) -> list[Case]:
    good = elastic_rule(1)
    h = "rules/hostile"
    cases = [Case("elastic", f"rules/good/good_{n}.toml", "good", "a good rule", elastic_rule(n, language=lang)
                  .encode()) for n, lang in ((1, "kuery"), (2, "eql"), (3, "esql"))]
    cases += [
        Case("elastic", f"{h}/bom.toml", "good", "a UTF-8 byte-order mark", b"\xef\xbb\xbf" + elastic_rule(4).encode()),
        Case("elastic", f"{h}/truncated.toml", "failure", "cut mid-string",
             good[: good.index("query = '''") + 20].encode()),
        Case("elastic", f"{h}/truncated_valid.toml", "partial", "cut before its tags and query",
             elastic_rule(12)[: elastic_rule(12).index("tags =")].encode()),
        Case("elastic", f"{h}/invalid.toml", "failure", "invalid TOML", b"[rule\nname = 1\n"),
        Case("elastic", f"{h}/wrong_types.toml", "partial", "wrong types everywhere",
             elastic_rule(5).replace('tags = ["Domain: Endpoint"]', "tags = 5")
             .replace('name = "Hostile Corpus Good Rule 5"', "name = [1, 2]")
             .replace("risk_score = 21", 'risk_score = "high"').encode()),
        Case("elastic", f"{h}/query_not_text.toml", "partial", "a query that is a number",
             elastic_rule(6).replace("query = '''", "query = 5\nnote = '''").encode()),
        Case("elastic", f"{h}/binary.toml", "failure", "binary junk", _junk(2)),
        Case("elastic", f"{h}/deep_array.toml", "failure", "500-level nested arrays",
             f"x = {_nest(500, False)}\n".encode()),
        Case("elastic", f"{h}/deep_table.toml", "failure", "500-level nested inline tables",
             f"x = {_nest(500, True)}\n".encode()),
        Case("elastic", f"{h}/broken_kql.toml", "partial", "broken KQL",
             elastic_rule(7, query='process.name : ("a" or').encode()),
        Case("elastic", f"{h}/broken_eql.toml", "partial", "broken EQL",
             elastic_rule(8, language="eql", query="process where (((").encode()),
        Case("elastic", f"{h}/broken_esql.toml", "partial", "broken ES|QL",
             elastic_rule(9, language="esql", query="FROM logs-* | WHERE ((").encode()),
        Case("elastic", f"{h}/latin1.toml", "failure", "latin-1 bytes",
             elastic_rule(10).replace("Good", "Gööd").encode("latin-1")),
        Case("elastic", f"{h}/dup_id.toml", "duplicate", "the rule_id of rules/good/good_1.toml",
             elastic_rule(1).encode()),
        Case("elastic", f"{h}/no_rule.toml", "failure", "no [rule] table", b'[metadata]\nmaturity = "production"\n'),
    ]
    if oversize:
        cases.append(Case("elastic", f"{h}/long_title.toml", "oversize", "a 10 KB title (defect 1)",
                          elastic_rule(11, title="T" * 10_000).encode()))
    return cases


def _splunk_cases(oversize: bool) -> list[Case]:
    good = splunk_rule(1)
    h = "detections/hostile"
    cases = [Case("splunk", f"detections/good/good_{n}.yml", "good", "a good rule", splunk_rule(n).encode())
             for n in (1, 2, 3)]
    fan = [f"name: m{i}\ndefinition: '{' OR '.join([f'`m{i + 1}`'] * 8)}'\n" for i in range(9)]
    cases += [Case("splunk", f"macros/m{i}.yml", "macro", "a macro of the fan-out", text.encode())
              for i, text in enumerate(fan)]
    cases += [
        Case("splunk", "macros/m9.yml", "macro", "the fan-out's last macro", b"name: m9\ndefinition: a=1\n"),
        Case("splunk", f"{h}/bom.yml", "good", "a UTF-8 byte-order mark", b"\xef\xbb\xbf" + splunk_rule(4).encode()),
        Case("splunk", f"{h}/truncated.yml", "failure", "cut mid-string", good[: good.index("search:") + 40].encode()),
        Case("splunk", f"{h}/truncated_valid.yml", "partial", "lost its tags",
             splunk_rule(10)[: splunk_rule(10).index("tags:")].encode()),
        Case("splunk", f"{h}/invalid.yml", "failure", "invalid YAML", b"name: [unclosed\nid: x\n"),
        Case("splunk", f"{h}/wrong_types.yml", "partial", "wrong types everywhere",
             splunk_rule(5).replace("name: Hostile Corpus Good Rule 5", "name: [1, 2]")
             .replace("tags:\n  analytic_story:", "tags:\n- x\nold_tags:\n  analytic_story:").encode()),
        Case("splunk", f"{h}/binary.yml", "failure", "binary junk", _junk(3)),
        Case("splunk", f"{h}/deep.yml", "partial", "500-level nesting in its references",
             splunk_rule(6).replace("- https://example.invalid/good", f"- {_nest(500, False)}").encode()),
        Case("splunk", f"{h}/broken_spl.yml", "partial", "broken SPL",
             splunk_rule(7, search='| tstats count where (((( Processes.process="x" by').encode()),
        Case("splunk", f"{h}/macro_bomb.yml", "partial", "ten macros each calling the next eight times",
             splunk_rule(8, search="index=main user=x `m0` | stats count").encode()),
        Case("splunk", f"{h}/latin1.yml", "failure", "latin-1 bytes",
             splunk_rule(9).replace("Good", "Gööd").encode("latin-1")),
        Case("splunk", f"{h}/dup_id.yml", "duplicate", "the id of detections/good/good_1.yml", splunk_rule(1).encode()),
        Case("splunk", "macros/broken.yml", "support", "a macro file that is no YAML", b"name: [x\n"),
        Case("splunk", "macros/fifo.yml", "support", "a FIFO among the macros", special="fifo"),
        Case("splunk", "data_sources/fifo.yml", "support", "a FIFO among the data sources", special="fifo"),
    ]
    return cases


def _links(vendor: str, folder: str, suffix: str) -> list[Case]:
    return [
        Case(vendor, f"{folder}/fifo{suffix}", "failure", "a FIFO", special="fifo"),
        Case(vendor, f"{folder}/self{suffix}", "failure", "a link to itself", special="selflink"),
        Case(vendor, f"{folder}/dangling{suffix}", "failure", "a dangling link", special="dangling"),
        Case(vendor, f"{folder}/loop", "failure", "a link to the folder above", special="loop"),
    ]


def cases(*, oversize: bool = False) -> list[Case]:
    """Every case of the hostile corpus."""
    return [*_sigma_cases(oversize), *_links("sigma", "rules/hostile", ".yml"),
            *_elastic_cases(oversize), *_links("elastic", "rules/hostile", ".toml"),
            *_splunk_cases(oversize), *_links("splunk", "detections/hostile", ".yml")]


def _write(path: Path, case: Case) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if case.special == "fifo":
        os.mkfifo(path)
    elif case.special == "selflink":
        os.symlink(path.name, path)
    elif case.special == "dangling":
        os.symlink("no-such-target", path)
    elif case.special == "loop":
        os.symlink("..", path)
    else:
        assert case.content is not None, case
        path.write_bytes(case.content)


def write_corpus(root: Path, *, kinds: Iterable[str] = KINDS, oversize: bool = False) -> HostileCorpus:
    """Write the cases of the given kinds below `root/<vendor>`; Splunk gets the fixture macros and data sources."""
    wanted = {*kinds, "macro", *(["oversize", "refused"] if oversize else [])}
    corpus = HostileCorpus({vendor: root / vendor for vendor in ("sigma", "elastic", "splunk")})
    for support in ("macros", "data_sources"):
        shutil.copytree(FIXTURES / "pipeline" / "splunk" / support, corpus.roots["splunk"] / support)
    for case in cases(oversize=oversize):
        if case.kind in wanted:
            _write(corpus.roots[case.vendor] / case.path, case)
            corpus.cases.append(case)
    return corpus
