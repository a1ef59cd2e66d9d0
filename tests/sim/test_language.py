"""The ✔ facts of ipxe-language.md that the simulator covers, each as a user would see it."""

from __future__ import annotations

import pytest

# --- §1 script files ----------------------------------------------------------------------------------


def test_file_without_magic_is_not_executed(run):
    result = run("echo hi\n", raw=True)
    assert result.outcome == "error"
    assert result.status == 0x2E008081
    assert result.error == "Exec format error"
    assert result.console == ""


@pytest.mark.parametrize(
    "text", [b"#!ipxe", b"\xef\xbb\xbf#!ipxe\necho x\n", b"\n#!ipxe\necho x\n", b"#!IPXE\necho x"]
)
def test_magic_must_be_exact_at_byte_zero_with_whitespace(run, text):
    assert run(text).status == 0x2E008081


def test_gpxe_magic_and_tab_after_magic(run):
    assert run(b"#!gpxe\techo\n").outcome == "exit"
    assert run(b"#!gpxe\necho gpxe\n").console == "gpxe\n"


# --- §2 lines -----------------------------------------------------------------------------------------


def test_crlf_and_missing_final_newline(run):
    assert run(b"#!ipxe\r\necho a\r\necho b").console == "a\nb\n"


def test_continuation_joins_without_separator(run):
    assert run("echo foo\\\nbar\necho a \\\n   b\n").console == "foobar\na b\n"


def test_backslash_elsewhere_is_literal(run):
    assert run("echo a\\b\necho e\\\\\nf\n").console == "a\\b\ne\\f\n"


def test_comment_continuation_swallows_next_line(run):
    assert run("# note \\\necho hidden\necho shown\n").console == "shown\n"


def test_file_ending_in_continuation_drops_line_and_fails(run):
    result = run("echo first\necho last \\")
    assert result.console == "first\n"
    assert result.outcome == "error"
    assert result.status == 0x1C028082


# --- §3 line structure --------------------------------------------------------------------------------


def test_label_line_runs_its_command(run):
    assert run(":x echo hi\n").console == "hi\n"


def test_odd_labels_and_empty_label(run):
    result = run(
        "goto odd#label:x\necho skipped\n:odd#label:x\ngoto ${empty}\necho skipped\n:\necho at empty\n"
    )
    assert result.console == "at empty\n"


def test_label_comment_and_indented_label(run):
    assert run("goto end\necho no\n   :end # note\necho yes\n").console == "yes\n"


def test_first_duplicate_label_wins(run):
    assert run("goto l\n:l\necho one\nexit\n:l\necho two\n").console == "one\n"


def test_label_only_at_line_start(run):
    result = run("echo :x\ngoto x\n")
    assert result.console == ":x\n"
    assert result.status == 0x2D02808E


def test_goto_colon_label_is_a_different_label(run):
    assert run("goto :x\n:x\necho no\n").status == 0x2D02808E


def test_no_quoting_and_whitespace_collapses(run):
    assert run('echo "a    b"   c\t\td\n').console == '"a b" c d\n'


def test_comments_only_start_words(run):
    assert run("echo hello #world\necho hello#world\n").console == "hello\nhello#world\n"


def test_hash_argument_cannot_be_written(run):
    assert run("set h x\nset h #x\nisset ${h} || echo cleared\n").console == "cleared\n"


def test_operators_only_as_whole_words(run):
    assert run("echo a;b a||b &&echo\n").console == "a;b a||b &&echo\n"


def test_empty_commands_anywhere(run):
    assert run("; ; echo x ;\n|| echo y\n").console == "x\n"


# --- §4 execution -------------------------------------------------------------------------------------


def test_left_to_right_without_precedence(run):
    text = "isset ${no} && echo b || echo c\necho a || echo b && echo c\n"
    assert run(text).console == "c\na\nc\n"


def test_semicolon_masks_failure(run):
    result = run("nosuch ; echo x\necho after\n")
    assert result.console == "nosuch: command not found\nx\nafter\n"
    assert result.outcome == "exit" and result.status == 0


def test_expansion_is_per_command(run):
    assert run("set x 1 ; echo ${x}\n").console == "1\n"


def test_isset_trap_ends_script(run):
    result = run("isset ${x} && echo yes\necho never\n")
    assert result.console == ""
    assert result.outcome == "error"
    assert result.status == 0x2D02208E
    assert result.where == "main.ipxe:2"


