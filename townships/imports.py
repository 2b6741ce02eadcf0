"""Reading the ranking and category files staff already have: CSV or XLSX.

The whole file is read and validated before anything is written; every problem is
reported with its row and column, in the user's language. The writes themselves are
in :mod:`townships.services`.

A file costs little to read whatever it holds: an XLSX is refused before anything is
inflated when its parts inflate past ``IMPORT_MAX_UNCOMPRESSED_BYTES``
(:mod:`townships.xlsx`); reading stops past one row per township in service and
``IMPORT_ROW_MARGIN`` more; at most ``MAX_PROBLEMS`` problems are listed, and cells are
quoted shortened.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _

from townships import xlsx
from townships.models import Category, Township
from townships.services import CategoryRow, RankingRow

#: Problems listed at most; the rest are counted ("and N more").
MAX_PROBLEMS = 50
#: Columns read at most; cells further right are ignored.
MAX_COLUMNS = 64
#: Blank rows read at most besides the rows allowed (Excel keeps formatted empty rows).
MAX_BLANK_ROWS = 1000
#: Characters of a cell quoted at most in a message.
MAX_QUOTED = 40

# Accepted header names → the column they mean. Chinese first: that is what staff type.
COLUMN_ALIASES = {
    "township": {"乡镇", "乡镇名称", "乡镇（街道）", "乡镇(街道)", "单位", "township", "name"},
    "rank": {"排名", "名次", "rank"},
    "score": {"得分", "分数", "score"},
    "category": {"类别", "乡镇类别", "category"},
}
COLUMN_TITLES = {"township": "乡镇", "rank": "排名", "score": "得分", "category": "类别"}
# Columns people keep in their sheets that carry nothing we read.
IGNORED_COLUMNS = {"序号", "备注", "no", "note", "notes"}
COLUMN_KEYS = {name.lower(): key for key, names in COLUMN_ALIASES.items() for name in names}

CATEGORY_WORDS = {
    "一类": 1, "二类": 2, "三类": 3, "1": 1, "2": 2, "3": 3,
    "一": 1, "二": 2, "三": 3, "i": 1, "ii": 2, "iii": 3,
}
for value, label in Category.choices:
    CATEGORY_WORDS[str(label).lower()] = value


def quoted(text) -> str:
    """A cell's text for a message: at most ``MAX_QUOTED`` characters."""
    text = str(text)
    return text if len(text) <= MAX_QUOTED else text[:MAX_QUOTED] + "…"


@dataclass
class Problem:
    row: int | None  # 1-based line in the file, the header being row 1
    column: str | None
    message: str

    def __str__(self):
        if self.row and self.column:
            return _("Row %(row)s, column %(column)s: %(message)s") % {
                "row": self.row, "column": quoted(self.column), "message": self.message,
            }
        if self.row:
            return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}
        return self.message


class ImportFileError(Exception):
    """The file is refused; ``problems`` lists the reasons found, at most
    ``MAX_PROBLEMS`` of them and then how many more there are."""

    def __init__(self, problems: list[Problem]):
        if len(problems) > MAX_PROBLEMS:
            more = len(problems) - MAX_PROBLEMS
            problems = [*problems[:MAX_PROBLEMS], Problem(None, None, _(
                "and %(n)s more problems") % {"n": more})]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class TooManyRows(Exception):
    pass


