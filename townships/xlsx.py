"""A bounded reader of the first worksheet of an XLSX file, as the text of its cells.

Imports read files anyone with the permission uploads, so reading one must cost little
whatever it holds. openpyxl builds Python objects for every shared string and style
of a workbook before the first row is read (tens of microseconds each: half a megabyte
of styles takes seconds) and pads rows to the dimensions a file declares. This reader:

- checks the sizes the ZIP directory declares before anything is inflated (Python's
  zipfile never inflates a member past its declared size, and checks its CRC);
- parses only the workbook, its relations, the first worksheet and as much of the
  shared strings as the rows read refer to, with the C parser of ``xml.etree`` (expat
  refuses entity expansion bombs), and never pads rows or columns;
- yields the rows one at a time, so that the caller stops reading when it has enough,
  and stops itself after ``MAX_ELEMENTS`` elements.

Values are the text a spreadsheet shows for the cell's stored value: numbers as Excel
writes them without formatting (``5``, ``95.5``), dates as their serial number; only
the columns of rankings and categories (names, codes, numbers) are read from it.
"""

from __future__ import annotations

import io
import math
import posixpath
import zipfile
from collections.abc import Iterator

# Untrusted XML: ElementTree never fetches external entities, and expat 2.4.1 and later
# stops entity expansion bombs (tests/townships/test_imports.py feeds it one).
from xml.etree.ElementTree import XMLPullParser
from xml.etree.ElementTree import parse as parse_xml

#: XML elements read at most from the worksheet, and from the shared strings: a ranking
#: has a few hundred, a sheet of a thousand formatted rows some ten thousand; a part
#: with more is refused whatever it is made of.
MAX_ELEMENTS = 50_000

#: The spreadsheet namespaces: transitional (what Excel and WPS write) and strict.
NAMESPACES = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
              "http://purl.oclc.org/ooxml/spreadsheetml/main")
OFFICE_DOCUMENT = "/officeDocument"
SHARED_STRINGS = "/sharedStrings"


class XlsxError(Exception):
    """The file cannot be read as XLSX."""


class XlsxTooLarge(XlsxError):
    def __init__(self, size: int):
        self.size = size
        super().__init__(f"the members inflate to {size} bytes")


class XlsxTooManyCells(XlsxError):
    pass


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _attribute(element, name: str) -> str | None:
    """An attribute by its local name, in whatever namespace (transitional or strict)."""
    value = element.get(name)
    if value is not None:
        return value
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def _text(element) -> str:
    """The text of a string item: its ``t`` and the ``t`` of its runs, not phonetics."""
    parts = []
    for child in element:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _column(reference: str) -> int | None:
    """1 for A1, 28 for AB7; None when the reference has no letters."""
    number = 0
    for char in reference:
        if "A" <= char <= "Z":
            number = number * 26 + ord(char) - 64
        elif "a" <= char <= "z":
            number = number * 26 + ord(char) - 96
        else:
            break
        if number > 16384:  # XFD, the last column of a sheet
            return None
    return number or None


def _number(text: str) -> str:
    text = text.strip()
    if not any(char in text for char in ".eE"):
        return text  # a whole number, as written
    try:
        value = float(text)
    except ValueError:
        return text
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _elements(stream, wanted: set[str]) -> Iterator:
    """The elements named in ``wanted`` from ``stream`` as they end, read in small pieces;
    past ``MAX_ELEMENTS`` elements of any kind the part is refused (which also bounds
    the memory the parsed elements take: the caller clears those it handled)."""
    tags = {f"{{{namespace}}}{name}" for namespace in NAMESPACES for name in wanted} | wanted
    parser = XMLPullParser(events=("end",))
    count = 0
    while True:
        chunk = stream.read(16 * 1024)
        if chunk:
            parser.feed(chunk)
        else:
            parser.close()
        for _event, element in parser.read_events():
            count += 1
            if count > MAX_ELEMENTS:
                raise XlsxTooManyCells(MAX_ELEMENTS)
            if element.tag in tags:
                yield element
        if not chunk:
            return


class _SharedStrings:
    """The shared strings, parsed only as far as the cells read refer to."""

    def __init__(self, archive: zipfile.ZipFile, name: str | None):
        self.strings: list[str] = []
        self._items = None
        if name is not None and name in archive.NameToInfo:
            self._stream = archive.open(name)
            self._items = _elements(self._stream, {"si"})

    def __getitem__(self, index: int) -> str:
        while index >= len(self.strings) and self._items is not None:
            item = next(self._items, None)
            if item is None:
                self._items = None
                break
            self.strings.append(_text(item))
            item.clear()
        if not 0 <= index < len(self.strings):
            raise XlsxError(f"no shared string {index}")
        return self.strings[index]


