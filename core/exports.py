"""Text that leaves the system in a spreadsheet: every export (CSV or Excel) writes its cells through here.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)`` runs when the file is opened). OWASP's advice
on CSV injection: prefix such text with a single quote so that it is shown as typed and never evaluated.
Numbers, dates and booleans are left alone (a negative price stays a number); only text is neutralised.

In an Excel workbook every text cell is also written with the string type, so that no text can ever become a
formula there (openpyxl would otherwise store any text starting with ``=`` as one).

tests/test_exports_safety.py feeds hostile text through every export the site has, and fails when a view
starts a spreadsheet without these helpers.
"""

import csv
from collections.abc import Callable, Iterable

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value as it may go into a spreadsheet cell: text that could start a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def safe_row(values: Iterable, spell: Callable | None = None) -> list:
    """Each value neutralised, then (optionally) spelled by `spell` — which may turn numbers into text, such as
    a negative price "-150000", after the check: only text from people is ever quoted."""
    if spell is None:
        return [safe_cell(value) for value in values]
    return [spell(safe_cell(value)) for value in values]


class SafeCsvWriter:
    """``csv.writer`` whose rows always pass through :func:`safe_row` (so no export can forget it).

    `spell`: how a value is written once neutralised (e.g. Decimal without exponent, dates in ISO)."""

    def __init__(self, stream, *, spell: Callable | None = None, **kwargs):
        self._writer = csv.writer(stream, **kwargs)
        self._spell = spell

    def writerow(self, values: Iterable):
        return self._writer.writerow(safe_row(values, self._spell))

    def writerows(self, rows: Iterable[Iterable]):
        for row in rows:
            self.writerow(row)


def safe_excel_row(sheet, values: Iterable, spell: Callable | None = None) -> list:
    """The cells of one row of an openpyxl (write-only) worksheet: text neutralised and typed as a string, so
    that it is never stored as a formula; numbers and dates keep their types. Append the result to the sheet."""
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in safe_row(values, spell):
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        cells.append(cell)
    return cells
