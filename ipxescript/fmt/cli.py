"""``ipxescript fmt [--check] [--diff] PATHS``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ipxescript.clikit import (
    CONTEXT,
    EXIT_FAILURE,
    EXIT_USAGE,
    binary_reason,
    print_diff,
    printable,
    quiet_option,
)
from ipxescript.fmt import format_text
from ipxescript.lint.discover import discover
from ipxescript.syntax.source import decode_source, encode_source


@click.command(
    "fmt",
    context_settings=CONTEXT,
    epilog="""\b
Examples:
  ipxescript fmt boot/               reformat every script under boot/ in place
  ipxescript fmt --check .           change nothing; exit 1 if a file would change
  ipxescript fmt --diff boot.ipxe    change nothing; print what would change
  ipxescript fmt - < a.ipxe > b.ipxe

Exit status: 0 done (or nothing to change), 1 --check/--diff found changes, 2 usage or input error.""",
)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--check", is_flag=True, help="Change nothing; exit 1 when a file would be reformatted.")
@click.option("--diff", is_flag=True, help="Change nothing; print a unified diff of what would change.")
@quiet_option("Do not list the files reformatted.")
def fmt_command(paths: tuple[str, ...], check: bool, diff: bool, quiet: bool) -> None:
    """Format iPXE scripts in place (PATHS: files, folders, or '-' for stdin to stdout)."""
    changed = 0
    failed = False
    for path, error in discover(list(paths) or ["."]):
        if error is not None:
            click.echo(f"ipxescript fmt: {printable(path)}: {error}", err=True)
            failed = True
            continue
        try:
            data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            click.echo(f"ipxescript fmt: {printable(path)}: cannot read: {exc.strerror or exc}", err=True)
            failed = True
            continue
        binary = binary_reason(data)
        if binary is not None:
            click.echo(f"ipxescript fmt: {printable(path)}: skipped, {binary}", err=True)
            failed = True
            continue
        text, not_utf8 = decode_source(data)
        if not_utf8:
            click.echo(f"ipxescript fmt: {printable(path)}: skipped, not UTF-8 text", err=True)
            continue
        formatted = format_text(text)
        if formatted == text:
            if path == "-" and not (check or diff):
                sys.stdout.buffer.write(encode_source(formatted))
            continue
        changed += 1
        if diff:
            print_diff(path, text, formatted)
        elif check:
            click.echo(f"would reformat {printable(path)}")
        elif path == "-":
            sys.stdout.buffer.write(encode_source(formatted))
        else:
            try:
                Path(path).write_bytes(encode_source(formatted))
            except OSError as exc:
                click.echo(f"ipxescript fmt: {path}: cannot write: {exc.strerror or exc}", err=True)
                failed = True
                continue
            if not quiet:
                click.echo(f"reformatted {printable(path)}", err=True)
    if failed:
        sys.exit(EXIT_USAGE)
    if (check or diff) and changed:
        sys.exit(EXIT_FAILURE)
