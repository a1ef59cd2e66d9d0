"""Differential fuzzing: generated scripts run on a real firmware build and in ipxesim, compared.

    python -m tests.oracle.fuzz --profile efi --count 2000             # the long run (one profile)
    python -m tests.oracle.fuzz --profile all --count 2000 --save      # every profile; keep what it finds
    python -m tests.oracle.fuzz --profile pcbios --count 50 --seed 7   # a short slice (CI runs one)
    python -m tests.oracle.fuzz --profile all --count 2000 --transcripts run.jsonl   # keep every transcript
    python -m tests.oracle.fuzz --replay run.jsonl     # this simulator against that run, no firmware

Scripts come from hypothesis strategies built on the catalog (commands with their real options, every
setting type, odd setting names, nested `${}` expansions, `||`/`&&` chains, goto/exit and chains to
generated child scripts, image commands that succeed and fail, menus and prompts with the keys that
answer them). A batch of scripts runs in one boot (the oracle driver chains each in turn); each script's
console, screens and status are compared with `ipxesim --profile P` on the same files.

A disagreement is run again in a fresh boot first: if the firmware does not repeat itself, it is
nondeterminism (timing) and is filtered out and counted. A repeatable one is shrunk, by deleting lines
and words while it still disagrees (every candidate of a round runs in one boot), and with `--save` the
minimal script is written to `cases/fuzz_<hash>.ipxe` and recorded for every profile as a regression
case. The report (`--report FILE`, default printed) counts scripts, commands covered and
disagreements.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from ipxescript.sim.profile import catalog_data, load_profile
from ipxescript.sim.run import RunOptions, simulate

from .builds import BUILDS, PROFILES
from .cases import CASES_DIR, URL_PREFIX, Case, load_case, named_menus, stage_cases
from .compare import compare
from .firmware import FirmwareError, Transcript, run_cases

PLACEHOLDER = "@NAME@"  # a generated case's name, filled in once it is numbered
CHILD_DIR = "files/fz"  # child scripts of generated cases (not cases themselves)
# Things a fuzz case must never do on the firmware: wait for input it has no key for, take long,
# leave the driver (boot, reboot), or read values that change from run to run.
# A block that does not exist is named after the script: writing to it creates it (autovivified) for the
# rest of the boot, and the driver cannot delete a block, so no later script may see its name.
NO_BLOCK = f"nb{PLACEHOLDER}/fz"
NAMES = ["fa", "fb", "fc", "f-d", "f.e", "f_1", "F9", "/fb", "net0/fx", "net0.dhcp/fy", NO_BLOCK]
CLEARED = [n for n in NAMES if n != NO_BLOCK]  # what the driver clears after every script
LABELS = ["la", "lb", "lc"]
VALUES = [
    "",
    "0",
    "1",
    "-1",
    "42",
    "255",
    "256",
    "65535",
    "-129",
    "0x7f",
    "4294967295",
    "2147483648",
    "abc",
    "a b",
    "1.2.3.4",
    "300.1.1.1",
    "01:02:ff",
    "0102",
    "1:2",
    "::1",
    "fe80::1",
    "a,b",
    "x+y",
    "caf\u00e9",
    "%41",
    "00000000-0000-0000-0000-000000000001",
    "${fa}",
    "${fb:hex}",
    "-x",
]
BUILTINS = [
    "version",
    "platform",
    "buildarch",
    "net0/mac",
    "mac",
    "ip",
    "netmask",
]  # not filename: the driver's
OPTION_ARGS = ["fa", "x", "0"]  # arguments of options that take one (timeouts aside)
FILES = ["files/hello.txt", "files/child_ok.ipxe", "files/notscript.txt", "files/nosuch.txt"]


@dataclass
class Generated:
    """One generated case: its main script, child scripts (by name under files/fz/) and keys."""

    name: str
    lines: list[str]
    keys: list[str] = field(default_factory=list)
    children: dict[str, list[str]] = field(default_factory=dict)
    magic: str = "#!ipxe"

    def text(self) -> str:
        header = [self.magic] + ([f"# keys: {' '.join(self.keys)}"] if self.keys else [])
        return "\n".join(header + self.lines) + "\n"


# -- strategies ----------------------------------------------------------------------------------------


def _types(profile: str) -> list[str]:
    return list(load_profile(profile).setting_types)


def setting_ref(profile: str) -> st.SearchStrategy[str]:
    typed = st.tuples(st.sampled_from(NAMES), st.sampled_from(_types(profile))).map(
        lambda t: f"{t[0]}:{t[1]}"
    )
    return st.one_of(st.sampled_from(NAMES), typed)


def expansion(profile: str) -> st.SearchStrategy[str]:
    simple = st.one_of(setting_ref(profile), st.sampled_from(BUILTINS)).map(lambda n: "${" + n + "}")
    nested = st.tuples(st.sampled_from(["f", "fa", "net0/"]), simple).map(lambda t: "${" + t[0] + t[1] + "}")
    odd = st.sampled_from(["${", "${}", "$", "${fa", "${fa}}", "${:int8}", "${fa:nosuchtype}"])
    return st.one_of(simple, nested, odd)


def word(profile: str) -> st.SearchStrategy[str]:
    plain = st.sampled_from(["a", "b", "x y", "-", "--", "#c", "0", "1"])
    return st.one_of(plain, st.sampled_from(VALUES).filter(lambda v: v and " " not in v), expansion(profile))


def option_words(profile: str, name: str) -> st.SearchStrategy[list[str]]:
    """Options of COMMAND as the catalog has them (each maybe), plus unknown ones now and then."""
    spec = next((c for c in catalog_data()["commands"] if c["name"] == name), None)
    options = spec["options"] if spec else []
    choices: list[st.SearchStrategy[list[str]]] = [st.just([])]
    for opt in options:
        flag = opt["long"]
        if opt.get("takes_argument"):
            kind = opt.get("argument_kind", "")
            arg = st.sampled_from(["0", "1000", "x", "-1", "fa"] if "timeout" in kind else OPTION_ARGS)
            choices.append(arg.map(lambda a, f=flag: [f, a]))
        else:
            choices.append(st.just([flag]))
    choices.append(st.sampled_from([["--nosuch"], ["-Z"], ["--help"]]))
    return st.lists(st.one_of(choices), max_size=2).map(lambda groups: [w for g in groups for w in g])


def setting_command(profile: str) -> st.SearchStrategy[str]:
    ref = setting_ref(profile)
    value = st.one_of(st.sampled_from(VALUES), expansion(profile))
    return st.one_of(
        st.tuples(ref, value).map(lambda t: f"set {t[0]} {t[1]}".rstrip()),
        ref.map(lambda r: f"clear {r}"),
        ref.map(lambda r: f"show {r}"),
        st.tuples(ref, st.sampled_from(["", " 1", " -1", " 300", " x"])).map(lambda t: f"inc {t[0]}{t[1]}"),
        expansion(profile).map(lambda e: f"isset {e}"),
        st.tuples(word(profile), word(profile)).map(lambda t: f"iseq {t[0]} {t[1]}"),
    )


def image_command(profile: str) -> st.SearchStrategy[str]:
    commands = ["imgfetch", "kernel", "initrd", "module", "imgselect", "imgstat", "imgfree", "imgargs"]
    target = st.sampled_from([*FILES, "hello.txt", "child_ok.ipxe", "nosuch"])
    return st.tuples(st.sampled_from(commands), target, st.sampled_from(["", " a=1", " x y"])).flatmap(
        lambda t: option_words(profile, t[0]).map(lambda o: " ".join([t[0], *o, t[1]]) + t[2])
    )


def other_command(profile: str) -> st.SearchStrategy[str]:
    names = sorted(
        n
        for n in load_profile(profile).commands | {"nosuchcmd", "poweroff", "params", "ntp"}
        if n
        not in ("shell", "config", "reboot", "poweroff", "dhcp", "ifconf", "autoboot", "sanboot", "login")
        and n not in ("read", "prompt", "choose", "chain", "boot", "imgexec", "sleep", "ping", "nslookup")
        and n not in ("ntp", "pxebs", "ifopen", "ifclose", "iflinkwait", "present", "exit", "goto")
        and n != "console"  # reconfigures the console the harness reads (upstream EFI: output stops)
        and n != "imgset"  # not simulated yet: upstream acquires an image with it (the fuzzer found that)
    )
    return st.sampled_from(names).flatmap(
        lambda n: st.tuples(option_words(profile, n), st.lists(word(profile), max_size=2)).map(
            lambda t: " ".join([n, *t[0], *t[1]])
        )
    )


def simple_command(profile: str) -> st.SearchStrategy[str]:
    echo = st.lists(word(profile), max_size=3).map(lambda ws: " ".join(["echo", *ws]))
    return st.one_of(echo, echo, setting_command(profile), setting_command(profile), image_command(profile))


def line(profile: str) -> st.SearchStrategy[str]:
    """One non-interactive line: a command, or a chain of commands with || && ;."""
    tail = st.sampled_from(["", " || echo fail ${errno}", " && echo ok", " ||", " || echo no ; echo after"])
    return st.one_of(
        st.tuples(simple_command(profile), tail).map("".join),
        other_command(profile),
        st.tuples(simple_command(profile), simple_command(profile)).map(
            lambda t: f"{t[0]} && {t[1]} || echo e"
        ),
    )


def menu_block(profile: str) -> st.SearchStrategy[tuple[list[str], list[str]]]:
    """A menu and the keys that answer it (Enter, arrows, a shortcut key, or Esc)."""
    items = st.lists(st.sampled_from(["i1", "i2", "i3", "--gap", "--key x i4"]), min_size=1, max_size=4)
    keys = st.sampled_from([["ENTER"], ["DOWN", "ENTER"], ["UP", "ENTER"], ["x"], ["END", "ENTER"]])
    default = st.sampled_from(["", " --default i2", " --default nosuch"])

    def build(parts: tuple[list[str], list[str], str]) -> tuple[list[str], list[str]]:
        its, k, d = parts
        lines = ["menu Fuzz menu"]
        if k == ["x"] and "--key x i4" not in its:
            its = [*its, "--key x i4"]  # a key no item has is ignored: the menu would wait forever
        for i in its:
            lines.append("item --gap -- gap" if i == "--gap" else f"item {i} Item {i.split()[-1]}")
        lines += [f"choose{d} fc || echo cancelled ${{errno}}", "echo chose ${fc}"]
        return lines, k

    # or no key at all: the menu's timeout chooses (keys and a timeout together would race)
    timed = st.tuples(
        items, st.just([]), st.sampled_from([" --timeout 1000", " --timeout 1000 --default i2"])
    )
    return st.one_of(st.tuples(items, keys, default), timed).map(build)


def prompt_block() -> st.SearchStrategy[tuple[list[str], list[str]]]:
    return st.sampled_from(
        [
            (["prompt --key a Press a || echo prompt ${errno}"], ["a"]),
            (["prompt --key a Press a || echo prompt ${errno}"], ["b"]),
            (["prompt Any key"], ["ENTER"]),
            (["read fb || echo read ${errno}", "echo read ${fb}"], ["h", "i", "ENTER"]),
        ]
    )


# Colour codes the way real-world menus make them (netboot.xyz and its forks: `set esc:hex 1b`, then
# `${esc:string}[1m`), used in echo lines, menu titles and items, and prompt texts. Never a clear
# (`[J`, `[2J`): the harness takes a clear for the start of a drawing (docs/oracle.md).
COLOURS = [
    "set esc:hex 1b",
    "set bold ${esc:string}[1m",
    "set boldoff ${esc:string}[22m",
    "set fg_gre ${esc:string}[32m",
    "set reset ${esc:string}[0m",
    "set cls:hex 1b:5b:4a",  # the corpus's clear screen ("^[[J"), echoed before menus and jumps
    "set cls ${cls:string}",
]
DECOR = ["", "", "${bold}", "${fg_gre}${bold}", "${reset}"]
RW_LABELS = ["linux", "tools", "back", "exit_"]  # the item labels a real-world menu jumps to


def menu_rw(profile: str) -> st.SearchStrategy[tuple[list[str], list[str]]]:
    """A menu written like the corpus's: gaps, --key shortcuts, an item --default or choose --default,
    a named menu, --keep, colour codes, `goto ${target}` to labels (after `echo ${cls}`, a clear screen,
    as in many corpus menus), and a `back` item that shows the menu again (the second time with a
    timeout, and at most twice)."""

    @st.composite
    def build(draw: st.DrawFn) -> tuple[list[str], list[str]]:
        named = draw(st.booleans())
        into = " --menu rm" if named else ""
        decor = draw(st.sampled_from(DECOR))
        labels = draw(st.lists(st.sampled_from(RW_LABELS), min_size=1, max_size=4, unique=True))
        shortcuts = {lab: draw(st.sampled_from(["", "", "a", "x", "X", "1", "0x08"])) for lab in labels}
        flagged = draw(st.sampled_from(["", *labels]))
        lines = ["set rounds:int32 0", ":rw_top"]
        lines.append(f"menu{' --name rm' if named else ''} {decor}Real-world menu ${{rounds}}")
        if draw(st.booleans()):
            lines.append(f"item{into} --gap -- {decor}---- Section ----")
        used: set[str] = set()
        presses = []
        for lab in labels:
            key = shortcuts[lab] if shortcuts[lab] and shortcuts[lab].lower() not in used else ""
            used.add(key.lower())
            presses += [{"0x08": "BACKSPACE"}.get(key, key)] if key else []
            opts = (f" --key {key}" if key else "") + (" --default" if lab == flagged else "")
            sep = draw(st.sampled_from([" ", "\t", "   \t", " ${space} "]))  # corpus menus align with tabs
            lines.append(f"item{into}{opts} {lab}{sep}{draw(st.sampled_from(DECOR))}Item {lab}")
            if draw(st.integers(0, 3)) == 0:
                lines.append(draw(st.sampled_from([f"item{into} --gap", f"item{into}" if into else "item"])))
        default = draw(st.sampled_from(["", "", " --default tools", " --default nosuch"]))
        keep = draw(st.sampled_from(["", "", " --keep"]))
        keys = draw(
            st.one_of(
                st.just([]),  # the timeout chooses
                st.lists(st.sampled_from(["DOWN", "UP", "HOME", "END", "PGDN"]), max_size=3).map(
                    lambda ks: [*ks, "ENTER"]
                ),
                st.sampled_from(presses or ["ENTER"]).map(lambda k: [k]),
                st.just(["ESC"]),
            )
        )
        timeout = " --timeout 1000" if not keys else " --timeout ${to}"
        lines.insert(0, "set to:int32 0")
        lines.append(f"choose{into}{default}{timeout}{keep} target && goto rw_${{target}} || goto rw_cancel")
        clears = draw(st.sampled_from(["", "", "echo ${cls}"]))  # corpus menus clear after choosing
        for lab in labels:
            lines += [f":rw_{lab}", *([clears] if clears else [])]
            if lab == "back":
                lines += ["inc rounds", "set to:int32 1000", "iseq ${rounds} 2 && goto rw_end || goto rw_top"]
            else:
                lines += [f"echo {decor}picked {lab}", "goto rw_end"]
        lines += [":rw_cancel", "echo cancelled ${errno}", ":rw_end"]
        if named:
            lines.append("menu --delete --name rm ||")
        return lines, keys

    return build()


def prompt_rw() -> st.SearchStrategy[tuple[list[str], list[str]]]:
    """prompt and read as real scripts use them: `--key` with `--timeout` (the key pressed, another key,
    or none), F12 and Ctrl-B keys, colour codes in the text, `echo -n` before `read`."""
    after = " && echo yes || echo no ${errno}"
    return st.sampled_from(
        [
            ([f"prompt --key m --timeout 1000 Hit the ${{bold}}m${{boldoff}} key...{after}"], []),
            ([f"prompt --key m --timeout 20000 Hit m{after}"], ["m"]),
            ([f"prompt --key m --timeout 20000 Hit m{after}"], ["n"]),
            ([f"prompt --key 0x197e --timeout 20000 Press F12 to investigate{after}"], ["F12"]),
            (["prompt --key 0x197e --timeout 1000 Press F12 to investigate || echo timed out"], []),
            ([f"prompt --key 0x02 --timeout 20000 Press Ctrl-B for the command line...{after}"], ["CTRL-B"]),
            ([f"prompt --timeout 1000{after}"], []),
            ([f"prompt Press any key to continue ...{after}"], ["SPACE"]),
            (["echo -n Enter a name: && read fb && echo [${fb}]"], ["text:abc", "ENTER"]),
            (["echo -n Number: ; read fb:int8 || echo read ${errno}", "show fb"], ["text:300", "ENTER"]),
            (["read fb || echo read ${errno}"], ["CTRL-C"]),  # Esc does nothing in read (readline.c)
        ]
    )


def loop_rw() -> st.SearchStrategy[list[str]]:
    """Counting loops (`inc` and `iseq`/`isset` in `&&`/`||` chains), entered from outside by `goto`
    and left by `goto` or `exit`; counters are signed (`${n}` is decimal) so `iseq ${n} 3` ends them."""

    @st.composite
    def build(draw: st.DrawFn) -> list[str]:
        kind = draw(st.sampled_from(["int8", "int16", "int32"]))
        lines = [f"set n:{kind} {draw(st.sampled_from(['0', '-1', '1']))}"]
        if draw(st.booleans()):
            lines.append("goto lp_mid")  # into the loop, past its `inc`
        lines += [":lp_top", "inc n"]
        lines.append(draw(st.sampled_from(["echo -n ${n} ", "echo n=${n}", "isset ${n} && echo -n .", ""])))
        lines.append(":lp_mid")
        lines.append(
            draw(
                st.sampled_from(
                    [
                        "iseq ${n} 3 && goto lp_out || goto lp_top",
                        "iseq ${n} 3 || goto lp_top",
                        "iseq ${n} 2 && exit 4 || goto lp_top",
                        "iseq ${n} 3 && goto lp_out ||",
                    ]
                )
            )
        )
        if lines[-1].endswith("||"):
            lines.append("goto lp_top")
        lines += [":lp_out", "echo out ${n} ${n:hex} ${n:uint8}"]
        return [ln for ln in lines if ln]

    return build()


def odd_line() -> st.SearchStrategy[str]:
    """Lines real scripts have that the command generators do not make: comments, tabs, quotes,
    backslashes, `|| #comment`, long lines around the 80-column width, scopes `netX/`."""
    digits = "0123456789" * 30
    return st.one_of(
        st.sampled_from(
            [
                "# a comment ${nosuch:int8}",
                "  # an indented comment",
                "\techo tab-indented",
                "echo a # b",
                "echo a #b",
                "imgfetch files/nosuch.txt || #loading",
                "echo \"double  quoted\" 'single  quoted'",
                "echo a\\ b",
                "echo \\${fa}",
                "set netX/fx v && echo ${net0/fx} ${netX/fx}",
                "show netX/mac",
                "clear netX/fx || echo noclear",
                "echo ${netX/mac:hexhyp} ${net0/mac:hexraw}",
                "isset ${netX/ip} && echo has ip",
                "echo -n no newline",
                "echo -n",
                "echo -n Enter: ${} && echo x",
                "set fa la && goto ${fa} || echo nogoto ${errno}",
                "echo ${esc:string}[1mbold${esc:string}[0m",
                "echo ${cls}",
                "echo -n before${cls} && echo after",
                "echo ${esc:string}[2J${esc:string}[1;1Hhome",
            ]
        ),
        st.sampled_from([78, 79, 80, 81, 159, 160, 161, 250]).map(lambda n: "echo " + digits[:n]),
        st.sampled_from([79, 80, 81]).map(lambda n: "echo -n " + digits[:n]),
    )


def realworld_block(profile: str) -> st.SearchStrategy[tuple[list[str], list[str]]]:
    """Constructs of real-world scripts (/work/corpus) the other generators never make."""
    plain = st.lists(odd_line(), min_size=1, max_size=4).map(lambda ls: (ls, []))
    loop = loop_rw().map(lambda ls: (ls, []))

    def colours(t: tuple[bool, tuple[list[str], list[str]]]) -> tuple[list[str], list[str]]:
        wanted, (lines, keys) = t
        uses = any(c in ln for ln in lines for c in ("${esc", "${bold", "${fg_", "${reset", "${cls"))
        return (COLOURS + lines if wanted or uses else lines), keys

    return st.tuples(st.booleans(), st.one_of(menu_rw(profile), prompt_rw(), loop, plain)).map(colours)


def run_block(profile: str) -> st.SearchStrategy[list[str]]:
    """Running images that fail (or succeed): missing files on every build; files that are no image
    only on EFI builds (a BIOS build takes any small file for a PXE NBP, jumps into it and hangs)."""
    targets = ["files/nosuch.txt", "nosuch", "files/child_ok.ipxe", "files/child_exit3.ipxe"]
    if load_profile(profile).platform == "efi":
        targets += ["files/hello.txt", "files/notscript.txt"]
    forms = [
        "chain {t}",
        "chain --autofree {t}",
        "chain --replace {t}",
        "imgexec {t}",
        "imgfetch {t} && imgexec {n}",
        "imgfetch {t} && imgselect {n} && boot",
        "kernel {t} && boot",
        "imgfetch --name fi {t} && imgexec fi && imgstat",
        "boot",
        "imgexec",
    ]
    tail = st.sampled_from(["", " || echo run ${errno}", " && echo ran"])
    return st.lists(
        st.tuples(st.sampled_from(forms), st.sampled_from(targets), tail).map(
            lambda t: t[0].format(t=t[1], n=t[1].rsplit("/", 1)[-1]) + t[2]
        ),
        min_size=1,
        max_size=3,
    )


def script(profile: str, name: str) -> st.SearchStrategy[Generated]:
    """A generated case: mostly commands, sometimes labels/goto/exit, a child chain or an interaction."""
    body = st.lists(line(profile), min_size=1, max_size=8)

    @st.composite
    def build(draw: st.DrawFn) -> Generated:
        lines = draw(body)
        case = Generated(name, lines)
        flavour = draw(
            st.sampled_from(
                ["plain", "plain", "control", "chain", "menu", "prompt", "run", "real", "real", "real"]
            )
        )
        if draw(st.sampled_from(range(16))) == 7:
            case.magic = "#!gpxe"  # the old magic line real scripts still start with
        if flavour == "control":
            label = draw(st.sampled_from(LABELS))
            at = draw(st.integers(0, len(lines)))
            jump = draw(st.sampled_from([f"goto {label}", f"goto {label} || echo nolabel", "goto nosuch"]))
            lines.insert(at, jump)
            if draw(st.booleans()):
                lines.insert(draw(st.integers(at + 1, len(lines))), f":{label}")
            if draw(st.booleans()):
                lines.append(draw(st.sampled_from(["exit", "exit 3", "exit 0x80000005", "exit ${fa}"])))
        elif flavour == "chain":
            child = f"{name}_c.ipxe"
            case.children[child] = draw(st.lists(line(profile), min_size=1, max_size=4))
            if draw(st.booleans()):
                case.children[child].append(
                    draw(st.sampled_from(["exit 2", "exit", "nosuchcmd", "goto nosuch", "exit 0x80000005"]))
                )
            if draw(st.sampled_from(range(3))) == 1:
                # a nested chain; the grandchild's name is relative to the child's own URI (files/fz/)
                grandchild = f"{name}_g.ipxe"
                case.children[grandchild] = [
                    *draw(st.lists(line(profile), min_size=1, max_size=3)),
                    draw(st.sampled_from(["exit 5", "echo end of grandchild", "nosuchcmd"])),
                ]
                nested = draw(st.sampled_from(["chain", "chain --autofree", "chain --replace"]))
                at = draw(st.integers(0, len(case.children[child])))
                case.children[child].insert(at, f"{nested} {grandchild} || echo grandchild ${{errno}}")
            how = draw(st.sampled_from(["chain", "chain --autofree", "imgexec", "chain --replace"]))
            target = f"{CHILD_DIR}/{child}"
            call = (
                f"imgfetch {target} && imgexec {child}" if how == "imgexec" else f"{how} {target}"
            ) + " || echo child ${errno}"
            lines.insert(draw(st.integers(0, len(lines))), call)
        elif flavour == "run":
            at = draw(st.integers(0, len(lines)))
            lines[at:at] = draw(run_block(profile))
        elif flavour == "real":
            block, keys = draw(realworld_block(profile))
            at = draw(st.integers(0, len(lines)))
            lines[at:at] = block
            case.keys = keys
        elif flavour in ("menu", "prompt"):
            block, keys = draw(menu_block(profile) if flavour == "menu" else prompt_block())
            lines.extend(block)
            case.keys = keys
        return case

    return build()


def generate(profile: str, count: int, seed_value: int, prefix: str = "fz") -> list[Generated]:
    """COUNT scripts from the strategies, the same ones for the same seed."""
    out: list[Generated] = []

    @seed(seed_value)
    @settings(
        max_examples=count,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(script(profile, PLACEHOLDER))
    def collect(case: Generated) -> None:
        name = f"{prefix}{len(out):05d}"
        case.name = name
        case.lines = [ln.replace(PLACEHOLDER, name) for ln in case.lines]
        case.children = {
            k.replace(PLACEHOLDER, name): [ln.replace(PLACEHOLDER, name) for ln in v]
            for k, v in case.children.items()
        }
        out.append(case)

    collect()
    return out[:count]


# -- running and comparing -----------------------------------------------------------------------------


@dataclass
class Outcome:
    case: Generated
    firmware: Transcript
    problems: list[str]


def stage(cases: list[Generated], work: Path) -> tuple[Path, list[Case]]:
    """A cases directory holding the oracle's files/ and the generated scripts."""
    root = work / "cases"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(CASES_DIR / "files", root / "files")
    (root / CHILD_DIR).mkdir(parents=True, exist_ok=True)
    loaded = []
    for case in cases:
        path = root / f"{case.name}.ipxe"
        path.write_text(case.text(), encoding="utf-8")
        for child, lines in case.children.items():
            (root / CHILD_DIR / child).write_text("#!ipxe\n" + "\n".join(lines) + "\n", encoding="utf-8")
        loaded_case = load_case(path)
        loaded_case.timeout = 15.0
        # Nothing a script leaves may reach the next one: the driver clears every name the generator
        # uses (child scripts write them too) and deletes the menus children create.
        loaded_case.settings = sorted(set(loaded_case.settings) | set(CLEARED))
        for lines in case.children.values():
            loaded_case.menus = sorted(set(loaded_case.menus) | set(named_menus("\n".join(lines))))
        if "form" in case.text() + str(case.children):
            # `form --name X` makes a user interface that `menu --delete --name X` deletes too
            loaded_case.menus = sorted(set(loaded_case.menus) | set(OPTION_ARGS))
        if "param" in case.text() + str(case.children):
            # request parameter lists live until the boot ends: delete the default one and the
            # named ones the generator can make
            loaded_case.cleanup = [
                f"params --delete{n} ||" for n in ["", *(f" --name {a}" for a in OPTION_ARGS)]
            ]
        loaded.append(loaded_case)
    return root, loaded


