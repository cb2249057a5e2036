"""Makes the input corpus in batch/testdata/corpus: the same cancellations as
the programs finance teams use would save them. Run from the repository root:

    python3 batch/testdata/make-corpus.py

Needs Debian's python3-openpyxl, libreoffice-calc-nogui and python3-uno.
Every file holds the same six data rows (one of them invalid); see
batch/testdata/README.md for how each file is made.
"""
import csv, datetime, io, os, shutil, subprocess, tempfile

import openpyxl

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(HERE, exist_ok=True)

HEADER = ["Customer Tenant ID", "Order ID", "Line Item Number", "Offer ID", "Expected Quantity", "Customer", "Requested On"]
# (customer, order, line, offer, quantity, customer name, requested on)
ROWS = [
    ("4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57", "Q2v7Lm9kT4xR8sPz1wYb3nHc6dFg5jKa0", 0, "DG7GMGF0FKZV:0003:DG7GMGF0DWMS", 4, "Müller GmbH – Zürich", datetime.date(2026, 11, 18)),
    ("{B81F6D04-7E2A-4C95-A3D8-5F0E1C9B2A76}", "Wn5Kx2Rb8Tq1Vm7Zd4Pc0Lf9Hs3Gj6Ya-", "*", "", None, "Fabrikam, Inc.", datetime.date(2026, 11, 19)),
    ("e3d95b27-0c4f-4a61-8b7e-9f2a6c1d5e08", 12345678901234, 2, "", 1234, 'Northwind "Traders"', datetime.date(2026, 11, 20)),
    ("e3d95b27-0c4f-4a61-8b7e-9f2a6c1d5e08", 12345678901234, 3, "", 10, "two\nlines", None),
    ("\u00a04a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57\u200b", "Hs3Nq8Wd1Zk6Tm0Xc4Vr9Bp2Jf7Lg5Ya_", 1, "", None, "Contoso", None),
    ("not-a-guid", "X1", 2.5, "", None, "invalid row", None),
]


def text_rows(thousands=",", date=lambda d: d.isoformat()):
    """The rows as text, the way a CSV export writes them."""
    out = [HEADER]
    for c, o, l, off, q, name, when in ROWS:
        qs = "" if q is None else (f"{q:,}".replace(",", thousands) if q >= 1000 else str(q))
        out.append([c, str(o), str(l), off, qs, name, date(when) if when else ""])
    return out


def write_csv(name, rows, delimiter=",", encoding="utf-8", newline="\r\n", prefix="", quoting=csv.QUOTE_MINIMAL):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    w.writerows(rows)
    with open(os.path.join(HERE, name), "wb") as f:
        # Windows-1252 cannot hold the zero-width space: it is dropped there.
        f.write((prefix + buf.getvalue()).encode(encoding, errors="ignore"))


# Excel "CSV UTF-8 (Comma delimited)", US settings: BOM, CRLF, 1,234.
write_csv("excel-us-utf8.csv", text_rows(), encoding="utf-8-sig")
# Excel "CSV (Comma delimited)" on a German Windows: semicolons, Windows-1252, 1.234.
write_csv("excel-de-1252.csv", text_rows(thousands=".", date=lambda d: d.strftime("%d.%m.%Y")), delimiter=";", encoding="cp1252")
# The same with Excel's "sep=;" hint line.
write_csv("excel-sep-line.csv", text_rows(thousands="."), delimiter=";", prefix="sep=;\r\n")
# Excel "Unicode Text": UTF-16LE with BOM, tab-separated.
write_csv("excel-unicode-text.txt", text_rows(), delimiter="\t", encoding="utf-16")
# Google Sheets "Download as CSV": LF, no BOM, numbers without grouping.
write_csv("google-sheets.csv", text_rows(thousands=""), newline="\n")
# A classic Mac export: CR line ends, every value quoted (csv's minimal
# quoting would leave the newline inside a value bare when lines end in CR).
write_csv("mac-classic-cr.csv", text_rows(), newline="\r", quoting=csv.QUOTE_ALL)
# A report script: title lines above the header, trailing empty columns.
rows = [r + ["", ""] for r in text_rows()]
write_csv("titled-trailing.csv", [["Cancellations — November 2026"], [], ["Prepared by finance"]] + rows)


def xlsx_rows(ws, start_row=1):
    ws.append(HEADER) if start_row == 1 else None
    for c, o, l, off, q, name, when in ROWS:
        ws.append([c, o, l, off or None, q, name, when])


# openpyxl: title rows, typed cells (numbers, a date column), a hidden row,
# a formula with no cached value elsewhere on the sheet, a used range
# larger than the data.
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "November"
ws.append(["Cancellations — November 2026"])
ws.append([])
ws.append(HEADER)
for c, o, l, off, q, name, when in ROWS:
    ws.append([c, o, l, off or None, q, name, when])
for row in ws.iter_rows(min_row=4, min_col=7, max_col=7):
    for cell in row:
        cell.number_format = "dd.mm.yyyy"
ws.cell(row=4, column=5).number_format = "#,##0"
ws.row_dimensions[6].hidden = True           # hidden rows are still processed
ws.cell(row=40, column=12).value = None       # used range beyond the data
ws.cell(row=40, column=12).number_format = "0.00"
wb.save(os.path.join(HERE, "openpyxl.xlsx"))

# openpyxl: the first sheet hidden, the data on the second.
wb = openpyxl.Workbook()
notes = wb.active
notes.title = "Notes"
notes.append(["internal notes, not the list"])
data = wb.create_sheet("Data")
xlsx_rows(data)
notes.sheet_state = "hidden"
wb.active = 1
wb.save(os.path.join(HERE, "hidden-first-sheet.xlsx"))

# openpyxl with formulas for the line numbers and quantities; LibreOffice
# then opens, recalculates and saves it (cached values, shared strings).
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Cancellations"
ws.append(HEADER)
for i, (c, o, l, off, q, name, when) in enumerate(ROWS, start=2):
    line = f"=1+{l - 1}" if isinstance(l, int) else l
    qty = f"=2*{q // 2}" if isinstance(q, int) and q % 2 == 0 else q
    ws.append([c, o, line, off or None, qty, name, when])
tmp = tempfile.mkdtemp()
src = os.path.join(tmp, "formulas.xlsx")
wb.save(src)


def soffice(*args):
    profile = "file://" + os.path.join(tmp, "lo-profile")
    subprocess.run(["soffice", "-env:UserInstallation=" + profile, "--headless", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


outdir = os.path.join(tmp, "out")
soffice("--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", outdir, src)
shutil.copy(os.path.join(outdir, "formulas.xlsx"), os.path.join(HERE, "libreoffice-formulas.xlsx"))
soffice("--convert-to", "xls:MS Excel 97", "--outdir", outdir, src)
shutil.copy(os.path.join(outdir, "formulas.xls"), os.path.join(HERE, "legacy.xls"))
soffice("--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", outdir, os.path.join(HERE, "openpyxl.xlsx"))
shutil.copy(os.path.join(outdir, "openpyxl.csv"), os.path.join(HERE, "libreoffice-export.csv"))

# Saved with a password: excelize's agile encryption (the container Excel
# writes), since LibreOffice's headless export does not encrypt OOXML.
subprocess.run(["go", "run", "./batch/testdata/encrypt/main.go", os.path.join(HERE, "openpyxl.xlsx"), os.path.join(HERE, "password.xlsx")], check=True)
shutil.rmtree(tmp)
print("corpus written to", HERE)
