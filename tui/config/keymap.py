"""`[keys]` checked against what the app binds and the keys Textual can match: an action
id that does not exist, a key Textual never reports, and a key that two actions would share
where they act (one of them would never run: Textual gives the key to one and drops the
other without a word).

The names come from tui/config/ui_names.py, generated from the bindings and from Textual
(`python -m tui.ui.keys_doc`; a test fails when it is out of date), rather than from a
check runtime_config would inject, as it does libmpv's: libmpv can only be asked, but what
the app binds is known before it runs. So every validation checks keys, with nothing to
pass in (`ytplay config check`, doctor, the editor, start-up), and none of them loads
Textual for it (this layer may not import it; `config check` answers without it)."""

from __future__ import annotations

import difflib
import unicodedata
from typing import Mapping

from .ui_names import CHARACTER_KEYS, NAMED_KEYS, SCOPES, TEXTUAL_KEYS

# The modifiers a key event can carry, in the order Textual writes them (sorted: its
# terminal parser joins them so, "ctrl+shift+left").
MODIFIERS = ("alt", "ctrl", "hyper", "meta", "shift", "super")
_CHARACTER_NAMES = {c: name for name, c in CHARACTER_KEYS.items()}
ACTIONS = tuple(dict.fromkeys(a for scope in SCOPES.values() for a in scope))


def canonical(key: str) -> str:
    """`key` as Textual matches it: a character that is not a letter or a digit by its
    name ("?" is question_mark), as Textual's bindings name it."""
    if len(key) != 1 or key.isalnum():
        return key
    if key in _CHARACTER_NAMES:
        return _CHARACTER_NAMES[key]
    try:
        return unicodedata.name(key).lower().replace("-", "_").replace(" ", "_")
    except ValueError:  # a character with no name: Textual keeps it as it is
        return key


def _character_name(name: str) -> bool:
    """Whether `name` is how Textual names a character key (section_sign for §)."""
    try:
        char = unicodedata.lookup(name.replace("_", " ").upper())
    except KeyError:
        return False
    return char.isprintable() and canonical(char) == name


def key_problem(key: str) -> str | None:
    """What is wrong with one key of a `[keys]` entry, in words; None when Textual can
    report it."""
    if len(key) == 1:
        return None  # any character: Textual names it as `canonical` does
    *modifiers, base = key.split("+")
    unknown = [m for m in modifiers if m not in MODIFIERS]
    if unknown or not base:
        return (f"{key!r} is not a key: {', '.join(map(repr, unknown)) or 'the key after +'} "
                f"is not a modifier (they are {', '.join(MODIFIERS)}); a + key is 'plus'")
    ordered = "+".join([*sorted(set(modifiers)), base])
    if ordered != key:
        return f"write {key!r} as {ordered!r}: Textual names the modifiers once, in that order"
    if len(base) == 1:
        return _character_after(modifiers, base)
    if base in NAMED_KEYS or base in CHARACTER_KEYS or _character_name(base):
        if modifiers == ["shift"] and base not in NAMED_KEYS:
            return (f"{key!r} never comes: shift with a character sends the character "
                    "it types; write that instead")
        return None
    close = difflib.get_close_matches(base.lower(), [*NAMED_KEYS, *CHARACTER_KEYS], n=1)
    hint = f" (did you mean {'+'.join([*modifiers, close[0]])!r}?)" if close else ""
    return (f"{key!r} is not a key Textual knows{hint}; a key is a character (\"x\", \"?\"), "
            "a name (space, enter, escape, f5, pageup, question_mark) or either after "
            "modifiers (ctrl+n, alt+shift+left)")


def _character_after(modifiers: list[str], char: str) -> str | None:
    """A one-character key after modifiers: a lower-case letter or a digit; shift alone
    never comes with a character (the character shifted comes instead)."""
    key = "+".join([*modifiers, char])
    if modifiers == ["shift"]:
        shifted = f" ({char.upper()!r})" if char.isalpha() and char.islower() else ""
        return (f"{key!r} never comes: shift with a character sends the character it "
                f"types{shifted}; write that instead")
    if char.isalpha() and char.isupper():
        better = "+".join([*sorted({*modifiers, "shift"}), char.lower()])
        return f"write {key!r} as {better!r}: with a modifier, a letter is lower case"
    if not char.isalnum():
        return (f"write {key!r} as {'+'.join([*modifiers, canonical(char)])!r}: after a "
                "modifier, a character is written by its name")
    return None


def _entry(action: str, value: str) -> tuple[list[str], list[str]]:
    """The keys of one `[keys]` entry (as Textual matches them), and what is wrong."""
    keys = [k.strip() for k in value.split(",")]
    if not value.strip():
        return [], [f"no key: {action} keeps at least one (its default is "
                    f"{_written(_default(action))})"]
    if "" in keys:
        return [], ["a comma separates keys, and one of them is empty (the , key is "
                    "written 'comma')"]
    problems = [p for k in keys if (p := key_problem(k)) is not None]
    return [canonical(k) for k in keys], problems


def _default(action: str) -> tuple[str, ...]:
    return next(scope[action] for scope in SCOPES.values() if action in scope)


def _written(keys: tuple[str, ...] | list[str]) -> str:
    return repr(",".join(keys))


def keymap_problems(entries: Mapping[str, object]) -> list[tuple[str, str]]:
    """(path, what is wrong) for each bad `[keys]` entry; each path is `keys.<id>`."""
    problems: list[tuple[str, str]] = []
    chosen: dict[str, list[str]] = {}
    for action, value in entries.items():
        if action not in ACTIONS:
            close = difflib.get_close_matches(action, ACTIONS, n=1)
            hint = (f"did you mean {close[0]!r}?" if close else
                    f"the actions are {', '.join(ACTIONS)}")
            problems.append((f"keys.{action}", f"no action {action!r} ({hint})"))
        elif isinstance(value, str):  # any other type: the schema says so
            keys, wrong = _entry(action, value)
            problems += [(f"keys.{action}", p) for p in wrong]
            if keys and not wrong:
                chosen[action] = keys
    for scope, defaults in SCOPES.items():
        problems += _shared(scope, defaults, chosen)
    return list(dict.fromkeys(problems))


def _shared(scope: str, defaults: Mapping[str, tuple[str, ...]],
            chosen: Mapping[str, list[str]]) -> list[tuple[str, str]]:
    """A key two actions of one scope would have, said at each entry that moved there; and
    a key Textual keeps for itself."""
    owners: dict[str, list[str]] = {}
    for action, keys in defaults.items():
        for key in dict.fromkeys(chosen.get(action, keys)):
            owners.setdefault(key, []).append(action)
    problems: list[tuple[str, str]] = []
    for key, actions in owners.items():
        for action in (a for a in actions if a in chosen):
            if key in TEXTUAL_KEYS:
                problems.append((f"keys.{action}", f"{key!r} is Textual's own key (its "
                                 f"action {TEXTUAL_KEYS[key]}); choose another"))
            for other in (a for a in actions if a != action):
                if other in chosen:
                    problems.append((f"keys.{action}", f"{key!r} is also given to {other} "
                                     f"on {scope}; one key does one thing"))
                else:
                    problems.append((f"keys.{action}", f"{key!r} is the key of {other} on "
                                     f"{scope}, which would lose it: give {other} another "
                                     f"key too ({other} = \"…\"), or {action} another key"))
    return problems