def simulate_case(case: Case, staged: Path, profile: str) -> dict[str, object]:
    result = simulate(
        case.url,
        RunOptions(profile=profile, keys=case.keys, maps=[f"{URL_PREFIX}={staged}/"]),
    )
    return result.to_json()


def run_batch(cases: list[Generated], profile: str, work: Path) -> list[Outcome]:
    root, loaded = stage(cases, work)
    staged = stage_cases(work / "staged", root)
    # The simulator runs first: the settings it ends with are cleared after each script on the
    # firmware too (names a script makes from expansions, `set ${platform} 1`, are not literal).
    # Only names a fresh machine lacks: the machine's own (net0/ip, ...) must stay.
    simulated = [simulate_case(c, staged, profile) for c in loaded]
    (staged / "fuzz_empty.ipxe").write_text("#!ipxe\n")
    fresh = simulate(
        f"{URL_PREFIX}fuzz_empty.ipxe", RunOptions(profile=profile, maps=[f"{URL_PREFIX}={staged}/"])
    )
    for loaded_case, data in zip(loaded, simulated, strict=True):
        written = data.get("settings")
        names = (
            [n for n in written if n not in fresh.settings and re.fullmatch(r"[\w./+-]+", n)]
            if isinstance(written, dict)
            else []
        )
        loaded_case.settings = sorted(set(loaded_case.settings) | set(names))
    firmware = run_cases(loaded, root, build=BUILDS[profile])
    outcomes = []
    for case, data in zip(cases, simulated, strict=True):
        got = firmware[case.name]
        fatal = [p for p in got.problems if not p.startswith("the case ended before")]
        if fatal:
            outcomes.append(Outcome(case, got, [f"firmware: {p}" for p in fatal]))
            continue
        screens = data.get("screens", [])
        problems = compare(
            got,
            str(data["console"]),
            screens if isinstance(screens, list) else [],
            int(data["status"]),  # type: ignore[call-overload]
        )
        outcomes.append(Outcome(case, got, problems))
    return outcomes


