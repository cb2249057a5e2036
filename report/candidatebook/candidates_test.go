package candidatebook

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/discover"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/report"
	"github.com/pcreconcile/pcreconcile/report/book"
	"github.com/pcreconcile/pcreconcile/report/booktest"
)

// The candidates workbook: Candidates first (plan and run read it as
// their input), typed cells, the same print setup and properties as a
// report, and no seal — it is a worksheet, not evidence.
func TestCandidatesWorkbook(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	c := discover.Candidate{Customer: "4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57", CustomerName: "Contoso", Order: "o1", Line: 0, Offer: "DG7GMGF0FKZV:0003:DG7GMGF0DWMS", Product: "SQL Server",
		Kind: "perpetual_software", Purchased: at.Add(-29 * 24 * time.Hour), Until: at.Add(24 * time.Hour), Quantity: 4,
		UnitPrice: decimal.NewNullDecimal(decimal.RequireFromString("12373.20")), Currency: "USD"}
	res := &discover.Result{At: at, Candidates: []discover.Candidate{c}, Customers: 2, Orders: 3,
		NotRead: []discover.NotRead{{Customer: "7c2b9e48-d1f3-4a0e-b6c5-3e8d0a4f9b12", Code: "20002", Reason: "no relationship"}}, Skipped: map[string]int{discover.SkipPast: 2}}
	path := filepath.Join(t.TempDir(), "candidates.xlsx")
	if err := WriteCandidates(CandidatesOptions{Path: path, Result: res, Version: "v1", Endpoint: record.SandboxEndpoint}); err != nil {
		t.Fatal(err)
	}
	booktest.CheckDimensions(t, path)
	parts, sheets, order := booktest.ArchiveParts(t, path)
	if !slices.Equal(order, []string{CandidatesSheet, report.CustomersSheet, NotReadSheet, book.SummarySheet}) {
		t.Errorf("sheets %v", order)
	}
	if !strings.Contains(parts["docProps/core.xml"], "<cp:keywords>pcreconcile; discover</cp:keywords>") {
		t.Errorf("core.xml %s", parts["docProps/core.xml"])
	}
	for _, name := range []string{CandidatesSheet, report.CustomersSheet, NotReadSheet} {
		if x := sheets[name]; !strings.Contains(x, `scale="73"`) || !strings.Contains(x, "Page &amp;P of &amp;N") || !strings.Contains(x, "SANDBOX") {
			t.Errorf("%s: no print setup or page header", name)
		}
	}
	f, _ := excelize.OpenFile(path)
	defer f.Close()
	rows, _ := f.GetRows(CandidatesSheet, excelize.Options{RawCellValue: true})
	h := rows[0]
	get := func(col string) string { return rows[1][slices.Index(h, col)] }
	if get("Hours Left") != "24" || get("Amount At Stake") != "49492.8" || get("Quantity") != "4" || get("Kind") != "perpetual_software" {
		t.Errorf("row %v", rows[1])
	}
	for _, col := range []string{"Purchase Date", "Cancellable Until"} {
		cell, _ := excelize.CoordinatesToCellName(slices.Index(h, col)+1, 2)
		if v, _ := f.GetCellValue(CandidatesSheet, cell); v != map[string]string{"Purchase Date": "2026-11-02 12:00:00", "Cancellable Until": "2026-12-02 12:00:00"}[col] {
			t.Errorf("%s shows %q", col, v)
		}
	}
	if v := booktest.SummaryValue(t, f, LabelAtStake+" (USD)"); v != "49492.8" {
		t.Errorf("at stake %q", v)
	}
}