def test_help_option_fails_with_ecanceled(run):
    result = run("echo --help\n", profile="efi")
    assert result.console.startswith("Usage:\n\n  echo [-n|--n] [...]\n\nSee https://ipxe.org/cmd/echo")
    assert result.status == 0x0B162195


def test_command_name_from_expansion_and_empty_name(run):
    assert run("set c echo\n${c} hi\n${empty} x\n").console == "hi\n: command not found\n"


def test_errno_kept_and_initial_zero(run):
    result = run("echo ${errno}\nisset ${no} ||\necho ${errno}\necho ok\necho ${errno}\n")
    assert result.console == "0x0\n0x2d02208e\nok\n0x2d02208e\n"


def test_set_errno_shadows_builtin(run):
    result = run("set errno 0\nisset ${no} ||\necho ${errno}\nclear errno\necho ${errno}\n")
    assert result.console == "0x0\n0x2d02208e\n"


def test_builtin_block_is_read_only(run):
    result = run("set builtin/errno 5 ||\n", profile="debian-12-efi")
    assert result.console == 'Could not store "errno": Operation not supported (http://ipxe.org/3c0c2083)\n'


# --- §5 expansion -------------------------------------------------------------------------------------


def test_innermost_first_and_rescan(run):
    text = "set idx 0\nset a0 zero\necho ${a${idx}}\nset d $\nset x X\necho ${d}{x}\n"
    assert run(text).console == "zero\nX\n"


def test_literal_leftovers(run):
    assert run("set a A\necho ${foo $x {x} ${a}} ${}|\n").console == "${foo $x {x} A} |\n"


def test_unknown_block_and_type_expand_empty(run):
    assert run("set x 1\necho [${nosuch/x}][${x:bogus}][${nope}]\n").console == "[][][]\n"


def test_values_never_split_and_empty_args_pass(run):
    text = "set v a b\niseq ${v} a || echo one-word\niseq ${n1} ${n2} && echo equal-empties\n"
    assert run(text).console == "one-word\nequal-empties\n"


def test_numeric_tags_name_predefined_settings(run):
    assert run("set hostname box\necho ${12} ${0x0c}\n").console == "box box\n"


def test_scoped_lookup_finds_descendants(run):
    text = "set a.b/c deep\necho ${a/c} ${net0/ip} ${ip}\n"
    assert run(text).console == "deep 10.0.2.15 10.0.2.15\n"


def test_global_overrides_dhcp_for_unscoped_only(run):
    result = run("set filename mine\necho ${filename}\n", profile="efi")
    assert result.console == "mine\n"


def test_joining_keeps_separators_of_empty_args(run):
    assert run("set x ${e} b\necho [${x}]\nset y a ${e}\necho [${y}]\n").console == "[ b]\n[a ]\n"


def test_expanded_dash_value_is_an_option(run):
    result = run("set v -5\necho ${v}\n")
    assert result.console.startswith('Unrecognised option "-5"\nUsage:')
    assert result.status == 0x1C162282


def test_self_reference_is_reported_as_loop(run):
    result = run("read a\necho ${a}\n", keys="text:${a} ENTER")
    assert result.outcome == "loop"
    assert "never ends" in result.message


# --- §6 options ---------------------------------------------------------------------------------------


def test_no_permutation_and_double_dash(run):
    text = "imgfetch --name img data:,x\nimgargs img p q --autofree\nimgstat img\nimgargs img -- -x\nimgstat img\n"
    result = run(text, profile="efi")
    assert result.console.splitlines()[1:] == ['img : 1 bytes "p q --autofree"', 'img : 1 bytes "-- -x"']


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("prompt --time 5", 'Unrecognised option "--time"'),
        ("echo --n=5", 'Option "n" takes no argument'),
        ("prompt --timeout -5", 'Option "timeout" requires an argument'),
        ("prompt -k", 'Option "k" requires an argument'),
        ("echo - x", 'Unrecognised option "-"'),
    ],
)
def test_option_errors(run, line, message):
    result = run(line + "\n")
    assert result.console.startswith(message + "\nUsage:")
    assert result.status in (0x1C162282, 0x1C162382)


def test_short_option_forms(run):
    result = run("prompt -t500 x ||\necho ${errno}\nimgfetch -an y data:,z\nimgstat\n", profile="efi")
    assert result.console.splitlines()[0] == "0x4c22e092"
    assert result.console.splitlines()[2] == "y : 1 bytes [AUTOFREE]"


