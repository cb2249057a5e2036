package report

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/record"
)

// edit changes a written report as a user would in a spreadsheet, saving
// it with excelize (which rewrites the whole file: a re-save too).
func edit(t *testing.T, path string, change func(f *excelize.File)) string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	change(f)
	out := filepath.Join(t.TempDir(), "edited.xlsx")
	if err := f.SaveAs(out); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return out
}

// column returns the letter of the header h in row 1 of sheet.
func column(t *testing.T, f *excelize.File, sheet, h string) string {
	t.Helper()
	rows, _ := f.GetRows(sheet)
	for i, c := range rows[0] {
		if c == h {
			name, _ := excelize.ColumnNumberToName(i + 1)
			return name
		}
	}
	t.Fatalf("%s has no column %s", sheet, h)
	return ""
}

// summaryCell is the value cell of label on the Summary.
func summaryCellOf(t *testing.T, f *excelize.File, label string) string {
	t.Helper()
	rows, _ := f.GetRows(SummarySheet)
	for i, r := range rows {
		if len(r) > 0 && r[0] == label {
			return fmt.Sprintf("B%d", i+1)
		}
	}
	t.Fatalf("the Summary has no %s", label)
	return ""
}

// A report as written verifies; so does one re-saved, sorted, filtered,
// with rows hidden and a column of the user's added. Any change to a cell
// the tool owns is named: the sheet, the row, the column, the value found
// and the value the seal expects — for Lines, Orders and the Summary's
// facts from the seal, for Customers and the Summary's totals from what the
// sealed lines add up to.
func TestTheSealNamesWhatChanged(t *testing.T) {
	path, counts := writeFixture(t)
	if !strings.HasPrefix(counts.Seal, "sha256:") {
		t.Fatalf("seal = %q", counts.Seal)
	}
	v, err := Verify(path, nil)
	if err != nil || !v.Sealed || len(v.Changes) != 0 || v.Seal != counts.Seal || v.RunID != "run-1" {
		t.Fatalf("untouched: %+v %v", v, err)
	}
	harmless := map[string]func(f *excelize.File){
		"re-saved": func(f *excelize.File) {},
		"sorted, with a column of the user's": func(f *excelize.File) {
			rows, _ := f.GetRows("Lines", excelize.Options{RawCellValue: true})
			for i, r := range rows[1:] { // reversed
				for k, v := range r {
					cell, _ := excelize.CoordinatesToCellName(k+1, len(rows)-i)
					f.SetCellValue("Lines", cell, v)
				}
			}
			f.InsertCols("Lines", "C", 1)
			f.SetCellValue("Lines", "C1", "My notes")
			f.SetCellValue("Lines", "C2", "checked")
		},
		"filtered and hidden rows": func(f *excelize.File) {
			f.SetRowVisible("Lines", 3, false)
			f.SetRowVisible("Orders", 2, false)
		},
		"signed off": func(f *excelize.File) {
			rows, _ := f.GetRows(SummarySheet)
			for i, r := range rows {
				if len(r) > 0 && r[0] == "Prepared by" {
					f.SetCellValue(SummarySheet, fmt.Sprintf("B%d", i+1), "Jane Doe")
				}
			}
		},
	}
	for name, change := range harmless {
		t.Run(name, func(t *testing.T) {
			v, err := Verify(edit(t, path, change), nil)
			if err != nil || len(v.Changes) != 0 {
				t.Errorf("%v %v", v.Changes, err)
			}
		})
	}
	changes := []struct {
		name   string
		change func(t *testing.T, f *excelize.File)
		want   string
	}{
		{"quantity before", func(t *testing.T, f *excelize.File) {
			f.SetCellValue("Lines", column(t, f, "Lines", "Quantity Before")+"2", 4000)
		},
			`Lines row 2, Quantity Before: "4000" — the seal says "5"`},
		{"a status typed over", func(t *testing.T, f *excelize.File) {
			f.SetCellValue("Lines", column(t, f, "Lines", "Status")+"3", "cancelled")
		}, `Lines row 3, Status: "cancelled" — the seal says "not_cancelled"`},
		{"a unit price", func(t *testing.T, f *excelize.File) {
			f.SetCellValue("Lines", column(t, f, "Lines", "Unit Price")+"2", 1.5)
		},
			`Lines row 2, Unit Price: "1.5" — the seal says "12373.2"`},
		{"an order's request id", func(t *testing.T, f *excelize.File) {
			f.SetCellValue("Orders", column(t, f, "Orders", "Request ID")+"2", "x")
		},
			`Orders row 2, Request ID: "x" — the seal says "rid"`},
		{"the endpoint", func(t *testing.T, f *excelize.File) {
			f.SetCellValue(SummarySheet, summaryCellOf(t, f, LabelEndpoint), "https://api.partnercenter.microsoft.com")
		}, `Endpoint: "https://api.partnercenter.microsoft.com" — the seal says "SANDBOX`},
		{"a customer's amount", func(t *testing.T, f *excelize.File) {
			f.SetCellValue(CustomersSheet, column(t, f, CustomersSheet, "Amount Cancelled")+"2", 1)
		}, `Customers row 2, Amount Cancelled: "1" — the seal says "61866"`},
		{"the amount in the Summary", func(t *testing.T, f *excelize.File) {
			f.SetCellValue(SummarySheet, summaryCellOf(t, f, LabelAmount+" (USD)"), 1)
		}, `Amount cancelled (USD): "1" — the seal says "61866"`},
		{"a line deleted", func(t *testing.T, f *excelize.File) { f.RemoveRow("Lines", 2) }, "a sealed row is missing: Source Row 2"},
		{"a row of the seal", func(t *testing.T, f *excelize.File) { f.SetCellValue(SealSheet, "C9", "00") }, "Seal row 9: its values do not match their digest"},
	}
	for _, tt := range changes {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Verify(edit(t, path, func(f *excelize.File) { tt.change(t, f) }), nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range v.Changes {
				got = append(got, c.String())
			}
			if len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), tt.want) {
				t.Errorf("changes:\n%s\nwant one with %q", strings.Join(got, "\n"), tt.want)
			}
		})
	}
}

