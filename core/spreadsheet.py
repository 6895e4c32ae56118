"""Excel files that are safe to open: user text can never turn into a formula.

Spreadsheet apps treat a cell starting with "=", "+", "-", "@", tab, CR or LF as a formula
(OWASP "CSV/formula injection"). Every string is therefore written with XlsxWriter's
`write_string` (never `write`, and with its string-to-formula/URL/number guesses off), and a
dangerous first character also gets Excel's quote prefix, so the value a person reads is
unchanged and stays text even after editing the cell.
"""

import numbers
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from io import BytesIO
from itertools import chain, islice

import xlsxwriter
from xlsxwriter.utility import xl_range
from xlsxwriter.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "DD.MM.YYYY"
TIME_FORMAT = "HH:MM"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
HEADER_FILL = "#DDE7F5"
PROGRESS_EVERY = 5000  # rows between two on_progress calls
A4 = 9  # XlsxWriter's paper code
PRINT_FOOTER = "&RСтраница &P из &N"
# XML 1.0 allows no control characters but tab, LF and CR: one stray byte in an old comment
# must not reach the file (Excel would show it as _x000B_)
_ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# text starting so is written by _write_text: quoted, or cut in two runs
_NEEDS_CARE = (*FORMULA_STARTS, "<r>")
_OPTIONS = {
    # rows go to a temporary file as they come: 100,000 rows never sit in memory
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


@dataclass(frozen=True)
class Column:
    title: str
    width: float | None = None  # None: fitted to the content
    # digits kept as text on purpose (a card number keeps its leading zeros): Excel is told so,
    # or it marks every cell with its «число сохранено как текст» triangle
    digits_as_text: bool = False


class _Formats:
    """The cell formats of one workbook, added once."""

    def __init__(self, workbook: xlsxwriter.Workbook):
        header = {"bold": True, "bg_color": HEADER_FILL, "pattern": 1, "valign": "vcenter", "text_wrap": True}
        self.header = workbook.add_format(header)
        self.header_quoted = workbook.add_format(header | {"quote_prefix": True})
        self.quoted = workbook.add_format({"quote_prefix": True})
        self.date = workbook.add_format({"num_format": DATE_FORMAT})
        self.time = workbook.add_format({"num_format": TIME_FORMAT})
        self.datetime = workbook.add_format({"num_format": DATETIME_FORMAT})
        self.plain = workbook.add_format()


def _write_text(sheet: Worksheet, row: int, col: int, value, formats: _Formats, *, header: bool = False) -> None:
    text = _ILLEGAL_CHARACTERS.sub("", str(value))
    if "\r" in text:
        # a line break is LF in a cell; a CR would reach Excel as _x000D_
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    dangerous = text.startswith(FORMULA_STARTS)
    if header:
        fmt = formats.header_quoted if dangerous else formats.header
    else:
        fmt = formats.quoted if dangerous else None
    if text.startswith("<r>") and text.endswith("</r>"):
        # in constant_memory mode XlsxWriter copies a string of this shape into the XML
        # unescaped, taking it for its own rich-string markup: cut in two runs, it is escaped
        sheet.write_rich_string(row, col, "<", formats.plain, text[1:], *([fmt] if fmt else []))
    else:
        sheet.write_string(row, col, text, fmt)


def _write_value(sheet: Worksheet, row: int, col: int, value, formats: _Formats) -> None:
    if isinstance(value, str):
        _write_text(sheet, row, col, value, formats)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, col, value, formats.datetime)
    elif isinstance(value, date):
        sheet.write_datetime(row, col, value, formats.date)
    elif isinstance(value, time):
        sheet.write_datetime(row, col, value, formats.time)
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        sheet.write_number(row, col, value)
    else:
        # True/False and anything else: as the words a person reads
        _write_text(sheet, row, col, value, formats)


def _write_rows(sheet: Worksheet, rows: Iterable[Sequence], formats: _Formats, first_row: int, on_progress) -> int:
    """Write the data rows from `first_row` (zero-based) down; returns how many were written."""
    # the common cells (plain text, exact dates, ints, floats) go straight to XlsxWriter's
    # typed writers: this loop runs for every cell of 100,000 rows
    write_string, write_number, write_datetime = sheet.write_string, sheet.write_number, sheet.write_datetime
    moment_formats = {datetime: formats.datetime, date: formats.date, time: formats.time}
    written = 0
    for number, row in enumerate(rows, start=first_row):
        for col, value in enumerate(row):
            kind = type(value)
            if kind is str and value.isprintable() and not value.startswith(_NEEDS_CARE):
                write_string(number, col, value)
            elif kind in moment_formats:
                write_datetime(number, col, value, moment_formats[kind])
            elif kind is int or kind is float:
                write_number(number, col, value)
            elif value is not None:
                _write_value(sheet, number, col, value, formats)
        written += 1
        if on_progress and written % PROGRESS_EVERY == 0:
            on_progress(written)
    if on_progress and written % PROGRESS_EVERY:
        on_progress(written)
    return written


def _display_width(value) -> int:
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, time):
        return 5
    return max((len(line) for line in str(value or "").splitlines()), default=0)


def _set_up_printing(sheet: Worksheet, header_rows: int) -> None:
    """A4 landscape, every column on one page wide, the header on every page, gridlines on paper."""
    sheet.set_paper(A4)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)  # 0: as many pages tall as the rows need
    sheet.repeat_rows(0, header_rows - 1)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    sheet.set_footer(PRINT_FOOTER)
    sheet.hide_gridlines(0)


def write_xlsx(
    sheet_title: str,
    description: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence],
    *,
    width_sample: int = 500,
    on_progress: Callable[[int], None] | None = None,
) -> bytes:
    """A workbook: a description line, a styled frozen header with auto-filter, then the rows.

    Dates, times and moments are real Excel values shown as ДД.ММ.ГГГГ, ЧЧ:ММ and both; column
    widths are fitted on the first `width_sample` rows; `on_progress(written)` every few
    thousand rows and after the last. It prints on A4 landscape, as wide as one page, with the
    description and the header on every page.
    """
    rows = iter(rows)
    sample = list(islice(rows, width_sample))
    output = BytesIO()
    workbook = xlsxwriter.Workbook(output, _OPTIONS)
    formats = _Formats(workbook)
    sheet = workbook.add_worksheet(sheet_title[:31])
    for index, column in enumerate(columns):
        fitted = max([len(column.title)] + [_display_width(r[index]) for r in sample])
        sheet.set_column(index, index, column.width or min(60, fitted + 2))
    sheet.freeze_panes(2, 0)
    _write_text(sheet, 0, 0, description, formats)
    for index, column in enumerate(columns):
        _write_text(sheet, 1, index, column.title, formats, header=True)
    written = _write_rows(sheet, chain(sample, rows), formats, 2, on_progress)
    sheet.autofilter(1, 0, 1 + written, len(columns) - 1)
    text_digits = [xl_range(2, i, 1 + written, i) for i, column in enumerate(columns) if column.digits_as_text]
    if text_digits and written:
        sheet.ignore_errors({"number_stored_as_text": " ".join(text_digits)})
    _set_up_printing(sheet, header_rows=2)
    workbook.close()
    return output.getvalue()