def variants(case: Generated) -> list[Generated]:
    """Smaller candidates: one line (or child line, or key) fewer, or one word fewer."""
    out: list[Generated] = []

    def add(lines: list[str], children: dict[str, list[str]], keys: list[str]) -> None:
        out.append(Generated(f"{case.name}v{len(out):03d}", lines, keys, children))

    for i in range(len(case.lines)):
        add(case.lines[:i] + case.lines[i + 1 :], dict(case.children), list(case.keys))
    for child, lines in case.children.items():
        for i in range(len(lines)):
            add(list(case.lines), {**case.children, child: lines[:i] + lines[i + 1 :]}, list(case.keys))
    for i in range(len(case.keys)):
        add(list(case.lines), dict(case.children), case.keys[:i] + case.keys[i + 1 :])
    for i, text in enumerate(case.lines):
        words = text.split()
        for j in range(1, len(words)):
            add(
                case.lines[:i] + [" ".join(words[:j] + words[j + 1 :])] + case.lines[i + 1 :],
                dict(case.children),
                list(case.keys),
            )
    # a variant's names (its child script, its missing block) follow its own name, so that variants
    # running in one boot never share them
    for v in out:
        v.lines = [ln.replace(case.name, v.name) for ln in v.lines]
        v.children = {
            k.replace(case.name, v.name): [ln.replace(case.name, v.name) for ln in lines]
            for k, lines in v.children.items()
        }
    return out