// With a key the seal is an HMAC: it checks with that key, not with
// another, and without one only the rows are checked.
func TestKeyedSeal(t *testing.T) {
	p, recs := fixture(t)
	path := filepath.Join(t.TempDir(), "r.xlsx")
	counts, err := Write(withPlan(p, recs, Options{Path: path, SealKey: []byte("key-1"), Meta: Meta{RunID: "run-1", Started: time.Unix(0, 0), Finished: time.Unix(5, 0)}}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(counts.Seal, "hmac-sha256:") {
		t.Fatalf("seal %q", counts.Seal)
	}
	if v, _ := Verify(path, []byte("key-1")); len(v.Changes) != 0 || !v.KeyChecked {
		t.Errorf("with the key: %+v", v)
	}
	if v, _ := Verify(path, []byte("key-2")); len(v.Changes) == 0 {
		t.Error("another key verified the seal")
	}
	if v, _ := Verify(path, nil); len(v.Changes) != 0 || v.KeyChecked || !v.Keyed {
		t.Errorf("without the key: %+v", v)
	}
}

// Times on a half second, where float noise in a cell's serial number
// would round one way when written and the other when read, verify.
func TestTimesOnTheHalfSecondVerify(t *testing.T) {
	p, recs := fixture(t)
	for _, ns := range []int{500_000_000, 499_999_999, 500_000_001, 999_999_999} {
		rec := recs[0]
		lines := append([]record.LineResult(nil), rec.Lines...)
		for i := range lines {
			lines[i].Purchased = time.Date(2026, 11, 29, 20, 58, 14, ns, time.UTC)
			lines[i].ProcessedAt = time.Date(2026, 12, 1, 9, 0, 59, ns, time.UTC)
		}
		rec.Lines = lines
		recs[0] = rec
		path := filepath.Join(t.TempDir(), "r.xlsx")
		if _, err := Write(withPlan(p, recs, Options{Path: path, Meta: Meta{RunID: "run-1", Started: time.Unix(0, int64(ns)), Finished: time.Unix(7, int64(ns))}})); err != nil {
			t.Fatal(err)
		}
		for _, out := range []string{path, edit(t, path, func(*excelize.File) {})} {
			if v, err := Verify(out, nil); err != nil || len(v.Changes) != 0 {
				t.Errorf("%d ns: %v %v", ns, v.Changes, err)
			}
		}
	}
}
