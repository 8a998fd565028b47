"""A parsed config file turned into the schema's Structs, with every problem reported, each
with the path of the value it is about (`retry.attempts`, `services[1].media_origins[0]`).
msgspec.convert stops at the first problem; a person fixing a file wants them all (the
in-app editor lists them and jumps between them, `ytplay config check` prints them).

So the document is walked along the schema: tables (Structs), lists and free-form tables
(`dict[str, T]`) are gone into, and each value inside is converted by msgspec on its own
against its field's annotated type, constraints included (schema.py says how they are
written). A table is built once nothing in it is wrong: its `__post_init__` then checks
what involves several of its options, its ValueError reported at the table. A union of
tables (`[[services]]`) is told apart by the `kind` each names; a table that names none is
of the kind whose `kind` has a default.

Values are converted leniently where the meaning is plain (msgspec's strict=False): "5" and
5.0 are 5, 1 is 1.0, "true" and "1" are true. A number is never a string, nor true a number
(pydantic, before, took `volume = true` as 1 and "yes" as true)."""

from __future__ import annotations

import difflib
import functools
import json
import types
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import msgspec

from .fields import metas

T = TypeVar("T", bound=msgspec.Struct)
Problem = tuple[str, str]  # the path of a value, what is wrong with it
TAG = "kind"  # the field that tells the tables of a union apart

_BAD = object()  # a value with a problem, already reported
_WORDS = {str: "a string", int: "a whole number", float: "a number", bool: "true or false",
          list: "a list", dict: "a table"}


def convert(doc: dict[str, Any], table: type[T]) -> tuple[T | None, list[Problem]]:
    """`doc` as a `table`, or None and every problem found."""
    problems: list[Problem] = []
    built = _value(doc, table, "", problems)
    return (None if problems else built), problems


def _value(value: Any, annotation: Any, path: str, problems: list[Problem]) -> Any:
    """`value` converted to `annotation`; _BAD once what is wrong is in `problems`."""
    bare = _bare(annotation)
    origin, args = get_origin(bare), get_args(bare)
    if _is_table(bare):
        return _table(value, bare, path, problems)
    if origin in (Union, types.UnionType):
        members = [a for a in args if a is not type(None)]  # TOML has no null: None is unset
        if all(_is_table(m) for m in members):
            return _tagged(value, members, path, problems)
        if len(members) == 1:
            return _value(value, members[0], path, problems)
    if origin is list and isinstance(value, list):
        items = [_value(v, args[0], f"{path}[{i}]", problems) for i, v in enumerate(value)]
        return _whole(items, items, list[Any], annotation, path, problems)
    if origin is dict and isinstance(value, dict):
        entries = {k: _value(v, args[1], _join(path, k), problems) for k, v in value.items()}
        return _whole(entries, entries.values(), dict[str, Any], annotation, path, problems)
    return _leaf(value, annotation, path, problems)


def _whole(converted: Any, parts: Any, shape: Any, annotation: Any, path: str,
           problems: list[Problem]) -> Any:
    """A list or a free-form table whose parts are converted: its own constraints
    (min_length), checked on `shape` (list[Any]: its items are converted already, and a
    list of either kind of service is no type msgspec takes)."""
    if any(p is _BAD for p in parts):
        return _BAD
    own = metas(annotation)
    return _leaf(converted, Annotated[(shape, *own)] if own else shape, path, problems)


def _leaf(value: Any, annotation: Any, path: str, problems: list[Problem]) -> Any:
    """A value converted as a whole (a list's or a table's own constraints, once its items
    are right); then the checks the schema names (Meta extra "check")."""
    try:
        converted = msgspec.convert(value, annotation, strict=False)
    except msgspec.ValidationError:
        problems.append((path, _why(value, annotation)))
        return _BAD
    for meta in metas(annotation):
        if check := (meta.extra or {}).get("check"):
            try:
                check(converted)
            except ValueError as e:
                problems.append((path, f"{e}{_got(value, str(e))}"))
                return _BAD
    return converted


