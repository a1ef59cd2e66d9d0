"""Regressions from linting real-world scripts: templates, --fix safety, severities, misses, hints.

Every script here is written for the test (none is copied from a real project); each reproduces one
shape seen in public iPXE repositories.
"""

from __future__ import annotations

import json

import pytest
from conftest import findings, lines_of
from hypothesis import given, settings
from hypothesis import strategies as st

from ipxescript.analysis.diagnostics import Severity
from ipxescript.analysis.suggest import close_names, edit_distance
from ipxescript.lint import lint_source
from ipxescript.lint.config import LintConfig, config_from_table
from ipxescript.lint.fixes import fix_text
from ipxescript.lint.template import mask_template


def loud(text: str, config: LintConfig | None = None, path: str = "t.ipxe") -> list[tuple[str, str]]:
    return [
        (d.code, d.severity.value) for d in lint_source(text, path, config) if d.severity != Severity.INFO
    ]


def errors(text: str, config: LintConfig | None = None, path: str = "t.ipxe") -> list[str]:
    return [d.code for d in lint_source(text, path, config) if d.severity == Severity.ERROR]


def diag(text: str, code: str, config: LintConfig | None = None):  # type: ignore[no-untyped-def]
    found = [d for d in lint_source(text, "t.ipxe", config) if d.code == code]
    assert found, f"{code} not reported"
    return found[0]


def fixed(text: str, unsafe: bool = True, config: LintConfig | None = None) -> str:
    return fix_text(text, lambda t: lint_source(t, "t.ipxe", config), unsafe)[0]


# 1. templates: auto-detection, ERB, fixes never touch template lines

JINJA_MENU = """#!ipxe
menu Configs
item config-{{ configs[0].id }} First
choose --default config-{{ configs[0].id }} --timeout 30000 selected || goto done
goto ${selected}
{% for c in configs %}
:config-{{ c.id }}
chain http://boot.example.com/{{ c.id }}.ipxe
{% endfor %}
:done
"""

ERB_MENU = """#!ipxe
:<%= @distro %>
clear <%= @distro %>_version
<% if @extra %>
chain http://boot.example.com/<%= @distro %>.ipxe
<% end %>
"""

GO_MENU = """#!ipxe
menu Boot
{{ range .Items }}
item {{ .Name }} {{ .Title }}
{{ end }}
choose target || exit
chain {{ .Base }}/${target}.ipxe
"""

MUSTACHE_MENU = """#!ipxe
{{#consoles}}
console --x {{width}} --y {{height}}
{{/consoles}}
chain http://boot.example.com/{{name}}.ipxe
"""


@pytest.mark.parametrize(
    "text", [JINJA_MENU, ERB_MENU, GO_MENU, MUSTACHE_MENU], ids=["jinja", "erb", "go", "mustache"]
)
def test_templates_are_detected_without_the_option(text):
    assert errors(text) == []
    assert errors(text, LintConfig(template="none")), "the raw template text does give errors"


def test_erb_mode_masks_erb_tags():
    assert errors(ERB_MENU, LintConfig(template="erb")) == []
    masked, regions = mask_template(ERB_MENU, "erb")
    assert len(masked) == len(ERB_MENU) and len(regions) == 5
    assert "<%" not in masked and masked.count("\n") == ERB_MENU.count("\n")


def test_explicit_jinja_and_go_modes_still_work():
    assert errors(JINJA_MENU, LintConfig(template="jinja")) == []
    assert errors(GO_MENU, LintConfig(template="go")) == []


def test_a_plain_script_is_not_masked():
    text = "#!ipxe\nset a x\necho ${a${b}}\n"
    masked, regions = mask_template(text, "auto")
    assert regions == [] and masked == text


def test_fix_never_edits_a_template_line():
    text = "#!ipxe\nitem --key x {{ id }} Title --key y\nchain {{ base }}/a.ipxe --autofree\nchian http://h/{{ x }}\n"
    assert fixed(text) == text


def test_fix_with_a_template_elsewhere_still_fixes_plain_lines():
    text = "#!ipxe\necho {{ greeting }}\ngoto :end\n:end\n"
    assert fixed(text, unsafe=False) == "#!ipxe\necho {{ greeting }}\ngoto end\n:end\n"


def test_cli_fix_keeps_a_jinja_template_byte_for_byte(tmp_path, run_cli):
    path = tmp_path / "menu.ipxe.j2"
    path.write_text(JINJA_MENU.replace("--timeout 30000 selected", "selected --timeout 30000"))
    before = path.read_bytes()
    run_cli("--fix", "--unsafe-fixes", str(path))
    assert path.read_bytes() == before


def test_cli_accepts_the_template_kinds(tmp_path, run_cli):
    path = tmp_path / "menu.ipxe.erb"
    path.write_text(ERB_MENU)
    for kind in ("auto", "erb", "jinja", "go", "none"):
        result = run_cli("--format", "json", "--template", kind, str(path))
        assert result.returncode in (0, 1), result.stderr
        assert "Traceback" not in result.stderr
    assert json.loads(run_cli("--format", "json", "--template", "erb", str(path)).stdout) == []


def test_config_file_accepts_erb_and_auto():
    assert config_from_table({"template": "erb"}).template == "erb"
    assert config_from_table({"template": "auto"}).template == "auto"


# 2. IPX001 and a template comment before the magic line


def test_template_comment_before_magic_is_not_an_error():
    text = "{# rendered with trim_blocks #}\n#!ipxe\necho {{ greeting }}\n"
    found = [d for d in lint_source(text, "t.ipxe.j2") if d.code == "IPX001"]
    assert [d.severity for d in found] == [Severity.INFO]
    assert "trim" in found[0].message


