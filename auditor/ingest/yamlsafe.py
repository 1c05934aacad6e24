"""YAML that a hostile document cannot crash the process with.

PyYAML's fast loader (libyaml with a Cython composer) recurses once per nesting level in C,
without Python's recursion check: 50,000 nested ``[`` overflowed the stack here and the whole
run died with SIGSEGV (and 10,000 levels already took over a second). Nesting comes from flow
brackets (``[``, ``{``) or, in block style, from indentation and ``- ``/``? ``/``: ``
indicators on one line, so the count of flow openers plus the deepest line's indentation and
indicators bounds the depth from above. Below :data:`C_LOADER_MAX_NESTING` the fast loader is
used; above it the pure-Python loader, whose recursion Python bounds (a ``RecursionError``
becomes "nested too deeply"). Only the safe loaders are used: no tags construct objects.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from auditor.errors import UnreadableInput

#: Bound below which the C composer is used (2,000 levels load in well under a second).
C_LOADER_MAX_NESTING = 2_000
_INDICATORS = re.compile(r"[-?:](?=[ \t]|$)")


def nesting_bound(text: str) -> int:
    """An upper bound on the document's nesting depth: every flow opener, plus the deepest
    block line (twice its indentation, as a sequence may sit at its key's indentation, and the
    indicators on it)."""
    flow = text.count("[") + text.count("{")
    block = 0
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if stripped:
            indent = len(line) - len(stripped)
            block = max(block, 2 * indent + len(_INDICATORS.findall(stripped)))
    return flow + block + 1


def _loader_class(text: str, fast: type, slow: type) -> type:
    return fast if nesting_bound(text) < C_LOADER_MAX_NESTING else slow


_FAST: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str) -> Any:
    """``yaml.safe_load`` that refuses (UnreadableInput) rather than crashes on deep nesting."""
    return load_checked(text)[0]


def _repeated(node: yaml.MappingNode) -> list[int]:
    """Indices of the pairs of a mapping node whose key a later pair repeats (merge keys,
    ``<<``, left out: keys they bring in may be overridden, as YAML intends)."""
    last: dict[object, int] = {}
    keys: list[object] = []
    for index, (key_node, _) in enumerate(node.value):
        key = getattr(key_node, "value", None)
        if getattr(key_node, "tag", "") == "tag:yaml.org,2002:merge":
            key = None  # never counted as a repeat
        keys.append(key)
        if key is not None:
            last[key] = index
    if len(last) == sum(key is not None for key in keys):
        return []
    return [i for i, key in enumerate(keys) if key is not None and last[key] != i]


def load_checked(text: str) -> tuple[Any, bool]:
    """:func:`load`, and whether any mapping repeats a key (as jiter tells for JSON)."""
    repeated = False

    class Checking(_loader_class(text, _FAST, yaml.SafeLoader)):  # type: ignore[misc]
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
            nonlocal repeated
            if not repeated and _repeated(node):
                repeated = True
            return super().construct_mapping(node, deep=deep)

    try:
        return yaml.load(text, Loader=Checking), repeated  # noqa: S506 - a safe loader
    except RecursionError:
        raise UnreadableInput("YAML nested too deeply to read") from None


def compose(text: str) -> yaml.Node | None:
    """``yaml.compose`` (nodes with their line marks) under the same guard as :func:`load`."""
    loader = _loader_class(text, _FAST, yaml.SafeLoader)
    try:
        return yaml.compose(text, Loader=loader)  # noqa: S506 - a safe loader
    except RecursionError:
        raise UnreadableInput("YAML nested too deeply to read") from None


def hidden_by_duplicates(text: str) -> list[tuple[str, object]]:
    """(key, value) of every mapping value hidden by a later equal key."""
    hidden: list[tuple[str, object]] = []
    base = _loader_class(text, _FAST, yaml.SafeLoader)

    class Recording(base):  # type: ignore[valid-type, misc]
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
            pairs = list(node.value)
            repeats = _repeated(node)  # before merge keys are flattened in
            mapping = super().construct_mapping(node, deep=deep)
            for index in repeats:
                key_node, value_node = pairs[index]
                if isinstance(key_node.value, str):
                    hidden.append((key_node.value, self.construct_object(value_node, deep=True)))
            return mapping

    try:
        yaml.load(text, Loader=Recording)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise ValueError(str(exc)) from None
    return hidden
