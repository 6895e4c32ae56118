"""Excel files that are safe to open: user text can never turn into a formula.

openpyxl writes a string starting with "=" as a live formula. Spreadsheet apps also treat
"+", "-", "@", tab, CR and LF as formula starts (OWASP "CSV/formula injection"). Every
user-supplied string is therefore written as an explicit string cell, and a dangerous first
character also gets Excel's quote prefix (cell.quotePrefix), so the value a person reads is
unchanged and stays text even after editing the cell.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
DATE_FORMAT = "DD.MM.YYYY"
TIME_FORMAT = "HH:MM"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
_HEADER_FILL = PatternFill("solid", fgColor="DDE7F5")
_HEADER_FONT = Font(bold=True)


@dataclass(frozen=True)
class Column:
    title: str
    width: float | None = None  # None: fitted to the content


def _cell(sheet, value, *, bold: bool = False):
    cell = WriteOnlyCell(sheet)
    if isinstance(value, datetime):
        cell.value, cell.number_format = value, DATETIME_FORMAT
    elif isinstance(value, date):
        cell.value, cell.number_format = value, DATE_FORMAT
    elif isinstance(value, time):
        cell.value, cell.number_format = value, TIME_FORMAT
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.value = value
    elif value is None:
        cell.value = None
    else:
        # control characters other than tab/newline are not allowed in XML: one stray byte in
        # an old comment must not make the whole export fail
        text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
        cell.value = text
        # openpyxl types a str starting with "=" as a formula: force it back to a string
        cell.data_type = "s"
        if text.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    if bold:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    return cell


def _row_value(sheet, value):
    """A data value: plain where openpyxl already writes it as inert text or a number, a cell otherwise.

    A cell object per value costs openpyxl an exception per value; plain values make a
    100,000-row export about twice as fast. openpyxl turns a plain str into a formula only
    when it starts with "=" and into an error only when it is an error code ("#N/A"): those,
    and every other dangerous first character, still go through `_cell`.
    """
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not text.startswith(FORMULA_STARTS) and text not in ERROR_CODES:
            return text
    return _cell(sheet, value)


def _display_width(value) -> int:
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, time):
        return 5
    return max((len(line) for line in str(value or "").splitlines()), default=0)


def write_xlsx(
    sheet_title: str,
    description: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence],
    *,
    width_sample: int = 500,
    on_progress=None,
) -> bytes:
    """A workbook: a description line, a styled frozen header with auto-filter, then the rows.

    Write-only mode keeps memory flat for 100,000 rows; column widths are fitted on the first
    `width_sample` rows (write-only sheets need widths before the first row is written).
    """
    rows = iter(rows)
    sample = []
    for row in rows:
        sample.append(row)
        if len(sample) >= width_sample:
            break
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    for index, column in enumerate(columns, start=1):
        fitted = max([len(column.title)] + [_display_width(r[index - 1]) for r in sample])
        sheet.column_dimensions[get_column_letter(index)].width = column.width or min(60, fitted + 2)
    sheet.freeze_panes = "A3"
    sheet.append([_cell(sheet, description)])
    sheet.append([_cell(sheet, column.title, bold=True) for column in columns])
    written = 0
    for row in sample:
        sheet.append([_row_value(sheet, value) for value in row])
        written += 1
    for row in rows:
        sheet.append([_row_value(sheet, value) for value in row])
        written += 1
        if on_progress and written % 5000 == 0:
            on_progress(written)
    if on_progress and written % 5000:
        on_progress(written)
    last_row = 2 + written
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{max(last_row, 2)}"
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
