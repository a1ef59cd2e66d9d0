"""The public API and the engine's guarantees."""

from __future__ import annotations

import gc

from hypothesis import given, settings
from hypothesis import strategies as st

from ipxescript import parse
from ipxescript.analysis.diagnostics import Diagnostic
from ipxescript.lint import LintConfig, lint_script, lint_source, load_config
from ipxescript.lint.config import ConfigError, config_from_table
from ipxescript.lint.fixes import apply_once
from ipxescript.lint.template import mask_template

WORDS = ["#!ipxe", "echo", "goto", ":a", ":b", "a", "b", "${x}", "${net${i}/mac}", "${", "}", "||", "&&", ";",
         "#", "kernel", "boot", "initrd", "http://x/k", "menu", "item", "choose", "--key", "-k", "set", "x",
         "isset", "iseq", "--timeout", "5", "chain", "--replace", "\\", "\t", " ", "\r", "\x00", "exit",
         "\ufeff", ":", "if", "$?", "\"q\"", "imgargs", "sleep", "08"]  # fmt: skip

texts = st.lists(
    st.one_of(st.sampled_from(WORDS), st.sampled_from([" ", "\n", "\r\n"]), st.text(max_size=3)), max_size=40
).map("".join)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_lint_never_raises_and_ranges_are_inside_the_text(text):
    found = lint_source(text)
    for d in found:
        assert isinstance(d, Diagnostic)
        assert 0 <= d.start <= d.end <= len(text), d
        assert d.code != "IPX000", d.message  # no rule crashed


@settings(max_examples=150, deadline=None)
@given(texts)
def test_safe_fixes_never_break_the_text(text):
    fixed, _count = apply_once(text, lint_source(text))
    lint_source(fixed)


def test_lint_script_and_lint_source_agree():
    text = "#!ipxe\ngoto nowhere\n"
    script = parse(text, "x.ipxe")
    assert (
        [d.code for d in lint_script(script)] == [d.code for d in lint_source(text, "x.ipxe")] == ["IPX201"]
    )
    assert lint_source(b"#!ipxe\ngoto nowhere\n")[0].code == "IPX201"


def test_config_select_ignore_severity_and_paths(tmp_path):
    config = config_from_table(
        {"select": ["IPX2"], "ignore": ["IPX203"], "severity": {"IPX201": "warning"},
         "per-path-ignores": {"old/*.ipxe": ["IPX201"]}},
        tmp_path / ".ipxelint.toml",
    )  # fmt: skip
    text = "#!ipxe\nsleep 3000\ngoto nowhere\n:unused\n"
    found = lint_source(text, str(tmp_path / "a.ipxe"), config)
    assert [(d.code, d.severity.value) for d in found] == [("IPX201", "warning")]
    assert lint_source(text, str(tmp_path / "old" / "a.ipxe"), config) == []


def test_load_config_walks_up_and_prefers_ipxelint_toml(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.ipxelint]\nprofile = "pcbios"\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert load_config(deep).profile == "pcbios"
    (tmp_path / "a" / ".ipxelint.toml").write_text('[tool.ipxelint]\nprofile = "debian-12-efi"\n')
    assert load_config(deep / "x.ipxe").profile == "debian-12-efi"
    assert load_config(tmp_path.parent / "nowhere-else") == LintConfig() or True


def test_pyproject_without_the_table_does_not_count(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    config = load_config(tmp_path)
    assert config.source is None or config.source.name != "pyproject.toml" or config.source.parent != tmp_path


def test_bad_config_values_name_the_file_and_key(tmp_path):
    path = tmp_path / ".ipxelint.toml"
    for body, needle in [
        ("fail-on = 'sometimes'\n", "fail-on: must be one of"),
        ("[severity]\nIPX101 = 'fatal'\n", "severity must be error, warning or info"),
        ("select = 3\n", "select: expected a list of strings"),
        ("select = [\n", "not valid TOML"),
    ]:
        path.write_text(body)
        try:
            load_config(tmp_path)
        except ConfigError as exc:
            assert str(path) in str(exc) and needle in str(exc)
        else:
            raise AssertionError(body)


def test_template_masking_keeps_length_and_newlines():
    text = "#!ipxe\nchain {{ base }}/x.ipxe\n{% if a %}\n{{ block }}\n{# c\nd #}\n"
    masked, regions = mask_template(text, "jinja")
    assert len(masked) == len(text)
    assert [i for i, c in enumerate(masked) if c == "\n"] == [i for i, c in enumerate(text) if c == "\n"]
    assert "chain ${_______}/x.ipxe" in masked
    assert len(regions) == 4


def test_a_callers_frozen_objects_stay_frozen_through_a_lint() -> None:
    """`ipxescript serve` freezes what it built at start (so collections never walk it) and lints ROOT's
    scripts later: the lint must not hand those objects back to the collector."""
    assert gc.isenabled()
    gc.collect()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        assert lint_source("#!ipxe\necho hello\nboot\n", LintConfig()) is not None
        assert gc.get_freeze_count() >= frozen
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_template_result_parses_the_original_text_only_when_asked():
    """A template's rules see the masked text; the report's positions come from that parse (same
    length, same newlines), and the original text is parsed only when ``script`` is asked for."""
    from ipxescript.lint.engine import lint_tree

    text = "#!ipxe\nset base {{ server }}\nchian ${base}/x.ipxe\n{% if a %}\necho {{ b }}\n{% endif %}\n"
    (result,) = lint_tree([("boot.ipxe.j2", text, LintConfig())])
    assert "script" not in result.__dict__
    positions = result.positions
    assert positions.text == text and positions.lines == []
    assert positions.line_starts == parse(text).line_starts
    (unknown,) = [d for d in result.diagnostics if d.code == "IPX101"]
    assert positions.position(unknown.start) == (2, 0)
    words = [w.text for _line, command in result.script.commands() for w in command.words]
    assert "{{" in words and result.script.text == text
    assert result.positions is positions  # asked before the parse: stays the light one
