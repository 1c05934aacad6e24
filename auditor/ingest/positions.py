"""Turn record pointers into line/column regions, only for records that produced findings.

JSON pointers are resolved by walking the text and skipping unrelated values with the C JSON
scanner; ``line:N`` pointers (XML, tag-value, RDF) map straight to a line. Columns are Unicode
code points, 1-based (SARIF ``columnKind: unicodeCodePoints``).
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right

from auditor.ingest.sniff import to_utf8
from auditor.models import Region, SbomFormat

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_SCANSTRING = json.decoder.scanstring  # type: ignore[attr-defined]
_JSON_FORMATS = (
    SbomFormat.CYCLONEDX_JSON,
    SbomFormat.SPDX_JSON,
    SbomFormat.SPDX3_JSONLD,
    SbomFormat.NPM_PACKAGE,
    SbomFormat.DOTNET_DEPS,
)


class _Text:
    """The document's text with line/column arithmetic.

    Positions are resolved from checkpoints: each lookup counts newlines (in C) only from the
    nearest earlier resolved position, so resolving the positions of a document's findings costs
    about one pass over the text, however many there are.
    """

    def __init__(self, data: bytes) -> None:
        text = to_utf8(data).decode("utf-8", errors="replace")
        if "\r" in text:  # CR-only (old Mac) line ends count as line ends, as readers count them
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.text = text
        self._offsets = [0]  # checkpoint offsets, sorted; each starts a line
        self._lines = [1]  # the line number at each checkpoint

    def _checkpoint(self, offset: int, line: int) -> None:
        position = bisect_right(self._offsets, offset)
        if position and self._offsets[position - 1] == offset:
            return
        self._offsets.insert(position, offset)
        self._lines.insert(position, line)

    def line_col(self, index: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        index = max(0, min(index, len(self.text)))
        position = bisect_right(self._offsets, index) - 1
        base, line = self._offsets[position], self._lines[position]
        line += self.text.count("\n", base, index)
        newline = self.text.rfind("\n", base, index)
        line_start = newline + 1 if newline >= 0 else base
        self._checkpoint(line_start, line)
        return line, index - line_start + 1

    def region(self, start: int, end: int) -> Region:
        start_line, start_col = self.line_col(start)
        end_line, end_col = self.line_col(max(start, end))
        return Region(start_line, start_col, end_line, end_col)

    def line_offset(self, line: int) -> int | None:
        """Offset where 1-based ``line`` starts, or None past the end."""
        position = bisect_right(self._lines, line) - 1
        offset, current = self._offsets[position], self._lines[position]
        text = self.text
        while line - current > 1024:  # far away: skip whole chunks, counting their lines in C
            last = text.rfind("\n", offset, offset + (1 << 16))
            if last < 0:
                break
            skipped = text.count("\n", offset, last + 1)
            if current + skipped > line:
                break
            offset, current = last + 1, current + skipped
        find = text.find
        while current < line:
            newline = find("\n", offset)
            if newline < 0:
                return None
            offset, current = newline + 1, current + 1
        self._checkpoint(offset, current)
        return offset

    def line_region(self, line: int) -> Region:
        start = self.line_offset(line) if line >= 1 else None
        if start is None:
            return Region(max(line, 1), 1, max(line, 1), 1)
        end = self.text.find("\n", start)
        content = self.text[start : end if end >= 0 else len(self.text)]
        indent = len(content) - len(content.lstrip())
        return Region(line, indent + 1, line, len(content.rstrip()) + 1)


def _enclosing_object(text: str, index: int) -> int | None:
    """Index of the ``{`` that opens the object containing ``index`` (strings skipped)."""
    depth = 0
    in_string = False
    position = index - 1
    while position >= 0:
        char = text[position]
        if char == '"':
            backslashes = 0
            while position - backslashes - 1 >= 0 and text[position - backslashes - 1] == "\\":
                backslashes += 1
            if backslashes % 2 == 0:
                in_string = not in_string
        elif not in_string:
            if char in "}]":
                depth += 1
            elif char in "{[":
                if depth == 0:
                    return position if char == "{" else None
                depth -= 1
        position -= 1
    return None


class JsonLocator:
    """Resolves JSON pointers to text spans, caching shared prefixes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.cache: dict[str, int] = {"": _WS.match(text).end()}  # type: ignore[union-attr]
        self.elements: dict[str, list[int]] = {}

    def _skip(self, index: int) -> int:
        _, end = _DECODER.raw_decode(self.text, index)
        return int(end)

    def _ws(self, index: int) -> int:
        return _WS.match(self.text, index).end()  # type: ignore[union-attr]

    def start(self, pointer: str) -> int | None:
        """Index where the value at ``pointer`` begins, or None."""
        if pointer in self.cache:
            return self.cache[pointer]
        parent, _, token = pointer.rpartition("/")
        base = self.start(parent)
        if base is None:
            return None
        token = token.replace("~1", "/").replace("~0", "~")
        found = self._child(parent, base, token)
        if found is not None:
            self.cache[pointer] = found
        return found

    def _child(self, parent: str, index: int, token: str) -> int | None:
        text = self.text
        if index >= len(text):
            return None
        opener = text[index]
        if opener == "[":
            if not token.isdigit():
                return None
            return self._element(parent, index, int(token))
        if opener != "{":
            return None
        index = self._ws(index + 1)
        while index < len(text) and text[index] != "}":
            key, index = _SCANSTRING(text, index + 1)
            index = self._ws(index)
            index = self._ws(index + 1)  # the colon
            if key == token:
                return index
            index = self._ws(self._skip(index))
            if index < len(text) and text[index] == ",":
                index = self._ws(index + 1)
        return None

    def _element(self, parent: str, index: int, wanted: int) -> int | None:
        text = self.text
        starts = self.elements.get(parent)
        if starts is None:
            first = self._ws(index + 1)
            starts = [] if first >= len(text) or text[first] == "]" else [first]
            self.elements[parent] = starts
        if not starts:
            return None
        while len(starts) <= wanted:
            after = self._ws(self._skip(starts[-1]))
            if after >= len(text) or text[after] != ",":
                return None
            starts.append(self._ws(after + 1))
        return starts[wanted]

    def seek(self, pointer: str, key: str, value: str) -> bool:
        """Find the object at ``pointer`` directly by a unique member (``"bom-ref": value``)
        instead of skipping every earlier sibling; remember it. False when not found."""
        if pointer in self.cache:
            return True
        found = re.search(
            '"' + re.escape(key) + r'"\s*:\s*' + re.escape(json.dumps(value, ensure_ascii=False)),
            self.text,
        )
        if found is None:
            return False
        start = _enclosing_object(self.text, found.start())
        if start is None:
            return False
        try:
            node, _ = _DECODER.raw_decode(self.text, start)
        except ValueError:
            return False
        if not isinstance(node, dict) or node.get(key) != value:
            return False
        self.cache[pointer] = start
        return True

    def span(self, pointer: str) -> tuple[int, int] | None:
        start = self.start(pointer)
        if start is None:
            return None
        try:
            return start, self._skip(start)
        except ValueError:
            return start, start


class Locator:
    """Regions for records and their evidence in one document."""

    def __init__(self, fmt: SbomFormat, data: bytes) -> None:
        self.fmt = fmt
        self.text = _Text(data)
        self.json = JsonLocator(self.text.text) if fmt in _JSON_FORMATS else None
        self._yaml: dict[str, int] | None = None

    def region(
        self, pointer: str, line: int | None = None, anchor: tuple[str, str] | None = None
    ) -> Region | None:
        """The region of a record (``pointer``) or of evidence (``pointer`` + fact ``where``).

        ``anchor`` names a unique member of a JSON record (``("bom-ref", ref)``) that finds it
        without walking the document up to it.
        """
        try:
            if anchor is not None and self.json is not None:
                self.json.seek(pointer, *anchor)
            return self._region(pointer, line)
        except (ValueError, IndexError, RecursionError):
            return None

    def _region(self, pointer: str, line: int | None) -> Region | None:
        if "line:" in pointer:
            number = pointer.rsplit("line:", 1)[1]
            if number.isdigit():
                return self.text.line_region(int(number))
        if line:
            return self.text.line_region(line)
        if self.json is not None:
            span = self.json.span(pointer)
            if span is None:
                return None
            return self.text.region(*span)
        if self.fmt is SbomFormat.SPDX_YAML:
            found = self._yaml_line(pointer)
            return self.text.line_region(found) if found else None
        return None

    def _yaml_line(self, pointer: str) -> int | None:
        import yaml

        if self._yaml is None:
            self._yaml = {}
            from auditor.errors import UnreadableInput
            from auditor.ingest import yamlsafe

            try:
                node = yamlsafe.compose(self.text.text)
            except (yaml.YAMLError, UnreadableInput):
                return None
            stack: list[tuple[str, object]] = [("", node)]
            while stack:
                path, current = stack.pop()
                mark = getattr(current, "start_mark", None)
                if mark is not None:
                    self._yaml[path] = int(mark.line) + 1
                if isinstance(current, yaml.MappingNode):
                    for key, value in current.value:
                        stack.append((f"{path}/{getattr(key, 'value', '')}", value))
                elif isinstance(current, yaml.SequenceNode):
                    for index, value in enumerate(current.value):
                        stack.append((f"{path}/{index}", value))
        while pointer and pointer not in self._yaml:
            pointer = pointer.rpartition("/")[0]
        return self._yaml.get(pointer)
