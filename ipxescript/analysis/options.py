"""Binding a command's arguments to its options and positionals, exactly as iPXE's getopt does
(src/core/getopt.c: getopt_long, match_long_option, match_short_option; src/core/parseopt.c).

Rules: options only before the first word that does not start with ``-``; ``--`` ends options and is
removed; ``--name value`` or ``--name=value``; no abbreviations; short options bundle (``-ar``) and
an argument-taking short option eats the rest of its word (``-t500``); an argument taken from the
next word must not start with ``-``; ``-h``/``--help`` prints usage and fails; a bad value stops at
once; the positional count is checked last.

``parse_argv`` works on expanded strings (the simulator); ``bind_command`` works on syntax-tree words,
where a word holding ``${...}`` has no known value yet (the linter, the language server).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ipxescript.analysis.values import ValueProblem, parse_value
from ipxescript.catalog import CommandSpec, OptionSpec, Profile


@dataclass
class OptionUse:
    option: OptionSpec
    value: object  # parsed value; True for flags; None when the text is not known statically
    text: str | None  # the argument text as written (None for flags or unknown values)
    index: int  # argv index of the word that named the option
    value_index: int | None  # argv index of the word that holds the value (same word when inline)


@dataclass
class ArgError:
    """A failure as iPXE reports it: the printed message, the error class, whether usage follows."""

    kind: str  # unknown-option | missing-argument | takes-no-argument | help | invalid-value | arity
    message: str  # the line iPXE prints before any usage text ("" for arity and help)
    errno: str  # EINVAL, ERANGE or ECANCELED
    usage: bool
    index: int  # argv index of the offending word (len(argv) for a missing positional)


@dataclass
class Binding:
    options: list[OptionUse] = field(default_factory=list)
    positional_start: int = 1  # argv index of the first positional
    positionals: list[int] = field(default_factory=list)  # argv indexes of the positionals
    error: ArgError | None = None

    def get(self, long_name: str) -> OptionUse | None:
        """The last use of an option (iPXE keeps the last value), by long name without dashes."""
        found = None
        for use in self.options:
            if use.option.name == long_name:
                found = use
        return found

    def has(self, long_name: str) -> bool:
        return self.get(long_name) is not None


UNKNOWN = None  # a word whose text is not known statically (it holds ${...})


def parse_argv(spec: CommandSpec, argv: list[str | None], profile: Profile | None = None) -> Binding:
    """Bind ``argv`` (argv[0] = the command name) to ``spec``. Entries that are None stand for words
    whose value is unknown: they are never options and their values are not checked."""
    binding = Binding()
    options = spec.all_options
    i = 1
    n = len(argv)
    while i < n:
        word = argv[i]
        if word is None or not word.startswith("-"):
            break
        if word == "--":
            i += 1
            break
        if word.startswith("--"):
            text = word[2:]
            matched = None
            for opt in options:
                name = opt.name
                if text == name or text.startswith(name + "="):
                    matched = opt
                    break
            if matched is None:
                binding.error = ArgError(
                    "unknown-option", f'Unrecognised option "--{text}"', "EINVAL", True, i
                )
                return binding
            inline = text[len(matched.name) + 1 :] if text.startswith(matched.name + "=") else None
            start = i
            i += 1
            value_index: int | None = start if inline is not None else None
            if matched.takes_argument and inline is None:
                if not _next_is_value(argv, i):
                    binding.error = _missing(matched.name, start)
                    return binding
                inline, value_index = argv[i], i
                i += 1
            if not matched.takes_argument and inline is not None:
                binding.error = ArgError(
                    "takes-no-argument", f'Option "{matched.name}" takes no argument', "EINVAL", True, start
                )
                return binding
            if not _use(binding, spec, matched, inline, start, value_index, profile, argv):
                return binding
            continue
        # short options, possibly bundled
        pos = 1
        start = i
        while True:
            if pos >= len(word):  # a lone "-"
                binding.error = ArgError("unknown-option", 'Unrecognised option "-"', "EINVAL", True, i)
                return binding
            letter = word[pos]
            matched = next((o for o in options if o.letter == letter), None)
            if matched is None:
                binding.error = ArgError(
                    "unknown-option", f'Unrecognised option "-{letter}"', "EINVAL", True, i
                )
                return binding
            pos += 1
            inline = None
            value_index = None
            if matched.takes_argument:
                if pos < len(word):
                    inline = word[pos:]
                    value_index = i
                    i += 1
                else:
                    i += 1
                    if not _next_is_value(argv, i):
                        binding.error = _missing(letter, start)
                        return binding
                    inline, value_index = argv[i], i
                    i += 1
                if not _use(binding, spec, matched, inline, start, value_index, profile, argv):
                    return binding
                break
            if not _use(binding, spec, matched, None, start, None, profile, argv):
                return binding
            if pos >= len(word):
                i += 1
                break
    binding.positional_start = i
    binding.positionals = list(range(i, n))
    count = n - i
    if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
        index = n if count < spec.min_args else i + (spec.max_args or 0)
        binding.error = ArgError("arity", "", "ERANGE", True, index)
    return binding


def _next_is_value(argv: list[str | None], i: int) -> bool:
    """get_argv_argument: the next word exists and does not start with "-" (unknown words count)."""
    if i >= len(argv):
        return False
    word = argv[i]
    return word is None or not word.startswith("-")


def _missing(name: str, index: int) -> ArgError:
    return ArgError("missing-argument", f'Option "{name}" requires an argument', "EINVAL", True, index)


def _use(
    binding: Binding,
    spec: CommandSpec,
    opt: OptionSpec,
    text: str | None,
    index: int,
    value_index: int | None,
    profile: Profile | None,
    argv: list[str | None],
) -> bool:
    """Record one option; False (with binding.error set) when iPXE would stop here."""
    if opt.long == "--help":
        binding.error = ArgError("help", "", "ECANCELED", True, index)
        return False
    if not opt.takes_argument:
        binding.options.append(OptionUse(opt, True, None, index, None))
        return True
    if value_index is not None and argv[value_index] is None:
        binding.options.append(OptionUse(opt, None, None, index, value_index))  # value unknown statically
        return True
    assert text is not None
    try:
        value = parse_value(opt.argument_kind, text, profile)
    except ValueProblem as problem:
        binding.error = ArgError("invalid-value", problem.message, problem.errno, False, value_index or index)
        return False
    binding.options.append(OptionUse(opt, value, text, index, value_index))
    return True
