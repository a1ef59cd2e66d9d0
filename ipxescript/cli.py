"""The `ipxescript` command: a click group whose subcommands live beside the code they drive.

Subcommands are imported only when used, so `ipxescript parse` does not pay for the server's imports.
"""

from __future__ import annotations

import importlib

import click

from ipxescript.clikit import CONTEXT, version_option

# name -> "module:attribute" of a click command
SUBCOMMANDS: dict[str, str] = {
    "parse": "ipxescript.syntax.cli:parse_command",
    "commands": "ipxescript.catalog.cli:commands_command",
    "check": "ipxescript.lint.cli:check_command",
    "fmt": "ipxescript.fmt.cli:fmt_command",
    "sim": "ipxescript.sim.cli:sim_command",
    "graph": "ipxescript.sim.graph:graph_command",
    "lsp": "ipxescript.lsp.cli:lsp_command",
    "serve": "ipxescript.serve.cli:serve_command",
    "assign": "ipxescript.serve.cli:assign_command",
    "assignments": "ipxescript.serve.cli:assignments_command",
    "unassign": "ipxescript.serve.cli:unassign_command",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
            command: click.Command = getattr(module, attr)
        except (ModuleNotFoundError, AttributeError) as exc:
            if isinstance(exc, ModuleNotFoundError) and not (exc.name and module_name.startswith(exc.name)):
                raise
            return _unavailable(cmd_name)
        return command


def _unavailable(name: str) -> click.Command:
    def fail() -> None:
        raise click.ClickException(f"'{name}' is not available in this installation")

    return click.Command(name, callback=fail, help="(not available in this installation)")


@click.group(
    cls=LazyGroup,
    context_settings=CONTEXT,
    epilog="""\b
Examples:
  ipxescript check boot/              lint (the same as ipxelint)
  ipxescript fmt --diff boot.ipxe     what the formatter would change
  ipxescript sim boot.ipxe --explore  every path through the menus (the same as ipxesim)
  ipxescript serve                    serve the bundled example tree on 127.0.0.1

Every command: -h for help, --format for machine output, '-' for standard input, exit status 0 ok,
1 findings or failure, 2 usage or input error. See docs/cli.md.""",
)
@version_option("ipxescript")
def main() -> None:
    """A toolchain for iPXE scripts: parse, check, format, simulate, edit and serve them."""


if __name__ == "__main__":
    main()
