"""Menus as the script builds them, in file order (src/hci/commands/dynui_cmd.c).

``menu``/``form`` create a UI (``--name`` or the unnamed default); ``item`` adds to the UI named by
``--menu``/``--form``; ``choose`` shows one. Items attach to the latest UI of that name defined
earlier in the file, which is how nearly every script is written.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ipxescript.analysis.binding import BoundCommand, OptionValue
from ipxescript.analysis.values import ValueProblem, parse_integer
from ipxescript.syntax.tree import Reference, Word

if TYPE_CHECKING:
    from ipxescript.analysis.model import ScriptModel

DYNAMIC = object()


@dataclass
class Item:
    bound: BoundCommand
    name_word: Word | None  # None for --gap items and separators
    key: OptionValue | None

    @property
    def name(self) -> str | None:
        return self.name_word.text if self.name_word is not None and self.name_word.is_literal else None

    @property
    def is_dynamic(self) -> bool:
        return self.name_word is not None and not self.name_word.is_literal


@dataclass
class Menu:
    bound: BoundCommand
    name: str | None
    items: list[Item] = field(default_factory=list)


@dataclass
class Choice:
    bound: BoundCommand
    menu: Menu | None

    @property
    def setting(self) -> str | None:
        """The setting the choice is stored in (name without block and type), when it is literal."""
        words = self.bound.positionals
        return setting_base(words[0].text) if words and words[0].is_literal else None


@dataclass
class MenuModel:
    menus: list[Menu] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    orphans: list[BoundCommand] = field(default_factory=list)  # item/choose with no such menu anywhere
    item_menu_names: set[object] = field(default_factory=set)
    # the menu/form/item/choose/present commands it was built from, in file order
    sources: list[BoundCommand] = field(default_factory=list)


def _ui_name(bound: BoundCommand, *options: str) -> object:
    """The UI name an option selects (None = default UI, DYNAMIC when it comes from a reference)."""
    chosen = None
    for opt in bound.options:
        if opt.name in options:
            chosen = opt
    if chosen is None:
        return None
    if chosen.value_word is not None and not chosen.value_word.is_literal:
        return DYNAMIC
    return chosen.value


def key_value(text: str) -> int | None:
    """parse_key: one character is itself, longer text an integer (src/core/parseopt.c)."""
    if len(text) == 1:
        return ord(text)
    try:
        return parse_integer(text)
    except ValueProblem:
        return None


def build_menus(model: ScriptModel) -> MenuModel:
    """The menus, items and choices of a script (``ScriptModel.menus`` caches it). An edited
    document's model takes the previous version's when the edit left every UI command alone (same
    bound command objects): an edit elsewhere in a script of thousands of items costs nothing here."""
    sources = [bound for _line, bound in model.commands_named("menu", "form", "item", "choose", "present")]
    earlier = model.previous.__dict__.get("menus") if model.previous is not None else None
    if (
        isinstance(earlier, MenuModel)
        and len(earlier.sources) == len(sources)
        and all(map(operator.is_, earlier.sources, sources))
    ):
        return earlier
    out = MenuModel(sources=sources)
    current: dict[object, Menu] = {}
    defined: set[object] = set()
    for bound in sources:
        if bound.name in ("menu", "form") and not bound.has("delete"):
            defined.add(_ui_name(bound, "name"))
    for bound in sources:
        if bound.name in ("menu", "form"):
            name = _ui_name(bound, "name")
            if bound.has("delete"):
                current.pop(name, None)
                continue
            menu = Menu(bound, name if isinstance(name, str) else None)
            out.menus.append(menu)
            current[name] = menu
        elif bound.name == "item":
            name = _ui_name(bound, "menu", "form")
            out.item_menu_names.add(name)
            if name is DYNAMIC:
                continue
            gap = bound.has("gap")
            word = None if gap or not bound.positionals else bound.positionals[0]
            item = Item(bound, word, bound.option("key"))
            if name in current:
                current[name].items.append(item)
            elif name not in defined and DYNAMIC not in defined:
                out.orphans.append(bound)
        else:
            name = _ui_name(bound, "menu", "form")
            if name is DYNAMIC:
                continue
            if name in current:
                if bound.name == "choose":
                    out.choices.append(Choice(bound, current[name]))
            elif name not in defined and DYNAMIC not in defined:
                out.orphans.append(bound)
    return out


def static_setting_name(word: Word) -> str | None:
    """``x`` for a word that is exactly ``${x}`` (or ``${x:type}``, ``${blk/x}``)."""
    parts = word.text_parts
    if len(parts) == 1 and isinstance(parts[0], Reference) and parts[0].is_static:
        return parts[0].setting
    return None


def setting_base(name: str) -> str:
    """``x`` for ``net0/x:string``: the setting name without block prefix and type."""
    name = name.split("/", 1)[1] if "/" in name else name
    return name.split(":", 1)[0]


def dispatch_gotos(model: ScriptModel) -> dict[str, list[Word]]:
    """``goto ${x}`` target words by setting ``x``. A ``choose x`` feeding one (``choose target &&
    goto ${target}``) makes the item ids of its menu the names of labels."""
    out: dict[str, list[Word]] = {}
    for _line, bound in model.commands_named("goto"):
        if bound.positionals and (name := static_setting_name(bound.positionals[0])) is not None:
            out.setdefault(name, []).append(bound.positionals[0])
    return out


def menus(model: ScriptModel) -> MenuModel:
    return model.menus
