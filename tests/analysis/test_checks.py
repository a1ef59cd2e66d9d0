"""The core diagnostics: what a user sees for each command-level mistake, on the right word."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import ipxescript
from ipxescript.analysis.checks import check_command, check_script, command_key
from ipxescript.catalog import get_catalog


def findings(src: str):
    script = ipxescript.parse("#!ipxe\n" + src + "\n")
    return [(d.code, script.text[d.start : d.end], d.message) for d in check_script(script)]


def codes(src: str):
    return [c for c, _, _ in findings(src)]


def test_unknown_command_with_did_you_mean():
    ((code, text, message),) = findings("prmpt --key 0x197e hi")
    assert code == "IPX101" and text == "prmpt" and "did you mean 'prompt'" in message


def test_dynamic_command_name_is_not_checked():
    assert codes("${cmd} hi") == []


def test_unknown_option_and_suggestion():
    ((code, text, message),) = findings("choose --time 3 x")
    assert code == "IPX102" and text == "--time" and "--timeout" in message


def test_missing_argument_and_flag_value():
    assert codes("prompt --timeout") == ["IPX103"]
    assert codes("echo --n=5") == ["IPX103"]


def test_arity():
    assert codes("goto exit 0") == ["IPX104"]
    assert codes("kernel") == ["IPX104"]
    assert codes("set") == ["IPX104"]
    assert findings("goto exit 0")[0][1] == "0"


def test_invalid_values():
    assert codes("sleep 5s") == ["IPX105"]
    assert codes("sleep 08") == ["IPX105"]
    assert codes("choose --timeout 3x t") == ["IPX105"]
    assert codes("sleep ${t}") == []


def test_option_after_positional_has_a_safe_fix():
    script = ipxescript.parse("#!ipxe\nitem x --key k Text\n")
    (d,) = check_script(script)
    assert d.code == "IPX106" and d.fix is not None and d.fix.safe
    text = script.text
    for edit in sorted(d.fix.edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    assert text == "#!ipxe\nitem --key k x Text\n"
    assert codes("item --key k x Text") == []


def test_help_in_script():
    assert codes("chain --help") == ["IPX107"]


def test_unknown_type_suffix():
    ((code, text, message),) = findings("echo ${net0/mac:hexhpy}")
    assert code == "IPX402" and text == "${net0/mac:hexhpy}" and "hexhyp" in message


def test_valid_unusual_script_has_no_findings():
    src = ":x echo hi\necho ${net${i}/mac}\n:\ngoto ${empty}\nitem --key 0x197e a A\nset i:int32 0 ; inc i\n"
    assert codes(src) == []


def test_debian_12_profile_lacks_newer_options():
    from ipxescript.catalog import get_catalog

    debian = get_catalog().profile("debian-12-efi")
    script = ipxescript.parse("#!ipxe\nchain --quiet http://x/y\nchoose --retimeout 5 t\n")
    assert [d.code for d in check_script(script, profile=debian)] == ["IPX102", "IPX102"]
    assert check_script(script) == []  # upstream has both
    assert get_catalog().command("item", debian).usage_line().endswith("[<label> [<text>]]")


# The linter checks each command key once (analysis.checks.command_key): commands with equal keys
# must get the same verdict from the core checks, whatever words the key leaves out. Each command is
# compared with every command that differs from it in one word.
NAMES = ["item", "echo", "sleep", "choose", "kernel", "initrd", "iseq", "set", "prompt", "menu", "goto", "imgargs"]  # fmt: skip
WORDS = [
    "--key", "-k", "--timeout", "-t", "--default", "--gap", "--", "-", "--nosuch", "--timeout=5", "-t5",
    "0", "1", "08", "0x10", "x", "os1", "Some", "text", "${a}", "-${a}", "${a}b", "--key=${k}", "-v",
    'a="b', 'c"', '"${a}', "-n",
]  # fmt: skip


def _verdict_and_key(words: list[str]) -> tuple[bool, tuple[str | None, ...]]:
    catalog = get_catalog()
    ((_line, command),) = ipxescript.parse("#!ipxe\n" + " ".join(words) + "\n").commands()
    return bool(list(check_command(command, catalog, catalog.profile()))), command_key(command, catalog)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(NAMES), st.lists(st.sampled_from(WORDS), max_size=5))
def test_commands_with_one_key_get_one_verdict(name: str, words: list[str]) -> None:
    verdict, key = _verdict_and_key([name, *words])
    for i in range(len(words)):
        for other in WORDS:
            changed = [name, *words[:i], other, *words[i + 1 :]]
            other_verdict, other_key = _verdict_and_key(changed)
            assert other_key != key or other_verdict == verdict, (words, changed)