@pytest.mark.parametrize(
    "text",
    [
        "  #!ipxe\necho hi\n",
        "\n#!ipxe\necho hi\n",
        "{# c #}\n\n#!ipxe\necho {{ x }}\n",
        "{# c #}\n  #!ipxe\n",
    ],
)
def test_real_blank_space_before_magic_stays_an_error(text):
    assert "IPX001" in errors(text)


# 3. IPX201 severity by path


def test_goto_missing_label_on_a_failure_path_is_a_warning():
    d = diag("#!ipxe\nkernel http://h/vmlinuz || goto retry\nboot\n", "IPX201")
    assert d.severity == Severity.WARNING
    assert "fails" in d.message and "script ends" in d.message and "add ':retry'" in d.message


@pytest.mark.parametrize(
    "line",
    ["goto retry", "iseq ${a} b && goto retry ||", "goto retry ||", "echo x ; goto retry"],
)
def test_goto_missing_label_on_a_success_path_is_an_error(line):
    d = diag(f"#!ipxe\nset a b\n{line}\necho ${{a}}\n", "IPX201")
    assert d.severity == Severity.ERROR
    assert lines_of(f"#!ipxe\nset a b\n{line}\necho ${{a}}\n", "IPX201") == [3]


# 4. misses: inc on a string, unsigned compares, glued operators

INC_STRING = "#!ipxe\nset i 0\n:loop\ninc i\niseq ${i} 3 || goto loop\n"


def test_inc_on_a_string_setting_is_an_error_with_a_fix():
    d = diag(INC_STRING, "IPX409")
    assert d.severity == Severity.ERROR and lines_of(INC_STRING, "IPX409") == [4]
    assert "int32" in d.message
    assert fixed(INC_STRING, unsafe=False).startswith("#!ipxe\nset i:int32 0\n")
    assert "IPX409" not in {c for c, _l, _c in findings(fixed(INC_STRING, unsafe=False))}


@pytest.mark.parametrize(
    "text",
    [
        "#!ipxe\nset i:int32 0\ninc i\necho ${i}\n",
        "#!ipxe\ninc i\necho ${i}\n",  # inc creates an int32
        "#!ipxe\nset i 0\nclear i\ninc i\necho ${i}\n",
        "#!ipxe\ninc i\nset i done\necho ${i}\n",
    ],
)
def test_inc_without_a_string_before_it_is_fine(text):
    assert "IPX409" not in {c for c, _l, _c in findings(text)}


@pytest.mark.parametrize(
    ("text", "line", "shown"),
    [
        ("#!ipxe\nset n:uint8 0\n:l\ninc n\niseq ${n} 3 || goto l\n", 5, "0x3"),
        ("#!ipxe\nchain http://h/x ||\niseq ${errno} 0 && echo ok ||\n", 3, "0x0"),
        ("#!ipxe\nset t:int32 5\niseq 10 ${t:uint16} && echo y ||\n", 3, "0xa"),
    ],
)
def test_unsigned_values_compared_with_decimal_numbers(text, line, shown):
    d = diag(text, "IPX410")
    assert d.severity == Severity.WARNING and lines_of(text, "IPX410") == [line]
    assert shown in d.message and d.fix is not None and d.fix.edits[0].text == shown


@pytest.mark.parametrize(
    "text",
    [
        "#!ipxe\niseq ${errno} 0x0 && echo ok ||\n",
        "#!ipxe\nset n:int32 0\niseq ${n} 3 && echo y ||\n",
        "#!ipxe\nset n 0\niseq ${n} 3 && echo y ||\n",
    ],
)
def test_signed_or_hex_compares_are_fine(text):
    assert "IPX410" not in {c for c, _l, _c in findings(text)}


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("#!ipxe\necho a;echo b\n", 2),
        ("#!ipxe\nchain http://h/x.ipxe||goto retry\n:retry\n", 2),
        ("#!ipxe\ngoto winpe ||1\n:winpe\n", 2),
        ("#!ipxe\nimgfetch http://h/a&&boot\n", 2),
    ],
)
def test_operators_glued_to_words(text, line):
    d = diag(text, "IPX111")
    assert d.severity == Severity.WARNING and lines_of(text, "IPX111") == [line]
    assert d.fix is not None and not d.fix.safe


@pytest.mark.parametrize(
    "text",
    [
        '#!ipxe\nkernel http://h/grub.exe\nimgargs grub.exe --config-file="map (hd0);boot" ||\nboot\n',
        "#!ipxe\nmenu M\nitem x Keep going!!||\nchoose t || exit\n",
        "#!ipxe\nchain http://h/a.ipxe?x=1;y=2 || goto r\n:r\n",
        "#!ipxe\necho a ; echo b\n",
    ],
)
def test_operator_like_text_that_is_data_is_fine(text):
    assert "IPX111" not in {c for c, _l, _c in findings(text)}


def test_glued_operator_in_the_command_name_explains_the_spacing():
    d = diag("#!ipxe\ndhcp||goto retry\n:retry\n", "IPX101")
    assert "whole words" in d.message and d.fix is not None and d.fix.edits[0].text == "dhcp || goto"


# 5. did-you-mean: close enough, valid after the fix, never for template text, no menu loops


