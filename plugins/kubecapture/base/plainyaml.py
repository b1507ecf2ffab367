"""YAML read as plain data, straight from the parser's events, with a bound on the work.

Used wherever YAML comes from someone else: capture files (store.py), the manifests a
`-f` names and the bodies of `kubectl patch` (guard.py), a page's `kubecapture:` front
matter (pageoptions.py), and command output that may hold a Secret (redact.py).

The parser's events are read one by one (PyYAML's composer, which recurses once per level
and raises RecursionError at a thousand, is never used), and what cannot be data, or
could make a reviewer read something else than what counts, is refused when the parser
meets it, before anything is built: anchors and aliases (an alias bomb of 1 KiB expands
to gigabytes), merge keys, duplicate keys, non-scalar keys, tags beyond YAML's core
scalars, nesting deeper than `max_depth`.
"""

from __future__ import annotations

import yaml

# libyaml's parser when PyYAML has it: ~10x faster than the pure-Python one.
CLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
# Scalars other than strings a file may hold (what YAML's core schema resolves plain text
# to); anything else (binary, sets, merge keys, python objects) is refused.
_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "timestamp")
)
_NO_KEY = object()


class YamlRefused(ValueError):
    """YAML that may not be read here (the message says where and what); `line` is
    1-based within the text given."""

    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.line = line


def load(text: str, *, max_depth: int = 16, documents: bool = False, loader=CLoader):
    """The YAML document in `text` as plain data (dicts, lists, strings, numbers, bools,
    None), the same values as yaml.safe_load, or YamlRefused; with `documents`, the list
    of every document's data (what yaml.safe_load_all gives). Text that is not YAML
    raises yaml.YAMLError as yaml.safe_load does."""
    parser = loader(text)
    out = []
    try:
        parser.get_event()  # stream start
        while not parser.check_event(yaml.StreamEndEvent):
            parser.get_event()  # document start
            out.append(_document(parser, max_depth))
            if not documents and not parser.check_event(yaml.StreamEndEvent):
                refuse(parser.peek_event(), "a second YAML document")
        return out if documents else (out[0] if out else None)
    finally:
        parser.dispose()


def _document(parser, max_depth: int):
    get, resolve, construct = parser.get_event, parser.resolve, parser.yaml_constructors
    scalar_event, mapping_start = yaml.ScalarEvent, yaml.MappingStartEvent
    stack: list[list] = []  # per open collection: [container, its pending key]
    root = None
    while True:
        event = get()
        kind = type(event)
        if kind is scalar_event:
            value, is_scalar = scalar(event, resolve, construct, parser), True
        elif kind is mapping_start or kind is yaml.SequenceStartEvent:
            if event.anchor is not None:
                refuse(event, f"an anchor (&{event.anchor})")
            if event.tag not in (None, "!"):
                refuse(event, f"a collection tagged {event.tag}")
            if len(stack) >= max_depth:
                refuse(event, f"nesting deeper than {max_depth} levels")
            stack.append([{} if kind is mapping_start else [], _NO_KEY])
            continue
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            value, is_scalar = stack.pop()[0], False
        elif kind is yaml.AliasEvent:
            refuse(event, f"an alias (*{event.anchor})")
        else:  # document end
            return root
        if not stack:
            root = value
            continue
        top = stack[-1]
        container = top[0]
        if type(container) is list:
            container.append(value)
        elif top[1] is _NO_KEY:
            if not is_scalar:
                refuse(event, "a mapping key that is not a plain value")
            if value in container:
                refuse(event, f"the key {short(value)} twice in one mapping")
            top[1] = value
        else:
            container[top[1]] = value
            top[1] = _NO_KEY


def scalar(event, resolve, construct, parser):
    """A scalar event's value as yaml.safe_load reads it (core schema), or YamlRefused."""
    value = event.value
    if event.anchor is not None:
        refuse(event, f"an anchor (&{event.anchor})")
    tag = event.tag
    if tag is None and event.implicit[0]:  # plain text: YAML says what it is
        tag = resolve(yaml.ScalarNode, value, (True, False))
    if tag is not None and tag != _STR and tag != "!":
        if tag not in _SCALAR_TAGS:
            refuse(event, f"a value tagged {tag}")
        value = construct[tag](parser, yaml.ScalarNode(tag, value))
    return value


def refuse(event, what: str):
    line = event.start_mark.line + 1
    raise YamlRefused(f"line {line}: {what} is not allowed here", line)


def short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
