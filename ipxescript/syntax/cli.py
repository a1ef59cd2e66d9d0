"""``ipxescript parse FILE [--json]``: show the syntax tree, for debugging and for other tools."""

from __future__ import annotations

import json
import sys

import click

from ipxescript.clikit import CONTEXT, format_option
from ipxescript.syntax.io import read_script_file
from ipxescript.syntax.parser import parse
from ipxescript.syntax.serialize import script_to_json


@click.command(
    "parse",
    context_settings=CONTEXT,
    epilog="""\b
Examples:
  ipxescript parse boot.ipxe
  ipxescript parse --format json boot.ipxe | jq '.lines[0]'
  printf '#!ipxe\\necho hi\\n' | ipxescript parse -""",
)
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@format_option(("text", "json"))
def parse_command(file: str, fmt: str) -> None:
    """Parse FILE ('-' for stdin) and print its syntax tree."""
    data, label = read_script_file(file)
    script = parse(data, label)
    if fmt == "json":
        # Undecodable bytes are lone surrogates in the tree: escape them (ASCII JSON) so the output
        # is valid on any terminal encoding.
        text = json.dumps(script_to_json(script), indent=1, ensure_ascii=script.encoding_errors)
        sys.stdout.buffer.write(text.encode("utf-8") + b"\n")
        return

    def out(line: str) -> None:
        # the script's own bytes go back out as they came in, whatever the locale's encoding
        sys.stdout.buffer.write(line.encode("utf-8", "surrogateescape") + b"\n")

    out(f"script {label} magic={script.magic!r} lines={len(script.lines)}")
    for line in script.lines:
        where = f"{line.first_line + 1}" + (
            f"-{line.last_line + 1}" if line.last_line != line.first_line else ""
        )
        parts = []
        if line.label is not None:
            parts.append(f"label {line.label.name!r}")
        for i, command in enumerate(line.commands):
            if i:
                parts.append(line.operators[i - 1].text)
            parts.append("[" + " ".join(repr(w.text) for w in command.words) + "]")
        if line.comment is not None:
            parts.append(f"comment {line.comment.text!r}")
        if line.unterminated:
            parts.append("(unterminated: never runs)")
        out(f"{where:>7}: " + " ".join(parts))
    for d in script.diagnostics:
        ln, col = script.position(d.start)
        out(f"{label}:{ln + 1}:{col + 1}: {d.severity.value} {d.code} {d.message}")