@pytest.mark.parametrize(
    ("word", "names", "expected"),
    [
        ("sub", ["gdbstub", "echo"], []),
        ("break", ["read", "reboot"], []),
        ("boot", ["boottype"], []),
        ("{{#consoles}}", ["console"], []),
        ("@distro", ["vdestroy"], []),
        ("chian", ["chain", "chown"], ["chain"]),
        ("strat", ["start"], ["start"]),
        ("tool", ["tools"], ["tools"]),
        ("isseq", ["iseq", "isset"], ["iseq"]),
        ("inititator-iqn", ["initiator-iqn"], ["initiator-iqn"]),
    ],
)
def test_suggestions_are_only_typos(word, names, expected):
    assert close_names(word, names)[: len(expected) or 1] == expected


def test_edit_distance_matches_the_definition():
    assert edit_distance("strat", "start", 2) == 1
    assert edit_distance("kitten", "sitting", 2) == 3  # beyond the limit: limit + 1
    assert edit_distance("abc", "abc", 1) == 0
    assert edit_distance("", "ab", 2) == 2


def test_unknown_command_hints():
    assert "did you mean" not in diag("#!ipxe\nsub\n", "IPX101").message
    d = diag("#!ipxe\nsleep1\n", "IPX101")
    assert "'sleep 1'" in d.message and d.fix is not None and d.fix.edits[0].text == "sleep 1"
    assert fixed("#!ipxe\nsleep1\n") == "#!ipxe\nsleep 1\n"
    d = diag("#!ipxe\nchian http://h/x\n", "IPX101")
    assert "'chain'" in d.message and d.fix is not None


def test_an_unknown_command_fix_is_dropped_when_the_line_would_still_be_wrong():
    d = diag("#!ipxe\nslep\n", "IPX101")  # 'sleep' needs an argument
    assert "did you mean 'sleep'" in d.message and d.fix is None


def test_goto_label_fix_never_jumps_back_into_a_menu():
    text = "#!ipxe\n:os_menu\nmenu OS\nitem a A\nchoose t || goto os_meny\n"
    d = diag(text, "IPX201")
    assert d.fix is None and "loop" in d.message
    forward = diag("#!ipxe\ngoto strat\n:start\necho hi\n", "IPX201")
    assert forward.fix is not None and forward.fix.edits[0].text == "start"


def test_goto_boot_gets_no_far_fetched_hint():
    d = diag("#!ipxe\niseq ${a} b && goto boot ||\n:boottype\necho\n", "IPX201")
    assert "did you mean" not in d.message


# 6. lower-priority false positives


def test_items_handled_by_iseq_before_the_dispatch():
    text = (
        "#!ipxe\nmenu M\nitem a Alpha\nitem b Beta\nchoose t || exit\n"
        "iseq ${t} b && goto common ||\ngoto ${t}\n:a\necho a\n:common\necho c\n"
    )
    assert "IPX304" not in {c for c, _l, _c in findings(text)}
    missing = text.replace("iseq ${t} b && goto common ||\n", "")
    assert lines_of(missing, "IPX304") == [4]


def test_dispatch_filtered_by_iseq_on_the_same_line():
    text = "#!ipxe\nmenu M\nitem a A\nitem b B\nchoose t || exit\niseq ${t} a && goto ${t} ||\n:a\necho a\n"
    assert "IPX304" not in {c for c, _l, _c in findings(text)}


def test_imgselect_of_the_kernel_just_loaded():
    text = "#!ipxe\nkernel --name vmlinuz http://h/vmlinuz\ninitrd http://h/initrd.img\nimgselect vmlinuz\nboot\n"
    assert "IPX209" not in {c for c, _l, _c in findings(text)}


def test_alternative_kernels_under_tests():
    text = (
        "#!ipxe\niseq ${buildarch} x86_64 && kernel http://h/wimboot ||\n"
        "iseq ${buildarch} i386 && kernel http://h/wimboot.i386 ||\ninitrd http://h/boot.wim boot.wim\nboot\n"
    )
    assert "IPX209" not in {c for c, _l, _c in findings(text)}
    assert lines_of("#!ipxe\nkernel http://h/a\nkernel http://h/b\nboot\n", "IPX209") == [2]


def test_settings_tested_with_isset_get_no_did_you_mean_warning():
    text = "#!ipxe\nset menu-default x\nisset ${submenu-defaul} && goto sub ||\nexit\n:sub\necho ${submenu-defaul}\n"
    assert [d.severity for d in lint_source(text, "t.ipxe") if d.code == "IPX403"] == [Severity.INFO]
    typo = "#!ipxe\nset initiator-iqn iqn.x\necho ${inititator-iqn}\n"
    # alone, a parent may set it: an info that still says what it probably is
    found = diag(typo, "IPX403")
    assert found.severity == Severity.INFO and "did you mean 'initiator-iqn'" in found.message


@pytest.mark.parametrize(
    "text",
    [
        "#!ipxe\nset root-shadow $1$abcdefgh$Xyz0123.\necho ${root-shadow}\n",
        '#!ipxe\nkernel http://h/vmlinuz script="echo $HOME" pw=$6$salt$hash\nboot\n',
        "#!ipxe\necho Your`s CPU\n",
    ],
)
def test_dollar_words_that_are_data(text):
    assert "IPX405" not in {c for c, _l, _c in findings(text)}


def test_shell_variables_in_ipxe_words_are_still_reported():
    assert lines_of("#!ipxe\nchain http://h/$arch/boot.ipxe\n", "IPX405") == [2]
    assert lines_of("#!ipxe\necho `date`\n", "IPX405") == [2]


def test_imgstat_without_names_cannot_fail():
    assert "IPX207" not in {c for c, _l, _c in findings("#!ipxe\nimgstat && sleep 3\n")}
    assert lines_of("#!ipxe\nimgstat vmlinuz && sleep 3\n", "IPX207") == [2]