def _table(value: Any, table: type[T], path: str, problems: list[Problem]) -> Any:
    if not isinstance(value, dict):
        problems.append((path, f"must be a table{_got(value)}"))
        return _BAD
    before = len(problems)
    fields = _fields(table)
    if table.__struct_config__.forbid_unknown_fields:
        for key in value.keys() - fields.keys():
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append((_join(path, key), f"unknown key {key!r}{hint}"))
    built: dict[str, Any] = {}
    for name, field in fields.items():
        if name in value:
            built[name] = _value(value[name], field.type, _join(path, name), problems)
        elif field.required:
            problems.append((_join(path, name), "is required but missing"))
    if len(problems) > before:
        return _BAD
    try:
        return table(**built)
    except ValueError as e:  # __post_init__: options that do not go together
        problems.append((path, str(e)))
        return _BAD


def _tagged(value: Any, members: list[type[T]], path: str, problems: list[Problem]) -> Any:
    """One table of a union, the one whose `kind` the table names."""
    if not isinstance(value, dict):
        problems.append((path, f"must be a table{_got(value)}"))
        return _BAD
    kinds: dict[str, type[T]] = {}
    default = None
    for member in members:
        tag = _fields(member)[TAG]
        [kind] = get_args(_bare(tag.type))  # Literal["oauth2"]
        kinds[kind] = member
        if not tag.required:
            default = kind
    kind = value.get(TAG, default)
    if not isinstance(kind, str) or kind not in kinds:
        problems.append((_join(path, TAG), f"must be one of {_listed(kinds)} (got {kind!r})"))
        return _BAD
    return _table(value, kinds[kind], path, problems)


@functools.cache
def _fields(table: type[msgspec.Struct]) -> dict[str, msgspec.structs.FieldInfo]:
    """A table's fields by name; msgspec evaluates their annotations at each call."""
    return {f.name: f for f in msgspec.structs.fields(table)}


def _why(value: Any, annotation: Any) -> str:
    """Why msgspec refused `value`: not of the type, or out of the type's constraints."""
    bare = _bare(annotation)
    try:
        msgspec.convert(value, bare, strict=False)
    except msgspec.ValidationError:
        return f"must be {_expected(bare)}{_got(value)}"
    return f"{_constraint(annotation, value)}{_got(value)}"


def _constraint(annotation: Any, value: Any) -> str:
    """The constraint of `annotation` that `value` is out of, in words."""
    meta: dict[str, Any] = {}
    for m in metas(annotation):
        meta.update({k: getattr(m, k) for k in ("ge", "gt", "le", "lt", "min_length",
                                                 "pattern") if getattr(m, k) is not None})
        meta.update(m.extra or {})
    if "pattern" in meta:
        return f"must be {meta['means']}" if "means" in meta else \
            f"must match {meta['pattern']!r}"
    if "min_length" in meta:
        n = meta["min_length"]
        if isinstance(value, str):
            return "must not be empty" if n == 1 else f"must be at least {n} characters long"
        return f"must hold at least {n} item{'s' if n != 1 else ''}"
    if "ge" in meta and "le" in meta:
        return f"must be between {meta['ge']} and {meta['le']}"
    words = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}
    return "must be " + " and ".join(f"{words[k]} {meta[k]}" for k in words if k in meta)


def _expected(annotation: Any) -> str:
    """The type, in words: "a whole number", 'one of "auto", "off"'."""
    bare = _bare(annotation)
    origin, args = get_origin(bare), get_args(bare)
    if origin is Literal:
        return f"one of {_listed(args)}"
    if origin in (Union, types.UnionType):
        words = [_expected(a) for a in args if a is not type(None)]
        if "a number" in words and "a whole number" in words:
            words.remove("a whole number")
        words = ["a boolean" if w == _WORDS[bool] else w for w in words]
        return ", ".join(words[:-1]) + " or " + words[-1]
    if _is_table(bare):
        return "a table"
    return _WORDS.get(origin or bare, str(bare))


def _got(value: Any, message: str = "") -> str:
    """What was written, as TOML writes it, unless `message` quotes it already."""
    if isinstance(value, (dict, list)):
        return f" (got {'a table' if isinstance(value, dict) else 'a list'})" if value else \
            f" (got {'{}' if isinstance(value, dict) else '[]'})"
    written = str(value).lower() if isinstance(value, bool) else repr(value)
    return "" if written in message else f" (got {written})"


def _listed(values: Any) -> str:
    return ", ".join(json.dumps(v) for v in values)


def _bare(annotation: Any) -> Any:
    """The type without its Annotated metadata."""
    return annotation.__origin__ if hasattr(annotation, "__metadata__") else annotation


def _is_table(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, msgspec.Struct)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
