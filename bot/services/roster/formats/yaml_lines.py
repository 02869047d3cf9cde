"""YAML parsed once by libyaml into plain values whose mappings remember their lines, for file:line messages."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

from bot.services.roster.formats.document import FieldProblem, RosterError


class _LineDict(dict[Any, Any]):
    """A mapping that remembers the line it started on and the line of each key."""

    line = 0
    key_lines: dict[Any, int]


class BadScalar(str):
    """A scalar YAML could not turn into its value (an impossible date like 2026-13-01)."""

    line = 0
    problem = ""


# libyaml parses; Python builds the values straight from its events, so no node tree is ever held
# in memory (a third of the time and a tenth of the memory of composing nodes first), and every
# mapping keeps the line it starts on and the line of each key, for file:line messages.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_SCALARS = yaml.constructor.SafeConstructor()
_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = {
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp", "binary")
}


def _plain_tag(value: str) -> str | None:
    """Return the tag YAML's safe resolver gives a plain scalar, or None for a string."""
    for tag, regexp in _IMPLICIT.get(value[:1] if value else "", ()):
        if regexp.match(value):
            return str(tag)
    return None


class _Builder:
    """Turns parser events into Python values; mappings keep their lines; duplicates are noted."""

    def __init__(self, loader: Any) -> None:
        self.next = loader.get_event
        self.duplicates: list[tuple[int, int, Any]] = []
        self.anchors: dict[str, Any] = {}
        self.open: set[str] = set()
        self.plain: dict[str, Any] = {}

    def document(self) -> Any:
        """Return the one document's value (None for an empty stream); FieldProblem when malformed."""
        self.next()  # StreamStart
        event = self.next()
        if isinstance(event, StreamEndEvent):
            return None
        value = self._item(self.next())
        self.next()  # DocumentEnd
        event = self.next()
        if not isinstance(event, StreamEndEvent):
            raise FieldProblem("expected one YAML document, found another", event.start_mark.line + 1)
        return value

    def value(self, event: Any) -> Any:
        """Return the value an event starts (a scalar, a mapping, a sequence or an alias's target)."""
        kind = event.__class__
        if kind is ScalarEvent:
            value = self._scalar(event)
        elif kind is MappingStartEvent:
            value = self._mapping(event)
        elif kind is SequenceStartEvent:
            value = self._sequence(event)
        elif kind is AliasEvent:
            if event.anchor in self.open:
                raise FieldProblem("a YAML alias refers to its own parent", event.start_mark.line + 1)
            if event.anchor not in self.anchors:
                raise FieldProblem(f"unknown YAML alias *{event.anchor}", event.start_mark.line + 1)
            return self.anchors[event.anchor]
        else:  # pragma: no cover - the parser emits nothing else here
            raise FieldProblem("unexpected YAML structure", event.start_mark.line + 1)
        if event.anchor is not None and kind is ScalarEvent:
            self.anchors[event.anchor] = value
        return value

    def _scalar(self, event: Any) -> Any:
        tag = event.tag
        if tag is None and event.implicit[0]:
            # Plain scalars repeat (roles, zones, dates): resolve each distinct one once.
            known = self.plain.get(event.value, _UNKNOWN)
            if known is not _UNKNOWN:
                return known
            value = self._resolved(event, _plain_tag(event.value))
            if not isinstance(value, BadScalar):
                self.plain[event.value] = value
            return value
        if tag is None or tag == "!":
            if not event.implicit[0]:
                return event.value
            tag = _plain_tag(event.value)
        return self._resolved(event, tag)

    def _resolved(self, event: Any, tag: str | None) -> Any:
        if tag is None:
            return event.value
        if tag == _STR:
            return event.value
        if tag not in _SCALAR_TAGS and tag != _MERGE:
            raise FieldProblem(f"YAML tag {tag} is not allowed here", event.start_mark.line + 1)
        if tag == _MERGE:
            return _MERGE_KEY
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return _SCALARS.yaml_constructors[tag](_SCALARS, node)
        except (ValueError, yaml.YAMLError) as exc:
            bad = BadScalar(event.value)
            bad.line = event.start_mark.line + 1
            bad.problem = (
                f"{event.value!r} is not a valid date ({exc})" if tag.endswith("timestamp") else str(exc)
            )
            return bad

    def _item(self, event: Any) -> Any:
        """Return a value in a mapping or a sequence (plain scalars take the short way)."""
        plain = event.__class__ is ScalarEvent and event.anchor is None
        value = self._scalar(event) if plain else self.value(event)
        if value is _MERGE_KEY:
            raise FieldProblem(
                "`<<` merges mappings; as a value, write it in quotes", event.start_mark.line + 1
            )
        return value

    def _check_tag(self, event: Any, wanted: str) -> None:
        if event.tag not in (None, "!", wanted):
            raise FieldProblem(f"YAML tag {event.tag} is not allowed here", event.start_mark.line + 1)

    def _sequence(self, start: Any) -> list[Any]:
        self._check_tag(start, _SEQ)
        items: list[Any] = []
        self._opened(start, items)
        event = self.next()
        while event.__class__ is not SequenceEndEvent:
            items.append(self._item(event))
            event = self.next()
        self.open.discard(start.anchor)
        return items

    def _mapping(self, start: Any) -> _LineDict:
        self._check_tag(start, _MAP)
        mapping = _LineDict()
        mapping.line = start.start_mark.line + 1
        lines: dict[Any, int] = {}
        mapping.key_lines = lines
        self._opened(start, mapping)
        merged: list[Any] = []
        event = self.next()
        while event.__class__ is not MappingEndEvent:
            line = event.start_mark.line + 1
            if event.__class__ is ScalarEvent and event.anchor is None:
                name: Any = self._scalar(event)
            else:
                name = self.value(event)
            if isinstance(name, (list, dict)):
                raise FieldProblem("a mapping key must be a plain value", line)
            if name is _MERGE_KEY:
                merged.append((line, self.value(self.next())))
            else:
                if name in lines:
                    self.duplicates.append((lines[name], line, name))
                lines[name] = line
                mapping[name] = self._item(self.next())
            event = self.next()
        for line, source in merged:
            # `<<:` fills in the keys the mapping does not set itself.
            for inherited in source if isinstance(source, list) else [source]:
                if not isinstance(inherited, dict):
                    raise FieldProblem("a YAML merge (<<) takes a mapping or a list of mappings", line)
                for name, item in inherited.items():
                    if name not in mapping:
                        mapping[name] = item
                        lines[name] = line
        self.open.discard(start.anchor)
        return mapping

    def _opened(self, start: Any, value: Any) -> None:
        if start.anchor is not None:
            self.anchors[start.anchor] = value
            self.open.add(start.anchor)