def test_unreachable_trailing_comment_continuation_is_only_a_note():
    # never reached, so nothing happens (like parked dead code, IPX204): a note, still with its message
    text = "#!ipxe\nkernel http://h/vmlinuz\nboot\n# debug \\"
    assert diag(text, "IPX002").severity == Severity.INFO
    assert diag("#!ipxe\nchain http://h/x || shell\\", "IPX002").severity == Severity.ERROR
    assert diag("#!ipxe\nboot || echo failed\n# debug \\", "IPX002").severity == Severity.ERROR


def test_label_targeted_only_by_an_unreachable_goto_says_so():
    text = "#!ipxe\n:menu\nprompt x ||\ngoto menu || goto failsafe\n:failsafe\necho f\n"
    d = diag(text, "IPX203")
    assert "can never run" in d.message and "line 4" in d.message


# 7. cost of did-you-mean on many missing labels


@pytest.mark.timeout(60)
def test_many_missing_gotos_get_their_hint():
    lines = ["#!ipxe"]
    for i in range(900):
        lines += [f":section_number_{i}", f"echo {i}"]
    lines += [f"iseq ${{x}} {i} && goto section_numbr_{i} ||" for i in range(300)]
    text = "\n".join(lines) + "\n"
    # Its cost is measured by benchmarks/bench_lint.py (speed is never a timed test); the 60 s timeout
    # above only catches a return of the quadratic search (11.7 s once, on an idle machine).
    found = lint_source(text, "t.ipxe", LintConfig(select=("IPX201",)))
    assert len(found) == 300
    # each the label of its own number (another number is another section, not a typo)
    assert all(f"did you mean 'section_number_{i}'?" in d.message for i, d in enumerate(found))


def test_a_bom_gives_one_finding_not_an_unknown_command_too():
    found = [d.code for d in lint_source("\ufeff#!ipxe\necho hi\n", "t.ipxe")]
    assert found == ["IPX001"]


def test_a_dash_value_expanded_in_option_position():
    text = "#!ipxe\nset v -5\necho ${v}\necho -- ${v}\necho value: ${v}\n"
    assert lines_of(text, "IPX411") == [3]
    assert "IPX411" not in {c for c, _l, _c in findings("#!ipxe\nset v 5\necho ${v}\n")}
    assert "IPX411" not in {c for c, _l, _c in findings("#!ipxe\nset v -5\nread v\necho ${v}\n")}


def test_choose_without_a_fallback_is_only_an_info():
    text = "#!ipxe\nmenu M\nitem a A\nchoose t && goto ${t}\n:a\necho a\n"
    assert [
        (d.severity, lines_of(text, "IPX207")) for d in lint_source(text, "t.ipxe") if d.code == "IPX207"
    ] == [(Severity.INFO, [4])]


@given(st.text(alphabet=st.sampled_from(list("{}%#<>=-@ \n:abx$")), max_size=80))
@settings(max_examples=300, deadline=None)
def test_masking_keeps_every_position_and_never_crashes_the_linter(text):
    for kind in ("auto", "jinja", "go", "erb"):
        masked, regions = mask_template(text, kind)
        assert len(masked) == len(text)
        assert [i for i, c in enumerate(masked) if c == "\n"] == [i for i, c in enumerate(text) if c == "\n"]
        assert all(text[a:b] != masked[a:b] or not text[a:b].strip() for a, b in regions)
    found = lint_source("#!ipxe\n" + text, "t.ipxe")
    assert not [d for d in found if d.code == "IPX000"]


# 8. issue 10: the new checks keep quiet on the shapes real repositories use on purpose


def codes(text: str) -> list[str]:
    return [d.code for d in lint_source(text, "t.ipxe") if d.severity != Severity.INFO]


def all_codes(text: str) -> list[str]:
    return [d.code for d in lint_source(text, "t.ipxe")]


def test_kernel_fallbacks_on_one_line_are_one_load():
    text = "#!ipxe\nkernel http://a.example/linux || kernel http://b.example/linux || kernel http://c.example/linux\nboot\n"
    assert "IPX209" not in codes(text)
    # a second kernel on its own line still replaces the first one unbooted
    assert "IPX209" in codes("#!ipxe\nkernel http://a.example/linux\nkernel http://b.example/linux\nboot\n")


def test_a_line_that_always_jumps_hides_the_dispatch_below_it():
    menu = "#!ipxe\nmenu M\nitem a A\nitem b B\nchoose sel || goto done\n"
    tail = ":a\nkernel http://x.example/a\nboot\n:done\nexit\n"
    assert "IPX306" in codes(menu + "goto ${sel} ||\n" + tail)
    assert "IPX306" not in codes(menu + "set picked ${sel} && goto done ||\ngoto ${sel} ||\n" + tail)


def test_a_dispatch_fallback_that_uses_the_choice_or_only_reports_is_deliberate():
    menu = "#!ipxe\nmenu M\nitem a A\nitem b B\nchoose sel || goto done\ngoto ${sel} ||\n"
    tail = ":a\nkernel http://x.example/a\nboot\n:done\nexit\n"
    assert "IPX306" not in codes(menu + "chain --autofree ${sel}.ipxe || goto done\ngoto done\n" + tail)
    assert "IPX306" not in codes(menu + "echo no such entry\ngoto done\n" + tail)


