"""Any report (a dict with "tables", see appliance/reports/__init__.py) as CSV or XLSX, in
the language of the gettext `_` given: titles and coded values translated, money and counts
as numbers (XLSX) or plain text (CSV), rates as fractions (0.6667)."""
import csv
import io
from decimal import Decimal

import openpyxl


def cells(table, _):
    """The table's header and rows as lists, values translated where the column is coded."""
    head = [_(title) for _key, title, _labels in table["columns"]]
    body = []
    for row in table["rows"]:
        line = []
        for key, _title, labels in table["columns"]:
            value = row.get(key)
            if labels and value in labels:
                value = _(labels[value])
            line.append("" if value is None else value)
        body.append(line)
    return head, body


def to_csv(report, _):
    """UTF-8 text with a BOM (so Excel in China keeps the Chinese): each table as its title
    line, header and rows, a blank line between tables."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    for n, table in enumerate(report["tables"]):
        if n:
            writer.writerow([])
        head, body = cells(table, _)
        writer.writerow([_(table["title"])])
        writer.writerow(head)
        writer.writerows([[str(v) for v in line] for line in body])
    return out.getvalue()


def to_xlsx(report, _):
    """An XLSX workbook's bytes: a sheet per table (named by the table), header then rows."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for table in report["tables"]:
        sheet = book.create_sheet(table["name"][:31])
        head, body = cells(table, _)
        sheet.append([_(table["title"])])
        sheet.append(head)
        for line in body:
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