def shrink(case: Generated, profile: str, work: Path, rounds: int = 12) -> Generated:
    """Delete lines, keys and words while the disagreement stays (each round is one boot)."""
    for _ in range(rounds):
        candidates = variants(case)[:150]
        if not candidates:
            break
        outcomes = run_batch(candidates, profile, work)
        smaller = [
            o.case for o in outcomes if o.problems and not any(p.startswith("firmware:") for p in o.problems)
        ]
        if not smaller:
            break
        case = min(smaller, key=lambda c: len(c.text()) + sum(len(v) for v in c.children.values()))
    return case


def save_case(case: Generated) -> Path:
    """Write a minimal disagreement as a regression case (children into files/fz/), its names (child
    script, missing block) following the new case's name."""
    name = f"fuzz_{hashlib.sha1(case.text().encode()).hexdigest()[:8]}"
    for child, lines in case.children.items():
        (CASES_DIR / CHILD_DIR).mkdir(parents=True, exist_ok=True)
        text = "\n".join(["#!ipxe", *lines]).replace(case.name, name) + "\n"
        (CASES_DIR / CHILD_DIR / child.replace(case.name, name)).write_text(text, encoding="utf-8")
    path = CASES_DIR / f"{name}.ipxe"
    text = case.text().replace(case.name, name)
    path.write_text(
        text.replace("#!ipxe\n", "#!ipxe\n# found by tests/oracle/fuzz.py\n", 1), encoding="utf-8"
    )
    return path


