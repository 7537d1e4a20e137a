"""Text that leaves the system in a spreadsheet: every export (CSV or Excel) writes its cells through here.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)`` runs when the file is opened). OWASP's advice
on CSV injection: prefix such text with a single quote so that it is shown as typed and never evaluated.
Numbers, dates and booleans are left alone (a negative price stays a number); only text is neutralised.
"""

import csv
from collections.abc import Iterable

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value as it may go into a spreadsheet cell: text that could start a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def safe_row(values: Iterable) -> list:
    return [safe_cell(value) for value in values]


class SafeCsvWriter:
    """``csv.writer`` whose rows always pass through :func:`safe_row` (so no export can forget it)."""

    def __init__(self, stream, **kwargs):
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, values: Iterable):
        return self._writer.writerow(safe_row(values))

    def writerows(self, rows: Iterable[Iterable]):
        for row in rows:
            self.writerow(row)
