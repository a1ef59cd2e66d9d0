"""``ipxesim`` and ``ipxescript sim``: run an iPXE script as the firmware would."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ipxescript.clikit import (
    CONTEXT,
    EXIT_USAGE,
    InputError,
    binary_reason,
    format_option,
    printable,
    quiet_option,
    read_input,
    version_option,
)
from ipxescript.sim.machine import Result
from ipxescript.sim.run import (
    FAIL_ON_CHOICES,
    FAIL_ON_DEFAULT,
    RunOptions,
    SetupError,
    exit_code,
    failure_kind,
    make_simulator,
    parse_maps,
)

EXAMPLES = """\b
Examples:
  ipxesim boot.ipxe                                run it; menus are interactive on a terminal
                                                   (Ctrl-C is iPXE's key there; Ctrl-\\ quits)
  ipxesim boot.ipxe --keys "DOWN ENTER"            press keys when the script waits
  ipxesim boot.ipxe --choose linux --format json   pick an item by id; machine-readable result
  ipxesim boot.ipxe --explore                      every path through menus, prompts and timeouts
  ipxesim http://127.0.0.1:8080/boot.ipxe          a dry run against a boot server (changes nothing)
  cat boot.ipxe | ipxesim -                        read standard input

\b
Exit status: 0 the run (with --explore: every path) ends well, 1 it ends in an outcome named by
--fail-on (default error,loop,stuck; a non-zero `exit` counts as error), 2 usage or input error."""


def _fail_on(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    chosen = tuple(v.strip().lower() for value in values for v in value.split(",") if v.strip())
    for value in chosen:
        if value not in FAIL_ON_CHOICES:
            raise click.BadParameter(f"'{value}' is not one of {', '.join(FAIL_ON_CHOICES)}")
    return () if "never" in chosen else chosen or FAIL_ON_DEFAULT


def outcome_line(result: Result) -> str:
    where = f" at {result.where}" if result.where else ""
    status = f"0x{result.status:08x}" if result.status > 0xFF else str(result.status)
    if result.outcome == "boot" and result.boot:
        boot = result.boot
        text = f"boot {boot.get('kernel')}"
        if boot.get("cmdline"):
            text += f" {boot['cmdline']}"
        if boot.get("initrds"):
            text += " (initrds: " + ", ".join(i["name"] or "?" for i in boot["initrds"]) + ")"
        if not boot.get("verified", True):
            text += " [unverified]"
        return text
    if result.outcome == "sanboot" and result.boot:
        return f"sanboot {' '.join(result.boot.get('root_paths') or [])}{where}"
    if result.outcome == "exit":
        return f"exit {status}" + (f" ({result.error})" if result.status else "")
    if result.outcome == "error":
        detail = result.error or result.message
        return f"error {status}{where}: {detail}" if result.status else f"error{where}: {result.message}"
    if result.outcome in ("stuck", "loop"):
        return f"{result.outcome}{where}: {result.message}"
    return f"{result.outcome}{where}"


def emit(text: str, err: bool = False, nl: bool = True) -> None:
    """Write text as iPXE writes bytes: script bytes that are not UTF-8 (decoded with surrogateescape)
    go out as the raw bytes, whatever encoding stdout has."""
    click.echo(text.encode("utf-8", "surrogateescape"), err=err, nl=nl)


def emit_json(data: Any) -> None:
    """JSON in ASCII: bytes that are not UTF-8 become \\udcXX escapes instead of an encoding error."""
    emit(json.dumps(data, indent=2, ensure_ascii=True))


def sim_options(function: Any) -> Any:
    decorators = [
        click.argument("script"),
        click.option(
            "--set", "sets", multiple=True, metavar="NAME=VALUE", help="Store a setting before the run."
        ),
        click.option(
            "--profile",
            default="efi",
            show_default=True,
            type=click.Choice(["efi", "pcbios", "debian-12-efi"]),
            help="The firmware build to simulate.",
        ),
        click.option(
            "--keys", default="", help='Keys consumed in order when the script waits, e.g. "DOWN ENTER".'
        ),
        click.option("--choose", multiple=True, metavar="ID", help="Select item ID at the next menu."),
        click.option(
            "--map",
            "maps",
            multiple=True,
            metavar="PREFIX=TARGET",
            help="Read URLs starting with PREFIX from TARGET (a directory or URL prefix).",
        ),
        click.option("--offline", is_flag=True, help="Fetch nothing; unmapped images are assumed present."),
        click.option(
            "--fail", multiple=True, metavar="GLOB", help="Make matching fetches (or dhcp, ifopen...) fail."
        ),
        click.option("--download", is_flag=True, help="Download images whole instead of probing them."),
        format_option(("text", "json")),
        click.option(
            "--fail-on",
            multiple=True,
            callback=_fail_on,
            metavar="OUTCOMES",
            help="Outcomes (comma-separated) of the run, or of any --explore path, that make the exit "
            f"status 1: {', '.join(FAIL_ON_CHOICES)} [default: {','.join(FAIL_ON_DEFAULT)}].",
        ),
        quiet_option("Print only the outcome line (or the explore table): no console, no notes."),
        click.option("--trace", is_flag=True, help="Record the executed lines."),
        click.option("--explore", is_flag=True, help="Run every path through the script tree."),
        click.option("--explore-failures", is_flag=True, help="With --explore: also fail each fetch once."),
        click.option(
            "--max-paths",
            type=click.IntRange(min=1),
            default=1000,
            show_default=True,
            help="With --explore: stop after this many.",
        ),
        click.option(
            "--time-limit",
            type=click.FloatRange(min=0),
            default=30.0,
            show_default=True,
            metavar="SECONDS",
            help="With --explore: stop after this long (the report says truncated; 0: no limit).",
        ),
        click.option(
            "--max-steps",
            type=click.IntRange(min=1),
            default=100000,
            show_default=True,
            help="Commands per run before 'loop'.",
        ),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def run_cli(
    script: str,
    sets: tuple[str, ...],
    profile: str,
    keys: str,
    choose: tuple[str, ...],
    maps: tuple[str, ...],
    offline: bool,
    fail: tuple[str, ...],
    download: bool,
    fmt: str,
    fail_on: tuple[str, ...],
    quiet: bool,
    trace: bool,
    explore: bool,
    explore_failures: bool,
    max_paths: int,
    time_limit: float,
    max_steps: int,
) -> int:
    as_json = fmt == "json"
    options = RunOptions(
        profile, list(sets), keys, list(choose), list(maps), offline, list(fail), download, trace, max_steps
    )
    if "://" not in script and not script.startswith("file:"):
        given = read_input(script)  # a missing or unreadable file is an input error (2), said plainly
        binary = binary_reason(given)
        if binary is not None:
            raise InputError(f"{printable(script)}: {binary}")
        if script == "-":
            options.stdin = given
    try:
        if offline and "://" in script and not script.lower().startswith("file:"):
            if not any(script.startswith(prefix) for prefix, _ in parse_maps(list(maps))):
                raise InputError(
                    f"{printable(script)}: --offline fetches nothing, so the script cannot be read; "
                    "map its URL to a folder (--map PREFIX=DIR) or leave out --offline"
                )
        if explore:
            from ipxescript.sim.explore import explore as run_explore
            from ipxescript.sim.explore import format_table

            report = run_explore(
                script, options, max_paths=max_paths, failures=explore_failures, time_limit=time_limit or None
            )
            failed = [
                p for p in report["paths"] if failure_kind(p["outcome"], p.get("status") or 0) in fail_on
            ]
            report["exit_code"] = 1 if failed else 0
            if as_json:
                emit_json(report)
            else:
                emit(format_table(report))
            return 1 if failed else 0
        interactive = None
        terminal = sys.stdin.isatty() and sys.stdout.isatty() and script != "-"
        if not keys and not choose and not as_json and terminal:
            from ipxescript.sim.interactive import Terminal
            from ipxescript.sim.profile import load_profile

            interactive = Terminal(load_profile(profile).key_offset)
        sim = make_simulator(options, interactive=interactive)
        try:
            result = sim.run(script)
        finally:
            if interactive is not None:
                interactive.close()
    except SetupError as exc:
        emit(f"ipxesim: {exc}", err=True)
        return EXIT_USAGE
    code = exit_code(result, fail_on)
    if as_json:
        data = result.to_json()
        data["profile"] = profile
        data["exit_code"] = code
        emit_json(data)
        return code
    if quiet:
        emit(f"== {outcome_line(result)}")
        return code
    for note in result.notes:
        emit(f"ipxesim: {note}", err=True)
    for step in result.trace or []:
        emit(f"+ {step['file']}:{step['line']}: {step['text']}", err=True)
    if interactive is None:
        text = result.console
        emit(text, nl=bool(text) and not text.endswith("\n"))
    else:
        emit("")
    emit(f"== {outcome_line(result)}")
    return code


@click.command(name="sim", context_settings=CONTEXT, epilog=EXAMPLES)
@sim_options
@version_option("ipxesim")
def sim_command(**kwargs: Any) -> None:
    """Run an iPXE SCRIPT (a path, '-' for standard input, or an http/https/tftp/file URL) as the
    firmware would, and say how it ends."""
    sys.exit(run_cli(**kwargs))


def main(argv: list[str] | None = None) -> None:
    sim_command.main(args=argv, prog_name="ipxesim")


if __name__ == "__main__":
    main()