@dataclass
class Sheet:
    headers: dict[str, str]  # our column → the header as written in the file
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _decode(data: bytes) -> str:
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"),
                          (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Excel and WPS on Chinese Windows save "CSV" in the ANSI code page, GBK;
    # GB18030 is its superset.
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ImportFileError([Problem(None, None, _(
            "The file is neither UTF-8 nor GBK/GB18030 text; save it as CSV (UTF-8) or XLSX."
        ))]) from exc


def _read_csv(data: bytes):
    """(line, cells) of every record; a blank line is a record without cells."""
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;，")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    number = 0
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            limit = csv.field_size_limit()
            message = (_("a cell is longer than %(limit)s characters") % {"limit": limit}
                       if "field limit" in str(exc) else _("the line cannot be read as CSV"))
            raise ImportFileError([Problem(number, None, message)]) from exc
        yield number, row


def _read_xlsx(data: bytes):
    """(row number, cells) of the first sheet (townships.xlsx: bounded whatever the file
    holds)."""
    limit = settings.IMPORT_MAX_UNCOMPRESSED_BYTES
    try:
        yield from xlsx.iter_rows(data, max_uncompressed=limit, max_columns=MAX_COLUMNS)
    except xlsx.XlsxTooLarge as exc:
        raise ImportFileError([Problem(None, None, _(
            "The XLSX file inflates to %(size)s KB, more than the limit of %(limit)s KB; "
            "save the sheet alone as a new XLSX file, or as CSV."
        ) % {"size": exc.size // 1024, "limit": limit // 1024})]) from exc
    except xlsx.XlsxTooManyCells as exc:
        raise ImportFileError([Problem(None, None, _(
            "The first sheet of the XLSX file holds far more than a ranking or category "
            "table; save the table alone as a new XLSX file, or as CSV."))]) from exc
    except xlsx.XlsxError as exc:
        raise ImportFileError([Problem(None, None, _("The XLSX file cannot be read."))]) from exc


def _rows_within(rows, *, max_rows: int):
    """The non-blank rows of ``rows`` (the header and at most ``max_rows`` more); raises
    TooManyRows instead of reading further."""
    read = blank = 0
    for number, cells in rows:
        cells = [cell.strip() for cell in cells[:MAX_COLUMNS]]
        if not any(cells):
            blank += 1
            if blank > MAX_BLANK_ROWS:
                raise TooManyRows
            continue
        read += 1
        if read > max_rows + 1:
            raise TooManyRows
        yield number, cells


def raw_rows(data: bytes, filename: str):
    """(line, cells) of a CSV or XLSX file within IMPORT_MAX_BYTES, blank rows included;
    refuses an empty file or an old .xls before reading anything."""
    limit = settings.IMPORT_MAX_BYTES
    if len(data) > limit:
        raise ImportFileError([Problem(None, None, _(
            "The file is %(size)s KB, more than the limit of %(limit)s KB."
        ) % {"size": len(data) // 1024, "limit": limit // 1024})])
    if not data.strip():
        raise ImportFileError([Problem(None, None, _("The file is empty."))])
    name = filename.lower()
    if name.endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError([Problem(None, None, _(
            "Old Excel .xls files are not supported; save it as XLSX or CSV."
        ))])
    return _read_xlsx(data) if data.startswith(b"PK") else _read_csv(data)


def read_sheet(data: bytes, filename: str, *, required: set[str], optional: set[str],
               year: int, in_service: int) -> Sheet:
    """Read a CSV/XLSX file into rows keyed by our column names: at most one row per
    township in service in ``year`` (``in_service`` of them) and ``IMPORT_ROW_MARGIN``
    more."""
    max_rows = in_service + settings.IMPORT_ROW_MARGIN
    rows = _rows_within(raw_rows(data, filename), max_rows=max_rows)
    try:
        header_row = next(rows, None)
        if header_row is None:
            raise ImportFileError([Problem(None, None, _("The file is empty."))])
        header_line, header_cells = header_row
        positions, headers = _read_header(header_line, header_cells, required, optional)
        sheet = Sheet(headers=headers)
        for line, row in rows:
            sheet.rows.append((line, {
                key: (row[i] if i < len(row) else "") for key, i in positions.items()
            }))
    except TooManyRows:
        raise ImportFileError([Problem(None, None, _(
            "Too many rows: the file has more than %(limit)s rows, and only %(n)s townships "
            "are in service in %(year)s."
        ) % {"limit": max_rows, "n": in_service, "year": year})]) from None
    if not sheet.rows:
        raise ImportFileError([Problem(None, None, _("The file has a header but no rows."))])
    return sheet


def _read_header(line: int, cells: list[str], required: set[str], optional: set[str]):
    problems = []
    header = [cell.lstrip("\ufeff").strip() for cell in cells]
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    for index, title in enumerate(header):
        if not title:
            continue
        key = COLUMN_KEYS.get(title.lower())
        if key is None or key not in required | optional:
            if title.lower() in IGNORED_COLUMNS:
                continue
            problems.append(Problem(line, title, _("unknown column")))
        elif key in positions:
            problems.append(Problem(line, title, _("this column appears twice")))
        else:
            positions[key] = index
            headers[key] = title
    missing = [k for k in sorted(required) if k not in positions]
    if missing:
        expected = "、".join(COLUMN_TITLES[k] for k in missing)
        known = any(p.row == line for p in problems)
        problems.append(Problem(line, None, _("missing column(s): %(columns)s") % {
            "columns": expected}))
        if known and not positions:
            problems.append(Problem(line, None, _(
                "No column header was recognised; if the header looks garbled, the file's "
                "encoding was misread: save it as CSV (UTF-8) or XLSX."
            )))
    if problems:
        raise ImportFileError(problems)
    return positions, headers


class TownshipResolver:
    """Find a township by official code or name among those in service in a year."""

    def __init__(self, year: int):
        self.year = year
        self.all = list(Township.objects.all())
        self.by_code = {t.code: t for t in self.all}
        self.by_name: dict[str, list[Township]] = {}
        for township in self.all:
            self.by_name.setdefault(township.name, []).append(township)

    def resolve(self, text: str) -> tuple[Township | None, str | None]:
        text = text.strip()
        if not text:
            return None, _("empty")
        township = self.by_code.get(text)
        if township is None:
            candidates = self.by_name.get(text, [])
            in_service = [t for t in candidates if t.in_service(self.year)]
            township = (in_service or candidates or [None])[0]
        if township is None:
            close = (difflib.get_close_matches(text, list(self.by_name), n=1, cutoff=0.4)
                     if len(text) <= MAX_QUOTED else None)
            if close:
                return None, _("unknown township “%(text)s”; did you mean “%(name)s”?") % {
                    "text": text, "name": close[0]}
            return None, _("unknown township “%(text)s”") % {"text": quoted(text)}
        if not township.in_service(self.year):
            return None, _("%(name)s is not in service in %(year)s") % {
                "name": township.name, "year": self.year}
        return township, None


def _resolve_townships(sheet: Sheet, year: int, problems: list[Problem]):
    resolver = TownshipResolver(year)
    seen: dict[int, int] = {}
    resolved = {}
    column = sheet.headers["township"]
    for line, values in sheet.rows:
        township, error = resolver.resolve(values["township"])
        if error:
            problems.append(Problem(line, column, error))
            continue
        if township.pk in seen:
            problems.append(Problem(line, column, _(
                "%(name)s appears twice (also row %(other)s)") % {
                "name": township.name, "other": seen[township.pk]}))
            continue
        seen[township.pk] = line
        resolved[line] = township
    return resolved


def parse_rankings(data: bytes, filename: str, *, year: int) -> list[RankingRow]:
    in_service = Township.objects.in_service(year).count()
    sheet = read_sheet(data, filename, required={"township", "rank"}, optional={"score"},
                       year=year, in_service=in_service)
    problems: list[Problem] = []
    townships = _resolve_townships(sheet, year, problems)
    count = len(sheet.rows)
    rank_column = sheet.headers["rank"]
    score_column = sheet.headers.get("score")
    parsed: list[tuple[int, int, Decimal | None]] = []
    for line, values in sheet.rows:
        raw = values["rank"]
        try:
            number = Decimal(raw)
            whole = number.is_finite() and number == number.to_integral_value()
        except InvalidOperation:  # not a number, or a signalling NaN
            whole = False
        if not raw:
            problems.append(Problem(line, rank_column, _("empty")))
            continue
        if not whole:
            problems.append(Problem(line, rank_column, _("“%(value)s” is not a whole number")
                                    % {"value": quoted(raw)}))
            continue
        if number < 1 or number > count:  # compared before int(): 1e999999999 is whole
            problems.append(Problem(line, rank_column, _(
                "%(rank)s is out of range 1–%(count)s") % {"rank": quoted(raw),
                                                         "count": count}))
            continue
        rank = int(number)
        score = None
        if score_column and values.get("score"):
            try:
                score = Decimal(values["score"])
                if not score.is_finite() or abs(score) >= Decimal("100000"):
                    raise InvalidOperation
                score = score.quantize(Decimal("0.01"))
            except InvalidOperation:
                problems.append(Problem(line, score_column, _("“%(value)s” is not a number")
                                        % {"value": quoted(values["score"])}))
                continue
        parsed.append((line, rank, score))

    if count > in_service:
        problems.append(Problem(None, None, _(
            "The file ranks %(count)s townships but only %(n)s are in service in %(year)s."
        ) % {"count": count, "n": in_service, "year": year}))

    if not problems:
        problems.extend(_check_competition_ranking(parsed, rank_column))
    if not problems and score_column:
        problems.extend(_check_scores(parsed, rank_column, score_column))
    if problems:
        raise ImportFileError(problems)
    return [RankingRow(township=townships[line], rank=rank, score=score)
            for line, rank, score in parsed]


def _check_competition_ranking(parsed, column) -> list[Problem]:
    """Ranks must read 1, 2, 2, 4 …: a tie shares a rank and the next rank skips."""
    ordered = sorted(parsed, key=lambda item: item[1])
    previous = None
    for position, (line, rank, _score) in enumerate(ordered, start=1):
        if rank != previous and rank != position:
            expected = position if previous is None or rank > position else previous
            return [Problem(line, column, _(
                "rank %(rank)s breaks the sequence; expected %(expected)s (ties share a rank "
                "and the next rank skips: 1, 2, 2, 4)") % {"rank": rank, "expected": expected})]
        previous = rank
    return []


def _check_scores(parsed, rank_column, score_column) -> list[Problem]:
    scored = [item for item in parsed if item[2] is not None]
    if scored and len(scored) != len(parsed):
        line = next(line for line, _r, score in parsed if score is None)
        return [Problem(line, score_column, _("some rows have a score and this one has none"))]
    ordered = sorted(scored, key=lambda item: (item[1], -item[2]))
    for (_l1, rank1, score1), (line2, rank2, score2) in zip(ordered, ordered[1:], strict=False):
        if rank1 == rank2 and score1 != score2:
            return [Problem(line2, score_column, _(
                "rank %(rank)s is shared but the scores differ (%(a)s, %(b)s)") % {
                "rank": rank2, "a": score1, "b": score2})]
        if rank1 < rank2 and score1 <= score2:
            return [Problem(line2, rank_column, _(
                "rank %(rank)s with score %(score)s contradicts a better rank with score "
                "%(other)s") % {"rank": rank2, "score": score2, "other": score1})]
    return []


def parse_categories(data: bytes, filename: str, *, year: int) -> list[CategoryRow]:
    sheet = read_sheet(data, filename, required={"township", "category"}, optional=set(),
                       year=year, in_service=Township.objects.in_service(year).count())
    problems: list[Problem] = []
    townships = _resolve_townships(sheet, year, problems)
    column = sheet.headers["category"]
    categories = {}
    for line, values in sheet.rows:
        category = CATEGORY_WORDS.get(values["category"].strip().lower())
        if category is None:
            problems.append(Problem(line, column, _(
                "“%(value)s” is not a category (一类, 二类 or 三类)"
            ) % {"value": quoted(values["category"])}))
        else:
            categories[line] = category
    if problems:
        raise ImportFileError(problems)
    return [CategoryRow(township=townships[line], category=categories[line])
            for line, _values in sheet.rows]
