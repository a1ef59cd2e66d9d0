"""``ipxescript commands [NAME]``: the command catalog, from the one data file."""

from __future__ import annotations

import json
import sys

import click

from ipxescript.catalog import get_catalog
from ipxescript.clikit import CONTEXT, InputError, format_option


@click.command(
    "commands",
    context_settings=CONTEXT,
    epilog="""\b
Examples:
  ipxescript commands                         every command, one line each
  ipxescript commands --profile pcbios        marks what a BIOS build lacks
  ipxescript commands chain                   usage, options and notes of chain
  ipxescript commands chain --format json     the catalog entry""",
)
@click.argument("name", required=False)
@click.option(
    "--profile", default=None, help="Build profile (efi, pcbios, debian-12-efi): mark what it lacks."
)
@format_option(("text", "json"))
def commands_command(name: str | None, profile: str | None, fmt: str) -> None:
    """List iPXE's commands, or show one command's usage, options and notes."""
    as_json = fmt == "json"
    catalog = get_catalog()
    try:
        prof = catalog.profile(profile) if profile else None
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="--profile") from None
    raw = {c["name"]: c for c in catalog.raw["commands"]}
    if name is None:
        if as_json:
            json.dump(catalog.raw["commands"], sys.stdout, indent=1)
            sys.stdout.write("\n")
            return
        for spec in catalog.commands.values():
            mark = ""
            if prof is not None and spec.name not in prof.commands:
                mark = f"  (not in {prof.name})"
            elif not spec.enabled_by_default:
                mark = "  (off by default)"
            click.echo(f"{spec.name:<12} {spec.summary}{mark}")
        return
    found = catalog.commands.get(name)
    if found is None:
        import difflib

        near = difflib.get_close_matches(name, list(catalog.commands), n=3)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise InputError(f"no such iPXE command: {name}{hint}")
    spec = found
    if as_json:
        json.dump(raw[name], sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    click.echo(f"{spec.name}: {spec.summary}\n")
    click.echo(f"Usage: {spec.usage_line()}\n")
    if spec.options:
        click.echo("Options:")
        for opt in spec.options:
            arg = f" <{opt.name}>" if opt.takes_argument else ""
            click.echo(f"  {opt.short}, {opt.long}{arg}  ({opt.argument_kind})")
        click.echo("")
    lo, hi = spec.min_args, spec.max_args
    click.echo(f"Positional arguments: {lo} to {'unlimited' if hi is None else hi}")
    build = spec.build_macro or "always built"
    click.echo(f"Build switch: {build}, {'on' if spec.enabled_by_default else 'off'} by default")
    if spec.build_notes:
        click.echo(f"  {spec.build_notes}")
    absent = [p.name for p in catalog.profiles.values() if spec.name not in p.commands]
    if absent:
        click.echo(f"Not in profiles: {', '.join(absent)}")
    if spec.exit_status:
        click.echo(f"\nExit status: {spec.exit_status}")
    for note in spec.notes:
        click.echo(f"- {note}")
    click.echo(f"\nSource: {spec.source_file}")
