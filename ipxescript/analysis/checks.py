"""The core's own diagnostics: what any reader of iPXE's command table can tell about a command.

Unknown commands (IPX101), unknown options (IPX102), missing or unwanted option arguments (IPX103),
wrong positional counts (IPX104), invalid integers, timeouts and keys (IPX105), options written after
the first positional (IPX106) and ``--help`` in a script (IPX107). The linter documents these codes
(one rule module each) and adds its own; the syntax-level codes (IPX002, IPX004, IPX401) come from the
parser, and IPX402 (unknown ``:type``) from here.
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.analysis.options import Binding, parse_argv
from ipxescript.analysis.suggest import close_names
from ipxescript.analysis.values import ValueProblem, parse_value
from ipxescript.catalog import Catalog, CommandSpec, Profile, get_catalog
from ipxescript.syntax.tree import Command, Script, Word, is_literal_text


def command_argv(command: Command) -> list[str | None]:
    """The words as getopt will see them: literal text, or None where a ``${...}`` makes it unknown.

    A word that starts with literal text keeps its known prefix visible to option detection: a word
    like ``--timeout=${t}`` is an option whose value is unknown."""
    # (a word without "${" has no reference: is_literal only for the others)
    return [w.text if "${" not in w.text or w.is_literal else None for w in command.words]


def bind(command: Command, spec: CommandSpec, profile: Profile | None = None) -> Binding:
    """Static binding of a syntax-tree command: options, positionals, or the first error iPXE hits."""
    argv = command_argv(command)
    # A partially dynamic word that starts with "-" is still an option word; give getopt its literal
    # name part so unknown-option checks work, and leave the value unknown.
    for i, word in enumerate(command.words):
        if argv[i] is None and i > 0 and not _starts_dynamic(word):
            prefix = word.text_parts[0].value  # type: ignore[union-attr]
            if prefix.startswith("-"):
                argv[i] = prefix if "=" in prefix else None
    return parse_argv(spec, argv, profile)


def _starts_dynamic(word: Word) -> bool:
    from ipxescript.syntax.tree import Reference

    return isinstance(word.text_parts[0], Reference)


def check_script(
    script: Script,
    catalog: Catalog | None = None,
    profile: Profile | None = None,
    clean: set[tuple[str | None, ...]] | None = None,
) -> list[Diagnostic]:
    """The core's findings on the script's commands, then on its ``${name:type}`` words. ``clean``, when
    given, holds the keys (``command_key``) of commands that passed the checks before, kept by the
    caller across the scripts of a lint run: a command with such a key is not checked again, and the
    key of each command that passes now is added."""
    catalog = catalog or get_catalog()
    found: list[Diagnostic] = []
    for _line, command in script.commands():
        if clean is None:
            found.extend(check_command(command, catalog, profile))
            continue
        key = command_key(command, catalog)
        if key not in clean:
            problems = list(check_command(command, catalog, profile))
            if problems:
                found += problems
            else:
                clean.add(key)
    found.extend(check_types(script, catalog, profile))
    return found


def command_key(command: Command, catalog: Catalog) -> tuple[str | None, ...]:
    """What ``check_command``'s verdict depends on besides positions: commands with equal keys both
    pass the checks or both fail them, so a lint checks each key once (real scripts repeat ``boot ||
    goto failed``, ``kernel ${base}/...``, ``echo ...`` in many different lines). Each word's text,
    except: None for a word with a ``${...}`` that does not start with ``-``, whose text no check
    reads; "" for a literal positional (a word not starting with ``-`` after one that does not
    either: only an option word is followed by its value) of a command without integer positionals,
    where only the count of positionals matters. A word with a ``"`` keeps its text (IPX106 counts
    the quotes before an option-like word)."""
    name = command.name
    spec = catalog.commands.get(name) if name else None
    integers = spec is not None and _has_integer_positionals(spec)
    out: list[str | None] = [name]
    after_dash = False
    for word in command.words[1:]:
        text = word.text
        dash = text.startswith("-")
        if dash:
            out.append(text)
        elif "${" in text and not is_literal_text(text) and '"' not in text:
            out.append(None)
        else:  # (a '"' opens or closes a quoted parameter: IPX106 reads it)
            out.append(text if after_dash or integers or '"' in text else "")
        after_dash = dash
    return tuple(out)


def check_command(command: Command, catalog: Catalog, profile: Profile | None = None) -> Iterator[Diagnostic]:
    name = command.name
    if name is None:
        return  # the name comes from an expansion: nothing is known until run time
    spec = catalog.command(name, profile)
    head = command.words[0]
    if spec is None:
        matches = close_names(name, catalog.commands)
        hint = f"; did you mean '{matches[0]}'?" if matches else ""
        fix = None
        if matches:
            fix = Fix(
                f"replace '{name}' with '{matches[0]}'", (Edit(head.start, head.end, matches[0]),), safe=False
            )
        yield Diagnostic(
            "IPX101",
            Severity.ERROR,
            f"'{name}' is not an iPXE command: the line fails with 'command not found' and ends the "
            f"script{hint}",
            head.start,
            head.end,
            fix,
            tuple(matches),
        )
        return
    if not spec.help_option:
        return  # help and the non-EFI shim parse no options at all
    binding = bind(command, spec, profile)
    words = command.words
    error = binding.error
    if error is not None:
        yield from _binding_error(command, spec, binding)
    else:
        yield from _check_positional_values(command, spec, binding, profile)
    yield from _options_after_positionals(command, spec, binding)
    del words


def _span(command: Command, index: int) -> tuple[int, int]:
    words = command.words
    if index < len(words):
        return words[index].start, words[index].end
    return words[-1].start, words[-1].end


def _binding_error(command: Command, spec: CommandSpec, binding: Binding) -> Iterator[Diagnostic]:
    error = binding.error
    assert error is not None
    start, end = _span(command, error.index)
    usage = spec.usage_line()
    if error.kind == "unknown-option":
        opt = error.message.split('"')[1] if '"' in error.message else ""
        names = [o.long for o in spec.options] + [o.short for o in spec.options]
        written = opt.split("=")[0]
        # iPXE takes no abbreviations, so a prefix of a real option is the likeliest meaning
        matches = [n for n in names if n.startswith(written) and len(written) > 2][:1] or close_names(
            written, names, 1
        )
        hint = f"; did you mean '{matches[0]}'?" if matches else f"; usage: {usage}"
        yield Diagnostic(
            "IPX102",
            Severity.ERROR,
            f"'{spec.name}' has no option '{opt}' (iPXE prints '{error.message}' and the line fails){hint}",
            start,
            end,
            None,
            tuple(matches),
        )
    elif error.kind in ("missing-argument", "takes-no-argument"):
        detail = (
            "needs a value, and a value may not start with '-'"
            if error.kind == "missing-argument"
            else "is a flag and takes no value"
        )
        yield Diagnostic(
            "IPX103",
            Severity.ERROR,
            f"{error.message}: the option {detail}; usage: {usage}",
            start,
            end,
        )
    elif error.kind == "help":
        yield Diagnostic(
            "IPX107",
            Severity.ERROR,
            f"'{spec.name} --help' prints the usage and FAILS (Operation canceled), which ends the script",
            start,
            end,
        )
    elif error.kind == "invalid-value":
        yield Diagnostic(
            "IPX105",
            Severity.ERROR,
            f"{error.message}: iPXE reads integers in C syntax (decimal, 0x hex, leading 0 = octal, so 08 "
            "and 09 are invalid) and the line fails",
            start,
            end,
        )
    elif error.kind == "arity":
        count = len(binding.positionals)
        want = _arity_text(spec)
        if count < spec.min_args:
            yield Diagnostic(
                "IPX104",
                Severity.ERROR,
                f"'{spec.name}' needs {want}, got {count}: iPXE prints the usage ({usage}) and the line fails",
                command.words[0].start,
                command.end,
            )
        else:
            extra = command.words[error.index]
            yield Diagnostic(
                "IPX104",
                Severity.ERROR,
                f"'{spec.name}' takes {want}, got {count}: iPXE prints the usage ({usage}) and the line fails",
                extra.start,
                command.end,
            )


def _arity_text(spec: CommandSpec) -> str:
    lo, hi = spec.min_args, spec.max_args
    noun = "argument" if (hi or lo) == 1 else "arguments"
    if hi is None:
        return f"at least {lo} {noun}"
    if lo == hi:
        return f"exactly {lo} {noun}"
    return f"{lo} to {hi} {noun}"


def _check_positional_values(
    command: Command, spec: CommandSpec, binding: Binding, profile: Profile | None
) -> Iterator[Diagnostic]:
    if not _has_integer_positionals(spec):  # most commands: nothing to read
        return
    for k, index in enumerate(binding.positionals):
        kind = spec.positional_kind(k)
        word = command.words[index]
        if kind is None or not word.is_literal:
            continue
        try:
            parse_value(kind, word.text, profile)
        except ValueProblem as problem:
            yield Diagnostic(
                "IPX105",
                Severity.ERROR,
                f"{problem.message}: iPXE reads integers in C syntax (decimal, 0x hex, leading 0 = octal, "
                "so 08 and 09 are invalid); the line fails",
                word.start,
                word.end,
            )


_INTEGERS: dict[int, tuple[CommandSpec, bool]] = {}


def _has_integer_positionals(spec: CommandSpec) -> bool:
    """Some positional of the command is read as an integer (``positional_kind``), kept per spec."""
    found = _INTEGERS.get(id(spec))
    if found is None or found[0] is not spec:
        names = spec.positional_names
        found = _INTEGERS[id(spec)] = (spec, any(spec.positional_kind(k) for k in range(len(names))))
    return found[1]


# Commands whose positionals are free text that may legitimately contain option-like words.
def _options_after_positionals(command: Command, spec: CommandSpec, binding: Binding) -> Iterator[Diagnostic]:
    if binding.error is not None and binding.error.kind != "arity":
        return
    first = binding.positional_start
    words = command.words
    quotes = 0  # '"' in the positionals before this one: an odd count opens a quoted kernel parameter
    for index in binding.positionals:
        word = words[index]
        inside = quotes % 2 == 1
        quotes += word.text.count('"')
        if inside or not word.text.startswith("-") or word.text == "--" or not word.is_literal:
            continue  # 'early_command="udhcpc -n -q"' is one parameter the kernel reads, not an option
        opt = spec.option(word.text.split("=", 1)[0])
        if opt is None or opt.long == "--help":
            continue
        moved = [word]
        valueless = opt.takes_argument and "=" not in word.text and index + 1 >= len(words)
        if opt.takes_argument and "=" not in word.text and not valueless:
            moved.append(words[index + 1])
        text = " ".join(w.text for w in moved)
        anchor = words[first]
        edits = [Edit(anchor.start, anchor.start, text + " ")]
        # delete the moved words with the whitespace before them
        prev_end = words[index - 1].end
        edits.append(Edit(prev_end, moved[-1].end, ""))
        yield Diagnostic(
            "IPX106",
            Severity.WARNING,
            f"'{word.text}' comes after the first positional argument, so iPXE does not read it as an "
            f"option: it becomes part of the arguments; move it before '{anchor.text}'"
            + (" with its value" if valueless else ""),
            word.start,
            moved[-1].end,
            # moved alone, an option that needs a value would take the first positional as it
            None if valueless else Fix(f"move '{text}' before '{anchor.text}'", tuple(edits), safe=True),
        )


def check_types(script: Script, catalog: Catalog, profile: Profile | None) -> Iterator[Diagnostic]:
    """IPX402: ``${name:type}`` with a type iPXE does not have (it expands to nothing)."""
    known = profile.setting_types if profile else frozenset(catalog.types)
    for line in script.lines:
        if ":" not in line.text or "${" not in line.text:  # most lines: no reference with a type
            continue
        for word in line.words:
            text = word.text
            if "${" not in text or ":" not in text:  # no reference, or none with a type
                continue
            for ref in word.references():
                if not ref.is_static:
                    continue
                kind = ref.type
                if kind is None or kind in known:
                    continue
                matches = close_names(kind, known, 1)
                hint = f"; did you mean ':{matches[0]}'?" if matches else ""
                fix = None
                if matches:
                    colon = ref.end - 1 - len(kind)
                    fix = Fix(f"use ':{matches[0]}'", (Edit(colon, ref.end - 1, matches[0]),), safe=False)
                yield Diagnostic(
                    "IPX402",
                    Severity.ERROR,
                    f"'{kind}' is not a setting type, so '${{{ref.inner}}}' always expands to nothing{hint}",
                    ref.start,
                    ref.end,
                    fix,
                    tuple(matches),
                )
