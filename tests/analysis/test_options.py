"""Option binding and values exactly as iPXE's getopt/parseopt (reference §6)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipxescript.analysis.options import parse_argv
from ipxescript.analysis.values import ValueProblem, parse_integer, parse_key
from ipxescript.catalog import get_catalog

CAT = get_catalog()


def bind(*argv: str):
    return parse_argv(CAT.commands[argv[0]], list(argv))


def test_options_only_before_first_positional():
    b = bind("imgargs", "img", "p", "q", "--autofree")
    assert b.error is None and not b.has("autofree") and b.positionals == [1, 2, 3, 4]
    b = bind("item", "linux", "--key", "l", "Linux")
    assert not b.has("key")


def test_double_dash_ends_options_only_in_option_position():
    b = bind("echo", "--", "-n")
    assert b.error is None and not b.has("n") and b.positionals == [2]
    b = bind("imgargs", "img", "--", "-x")
    assert b.positionals == [1, 2, 3]


def test_long_options_inline_and_separate_values():
    assert bind("choose", "--timeout=500", "x").get("timeout").value == 500
    assert bind("choose", "--timeout", "500", "x").get("timeout").value == 500


def test_no_abbreviations_and_flag_with_value():
    assert bind("choose", "--time", "3", "x").error.message == 'Unrecognised option "--time"'
    assert bind("echo", "--n=5").error.message == 'Option "n" takes no argument'


def test_short_options_bundle_and_inline_argument():
    b = bind("chain", "-ar", "url")
    assert b.has("autofree") and b.has("replace")
    assert bind("choose", "-t500", "x").get("timeout").value == 500


def test_argument_from_next_word_must_not_start_with_dash():
    err = bind("prompt", "--timeout", "-5").error
    assert err.kind == "missing-argument" and err.message == 'Option "timeout" requires an argument'
    assert bind("prompt", "-t", "-5").error.message == 'Option "t" requires an argument'


def test_lone_dash_is_unknown_option():
    assert bind("echo", "-", "x").error.kind == "unknown-option"


def test_help_fails_with_ecanceled():
    err = bind("echo", "--help").error
    assert (err.kind, err.errno) == ("help", "ECANCELED")


def test_arity_errors_are_erange():
    assert bind("goto").error.errno == "ERANGE"
    assert bind("goto", "a", "b").error.errno == "ERANGE"
    assert bind("goto", "a").error is None


def test_integer_rules():
    assert parse_integer("10") == 10
    assert parse_integer("0x1f") == 31
    assert parse_integer("017") == 15
    assert parse_integer("+5") == 5
    assert parse_integer("0x") == 0
    assert parse_integer("-1") == 0xFFFFFFFF
    for bad in ("08", "09", "5s", "2.5", ""):
        with pytest.raises(ValueProblem) as info:
            parse_integer(bad)
        assert info.value.message == f'"{bad}": invalid integer value'


def test_empty_integer_is_zero_on_debian_12():
    assert parse_integer("", CAT.profile("debian-12-efi")) == 0


def test_keys():
    up = CAT.profile("efi")
    assert parse_key("1", up) == ord("1")
    assert parse_key("0x197e", up) == 0x110000 + 0x197E  # F12, relative special key
    assert parse_key("0x1b", up) == 0x1B  # Esc stays ASCII
    assert parse_key("0x197e", CAT.profile("debian-12-efi")) == 0x197E


@given(st.lists(st.text(max_size=6), max_size=8), st.sampled_from(sorted(CAT.commands)))
def test_binding_never_raises(words, name):
    parse_argv(CAT.commands[name], [name, *words])
