"""Writes cancellations.xlsx from cancellations.csv with openpyxl (Debian's
python3-openpyxl): the same rows, typed the way Excel users type them —
line numbers and quantities as numbers, dates as dates, "*" as text.

    python3 samples/make-xlsx.py
"""
import csv, datetime, os

import openpyxl

here = os.path.dirname(os.path.abspath(__file__))
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Cancellations"
with open(os.path.join(here, "cancellations.csv"), newline="", encoding="utf-8") as f:
    for i, row in enumerate(csv.reader(f)):
        if i == 0:
            ws.append(row)
            continue
        out = []
        for col, value in enumerate(row):
            if col in (3, 5) and value.isdigit():   # Line Item Number, Expected Quantity
                out.append(int(value))
            elif col == 3 and value == "2.5":
                out.append(2.5)
            elif col == 8 and value:                # Requested On
                out.append(datetime.date.fromisoformat(value))
            else:
                out.append(value if value != "" else None)
        ws.append(out)
for row in ws.iter_rows(min_row=2, min_col=9, max_col=9):
    for cell in row:
        cell.number_format = "yyyy-mm-dd"
ws.freeze_panes = "A2"
for col, width in zip("ABCDEFGHIJ", (38, 24, 36, 10, 32, 10, 14, 10, 12, 40)):
    ws.column_dimensions[col].width = width
wb.save(os.path.join(here, "cancellations.xlsx"))