@dataclass
class Report:
    profile: str
    seed: int
    scripts: int = 0
    commands: Counter[str] = field(default_factory=Counter)
    disagreements: list[dict[str, object]] = field(default_factory=list)
    filtered: list[dict[str, object]] = field(default_factory=list)  # not repeatable, with the reason
    firmware_problems: int = 0
    firmware_issues: list[dict[str, object]] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "profile": self.profile,
            "seed": self.seed,
            "scripts": self.scripts,
            "commands_covered": len(self.commands),
            "commands": dict(sorted(self.commands.items())),
            "disagreements": self.disagreements,
            "nondeterministic_filtered": len(self.filtered),
            "filtered": self.filtered,
            "firmware_problems": self.firmware_problems,
            "firmware_issues": self.firmware_issues,
            "seconds": round(self.seconds),
        }


def count_commands(case: Generated, into: Counter[str]) -> None:
    for text in [*case.lines, *(ln for lines in case.children.values() for ln in lines)]:
        for part in text.replace("||", ";").replace("&&", ";").split(";"):
            words = part.split()
            if words and not words[0].startswith(":"):
                into[words[0]] += 1


def fuzz(
    profile: str,
    count: int,
    seed_value: int,
    batch: int = 200,
    do_shrink: bool = True,
    save: bool = False,
    progress: Callable[[str], None] = lambda _m: None,
    transcripts: Path | None = None,
    checkpoint: Callable[[Report], None] = lambda _r: None,
) -> Report:
    """Fuzz one profile. With `transcripts`, every script and what the firmware did with it is appended
    there (one JSON line each, with the run's verdict), so `replay` can check a later simulator against
    the whole run without the firmware. `checkpoint` gets the report after every batch."""
    report = Report(profile, seed_value)
    started = time.monotonic()
    cases = generate(profile, count, seed_value)
    with tempfile.TemporaryDirectory(prefix="oracle-fuzz-") as tmp:
        work = Path(tmp)
        for start in range(0, len(cases), batch):
            chunk = cases[start : start + batch]
            try:
                outcomes = run_batch(chunk, profile, work)
            except FirmwareError as exc:
                progress(f"{profile}: batch at {start} failed: {exc}")
                report.firmware_problems += len(chunk)
                continue
            report.scripts += len(chunk)
            for o in outcomes:
                count_commands(o.case, report.commands)
            bad = [o for o in outcomes if o.problems]
            for o in bad:
                if any(p.startswith("firmware:") for p in o.problems):
                    report.firmware_problems += 1
                    report.firmware_issues.append({"script": o.case.text(), "problems": o.problems})
            bad = [o for o in bad if not any(p.startswith("firmware:") for p in o.problems)]
            verdicts = {o.case.name: "firmware" for o in outcomes if o.problems} | {
                o.case.name: "disagree" for o in bad
            }
            if bad:
                # Each one again in a fresh boot. Where the firmware then agrees with the simulator,
                # or does not repeat itself, the difference came from timing (or from the scripts
                # before it in the batch): filtered, but kept in the report with the reason.
                again = run_batch([o.case for o in bad], profile, work)
                for first, second in zip(bad, again, strict=True):
                    entry: dict[str, object] = {
                        "script": first.case.text(),
                        "children": first.case.children,
                        "problems": first.problems,
                    }
                    if not second.problems:
                        report.filtered.append({**entry, "reason": "agrees with ipxesim in a fresh boot"})
                        verdicts[first.case.name] = "filtered"
                        continue
                    if compare(
                        first.firmware,
                        second.firmware.console,
                        list(second.firmware.screens),
                        second.firmware.status,
                    ):
                        report.filtered.append(
                            {**entry, "reason": "the firmware differed from itself", "again": second.problems}
                        )
                        verdicts[first.case.name] = "filtered"
                        continue
                    found = shrink(first.case, profile, work) if do_shrink else first.case
                    entry.update(script=found.text(), children=found.children)
                    if save:
                        entry["saved"] = str(save_case(found))
                    report.disagreements.append(entry)
            if transcripts is not None:
                with transcripts.open("a", encoding="utf-8") as out:
                    for o in outcomes:
                        record = {
                            "profile": profile,
                            "seed": seed_value,
                            "name": o.case.name,
                            "lines": o.case.lines,
                            "keys": o.case.keys,
                            "children": o.case.children,
                            "firmware": o.firmware.to_json(),
                            "verdict": verdicts.get(o.case.name, "agree"),
                        }
                        out.write(json.dumps(record) + "\n")
            report.seconds = time.monotonic() - started
            checkpoint(report)
            progress(
                f"{profile}: {report.scripts}/{count} scripts, {len(report.disagreements)} disagreement(s), "
                f"{time.monotonic() - started:.0f} s"
            )
    report.seconds = time.monotonic() - started
    return report


