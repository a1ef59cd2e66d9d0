"""Menus: selection rules of choose and the 80x25 screen as iPXE draws it (DEBIAN-12-BUILD.md §3.6)."""

from __future__ import annotations


def menu_script(*items: str, choose: str = "choose x") -> str:
    return "menu Pick\n" + "".join(f"item {i}\n" for i in items) + choose + "\necho x=${x}\n"


def test_initial_selection_first_named_item(run):
    assert run(menu_script("--gap G", "a A", "b B"), keys="ENTER").console == "x=a\n"


def test_item_default_flag_last_wins(run):
    result = run(menu_script("a A", "--default b B", "--default c C"), keys="ENTER")
    assert result.console == "x=c\n"


def test_choose_default_overrides_and_unknown_falls_back(run):
    assert run(menu_script("a A", "b B", choose="choose --default b x"), keys="ENTER").console == "x=b\n"
    result = run(menu_script("a A", "--default b B", choose="choose --default zz x"), keys="ENTER")
    assert result.console == "x=a\n"


def test_no_named_items_fails_silently(run):
    result = run("menu M\nitem --gap g\nitem\nchoose x ||\necho ${errno}\n")
    assert result.console == "0x2d2ce08e\n"
    assert result.screens == []


def test_escape_cancels_and_destroys(run):
    result = run("set x keep\n" + menu_script("a A") + "choose x\n", keys="ESC", profile="debian-12-efi")
    assert result.status == 0x0B2CE095
    assert result.console == ""
    result = run(
        "set x keep\nmenu M\nitem a A\nchoose x ||\necho x=${x}\nchoose x\n",
        keys="ESC",
        profile="debian-12-efi",
    )
    assert result.console == "x=keep\nNo default menu\n"


def test_keep_allows_second_choose(run):
    result = run(
        "menu M\nitem a A\nitem b B\nchoose --keep x\nchoose y\necho ${x} ${y}\n", keys="ENTER DOWN ENTER"
    )
    assert result.console == "a b\n"


def test_timeout_chooses_highlighted(run):
    result = run(menu_script("a A", "b B", choose="choose --timeout 2000 --default b x"))
    assert result.console == "x=b\n"


def test_menu_without_timeout_and_keys_is_stuck(run):
    result = run(menu_script("a A"))
    assert result.outcome == "stuck"
    assert "menu" in result.message


def test_shortcut_on_gap_moves_to_next_named(run):
    result = run(menu_script("--gap --key g Heading", "a A", "b B"), keys="g ENTER")
    assert result.console == "x=a\n"


def test_choose_stores_with_type(run):
    result = run(
        "menu M\nitem 10.0.0.1 first\nchoose dns:ipv4\nshow dns\n", keys="ENTER", profile="debian-12-efi"
    )
    assert result.console == "dns:ipv4 = 10.0.0.1\n"


def test_choose_option_picks_without_keys(run):
    result = run(menu_script("a A", "b B"), choose=["b"])
    assert result.console == "x=b\n"


def test_screen_layout(run):
    result = run(
        "menu Hello ${buildarch}\nitem --gap Section\nitem a Alpha\nchoose --timeout 5000 x\n", keys="ENTER"
    )
    first = result.screens[0]
    assert len(first) == 25
    assert first[1] == " " * 34 + "Hello x86_64"  # (80 - 12) // 2
    assert first[3] == "   Section"
    assert first[4] == "   Alpha" + " " * 66 + "(5)"
    assert first[4].index("(5)") + 3 == 77  # ends at column 76
    assert result.screens[-1][4] == "   Alpha"  # a key removes the countdown


def test_text_truncated_to_74_columns(run):
    long = "x" * 100
    result = run(f"menu M\nitem a {long}\nchoose x\n", keys="ENTER")
    assert result.screens[0][3] == "   " + "x" * 74


def test_scrolling_by_pages_and_markers(run):
    items = [f"i{n:02} Item {n:02}" for n in range(1, 26)]
    result = run(menu_script(*items), keys="PGDN DOWN END ENTER")
    assert result.console == "x=i25\n"
    first, second = result.screens
    assert first[2] == "" and first[23] == "   ..."
    assert first[3] == "   Item 01" and first[22] == "   Item 20"
    assert second[2] == "   ..." and second[3] == "   Item 21" and second[23] == ""


def test_partial_line_ends_before_menu(run):
    result = run("echo -n before\nmenu M\nitem a A\nchoose x\necho -n after\n", keys="ENTER")
    assert result.console == "before\nafter"


def test_screens_deduplicated_like_the_recorder(run):
    result = run(menu_script("a A", "b B"), keys="DOWN ENTER")
    assert len(result.screens) == 1
