"""Reading the schema's tables (msgspec Structs, whose fields `msgspec.structs.fields`
lists in order): what each option means, its default and its constraints. The README's
option list, the default file and the validation read them here, so that the schema is the
one place an option is described."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec.structs import FieldInfo


def metas(annotation: Any) -> list[msgspec.Meta]:
    """The msgspec.Meta an annotation carries (`Annotated[int, Meta(ge=1)]`), outermost
    last: Python flattens nested Annotated, so an alias's Meta comes before the field's."""
    return [m for m in getattr(annotation, "__metadata__", ()) if isinstance(m, msgspec.Meta)]


def description(field: FieldInfo) -> str:
    """What the option means, as the schema says it (the field's Meta(description=…))."""
    return next((m.description for m in reversed(metas(field.type)) if m.description), "")


def default_of(field: FieldInfo) -> Any:
    """The option's default: a fresh one where it is made by a factory (lists, tables)."""
    if field.default is not msgspec.NODEFAULT:
        return field.default
    assert field.default_factory is not msgspec.NODEFAULT, f"{field.name} has no default"
    return field.default_factory()


def plain(value: msgspec.Struct) -> dict[str, Any]:
    """A table as plain dicts and lists, leaving out what is unset (None): what TOML can
    write (`ytplay config show`)."""
    return _without_none(msgspec.to_builtins(value))


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value