@pytest.mark.parametrize(
    ("value", "ok"), [("10", True), ("0x1f", True), ("017", True), ("08", False), ("+5", True)]
)
def test_integer_parsing(run, value, ok):
    result = run(f"sleep {value}\n")
    assert (result.status == 0) is ok
    if not ok:
        assert result.console == f'"{value}": invalid integer value\n'


def test_wrong_argument_count_prints_usage(run):
    result = run("iseq onlyone\n", profile="debian-12-efi")
    assert result.console == (
        "Usage:\n\n  iseq <value1> <value2>\n\nSee http://ipxe.org/cmd/iseq for further information\n"
    )
    assert result.status == 0x46162085


# --- §7 settings and types ----------------------------------------------------------------------------


def test_set_without_value_deletes(run):
    assert run("set x 1\nset x\nisset ${x} || echo gone\n").console == "gone\n"


def test_stored_type_is_kept(run):
    assert (
        run("set x:hex 01:02:ff\necho ${x} ${x:hexhyp} ${x:uint32}\n").console
        == "01:02:ff 01-02-ff 0x102ff\n"
    )


def test_type_reinterprets_bytes(run):
    assert run("set s 5\nset n:int8 -56\necho ${s:int8} ${n:uint8} ${n}\n").console == "53 0xc8 -56\n"


def test_bad_ipv4_fails_store(run):
    result = run("set bad:ipv4 999.1.1.1\n", profile="debian-12-efi")
    assert result.console == 'Could not store "bad": Invalid argument (http://ipxe.org/1c056082)\n'


def test_inc_rules(run):
    text = "inc n\ninc n 4\necho ${n}\nset u:uint8 2\ninc u\necho ${u}\nset i 0\ninc i\n"
    result = run(text, profile="debian-12-efi")
    assert result.console == (
        '5\n0x3\nCould not store "i": Operation not supported (http://ipxe.org/3c0c2083)\n'
    )


def test_loop_with_inc_counter(run):
    text = "set i:int32 0\n:loop\ninc i\niseq ${i} 3 || goto loop\necho ${i}\n"
    assert run(text).console == "3\n"


def test_show_prints_raw_value_and_origin(run):
    text = "read v\nshow v\nshow net0/mac\nshow ip\nshow version\n"
    result = run(text, profile="debian-12-efi", keys="text:${x} ENTER")
    assert result.console.splitlines() == [
        "${x}",
        "v:string = ${x}",
        "net0/mac:hex = 52:54:00:12:34:56",
        "net0.dhcp/ip:ipv4 = 10.0.2.15",
        "builtin/version:string = 1.0.0+git-20190125.36a4c85-5.1",
    ]


def test_show_unset_fails(run):
    result = run("show nothing\n", profile="debian-12-efi")
    assert (
        result.console == 'Could not find "nothing": No such file or directory (http://ipxe.org/2d0c208e)\n'
    )


def test_uristring_escapes(run):
    result = run("set pw a b/c\necho ${pw:uristring}\n")
    assert result.console == "a%20b%2Fc\n"


# --- §8/9 exit, goto, chain ---------------------------------------------------------------------------


def test_exit_stops_rest_of_line(run):
    result = run("exit 3 ; echo x\n")
    assert result.console == "" and result.outcome == "exit" and result.status == 3


def test_invalid_exit_status_does_not_exit(run):
    assert run("exit abc || echo x\n").console == '"abc": invalid integer value\nx\n'


def test_exit_large_status_wraps(run):
    result = run("exit 0x80000005\n")
    assert result.status == 0x7FFFFFFB
    assert result.error == "Error 0x7ffffffb"


def test_goto_resumes_at_label_line(run):
    assert run("goto l ; echo skipped\necho no\n:l echo here\n").console == "here\n"


def test_chain_status_returns_to_caller(run):
    run.file("child.ipxe", "#!ipxe\necho child\nexit 5\n")
    result = run(
        "chain child.ipxe || echo status ${errno}\nchain child.ipxe\necho never\n", profile="debian-12-efi"
    )
    assert result.console.splitlines() == [
        "child.ipxe... ok",
        "child",
        "Could not boot: Error 0x00000005 (http://ipxe.org/00000005)",
        "status 0x5",
        "child",
        "Could not boot: Error 0x00000005 (http://ipxe.org/00000005)",
    ]
    assert result.outcome == "error" and result.status == 5