def test_a_chain_that_returns_into_an_error_handler_is_not_reported():
    text = "#!ipxe\nchain --autofree http://x.example/menu.ipxe || goto failed\n:failed\necho failed\nshell\n"
    assert "IPX211" not in all_codes(text)
    loads = "#!ipxe\n:tools\nchain --autofree http://x.example/t.ipxe\n:install\nkernel http://x.example/k\nboot\n"
    assert "IPX211" in all_codes(loads)  # a note: one file alone, the child unknown
    # a kernel or an EFI program returns only when it failed to start
    assert "IPX211" not in all_codes(loads.replace("t.ipxe", "ipxe.efi"))


def test_or_then_and_between_tests_or_after_a_jump_reads_as_written():
    assert "IPX212" not in codes("#!ipxe\nisset ${a} || isset ${b} && set both yes ||\n")
    assert "IPX212" not in codes("#!ipxe\nisset ${u} && goto go || echo unset && goto go\n:go\n")
    assert "IPX212" not in codes("#!ipxe\nchain --autofree m.ipxe || echo failed && goto go\n:go\n")
    assert "IPX212" in codes("#!ipxe\nifconf || echo failed && goto manual\n:manual\n")


def test_reusing_version_for_a_distribution_is_only_a_note():
    found = [(d.code, d.severity) for d in lint_source("#!ipxe\nset version 12\necho ${version}\n", "t.ipxe")]
    assert ("IPX412", Severity.INFO) in found
    assert ("IPX412", Severity.WARNING) in [
        (d.code, d.severity) for d in lint_source("#!ipxe\nset errno 0\n", "t.ipxe")
    ]
    assert ("IPX412", Severity.ERROR) in [
        (d.code, d.severity) for d in lint_source("#!ipxe\nset builtin/platform efi\n", "t.ipxe")
    ]
    assert "IPX412" not in [d.code for d in lint_source("#!ipxe\nclear errno\nset net0/errno 1\n", "t.ipxe")]


def test_a_quoted_value_is_fine_quoted_parameters_are_not():
    assert "IPX413" not in codes('#!ipxe\nkernel http://x.example/linux dyndbg="file x.c +p" quiet\nboot\n')
    assert "IPX413" not in codes('#!ipxe\nkernel http://x.example/linux "console=ttyS0"\nboot\n')
    text = '#!ipxe\nkernel http://x.example/linux "console=ttyS0 quiet" ro\nboot\n'
    assert "IPX413" in codes(text)
    assert fixed(text) == "#!ipxe\nkernel http://x.example/linux console=ttyS0 quiet ro\nboot\n"


def test_images_freed_on_the_way_back_or_kernels_only_reused_are_quiet():
    retry = "#!ipxe\n:retry\nkernel http://x.example/linux || goto retry\nboot || goto retry\n"
    assert "IPX505" not in codes(retry)  # 'kernel' finds the image it loaded by name
    again = "#!ipxe\n:retry\nkernel http://x.example/linux\ninitrd http://x.example/initrd.img\nboot || goto retry\n"
    assert codes(again).count("IPX505") == 1
    assert "IPX505" not in codes(again.replace(":retry\n", ":retry\nimgfree\n"))


def test_a_chained_script_is_only_reported_when_a_kernel_may_follow():
    assert "IPX506" not in codes("#!ipxe\nchain http://x.example/menu.ipxe || goto failed\n:failed\nshell\n")
    assert "IPX506" not in codes(
        "#!ipxe\nchain http://x.example/menu.ipxe ||\nimgfree\nkernel http://x.example/k\nboot\n"
    )
    assert "IPX506" in codes("#!ipxe\nchain http://x.example/menu.ipxe ||\nkernel http://x.example/k\nboot\n")


def test_imgfree_of_another_image_leaves_the_kernel_selected():
    text = "#!ipxe\nkernel http://x.example/linux\nimgfetch http://x.example/menu.ipxe\nimgfree menu.ipxe\nboot\n"
    assert "IPX504" not in codes(text)
    assert "IPX504" in codes(text.replace("imgfree menu.ipxe", "imgfree linux"))


def test_a_kernel_falling_into_its_retry_loop_is_booted_there():
    text = (
        "#!ipxe\nkernel http://x.example/memdisk iso raw\n:retry\niseq ${try} xxx && exit ||\nset try ${try}x\n"
        "initrd http://x.example/a.iso || goto retry\nboot\n"
    )
    assert "IPX209" not in codes(text)


def test_a_password_hash_or_a_shell_command_shown_to_the_user_is_not_shell_syntax():
    assert "IPX405" not in codes("#!ipxe\nset root-shadow $1$AbCdEfGh.\necho ${root-shadow}\n")
    assert "IPX405" not in codes("#!ipxe\necho decode it with: date --date=@$((${unixtime}))\n")
    assert "IPX405" in codes("#!ipxe\nset stamp $(date)\necho ${stamp}\n")


def test_a_per_host_script_that_returns_into_its_own_fallback_is_deliberate():
    text = (
        "#!ipxe\nchain --autofree http://x.example/hosts/${mac}.ipxe || goto default\n:default\n"
        "chain --autofree http://x.example/menu.ipxe\n"
    )
    assert "IPX211" not in all_codes(text)
    assert "IPX211" in all_codes(text.replace("goto default", "goto failed") + ":failed\nshell\n")


def test_a_label_repeated_in_a_row_or_in_template_branches_is_not_a_duplicate():
    assert "IPX202" not in codes("#!ipxe\ngoto reload\n:reload\n:reload\necho reloading\n")
    branches = (
        "#!ipxe\n{% if a %}\n:start\nchain --autofree {{ u }}/a.ipxe\n{% else %}\n:start\nexit\n{% endif %}\n"
    )
    assert "IPX202" not in codes(branches)
    assert "IPX202" in codes("#!ipxe\ngoto a\n:a\necho one\n:a\necho two\n")


