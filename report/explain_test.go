package report

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/report/book"
	"github.com/pcreconcile/pcreconcile/report/booktest"
)

// The Statuses sheet explains every status in its family's colour, with
// what to do next in commands naming the report itself.
func TestStatusesSheetExplainsEveryStatus(t *testing.T) {
	p, recs := fixture(t)
	path := filepath.Join(t.TempDir(), "march run.xlsx")
	if _, err := Write(withPlan(p, recs, Options{Path: path, Meta: Meta{RunID: "run-1"}})); err != nil {
		t.Fatal(err)
	}
	f, _ := excelize.OpenFile(path)
	defer f.Close()
	rows, _ := f.GetRows(StatusesSheet)
	if strings.Join(rows[0], "|") != "Status|Family|What it means|What to do" || len(rows) != len(record.Statuses)+1 {
		t.Fatalf("Statuses = %v", rows)
	}
	for i, s := range record.Statuses {
		r := rows[i+1]
		if r[0] != string(s) || r[1] != familyLabels[s.Family()] || len(r[2]) < 20 || len(r[3]) < 5 {
			t.Errorf("row %d: %v", i+2, r)
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		id, _ := f.GetCellStyle(StatusesSheet, cell)
		st, _ := f.GetStyle(id)
		if strings.Join(st.Fill.Color, "") != book.FamilyColours[s.Family()].Fill {
			t.Errorf("%s is not in its family's colour: %v", s, st.Fill.Color)
		}
	}
	advice := map[string]string{}
	for _, r := range rows[1:] {
		advice[r[0]] = r[3]
	}
	if want := "pcreconcile run --resume 'march run.xlsx' --retry-rejected"; !strings.Contains(advice["rejected"], want) {
		t.Errorf("rejected: %q, want it to say %q", advice["rejected"], want)
	}
	if !strings.Contains(advice["pending"], "pcreconcile run --resume 'march run.xlsx'") {
		t.Errorf("pending: %q", advice["pending"])
	}
}

// A plan shows its money: each line it would cancel carries what a run
// would cancel, the Customers sheet and the Summary total it per currency,
// and nothing is counted as cancelled.
func TestPlanShowsWhatARunWouldCancel(t *testing.T) {
	p, recs := fixture(t)
	o := recs[0]
	lines := append([]record.LineResult(nil), o.Lines...)
	lines[0].Status, lines[0].After = record.WouldCancel, lines[0].Before // 5 × 12,373.20
	lines[1].Status = record.WouldCancel                                  // 3 × 30.60
	o.Lines = lines
	path := filepath.Join(t.TempDir(), "plan.xlsx")
	c, err := Write(withPlan(p, recs, Options{Path: path, Meta: Meta{RunID: "run-1", Mode: record.Plan}}))
	if err != nil {
		t.Fatal(err)
	}
	want := decimal.RequireFromString("61957.80")
	if x := c.WouldCancel["USD"]; x == nil || !x.Amount.Equal(want) || x.Lines != 2 || x.Quantity != 8 || len(c.Cancelled) != 0 {
		t.Fatalf("would cancel %+v, cancelled %v", x, c.Cancelled)
	}
	f, _ := excelize.OpenFile(path)
	defer f.Close()
	lrows, _ := f.GetRows(LinesSheet, excelize.Options{RawCellValue: true})
	amount := columnIndex(t, f, LinesSheet, "Amount Cancelled")
	if lrows[1][amount-1] != "61866" || lrows[2][amount-1] != "91.8" {
		t.Errorf("Lines amounts %q %q", lrows[1][amount-1], lrows[2][amount-1])
	}
	cell, _ := excelize.CoordinatesToCellName(amount, 2)
	id, _ := f.GetCellStyle(LinesSheet, cell)
	if st, _ := f.GetStyle(id); strings.Join(st.Fill.Color, "") != book.FamilyColours[record.FamilyWould].Fill {
		t.Errorf("a would-cancel amount is not in the would-do colour: %v", st.Fill.Color)
	}
	if v := booktest.SummaryValue(t, f, LabelWouldCancel+" (USD)"); v != "61957.8" {
		t.Errorf("Summary would cancel = %q", v)
	}
	crows, _ := f.GetRows(CustomersSheet, excelize.Options{RawCellValue: true})
	if got := crows[1][columnIndex(t, f, CustomersSheet, "Amount Cancelled")-1]; got != "61957.8" {
		t.Errorf("Customers amount = %q", got)
	}
}

// Rows that are not a customer's (a totals row, an id that is no GUID)
// are in Lines only; the prices note names each source once.
func TestCustomersAreCustomers(t *testing.T) {
	path, c := writeFixture(t) // its row 5 names customer "nope"
	f, _ := excelize.OpenFile(path)
	defer f.Close()
	rows, _ := f.GetRows(CustomersSheet)
	for _, r := range rows[1:] {
		if _, err := record.ParseGUID(r[0]); err != nil {
			t.Errorf("a Customers row of %q", r[0])
		}
	}
	if len(c.Customers) != 1 {
		t.Errorf("%d customers", len(c.Customers))
	}
	c.PriceFields, c.Priced, c.Unpriced = map[string]int{}, 3, 0
	if got := pricesNote(c); got != "from an earlier report (3 lines)" {
		t.Errorf("prices carried only: %q", got)
	}
}