def test_chain_name_reuses_registered_image(run):
    run.file("c.ipxe", "#!ipxe\necho once\n")
    result = run("chain c.ipxe\nchain c.ipxe\n")
    assert result.console == "c.ipxe... ok\nonce\nonce\n"


def test_replace_is_a_tail_call(run):
    run.file("next.ipxe", "#!ipxe\necho next\nexit 4\n")
    result = run("chain --replace next.ipxe ; echo no\necho no\n")
    assert result.console == "next.ipxe... ok\nnext\n"
    assert result.outcome == "exit" and result.status == 4


def test_boot_with_nothing_selected_succeeds(run):
    assert run("boot && echo yes\n").console == "No image selected\nyes\n"


def test_running_script_not_in_imgstat(run):
    run.file("c.ipxe", "#!ipxe\nimgstat\n")
    result = run("imgfetch data:,x\nchain c.ipxe\nimgstat\n", profile="efi")
    assert result.console.splitlines() == [
        "data:,x... ok",
        "c.ipxe... ok",
        ",x : 1 bytes",
        ",x : 1 bytes",
        "c.ipxe : 15 bytes [script]",
    ]


def test_prompt_outcomes(run):
    text = "prompt --key a --timeout 1000 go ||\necho ${errno}\nprompt --timeout 1000 t ||\necho ${errno}\n"
    result = run(text, keys="b")
    assert result.console == "0xb22e095\n0x4c22e092\n"


def test_prompt_without_timeout_or_keys_is_stuck(run):
    result = run("prompt Press a key\n")
    assert result.outcome == "stuck"
    assert result.where == "main.ipxe:2"


def test_shell_ends_run_unless_keys(run):
    assert run("shell\n").outcome == "shell"
    result = run("shell\necho after ${x}\n", keys="text:set ENTER text:x ENTER", raw=False)
    assert result.outcome == "shell"
    result = run("shell\necho after ${x}\n", keys="text:set SPACE text:x SPACE 1 ENTER text:exit ENTER")
    assert result.console.endswith("after 1\n")
    assert result.outcome == "exit"


def test_read_prefills_and_stores(run):
    result = run("set v abc\nread v\necho v=${v}\n", keys="BACKSPACE text:Z ENTER")
    assert result.console == "abZ\nv=abZ\n"


def test_sleep_costs_no_real_time(run):
    import time

    started = time.monotonic()
    result = run("set t0:int32 ${unixtime}\nsleep 3600\nset t1:int32 ${unixtime}\necho ${t0} ${t1}\n")
    assert time.monotonic() - started < 5
    t0, t1 = (int(v) for v in result.console.split())
    assert t1 - t0 == 3600
    assert abs(t0 - time.time()) < 60  # the run starts at the host's time, like the VM's clock


def test_sleep_interrupted_by_ctrl_c(run):
    result = run("sleep 5 || echo interrupted ${errno}\n", keys="CTRL-C")
    assert result.console == "interrupted 0xb022095\n"


def test_read_cancel_keeps_typed_text(run):
    result = run("read r\n", keys="text:ab CTRL-C", profile="debian-12-efi")
    assert result.console == "ab\n"
    assert result.status == 0x0B32E095


def test_read_timeout_applies_to_first_key(run):
    result = run("read --timeout 100 v ||\necho ${errno}\n", profile="efi")
    assert result.console == "\n0x4c32e092\n"  # the line is ended (recorded: read_timeout_typed)


def test_goto_typed_in_shell_moves_the_script(run):
    text = "shell\necho skipped\n:lbl\necho resumed\n"
    result = run(text, keys="text:goto SPACE text:lbl ENTER text:exit ENTER")
    assert result.console.endswith("resumed\n")
    assert "skipped" not in result.console


def test_data_uri_script(run):
    result = run("imgfetch data:,%23!ipxe%0Aecho%20hi\nimgstat\n", profile="efi")
    # named after the decoded opaque part (no "/" in it): an odd name, newline included
    assert result.console.endswith("\n,#!ipxe\necho hi : 14 bytes [script]\n")
    result = run("chain --name s data:,%23!ipxe%0Aecho%20hi\n", profile="efi")
    assert result.console.splitlines()[-1] == "hi"