def test_an_extra_boot_after_sanboot_or_chain_is_only_a_note():
    text = "#!ipxe\nsanboot --no-describe http://x.example/a.iso && boot ||\nchain http://x.example/b.efi ||\nboot\n"
    assert "IPX501" not in codes(text)
    assert [d.severity for d in lint_source(text, "t.ipxe") if d.code == "IPX501"] == [Severity.INFO] * 2
    assert "IPX501" in codes("#!ipxe\nsanhook iscsi:10.0.0.1::::iqn.x ||\nboot ||\n")


def test_a_quoted_word_inside_a_message_is_prose_a_quoted_value_is_not():
    assert "IPX406" not in codes("#!ipxe\nset hint Your CPU is 64-bit, press 'Y' to continue\necho ${hint}\n")
    assert "IPX406" in codes('#!ipxe\nset opts "quiet splash"\necho ${opts}\n')


def test_a_default_among_items_a_template_writes_is_not_reported():
    text = (
        "#!ipxe\nmenu M\n{% for v in versions %}\nitem {{ v.name }} {{ v.title }}\n{% endfor %}\nitem shell Shell\n"
        "choose --default eve_1 selected || goto done\ngoto ${selected}\n:shell\nshell\n:done\nexit\n"
    )
    assert "IPX302" not in codes(text)


def test_dead_code_that_only_jumps_or_prints_is_a_note():
    spare = "#!ipxe\n:menu\ngoto menu || goto failsafe\ngoto done\n:failsafe\necho failsafe\nexit\n:done\n"
    assert "IPX204" not in codes(spare) and "IPX204" in all_codes(spare)
    parked = "#!ipxe\ngoto done\nkernel http://x.example/linux\nboot\n:done\n"
    assert "IPX204" not in codes(parked) and "IPX204" in all_codes(parked)
    hidden = "#!ipxe\niseq ${a} b && goto done || goto done\nset server x\n:done\necho ${server}\n"
    assert "IPX204" in codes(hidden)


def test_an_unknown_command_that_can_never_run_is_a_note():
    text = "#!ipxe\ngoto a\nexit 0\ninitrd.gz  ldlinux.c32  linux\n:a\necho a\n"
    found = [(d.code, d.severity) for d in lint_source(text, "t.ipxe") if d.code == "IPX101"]
    assert found == [("IPX101", Severity.INFO)]
    assert errors("#!ipxe\nchian http://x.example/menu.ipxe\n") == ["IPX101"]


def _tree_findings(tmp_path, files: dict[str, str], code: str) -> list[tuple[str, str]]:
    from ipxescript.lint.engine import lint_tree

    for name, text in files.items():
        (tmp_path / name).write_text(text)
    paths = [(str(tmp_path / name), text, LintConfig()) for name, text in files.items()]
    results = lint_tree(paths, root=tmp_path)
    return [
        (name, d.severity.value)
        for name, result in zip(files, results, strict=True)
        for d in result.diagnostics
        if d.code == code
    ]


def test_in_a_tree_a_chained_menu_that_can_return_into_the_next_section_is_a_warning(tmp_path):
    menu = (
        "#!ipxe\nmenu M\nitem tools Tools\nitem install Install\nchoose t && goto ${t} || exit\n"
        ":tools\nchain --autofree tools.ipxe || goto failed\n"
        ":install\nkernel http://x.example/vmlinuz\nboot || goto failed\n:failed\nshell\n"
    )
    returns = "#!ipxe\nmenu Tools\nitem back Back\nchoose t || exit 0\nexit 0\n"
    boots = "#!ipxe\nkernel http://x.example/memtest\nboot\n"
    assert _tree_findings(tmp_path, {"menu.ipxe": menu, "tools.ipxe": returns}, "IPX211") == [
        ("menu.ipxe", "warning")
    ]
    # a sub-menu that only boots never returns normally: nothing to report
    assert _tree_findings(tmp_path, {"menu.ipxe": menu, "tools.ipxe": boots}, "IPX211") == []


def test_a_cheetah_template_is_masked_like_the_other_template_kinds():
    text = (
        "#!ipxe\nset menu-timeout 20000\nisset \\${menu-default} || set menu-default $default_profile\n"
        ":start\nmenu Boot\nitem local (local)\n#for $label in $menu_labels\n"
        'item $label["name"] $label["display_name"]\n#end for\n'
        "choose --default \\${menu-default} --timeout \\${menu-timeout} target && goto \\${target} ||\n"
        "$menu_items\n:local\nsanboot --no-describe --drive 0x80\n"
    )
    assert codes(text) == []
    # a plain script with a dollar word is still read as iPXE reads it
    assert "IPX405" in codes("#!ipxe\n#if you need it\nset x $HOSTNAME\necho ${x}\n")


# 9. precision pass on the corpus (tree engineer, second round)