def replay(path: Path, batch: int = 200) -> dict[str, dict[str, object]]:
    """The simulator of this checkout against every firmware transcript a run saved (`--transcripts`).

    Per profile: how many scripts agree now, and the scripts that do not. A script the run filtered as
    nondeterministic (the firmware did not repeat itself) or where the firmware failed is counted apart:
    its first transcript is not a fact about the firmware."""
    by_profile: dict[str, list[dict[str, object]]] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                record = json.loads(line)
                by_profile.setdefault(str(record["profile"]), []).append(record)
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="oracle-replay-") as tmp:
        work = Path(tmp)
        for profile, records in by_profile.items():
            agree = 0
            skipped: Counter[str] = Counter()
            disagreements: list[dict[str, object]] = []
            for start in range(0, len(records), batch):
                chunk = records[start : start + batch]
                cases = [
                    Generated(str(r["name"]), list(r["lines"]), list(r["keys"]), dict(r["children"]))  # type: ignore[call-overload]
                    for r in chunk
                ]
                root, loaded = stage(cases, work)
                staged = stage_cases(work / "staged", root)
                for record, case, loaded_case in zip(chunk, cases, loaded, strict=True):
                    if record["verdict"] in ("filtered", "firmware"):
                        skipped[str(record["verdict"])] += 1
                        continue
                    data = simulate_case(loaded_case, staged, profile)
                    screens = data.get("screens", [])
                    problems = compare(
                        Transcript.from_json(record["firmware"]),  # type: ignore[arg-type]
                        str(data["console"]),
                        screens if isinstance(screens, list) else [],
                        int(data["status"]),  # type: ignore[call-overload]
                    )
                    if problems:
                        disagreements.append(
                            {"script": case.text(), "children": case.children, "problems": problems}
                        )
                    else:
                        agree += 1
            results[profile] = {
                "scripts": len(records),
                "agree": agree,
                "disagreements": disagreements,
                "filtered_in_run": skipped["filtered"],
                "firmware_problems_in_run": skipped["firmware"],
            }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.oracle.fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="debian-12-efi", choices=[*PROFILES, "all"])
    parser.add_argument("--count", type=int, default=200, help="scripts per profile")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=200, help="scripts per boot")
    parser.add_argument("--no-shrink", action="store_true")
    parser.add_argument("--save", action="store_true", help="save minimal disagreements as oracle cases")
    parser.add_argument("--report", type=Path, help="write the JSON report here")
    parser.add_argument(
        "--transcripts", type=Path, help="append every script and its firmware transcript here (JSON lines)"
    )
    parser.add_argument(
        "--replay",
        type=Path,
        metavar="TRANSCRIPTS",
        help="no firmware: check this simulator against a run's saved transcripts, then exit",
    )
    args = parser.parse_args(argv)
    if args.replay:
        replayed = replay(args.replay, args.batch)
        text = json.dumps(replayed, indent=1) + "\n"
        if args.report:
            args.report.write_text(text)
        for profile, result in replayed.items():
            print(
                f"{profile}: {result['agree']}/{result['scripts']} agree, "
                f"{len(result['disagreements'])} disagree (run filtered {result['filtered_in_run']}, "  # type: ignore[arg-type]
                f"firmware problems {result['firmware_problems_in_run']})",
                file=sys.stderr,
            )
        if not args.report:
            print(text, end="")
        return 1 if any(r["disagreements"] for r in replayed.values()) else 0
    reports: list[dict[str, object]] = []

    def write(partial: list[dict[str, object]]) -> None:
        if args.report:
            args.report.write_text(json.dumps(partial, indent=1) + "\n")

    for profile in PROFILES if args.profile == "all" else [args.profile]:
        reports.append(
            fuzz(
                profile,
                args.count,
                args.seed,
                args.batch,
                not args.no_shrink,
                args.save,
                progress=lambda m: print(m, file=sys.stderr, flush=True),
                transcripts=args.transcripts,
                checkpoint=lambda r: write([*reports, r.to_json()]),
            ).to_json()
        )
        write(reports)
    if not args.report:
        print(json.dumps(reports, indent=1))
    return 1 if any(r["disagreements"] for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
