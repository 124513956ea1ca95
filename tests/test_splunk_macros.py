"""Splunk macro loading and expansion (loader/splunk/macros.py)."""
from __future__ import annotations

from loader.splunk.macros import MAX_DEPTH, MAX_EXPANSION, Macro, MacroLibrary, is_silent_macro, strip_comments


def _library(*macros: Macro) -> MacroLibrary:
    return MacroLibrary({m.name: m for m in macros})


SYSMON = Macro("sysmon", "source=XmlWinEventLog:Microsoft-Windows-Sysmon/Operational")
PAIR = Macro("field_equals", '$field$="$value$"', ("field", "value"))


def test_macros_expand_plain_macro_records_span():
    expansion = _library(SYSMON).expand("`sysmon` EventCode=1")
    assert expansion.text == "source=XmlWinEventLog:Microsoft-Windows-Sysmon/Operational EventCode=1"
    assert expansion.macro_at(0) == "sysmon"
    assert expansion.macro_at(expansion.text.index("EventCode")) is None
    assert expansion.issues == []


def test_macros_expand_substitutes_arguments():
    expansion = _library(PAIR).expand('x=1 `field_equals(Image, "C:\\a, b.exe")`')
    assert expansion.text == 'x=1 Image=""C:\\a, b.exe""'
    assert expansion.issues == []


def test_macros_expand_nested_macro_keeps_outermost_name():
    outer = Macro("shells", "(`sysmon` OR process_name=cmd.exe)")
    expansion = _library(SYSMON, outer).expand("`shells` | stats count")
    assert expansion.text.startswith("(source=XmlWinEventLog")
    assert [s.name for s in expansion.spans] == ["shells"]
    assert expansion.macro_at(expansion.text.index("source")) == "shells"


def test_macros_cycle_is_an_issue_not_a_crash():
    lib = _library(Macro("loop_a", "a=1 `loop_b`"), Macro("loop_b", "b=2 `loop_a`"))
    expansion = lib.expand("`loop_a`")
    assert "a=1 b=2" in expansion.text
    assert expansion.issues == ["macro cycle: loop_a -> loop_b -> loop_a"]


def test_macros_depth_limit_stops_long_chains():
    chain = [Macro(f"m{i}", f"f{i}=1 `m{i + 1}`") for i in range(MAX_DEPTH + 3)]
    expansion = _library(*chain).expand("`m0`")
    assert any("deeper than" in issue for issue in expansion.issues)
    assert f"f{MAX_DEPTH - 1}=1" in expansion.text
    assert f"f{MAX_DEPTH + 1}=1" not in expansion.text


def test_macros_unknown_macro_is_an_issue():
    expansion = _library().expand("`nowhere` a=1")
    assert expansion.text.strip() == "a=1"
    assert expansion.issues == ["unknown macro `nowhere`: not defined in macros/"]


def test_macros_silent_macros_expand_to_nothing_without_issue():
    lib = _library(Macro("security_content_ctime", "convert ctime($field$)", ("field",)))
    expansion = lib.expand("a=1 | `security_content_ctime(firstTime)` | `my_rule_filter`")
    assert expansion.text.replace(" ", "") == "a=1||"
    assert expansion.spans == [] and expansion.issues == []
    assert is_silent_macro("anything_filter") and is_silent_macro("security_content_summariesonly")
    assert not is_silent_macro("sysmon")


def test_macros_argument_count_mismatch_is_reported():
    expansion = _library(PAIR).expand("`field_equals(Image)`")
    assert expansion.issues == ["macro `field_equals` takes 2 argument(s), got 1"]


def test_macros_drop_dm_object_name_is_builtin_rename():
    expansion = _library().expand('| `drop_dm_object_name("Processes")`')
    assert expansion.text == '| rename "Processes".* AS *'
    assert expansion.issues == []


def test_macros_strip_comments_removes_triple_backticks():
    assert strip_comments("a=1 ```note `x` here``` b=2") == "a=1   b=2"
    assert strip_comments("a=1") == "a=1"


def test_macros_load_reads_fixture_directory(fixtures):
    lib = MacroLibrary.load(fixtures / "splunk" / "macros")
    assert lib.macros["field_equals"].arguments == ("field", "value")
    assert "broken_macro" in lib.broken
    expansion = lib.expand("`broken_macro`")
    assert expansion.issues[0].startswith("unknown macro `broken_macro`: broken_macro.yml: invalid YAML at line")


def test_macros_load_missing_directory_is_empty(tmp_path):
    assert MacroLibrary.load(tmp_path / "absent").macros == {}


def test_macros_load_strips_splunk_arity_suffix(tmp_path):
    (tmp_path / "ctime.yml").write_text("name: my_ctime(1)\narguments: [field]\ndefinition: convert ctime($field$)\n")
    lib = MacroLibrary.load(tmp_path)
    assert lib.expand("`my_ctime(firstTime)`").text == "convert ctime(firstTime)"


def _fan_out(levels: int = 10, calls: int = 8) -> MacroLibrary:
    """Ten macros each calling the next eight times: 8**9 leaves within the depth limit."""
    macros = [Macro(f"m{i}", " OR ".join([f"`m{i + 1}`"] * calls)) for i in range(levels - 1)]
    return _library(*macros, Macro(f"m{levels - 1}", "process_name=cmd.exe"))


def test_macros_expand_fan_out_is_bounded_by_size():
    assert MAX_DEPTH >= 10  # the bomb stays within the depth limit: only the size bound stops it
    expansion = _fan_out().expand("index=main `m0` | stats count")  # unbounded, this never returned
    assert expansion.text == "index=main   | stats count" and expansion.spans == []
    (issue,) = expansion.issues
    assert issue.startswith(f"macros expand to more than {MAX_EXPANSION:,} characters (at `m")
    assert "via m0 -> m1 -> m2" in issue and issue.endswith("macros left unexpanded")


def test_macros_expand_just_under_the_size_bound_is_complete():
    library = _library(Macro("big", "x" * (MAX_EXPANSION - 10)))
    expansion = library.expand("`big`")
    assert len(expansion.text) == MAX_EXPANSION - 10 and expansion.issues == []