def test_a_setting_the_chosen_build_lacks_expands_to_nothing():
    # a BIOS build has no ${cpuvendor}/${peerdist}: with that profile chosen, reading one is a warning
    text = "#!ipxe\necho ${cpuvendor} ${peerdist} ${platform}\nisset ${syslog} && echo logging\n"
    pcbios = LintConfig(profile="pcbios")
    found = [
        (d.message.split("'")[1], d.severity)
        for d in lint_source(text, "t.ipxe", pcbios)
        if d.code == "IPX403"
    ]
    assert found == [
        ("cpuvendor", Severity.WARNING),
        ("peerdist", Severity.WARNING),
        ("syslog", Severity.INFO),
    ]
    assert "the pcbios build has no 'cpuvendor' setting" in diag(text, "IPX403", pcbios).message
    # the EFI build has cpuvendor and syslog, not peerdist
    efi = [
        d.message.split("'")[1]
        for d in lint_source(text, "t.ipxe", LintConfig(profile="efi"))
        if d.code == "IPX403"
    ]
    assert efi == ["peerdist"]
    # no profile: the build is unknown, every iPXE setting counts as set; a script that sets one is fine
    assert [d for d in lint_source(text, "t.ipxe") if d.code == "IPX403"] == []
    assert [d.code for d in lint_source("#!ipxe\nset peerdist 0\necho ${peerdist}\n", "t.ipxe", pcbios)] == []


# 10. out-of-sample corpus (repositories not tuned on): false alarms found there


def test_build_placeholder_in_a_command_line_is_template_text():
    # a .ipxe.in file whose build replaces ##SERVER## with a URL: iPXE would read '##...' as a comment,
    # making 'chain' argument-less (IPX501), but the file is never served unrendered
    text = "#!ipxe\n## Boot ROM script ##\ndhcp\nchain ##SERVER##/start.ipxe ||\nsanboot --drive 0x80\n"
    assert codes(text) == []
    masked, regions = mask_template(text, "auto")
    assert masked.count("${") == 1 and len(regions) == 1 and len(masked) == len(text)
    # a comment line that looks like one stays a comment; a real argument-less chain is still reported
    assert mask_template("#!ipxe\n##TITLE##\n  ##NOTE## x\necho hi\n", "auto") == (
        "#!ipxe\n##TITLE##\n  ##NOTE## x\necho hi\n",
        [],
    )
    assert "IPX501" in codes("#!ipxe\n##SERVER##\nchain\n")


def test_iseq_with_both_sides_quoted_alike_is_fine():
    # quoting both operands keeps a value like -1 from being read as an option; the quotes cancel out
    text = "#!ipxe\nisset ${wait} || set wait 3000\niseq '${wait}' '-1' && goto fast ||\necho slow\n:fast\n"
    assert codes(text) == []
    # one side quoted, or two different quote kinds, still compares the quote characters
    assert codes("#!ipxe\niseq ${wait} '-1' && echo none ||\n") == ["IPX406"]
    assert codes("#!ipxe\niseq \"${wait}\" '-1' && echo none ||\n") == ["IPX406", "IPX406"]


def test_keys_of_items_that_never_exist_together_are_not_duplicates():
    menu = (
        "#!ipxe\nmenu Options\n"
        "iseq ${debug} on && item --key d debug Debug: on ||\n"
        "iseq ${debug} off && item --key d debug Debug: off ||\n"
        "THIRD"
        "choose opt && goto ${opt} ||\n:debug\n:dump\n"
    )
    assert codes(menu.replace("THIRD", "")) == []
    # a third item on the key exists alongside either of them
    assert codes(menu.replace("THIRD", "item --key d dump Dump\n")) == ["IPX303"]
    # the same guard twice: both items exist
    same = menu.replace("THIRD", "").replace("${debug} off", "${debug} on")
    assert codes(same) == ["IPX303"]


def test_a_parent_chaining_through_an_unknown_server_still_names_the_sub_menu(tmp_path, run_cli):
    # the repository's menus/ folder is served under a base the linter cannot know: the path after the
    # last ${...} names exactly one file of the tree, so its parent's '|| goto failed' is known
    (tmp_path / "menus" / "tools").mkdir(parents=True)
    (tmp_path / "menus" / "boot.ipxe").write_text(
        "#!ipxe\nset base tftp://${next-server}/ipxe\n"
        "chain ${base}/tools/menu.ipxe || goto failed\nexit\n:failed\necho failed\nshell\n"
    )
    (tmp_path / "menus" / "tools" / "menu.ipxe").write_text(
        "#!ipxe\nchain http://x.example/memtest.ipxe || goto failed\n"
        "chain http://x.example/other.ipxe || goto retry\n"
    )

    def ipx201(folder: str) -> list[tuple[int, str]]:
        result = run_cli("--format", "json", "--fail-on", "never", folder, cwd=tmp_path)
        return [(d["line"], d["severity"]) for d in json.loads(result.stdout) if d["code"] == "IPX201"]

    # the same goto in the parent: a note; another label shows the parent's screen instead: a warning
    assert ipx201("menus") == [(2, "info"), (3, "warning")]
    # a tail that names two files of the tree names neither
    (tmp_path / "menus" / "old" / "tools").mkdir(parents=True)
    (tmp_path / "menus" / "old" / "tools" / "menu.ipxe").write_text("#!ipxe\necho old\n")
    assert ipx201("menus") == [(2, "warning"), (3, "warning")]


def test_option_like_words_inside_a_quoted_kernel_parameter_are_arguments():
    # a preseed early_command holds a shell command line: its -n/-q are for udhcpc, not for imgargs
    text = (
        "#!ipxe\nkernel http://x.example/linux\n"
        'imgargs linux auto=true preseed/early_command="udhcpc -i eth0 -n -q; true" url=http://x.example/p\n'
        "boot\n"
    )
    assert codes(text) == []
    # once the quote is closed, an option of the command is misplaced again
    assert codes('#!ipxe\nchain http://x.example/a.ipxe x="a b" --autofree\n') == ["IPX106"]


