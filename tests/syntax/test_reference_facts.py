"""The reading rules of ../shared/reference/ipxe-language.md §1-3 and §14, one test per fact."""

from __future__ import annotations

import ipxescript


def words(src: str, line: int = 0) -> list[list[str]]:
    script = ipxescript.parse(src)
    return [[w.text for w in c.words] for c in script.lines[line].commands]


def test_magic_needs_whitespace_after_it_and_byte_zero():
    assert ipxescript.parse("#!ipxe\n").magic == "#!ipxe"
    assert ipxescript.parse("#!gpxe echo\n").magic == "#!gpxe"
    assert ipxescript.parse("#!ipxe").magic is None  # shorter than 7 bytes
    assert ipxescript.parse("#!ipxex\n").magic is None
    assert ipxescript.parse("#!IPXE\n").magic is None  # case-sensitive
    assert ipxescript.parse("\ufeff#!ipxe\n").magic is None  # a BOM defeats it
    assert ipxescript.parse(b"\xef\xbb\xbf#!ipxe\n").magic is None
    assert ipxescript.parse("\n#!ipxe\n").magic is None  # so does a blank first line


def test_magic_line_is_a_comment_line():
    script = ipxescript.parse("#!ipxe\necho hi\n")
    assert script.lines[0].commands == []
    assert script.lines[0].comment is not None


def test_lf_ends_lines_and_last_line_needs_no_lf():
    script = ipxescript.parse("echo a\necho b")
    assert [ln.text for ln in script.lines] == ["echo a", "echo b"]


def test_one_trailing_cr_is_stripped():
    script = ipxescript.parse("echo a\r\necho b\r\r\n")
    assert script.lines[0].text == "echo a"
    assert script.lines[1].text == "echo b\r"  # only one CR goes; the other is whitespace
    assert words("echo b\r\r\n") == [["echo", "b"]]


def test_cr_inside_a_line_is_whitespace():
    assert words("echo a\rb\n") == [["echo", "a", "b"]]


def test_continuation_joins_with_no_separator():
    assert words("echo foo\\\nbar\n") == [["echo", "foobar"]]
    assert words("echo a \\\n   b\n") == [["echo", "a", "b"]]


def test_backslash_elsewhere_is_ordinary():
    assert words("echo a\\b\n") == [["echo", "a\\b"]]


def test_double_backslash_at_end_keeps_one():
    assert words("echo e\\\\\nf\n") == [["echo", "e\\f"]]


def test_continuation_applies_to_comments_and_labels():
    script = ipxescript.parse("# note \\\necho swallowed\necho next\n")
    assert script.lines[0].comment is not None and script.lines[0].commands == []
    assert script.lines[1].text == "echo next"
    assert ipxescript.parse(":lab\\\nel echo x\n").lines[0].label.name == "label"


def test_file_ending_inside_continuation_drops_the_line():
    script = ipxescript.parse("echo a\necho b \\")
    assert script.lines[-1].unterminated
    assert [d.code for d in script.diagnostics] == ["IPX002"]
    script = ipxescript.parse("echo a\necho b \\\n")
    assert script.lines[-1].unterminated


def test_crlf_continuation():
    assert words("echo foo\\\r\nbar\r\n") == [["echo", "foobar"]]


def test_nul_ends_the_line_for_the_reader():
    script = ipxescript.parse("echo a\x00b c\necho d\n")
    assert [w.text for w in script.lines[0].words] == ["echo", "a"]
    assert script.lines[1].text == "echo d"
    assert "IPX004" in [d.code for d in script.diagnostics]


def test_leading_whitespace_allowed_for_labels_and_commands():
    script = ipxescript.parse("   :x\n\t echo hi\n")
    assert script.lines[0].label.name == "x"
    assert words("\t echo hi\n") == [["echo", "hi"]]


def test_label_with_command_after_it():
    script = ipxescript.parse(":x echo hi\n")
    assert script.lines[0].label.name == "x"
    assert [w.text for w in script.lines[0].commands[0].words] == ["echo", "hi"]


def test_label_characters_are_any_non_whitespace():
    assert ipxescript.parse(":odd#label:x\n").lines[0].label.name == "odd#label:x"
    assert ipxescript.parse(":${x}\n").lines[0].label.name == "${x}"


