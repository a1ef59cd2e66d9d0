"""The ``ipxelint`` console script and ``ipxescript check`` (the same command)."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import click

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.clikit import (
    CONTEXT,
    EXIT_USAGE,
    binary_reason,
    colour_wanted,
    format_option,
    print_diff,
    printable,
    quiet_option,
    version_option,
)
from ipxescript.lint.config import FAIL_ON, TEMPLATES, ConfigError, ConfigFiles, LintConfig, read_config_file
from ipxescript.lint.discover import CONTEXT_LIMIT, discover, walk_context
from ipxescript.lint.report import FORMATS, FileReport, render
from ipxescript.syntax.source import decode_source, encode_source

EXAMPLES = """\b
Examples:
  ipxelint boot/                      check every script under boot/
  ipxelint --format concise . | grep IPX2   one line per finding
  ipxelint --select IPX2,goto-missing-label boot.ipxe
  ipxelint --fix --diff boot.ipxe     show the safe fixes as a diff, change nothing
  cat boot.ipxe | ipxelint -          read standard input
  ipxelint --explain IPX205           a rule's documentation

Exit status: 0 no findings at --fail-on, 1 findings, 2 usage or input error (see docs/cli.md)."""


def _codes(values: tuple[str, ...], option: str) -> tuple[str, ...] | None:
    """Codes, code prefixes (IPX2), ALL or rule names (goto-missing-label) as codes; unknown ones are
    a usage error naming the option."""
    if not values:  # the rules' modules are not imported for nothing (a run the cache answers needs none)
        return None
    from ipxescript.lint.config import ConfigError, rule_codes

    try:
        return rule_codes(values) or None
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _fails(diagnostics: list[Diagnostic], fail_on: str) -> bool:
    if fail_on == "never":
        return False
    threshold = Severity(fail_on).rank
    return any(d.severity.rank >= threshold for d in diagnostics)


class Runner:
    def __init__(self, overrides: Mapping[str, object], config_file: str | None) -> None:
        self.overrides = overrides
        self.fixed_config: LintConfig | None = None
        if config_file is not None:
            self.fixed_config = read_config_file(Path(config_file))
        self.real_path = _RealPaths()  # os.path.realpath of a file, its folder resolved once
        self._config_files = ConfigFiles()
        self._by_folder: dict[str, LintConfig] = {}
        self._by_file: dict[Path | None, LintConfig] = {}

    def config_for(self, path: str) -> LintConfig:
        """The config for a file, one object per config file: the config remembers what it decided."""
        if self.fixed_config is not None:
            return self._config(None, self.fixed_config)
        folder = os.path.realpath(os.getcwd()) if path == "-" else os.path.dirname(self.real_path(path))
        found = self._by_folder.get(folder)
        if found is None:
            source = self._config_files(folder)
            found = self._by_folder[folder] = self._config(source, None)
        return found

    def _config(self, source: Path | None, fixed: LintConfig | None) -> LintConfig:
        found = self._by_file.get(source)
        if found is None:
            base = fixed or (read_config_file(source) if source is not None else LintConfig())
            found = self._by_file[source] = base.with_overrides(**self.overrides)
        return found


def _validate_profile(name: str | None) -> None:
    from ipxescript.lint.config import ConfigError, check_profile

    try:
        if name is not None:
            check_profile(name)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


@click.command(context_settings=CONTEXT, epilog=EXAMPLES)
@click.argument("paths", nargs=-1, type=click.Path())
@format_option(FORMATS)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default=None,
    help="Lowest severity that makes the exit status 1 (default: warning).",
)
@click.option("--select", multiple=True, help="Only these codes, prefixes or rule names (comma-separated).")
@click.option("--ignore", multiple=True, help="Drop these codes, prefixes or rule names (comma-separated).")
@click.option(
    "--profile",
    default=None,
    help="Build profile to check commands and URL schemes against (efi, pcbios, debian-12-efi).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Use this config file instead of searching for one.",
)
@click.option(
    "--template",
    type=click.Choice(TEMPLATES),
    default=None,
    help="Template syntax to mask before linting (default: auto-detect jinja/go/erb/mustache; none: off).",
)
@click.option("--fix", is_flag=True, help="Apply safe fixes in place (stdin: print the fixed text).")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix, apply unsafe fixes too.")
@click.option(
    "--diff", is_flag=True, help="Print the fixes as a unified diff and change nothing (implies --fix)."
)
@click.option("--explain", metavar="CODE", default=None, help="Print a rule's documentation and exit.")
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
@click.option("--check-urls", is_flag=True, help="Request every http(s) URL (HEAD, then a ranged GET).")
@click.option(
    "--set", "set_values", multiple=True, metavar="NAME=VALUE", help="Value for ${NAME} when checking URLs."
)
@click.option("--url-timeout", type=float, default=5.0, show_default=True, help="Seconds per URL request.")
@click.option(
    "--url-concurrency",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="URL requests at once.",
)
@click.option(
    "--entry",
    "entries",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="An entry script of the boot tree (default: config 'entry', else scripts no other one chains).",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="PREFIX=TARGET",
    help="Read chained URLs starting with PREFIX from the folder TARGET, as ipxesim --map does.",
)
@click.option("--stdin-filename", default=None, help="Name to show (and match config against) for '-'.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Reuse the output of an earlier run over the same files, config and version (env: IPXELINT_CACHE_DIR).",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text output (auto: on a terminal, unless NO_COLOR is set).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Processes to run the rules in (default: the usable CPUs; 1: this process only).",
)
@quiet_option("Print findings only: no summary line.")
@version_option("ipxelint")
def lint_command(
    paths: tuple[str, ...],
    fmt: str,
    fail_on: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    profile: str | None,
    config_file: str | None,
    template: str | None,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    explain: str | None,
    list_rules: bool,
    check_urls: bool,
    set_values: tuple[str, ...],
    url_timeout: float,
    url_concurrency: int,
    entries: tuple[str, ...],
    maps: tuple[str, ...],
    stdin_filename: str | None,
    cache_dir: str | None,
    color: str,
    jobs: int | None,
    quiet: bool,
) -> None:
    """Check iPXE scripts: PATHS are files, folders (searched for *.ipxe and #!ipxe files) or '-'.

    The scripts given are linted as one boot tree: settings, failures and chain paths pass between the
    scripts that chain each other (see docs/lint.md)."""
    if explain is not None:
        _explain(explain)
        return
    if list_rules:
        from ipxescript.lint.registry import all_rules

        for rule in all_rules():
            click.echo(f"{rule.code}  {rule.severity.value:<7}  {rule.name}: {rule.title.replace('``', '')}")
        return
    _validate_profile(profile)
    values = _parse_set(set_values)
    for item in maps:
        prefix, eq, target = item.partition("=")
        if not eq or not prefix or not target:
            raise click.UsageError(f"--map expects PREFIX=TARGET (a URL prefix and a folder), got '{item}'")
        if not os.path.isdir(target):
            raise click.UsageError(f"--map '{item}': {target}: no such directory")
    overrides = {
        "select": _codes(select, "--select"),
        "ignore": _codes(ignore, "--ignore"),
        "profile": profile,
        "template": template,
    }
    try:
        runner = Runner(overrides, config_file)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    use_color = colour_wanted(color)
    fix = fix or diff
    reports: list[FileReport] = []
    inputs: list[tuple[str, str, LintConfig]] = []
    io_error = False
    worst_fail_on = fail_on
    fixed_total = 0
    changed = False  # --diff printed a change
    seen: set[str] = set()  # a file given twice ('ipxelint . sub/x.ipxe') is linted and reported once
    for path, error in discover(list(paths) or ["."]):
        if error is not None:
            click.echo(f"ipxelint: {printable(path)}: {error}", err=True)
            io_error = True
            continue
        if path != "-":
            real = runner.real_path(path)
            if real in seen:
                continue
            seen.add(real)
        shown = stdin_filename if (path == "-" and stdin_filename) else path
        try:
            config = runner.config_for(shown if path == "-" and stdin_filename else path)
            _validate_profile(config.profile)
        except ConfigError as exc:
            click.echo(f"ipxelint: {exc}", err=True)
            io_error = True
            continue
        text = _read(path)
        if text is None:
            io_error = True
            continue
        if fix:
            from ipxescript.lint.fixes import fix_text

            fixed, count = fix_text(text, _linter(shown, config), unsafe_fixes)
            if diff:
                changed = print_diff(shown, text, fixed) or changed
            elif path == "-":
                sys.stdout.buffer.write(encode_source(fixed))
                sys.stdout.flush()
            elif fixed != text:
                try:
                    Path(path).write_bytes(encode_source(fixed))
                except OSError as exc:
                    click.echo(f"ipxelint: {path}: cannot write: {exc.strerror or exc}", err=True)
                    io_error = True
                    fixed, count = text, 0  # nothing fixed: its findings are reported as they stand
            fixed_total += count
            text = fixed
        inputs.append((shown, text, config))
        if worst_fail_on is None:
            worst_fail_on = config.fail_on
    root, context = _context(inputs, paths or (".",), runner)
    cached = _cache_folder(cache_dir, fix or check_urls or io_error or "-" in paths)
    key = ""
    if cached is not None:
        from ipxescript.lint import cache

        options = (fmt, fail_on, use_color, quiet, entries, maps, root)
        key = cache.run_key(options, inputs, context)
        hit = cache.load(cached, key)
        if hit is not None:
            click.echo(hit.stdout, nl=False, color=use_color)
            click.echo(hit.stderr, nl=False, err=True)
            sys.exit(hit.status)
    from ipxescript.lint.engine import lint_tree  # not before: a run the cache answers needs no engine
    from ipxescript.lint.workers import usable_cpus

    def warn(message: str) -> None:
        click.echo(f"ipxelint: {message}", err=True)

    # with the collector off (main: the process leaves with os._exit) the trees need no taking apart
    release = gc.isenabled()
    results = lint_tree(inputs, entries, maps, root, context, jobs or usable_cpus(), warn, release)
    for result in results:
        # positions: a template's original text is not parsed again for the report
        reports.append(FileReport(result.positions.path or "-", result.positions, result.diagnostics))
    if check_urls:
        from ipxescript.lint.urlcheck import check_report_urls

        for report, result in zip(reports, results, strict=True):
            config = runner.config_for(report.path)
            extra = check_report_urls(result.script, values, url_timeout, url_concurrency)
            report.diagnostics = sorted(
                report.diagnostics + [d for d in extra if config.enabled(d.code, report.path)],
                key=lambda d: d.start,
            )
    output = render(fmt, reports, use_color)
    if (fix and any(r.path == "-" for r in reports)) or diff:
        click.echo(output, nl=False, err=True, color=use_color)
    else:
        click.echo(output, nl=False, color=use_color)
    summary = "" if quiet else _summary(reports, fixed_total, fix and not diff)
    click.echo(summary, nl=False, err=True)
    if io_error:
        sys.exit(EXIT_USAGE)
    all_found = [d for r in reports for d in r.diagnostics]
    status = 1 if changed or _fails(all_found, worst_fail_on or "warning") else 0
    if cached is not None:
        from ipxescript.lint import cache

        cache.store(cached, key, cache.Entry(output, summary, status))
    sys.exit(status)


def _cache_folder(option: str | None, uncacheable: object) -> Path | None:
    """The cache folder when the run may use one: not when it writes fixes, asks the network, reads
    standard input or met a file it could not read."""
    from ipxescript.lint.cache import cache_dir

    folder = cache_dir(option)
    return None if folder is None or uncacheable else folder


def _tree_root(paths: tuple[str, ...]) -> Path | None:
    """The folder chain paths are named from: the one folder given, else the files' common folder."""
    folders = [p for p in paths if p != "-" and Path(p).is_dir()]
    return Path(folders[0]) if len(folders) == 1 and len(paths) == 1 else None


def _context(
    inputs: list[tuple[str, str, LintConfig]], paths: tuple[str, ...], runner: Runner
) -> tuple[Path | None, list[tuple[str, bytes, LintConfig]]]:
    """Files given one by one (the pre-commit hook passes the changed ones) are linted within their
    boot tree, as the editor does: the other scripts under the project root join the tree as parents
    and children, and are not reported. The root, and the tree's root when there is one."""
    if not inputs or "-" in paths:
        return _tree_root(paths), []
    real = runner.real_path  # the runner's: the given files' folders are resolved already
    given = {real(path) for path, _text, _config in inputs}
    roots = _ProjectRoots()
    # a folder given is linted within its project too ('ipxelint .' in a sub-folder of a git work tree
    # says what 'ipxelint *.ipxe' says there); a folder that is its project's root holds all of it
    folders = {os.path.abspath(p) for p in paths if os.path.isdir(p)}
    probes = [os.path.join(p, "-") if os.path.isdir(p) else p for p in paths]
    found = list(dict.fromkeys(roots(probe, runner.config_for(probe)) for probe in probes))
    if all(root in folders for root in found):
        return _tree_root(paths), []
    # a root under an earlier one adds nothing: that one's walk went through it
    earlier: set[str] = set()
    walked = []
    for root in found:
        if not any(folder in earlier for folder in _parents(root)):
            walked.append(root)
        earlier.add(root)
    # named as the given files are: relative to the working folder unless they were given absolute
    relative = not any(os.path.isabs(path) for path, _text, _config in inputs)
    out: list[tuple[str, bytes, LintConfig]] = []
    for path in _context_scripts(walked):
        resolved = real(path)
        if resolved in given:
            continue
        given.add(resolved)
        try:
            shown = os.path.relpath(path) if relative else path
            out.append((shown, Path(resolved).read_bytes(), runner.config_for(path)))
        except (OSError, ConfigError):
            continue  # context only: a file that cannot be read or configured is left out
    return (Path(found[0]) if len(found) == 1 else None), out


def _context_scripts(roots: list[str]) -> Iterator[str]:
    for root in roots:
        found, whole = walk_context(root)
        if not whole:
            click.echo(
                f"ipxelint: {printable(root)}: stopped looking for the other scripts of the boot tree after"
                f" {CONTEXT_LIMIT:,} files (the folder of a file outside any git work tree or config file);"
                " a git work tree or an .ipxelint.toml at the project's top folder bounds the search",
                err=True,
            )
        yield from found


def _parents(folder: str) -> Iterator[str]:
    parent = os.path.dirname(folder)
    while parent != folder:
        yield parent
        folder, parent = parent, os.path.dirname(parent)


class _RealPaths:
    """``os.path.realpath`` of files, each path and each folder resolved once: the files of a project
    share a few folders, resolving walks every component of the path, and a run asks for a given
    file's several times (once given, its config, its project root)."""

    def __init__(self) -> None:
        self.folders: dict[str, str] = {}
        self.paths: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        real = self.paths.get(path)
        if real is None:
            real = self.paths[path] = self._resolve(path)
        return real

    def _resolve(self, path: str) -> str:
        if ".." in path or os.path.islink(path):
            return os.path.realpath(path)
        folder, name = os.path.split(os.path.abspath(path))
        real = self.folders.get(folder)
        if real is None:
            real = self.folders[folder] = os.path.realpath(folder)
        return os.path.join(real, name)


class _ProjectRoots:
    """The project root of each file, each folder looked at once."""

    def __init__(self) -> None:
        self.git: dict[str, str | None] = {}  # folder -> the git work tree it is in

    def git_root(self, folder: str) -> str | None:
        if folder not in self.git:
            parent = os.path.dirname(folder)
            if os.path.exists(os.path.join(folder, ".git")):
                self.git[folder] = folder
            else:
                self.git[folder] = self.git_root(parent) if parent != folder else None
        return self.git[folder]

    def __call__(self, path: str, config: LintConfig) -> str:
        """The git work tree the file is in, else its config file's folder when the file is under it,
        else the file's own folder (with its subfolders)."""
        folder = os.path.dirname(os.path.abspath(path))
        found = self.git_root(folder)
        if found is not None:
            return found
        if config.source is not None:
            config_folder = os.path.abspath(config.source.parent)
            if config_folder == folder or config_folder in _parents(folder):
                return config_folder
        return folder


def _linter(path: str, config: LintConfig) -> Callable[[str], list[Diagnostic]]:
    from ipxescript.lint.engine import lint_text

    return lambda text: lint_text(text, path, config).diagnostics


def _summary(reports: list[FileReport], fixed: int, fixing: bool) -> str:
    """The lines for standard error after the findings: what was fixed, how many findings of each kind."""
    found = [d for r in reports for d in r.diagnostics]
    out = ""
    if fixing and fixed:
        out += f"Fixed {fixed} problem{'s' if fixed != 1 else ''}.\n"
    if not found:
        return out
    counts = {s: sum(1 for d in found if d.severity == s) for s in Severity}
    parts = [f"{n} {s.value}{'s' if n != 1 and s != Severity.INFO else ''}" for s, n in counts.items() if n]
    from ipxescript.lint.fixes import fixable

    safe = len(fixable(found))
    unsafe = len(fixable(found, unsafe=True)) - safe
    hint = ""
    if safe:
        hint += f"; {safe} fixable with --fix"
    if unsafe:
        hint += f"; {unsafe} more with --fix --unsafe-fixes"
    return out + f"Found {len(found)} problem{'s' if len(found) != 1 else ''} ({', '.join(parts)}){hint}.\n"


def _read(path: str) -> str | None:
    """The file's text, or None after saying why it cannot be checked (the other files still are)."""
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        click.echo(f"ipxelint: {printable(path)}: cannot read: {exc.strerror or exc}", err=True)
        return None
    binary = binary_reason(data)
    if binary is not None:
        click.echo(f"ipxelint: {printable(path)}: skipped, {binary}", err=True)
        return None
    return decode_source(data)[0]


def _parse_set(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in values:
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise click.UsageError(f"--set expects NAME=VALUE, got '{item}'")
        out[name] = value
    return out


def _explain(code: str) -> None:
    from ipxescript.lint.docs import explain
    from ipxescript.lint.registry import find_rule

    rule = find_rule(code)
    if rule is None:
        raise click.UsageError(f"no rule '{code}'; 'ipxelint --list-rules' lists them")
    click.echo(explain(rule), nl=False)


check_command = lint_command


def main() -> None:
    # One short run: the trees it builds hold no cycles once linted (engine._release), so the cyclic
    # collector would only walk every tree again, for nothing, while the findings are printed.
    gc.disable()
    try:
        lint_command.main(prog_name="ipxelint")
    except SystemExit as exc:
        _exit_now(exc)


def _exit_now(exc: SystemExit) -> None:
    """Exit without freeing every tree and module one object at a time (~10% of a large run): the
    output is flushed first; a status Python would print (a message) takes the ordinary way out."""
    if exc.code is not None and not isinstance(exc.code, int):
        raise exc
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe: Python's own exit reports it
        raise exc from None
    os._exit(exc.code or 0)


if __name__ == "__main__":
    main()