def test_a_label_pasted_with_the_same_lines_under_each_menu_is_not_a_duplicate():
    section = (
        "menu {title}\nitem {item} {title}\n"
        "iseq ${{menu-default}} {item} && goto shown-timed ||\n"
        "choose opt && goto ${{opt}} || goto start\n"
        ":shown-timed\nchoose --timeout 5000 opt && goto ${{opt}} || goto {back}\n"
    )
    text = "#!ipxe\n:start\n{a}:menu-b\n{b}:one\n:two\n"
    same = text.format(
        a=section.format(title="One", item="one", back="start"),
        b=section.format(title="Two", item="two", back="start"),
    )
    assert "IPX202" not in all_codes(same)
    # a different way out under the second copy: the jump to the first one loses it
    other = text.format(
        a=section.format(title="One", item="one", back="start"),
        b=section.format(title="Two", item="two", back="menu-b"),
    )
    assert codes(other).count("IPX202") == 1
    # a first copy that falls into the next label is not the same code
    falls = same.replace(
        ":shown-timed\nchoose --timeout 5000 opt && goto ${opt} || goto start\n:menu-b",
        ":shown-timed\n:menu-b",
        1,
    )
    assert codes(falls).count("IPX202") == 1


# 11. third sample (repositories in neither corpus): false alarms found there


def test_a_dispatch_falling_onto_a_label_that_uses_the_choice_is_deliberate():
    menu = "#!ipxe\nmenu M\nitem a A\nitem b B\nchoose sel || goto done\ngoto ${sel} ||\n"
    tail = "goto done\n:a\nkernel http://x.example/a\nboot\n:done\nexit\n"
    # the label right below the dispatch chains the chosen entry's own script
    assert "IPX306" not in codes(menu + "\n:change\nchain --autofree ${sel}.ipxe || goto done\n" + tail)
    # a label whose first line boots something else still runs another entry
    assert "IPX306" in codes(menu + ":other\nkernel http://x.example/other\nboot\n" + tail)


def test_jekyll_front_matter_before_the_magic_line_is_template_text():
    page = "---\npermalink: boot.ipxe\nlayout: none\n---\n#!ipxe\necho hello\nchain --autofree next.ipxe\n"
    assert all_codes(page) == []
    # nothing else is front matter: a script must still start with '#!ipxe'
    assert "IPX001" in errors("---\n#!ipxe\necho hello\n")
    assert "IPX101" in errors("#!ipxe\n---\nlayout: none\n---\necho hello\n")


def test_a_quoted_value_read_only_inside_kernel_parameters_keeps_its_quotes_on_purpose():
    kernel = "kernel http://x.example/vmlinuz keys=${keys} quiet\nboot\n"
    assert "IPX406" not in codes('#!ipxe\nset keys "ssh-rsa AAAA me@host"\n' + kernel)
    # read anywhere else too, the quotes reach that command as well
    assert "IPX406" in codes('#!ipxe\nset keys "ssh-rsa AAAA me@host"\necho ${keys}\n' + kernel)
    assert "IPX406" in codes('#!ipxe\nset keys "ssh-rsa AAAA me@host"\necho done\n')


def test_an_unknown_command_handled_by_or_does_not_end_the_script():
    d = diag("#!ipxe\nntp pool.ntp.org || ntpserver pool.ntp.org || goto next\n:next\necho on\n", "IPX101")
    assert "ends the script" not in d.message
    assert "'||'" in d.message
    assert "ends the script" in diag("#!ipxe\nntpserver pool.ntp.org\n", "IPX101").message


def test_a_settings_file_for_the_script_that_chains_it_gets_no_never_read_notes():
    config = (
        "#!ipxe\nset site_name My boot\niseq ${platform} efi && set disk x.efi || set disk x.kpxe\nexit\n"
    )
    assert "IPX404" not in all_codes(config)
    # a script that does something with what it sets still gets the note for a name it never reads
    assert "IPX404" in all_codes(config.replace("exit\n", "chain http://x.example/${disk}\n"))


def test_a_sub_menu_chained_back_or_by_a_guessed_value_is_not_its_parent(tmp_path, run_cli):
    # menu.ipxe chains the chosen sub-menu and shows ':error'; linux.ipxe's entries chain back to it
    # ('chain linux.ipxe' to return), and tools.ipxe chains ${menu}.ipxe without a menu of its own
    (tmp_path / "menu.ipxe").write_text(
        "#!ipxe\n:main\nmenu M\nitem linux Linux\nitem tools Tools\nchoose menu || exit\n"
        "chain ${menu}.ipxe || goto error\ngoto main\n:error\necho failed\nprompt\ngoto main\n"
    )
    (tmp_path / "linux.ipxe").write_text(
        "#!ipxe\nmenu L\nitem debian Debian\nchoose sub || exit\nchain ${sub}.ipxe || goto error\nexit\n"
    )
    (tmp_path / "debian.ipxe").write_text(
        "#!ipxe\nkernel http://x.example/linux || goto back\nboot\n:back\nchain linux.ipxe\n"
    )
    (tmp_path / "tools.ipxe").write_text("#!ipxe\nchain ${menu}.ipxe || goto tools_exit\n:tools_exit\nexit\n")
    result = run_cli("--format", "json", "--fail-on", "never", ".", cwd=tmp_path)
    found = [(d["path"], d["severity"]) for d in json.loads(result.stdout) if d["code"] == "IPX201"]
    # the jump to ':error' happens in menu.ipxe, where linux.ipxe was entered
    assert found == [("linux.ipxe", "info")]