def test_bare_colon_is_the_empty_label_and_space_label_runs_a_command():
    script = ipxescript.parse(":\n: name\n")
    assert script.lines[0].label.name == ""
    assert script.lines[1].label.name == ""
    assert [w.text for w in script.lines[1].commands[0].words] == ["name"]


def test_label_only_at_start_of_logical_line():
    script = ipxescript.parse("echo :x\n")
    assert script.lines[0].label is None


def test_comment_after_label():
    line = ipxescript.parse(":end # note\n").lines[0]
    assert line.label.name == "end" and line.comment.text == "# note"


def test_words_have_no_quotes():
    assert words('echo "a    b"\n') == [["echo", '"a', 'b"']]
    assert words("echo 'x y'\n") == [["echo", "'x", "y'"]]


def test_comment_only_at_word_start():
    assert words("echo hello #world\n") == [["echo", "hello"]]
    assert words("echo hello#world\n") == [["echo", "hello#world"]]
    line = ipxescript.parse("echo a # b || c\n").lines[0]
    assert line.operators == [] and line.comment.text == "# b || c"


def test_operators_are_whole_words_only():
    assert words("a;b a||b &&echo\n") == [["a;b", "a||b", "&&echo"]]
    line = ipxescript.parse("a || b && c ; d\n").lines[0]
    assert [o.text for o in line.operators] == ["||", "&&", ";"]
    assert [[w.text for w in c.words] for c in line.commands] == [["a"], ["b"], ["c"], ["d"]]


def test_empty_commands_are_allowed():
    line = ipxescript.parse("cmd ||\n").lines[0]
    assert [[w.text for w in c.words] for c in line.commands] == [["cmd"], []]
    line = ipxescript.parse("|| ; echo\n").lines[0]
    assert [[w.text for w in c.words] for c in line.commands] == [[], [], ["echo"]]


def test_references_nested_innermost_and_unterminated():
    word = ipxescript.parse("echo ${a${idx}}\n").lines[0].words[1]
    (ref,) = word.parts
    assert ref.inner == "a${idx}" and ref.parts[1].inner == "idx"
    word = ipxescript.parse("echo ${net${i}/mac:hexhyp}\n").lines[0].words[1]
    assert word.parts[0].parts[1].inner == "i"
    word = ipxescript.parse("echo ${foo\n").lines[0].words[1]
    assert word.is_literal and word.parts[0].value == "${foo"
    word = ipxescript.parse("echo ${a}}\n").lines[0].words[1]
    assert word.parts[0].inner == "a" and word.parts[1].value == "}"
    for literal in ("}", "$", "$x", "{x}"):
        assert ipxescript.parse(f"echo {literal}\n").lines[0].words[1].is_literal


def test_reference_name_syntax():
    ref = ipxescript.parse("echo ${net0.dhcp/mac:hexhyp}\n").lines[0].words[1].parts[0]
    assert (ref.block, ref.setting, ref.type) == ("net0.dhcp", "mac", "hexhyp")
    ref = ipxescript.parse("echo ${175.81}\n").lines[0].words[1].parts[0]
    assert (ref.block, ref.setting, ref.type) == (None, "175.81", None)


def test_whitespace_inside_braces_splits_words():
    assert words("echo ${ x}\n") == [["echo", "${", "x}"]]


def test_positions_map_back_through_continuations():
    src = "echo foo\\\nbar baz\n"
    script = ipxescript.parse(src)
    foobar, baz = script.lines[0].words[1:]
    assert src[foobar.start : foobar.end] == "foo\\\nbar"
    assert script.position(baz.start) == (1, 4)
    assert script.lines[0].first_line == 0 and script.lines[0].last_line == 1


def test_invalid_utf8_is_kept_byte_for_byte():
    data = b"#!ipxe\necho \xff\xfe ok\n"
    script = ipxescript.parse(data)
    assert script.encoding_errors
    from ipxescript.syntax.source import encode_source

    assert encode_source(script.unparse()) == data
    assert script.byte_offset(script.lines[1].words[2].start) == data.index(b"ok")
