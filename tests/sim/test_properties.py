"""Property tests: expansion, setting types, option parsing and console rendering."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ipxescript.sim import types
from ipxescript.sim.console import render
from ipxescript.sim.expand import expand
from ipxescript.sim.options import UsageError, parse_argv
from ipxescript.sim.profile import PROFILE_NAMES, command_specs, load_profile

plain = st.text(alphabet=st.characters(blacklist_characters="${}", blacklist_categories=("Cs",)), max_size=30)


@given(plain)
def test_text_without_references_is_unchanged(text):
    assert expand(text, lambda name: "X") == text


@given(plain, plain, plain)
def test_reference_is_replaced_by_its_value(prefix, value, suffix):
    values = {"x": value}
    assert expand(prefix + "${x}" + suffix, lambda n: values.get(n, "")) == prefix + value + suffix


@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=4))
def test_nested_names_resolve_innermost_first(chain):
    # ${${${a}}}: each level's value names the next setting
    values = {"a": "b", "b": "c", "c": "end"}
    word = "${" * len(chain) + "a" + "}" * len(chain)
    result = expand(word, lambda n: values.get(n, ""))
    expected = "a"
    for _ in chain:
        expected = values.get(expected, "")
    assert result == expected


@given(st.integers(min_value=-(2**31), max_value=2**31 - 1))
def test_int32_round_trip(value):
    data = types.parse("int32", str(value & 0xFFFFFFFF))
    assert types.format("int32", data) == str(value)


@given(st.binary(min_size=1, max_size=16), st.sampled_from(["hex", "hexhyp", "hexraw", "base64"]))
def test_binary_types_round_trip(data, type_name):
    assert types.parse(type_name, types.format(type_name, data)) == data


@given(st.lists(st.integers(0, 0x7F), min_size=1, max_size=40).map(bytes), st.booleans())
def test_uristring_round_trip(data, plus):
    # only below 0x80: iPXE escapes a higher byte from a signed char (%FFFFFFFB), which does not decode back
    assert types.uri_decode_text(types.uri_encode_bytes(data, plus)) == data


@settings(max_examples=300)
@given(
    st.sampled_from(sorted(command_specs())),
    st.lists(
        st.sampled_from(["-", "--", "-n", "--name", "x", "-t5", "--timeout=", "-ar", "--n=1", "0x1", ""])
    ),
    st.sampled_from(PROFILE_NAMES),
)
def test_option_parser_only_fails_the_ipxe_way(name, words, profile_name):
    profile = load_profile(profile_name)
    try:
        parsed = parse_argv([name, *words], profile)
    except UsageError as exc:
        assert (exc.status >> 24) in (0x0B, 0x1C, 0x46)
    else:
        assert all(isinstance(a, str) for a in parsed.args)


@given(st.text(alphabet="abc xyz", max_size=20), st.text(alphabet="abc xyz", min_size=1, max_size=20))
def test_prompt_erasure_leaves_the_line_as_before(before, text):
    assert render(before + text + "\b \b" * len(text)) == before.rstrip()


WORDS = st.sampled_from(
    [
        "echo", "set", "x", "${x}", "${", "}", "goto", ":a", "a", "||", "&&", ";", "#", "exit", "isset", "iseq",
        "menu", "item", "choose", "prompt", "--timeout", "10", "-n", "chain", "data:,x", "imgfetch", "imgstat",
        "inc", "show", "clear", "read", "sleep", "0", "${a${x}}", "\\", "kernel", "boot", "shell", "help",
    ]
)  # fmt: skip
LINES = st.lists(st.lists(WORDS, max_size=6).map(" ".join), max_size=8)


@settings(max_examples=60, deadline=None)
@given(
    LINES, st.sampled_from(PROFILE_NAMES), st.sampled_from(["", "ENTER", "ESC", "DOWN ENTER", "text:a ENTER"])
)
def test_any_script_ends_in_an_outcome_without_crashing(tmp_path_factory, lines, profile, keys):
    from ipxescript.sim import RunOptions, simulate
    from ipxescript.sim.state import OUTCOMES

    path = tmp_path_factory.mktemp("fuzz") / "f.ipxe"
    path.write_text("#!ipxe\n" + "\n".join(lines) + "\n")
    result = simulate(str(path), RunOptions(profile=profile, keys=keys, max_steps=200, offline=True))
    assert result.outcome in OUTCOMES
    assert isinstance(result.console, str)