def _relations(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id → (type, member name) of the relations of ``part`` ("" for the package)."""
    folder, base = posixpath.split(part)
    name = posixpath.join(folder, "_rels", f"{base}.rels")
    if name not in archive.NameToInfo:
        return {}
    relations = {}
    for element in parse_xml(archive.open(name)).getroot():  # noqa: S314 - see the imports
        target = element.get("Target") or ""
        if target.startswith("/"):
            member = target.lstrip("/")
        else:
            member = posixpath.normpath(posixpath.join(folder, target))
        relations[element.get("Id") or ""] = (element.get("Type") or "", member)
    return relations


def _first_sheet(archive: zipfile.ZipFile) -> tuple[str, str | None]:
    """The member names of the first worksheet and of the shared strings."""
    workbook = next((member for kind, member in _relations(archive, "").values()
                     if kind.endswith(OFFICE_DOCUMENT)), "xl/workbook.xml")
    relations = _relations(archive, workbook)
    sheet_id = None
    for element in parse_xml(archive.open(workbook)).getroot().iter():  # noqa: S314
        if _local(element.tag) == "sheet":
            sheet_id = _attribute(element, "id")
            break
    if sheet_id not in relations:
        raise XlsxError("the workbook names no worksheet")
    strings = next((member for kind, member in relations.values()
                    if kind.endswith(SHARED_STRINGS)), None)
    return relations[sheet_id][1], strings


def check_sizes(archive: zipfile.ZipFile, max_uncompressed: int) -> None:
    size = sum(info.file_size for info in archive.infolist())
    if size > max_uncompressed:
        raise XlsxTooLarge(size)


def iter_rows(data: bytes, *, max_uncompressed: int,
              max_columns: int) -> Iterator[tuple[int, list[str]]]:
    """(row number, the text of its first ``max_columns`` cells) of the first sheet.

    Raises XlsxTooLarge before inflating anything when the members declare more than
    ``max_uncompressed`` bytes in all, XlsxTooManyCells past ``MAX_ELEMENTS`` elements
    of the sheet or the shared strings, and XlsxError for anything else that is not a
    readable workbook.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        check_sizes(archive, max_uncompressed)
        sheet_name, strings_name = _first_sheet(archive)
        strings = _SharedStrings(archive, strings_name)
        row_number = 0
        column = 0
        values: dict[int, str] = {}
        with archive.open(sheet_name) as stream:
            for element in _elements(stream, {"c", "row"}):
                if element.tag[-1] == "c":
                    reference = element.get("r")
                    column = (_column(reference) if reference else column + 1) or 0
                    if 1 <= column <= max_columns:
                        values[column] = _cell_value(element, strings)
                    element.clear()
                    continue
                reference = _attribute(element, "r")
                row_number = int(reference) if reference else row_number + 1
                width = max(values, default=0)
                element.clear()
                yield row_number, [values.get(i, "") for i in range(1, width + 1)]
                values, column = {}, 0
    except XlsxError:
        raise
    except Exception as exc:  # a file from outside: whatever breaks, it is unreadable
        raise XlsxError(str(exc)) from exc


def _cell_value(cell, strings: _SharedStrings) -> str:
    kind = cell.get("t") or "n"
    value = None
    inline = None
    for child in cell:
        tag = _local(child.tag)
        if tag == "v":
            value = child.text or ""
        elif tag == "is":
            inline = child
    if kind == "inlineStr":
        return _text(inline) if inline is not None else ""
    if value is None:
        return ""
    if kind == "s":
        return strings[int(value)]
    if kind == "b":
        return "TRUE" if value.strip() == "1" else "FALSE"
    if kind == "n":
        return _number(value)
    return value  # str (a formula's text), e (an error such as #N/A), d (an ISO date)


def _cell_position(reference: str) -> tuple[int, int] | None:
    """(row, column) of ``B7``; None when it is not a cell reference."""
    column = _column(reference)
    digits = reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    if column is None or not digits.isdigit():
        return None
    return int(digits), column


def merged_ranges(data: bytes, *, max_uncompressed: int) -> list[tuple[int, int, int, int]]:
    """(first row, first column, last row, last column) of every merged range of the
    first sheet: a merged cell holds its value in the top-left cell only. Bounded as
    :func:`iter_rows` (the file was read by it first)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        check_sizes(archive, max_uncompressed)
        sheet_name, _strings = _first_sheet(archive)
        ranges = []
        with archive.open(sheet_name) as stream:
            for element in _elements(stream, {"mergeCell", "c"}):
                if _local(element.tag) == "mergeCell":
                    first, _sep, last = (element.get("ref") or "").partition(":")
                    start, end = _cell_position(first), _cell_position(last or first)
                    if start and end:
                        ranges.append((*start, *end))
                element.clear()
        return ranges
    except XlsxError:
        raise
    except Exception as exc:
        raise XlsxError(str(exc)) from exc
