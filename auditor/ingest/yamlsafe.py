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
    loader = _loader_class(text, _FAST, yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
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
            mapping = super().construct_mapping(node, deep=deep)
            if isinstance(mapping, dict) and len(mapping) < len(node.value):
                last: dict[object, int] = {}
                for index, (key_node, _) in enumerate(node.value):
                    last[getattr(key_node, "value", None)] = index
                for index, (key_node, value_node) in enumerate(node.value):
                    key = getattr(key_node, "value", None)
                    if isinstance(key, str) and last[key] != index:
                        hidden.append((key, self.construct_object(value_node, deep=True)))
            return mapping

    try:
        yaml.load(text, Loader=Recording)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise ValueError(str(exc)) from None
    return hidden