_MERGE_KEY = object()
_UNKNOWN = object()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    Reading a roster makes hundreds of thousands of short-lived objects; the collector, triggered
    every few hundred allocations, would rescan the growing heap again and again (60% of a parse).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_yaml(path: Path) -> Any:
    """Parse a YAML file once (libyaml when present); raise RosterError with every located problem."""
    with gc_paused():
        return _parse_yaml(path)


def _parse_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError([f"{path}: cannot read the file: {exc}"]) from None
    loader = _Loader(text)
    builder = _Builder(loader)
    try:
        data = builder.document()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise RosterError([f"{path}:{line}: not valid YAML: {exc.problem or exc.context}"]) from None
    except yaml.YAMLError as exc:
        raise RosterError([f"{path}:1: not valid YAML: {exc}"]) from None
    except FieldProblem as exc:
        raise RosterError([f"{path}:{exc.line or 1}: not valid YAML: {exc}"]) from None
    except RecursionError:
        raise RosterError([f"{path}:1: not valid YAML: nested too deeply"]) from None
    finally:
        loader.dispose()
    if builder.duplicates:
        raise RosterError(
            [
                f"{path}:{second}: key {name!r} appears twice in one mapping (lines {first} and {second}); "
                "YAML would silently keep only the last"
                for first, second, name in builder.duplicates
            ]
        )
    return data
