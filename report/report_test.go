package report

import (
	"archive/zip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
)

type records map[int]*batch.OrderResult

func (r records) Get(seq int) (*batch.OrderResult, bool, error) {
	x, ok := r[seq]
	return x, ok, nil
}

const cust = "4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57"

func ip(n int) *int { return &n }

// fixture is a plan of three orders and two bad rows, with results for
// two of the orders; the third was never started.
func fixture(t *testing.T) (*batch.Plan, records) {
	t.Helper()
	csv := "Customer Tenant ID,Order ID,Line Item Number,Ticket,Amount\n" +
		cust + ",o1,0,T-1,10\n" +
		cust + ",o1,1,T-2,20\n" +
		cust + ",o2,*,T-3,\n" +
		"nope,o9,0,T-4,\n" +
		cust + ",o3,2,T-5,\n" +
		cust + ",o1,0,T-6,\n"
	path := filepath.Join(t.TempDir(), "in.csv")
	os.WriteFile(path, []byte(csv), 0o644)
	h, _ := batch.NewHeaders(nil)
	p, err := batch.ReadFile(path, batch.ReadOptions{Headers: h, Extras: true})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 21, 9, 30, 15, 0, time.UTC)
	bought := time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC)
	line := func(row, n, before, after int, st batch.Status, extras ...string) batch.LineResult {
		l := batch.LineResult{Row: row, Customer: cust, Line: ip(n), Offer: "OFF", Product: "SQL Server", Before: ip(before), After: ip(after),
			Status: st, OrderBefore: "completed", OrderAfter: "completed", Purchased: bought, Attempts: 2, RequestID: "rid", CorrelationID: "cid",
			ProcessedAt: at, RunID: "run-1"}
		for _, e := range extras {
			l.Extras = append(l.Extras, sheet.Cell{Kind: sheet.Text, Text: e})
		}
		return l
	}
	l1, l2 := line(2, 0, 5, 0, batch.Cancelled, "T-1"), line(3, 1, 3, 3, batch.NotCancelled, "T-2")
	l1.Order, l2.Order = "o1", "o1"
	l2.Extras = append(l2.Extras, sheet.Cell{Kind: sheet.Number, Text: "20", Num: 20})
	l3 := line(4, 0, 7, 7, batch.OutsideWindow, "T-3")
	l3.Order, l3.ErrorCode, l3.ErrorMessage = "o2", "900117", "window passed"
	recs := records{
		0: {Seq: 0, Customer: cust, Order: "o1", Outcome: "partial", HTTPStatus: 200, Attempts: 2, RequestID: "rid", DurationMS: 120, StatusBefore: "completed", StatusAfter: "completed", Lines: []batch.LineResult{l1, l2}},
		1: {Seq: 1, Customer: cust, Order: "o2", Outcome: "outside_window", HTTPStatus: 400, ErrorCode: "900117", ErrorMessage: "window passed", Attempts: 2, Lines: []batch.LineResult{l3}},
	}
	return p, recs
}

func writeFixture(t *testing.T) (string, *Counts) {
	t.Helper()
	p, recs := fixture(t)
	path := filepath.Join(t.TempDir(), "report.xlsx")
	c, err := Write(Options{Path: path, Plan: p, Records: recs, Meta: Meta{
		Version: "v1", Command: "run", Endpoint: SandboxEndpoint, Input: batch.Source{Name: "in.csv", SHA256: "abc123"},
		RunID: "run-1", Started: time.Unix(0, 0), Finished: time.Unix(65, 0), Concurrency: 8, Rate: "500 requests/minute", Result: "complete",
	}})
	if err != nil {
		t.Fatal(err)
	}
	return path, c
}

func TestWorkbookLayout(t *testing.T) {
	path, counts := writeFixture(t)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"Summary", "Lines", "Orders"}) {
		t.Errorf("sheets = %v", got)
	}
	rows, _ := f.GetRows("Lines", excelize.Options{RawCellValue: true})
	wantHeader := []string{
		"Source Row", "Customer Tenant ID", "Order ID", "Line Item Number", "Offer ID", "Product",
		"Quantity Before", "Quantity After", "Status", "Order Status Before", "Order Status After",
		"Purchase Date", "Error Code", "Error Message", "Attempts", "Request ID", "Correlation ID",
		"Processed At", "Run ID", "Ticket", "Amount",
	}
	if !reflect.DeepEqual(rows[0], wantHeader) {
		t.Errorf("Lines header = %v", rows[0])
	}
	// Sheet order, every input row at least once, pending and invalid included.
	var got []string
	for _, r := range rows[1:] {
		got = append(got, r[0]+":"+r[3]+":"+r[8])
	}
	want := []string{"2:0:cancelled", "3:1:not_cancelled", "4:0:outside_window", "5:0:invalid", "6:2:pending", "7:0:duplicate"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lines = %v\nwant %v", got, want)
	}
	// Numbers are numbers, dates are dates, text extras stay text.
	for cell, want := range map[string]excelize.CellType{"A2": excelize.CellTypeNumber, "D2": excelize.CellTypeNumber, "G2": excelize.CellTypeNumber, "H2": excelize.CellTypeNumber, "O2": excelize.CellTypeNumber, "T2": excelize.CellTypeInlineString} {
		if ct, _ := f.GetCellType("Lines", cell); ct != want && !(want == excelize.CellTypeNumber && ct == excelize.CellTypeUnset) {
			t.Errorf("Lines!%s type %v, want %v", cell, ct, want)
		}
	}
	if v, _ := f.GetCellValue("Lines", "R2"); v != "2026-11-21 09:30:15" {
		t.Errorf("Processed At shows %q", v)
	}
	if v, _ := f.GetCellValue("Lines", "L2"); v != "2026-11-19" {
		t.Errorf("Purchase Date shows %q", v)
	}
	if v, _ := f.GetCellValue("Lines", "U3", excelize.Options{RawCellValue: true}); v != "20" {
		t.Errorf("typed extra Amount = %q", v)
	}
	// Header frozen, filter on, statuses coloured.
	for _, s := range []string{"Lines", "Orders"} {
		panes, _ := f.GetPanes(s)
		if !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s panes = %+v", s, panes)
		}
	}
	names := f.GetDefinedName()
	var filters []string
	for _, n := range names {
		if n.Name == "_xlnm._FilterDatabase" {
			filters = append(filters, n.RefersTo)
		}
	}
	if strings.Join(filters, " ") != "'Lines'!$A$1:$U$7 'Orders'!$A$1:$N$4" {
		t.Errorf("filters = %v", filters)
	}
	fills := map[string]string{}
	for cell, status := range map[string]string{"I2": "cancelled", "I3": "not_cancelled", "I6": "pending"} {
		id, _ := f.GetCellStyle("Lines", cell)
		st, _ := f.GetStyle(id)
		fills[status] = strings.Join(st.Fill.Color, "")
	}
	if fills["cancelled"] != "C6EFCE" || fills["not_cancelled"] != "FFC7CE" || fills["pending"] != "FFEB9C" {
		t.Errorf("status fills = %v", fills)
	}
	// Orders: one row per order; the never-started order is pending.
	orows, _ := f.GetRows("Orders")
	wantOrders := []string{
		"Customer Tenant ID", "Order ID", "Lines Requested", "Lines Cancelled", "Quantity Cancelled",
		"Order Status Before", "Order Status After", "Outcome", "HTTP Status", "Error Code",
		"Error Message", "Attempts", "Request ID", "Duration (ms)",
	}
	if !reflect.DeepEqual(orows[0], wantOrders) || len(orows) != 4 {
		t.Fatalf("Orders = %v", orows)
	}
	if orows[1][1] != "o1" || orows[1][2] != "2" || orows[1][3] != "1" || orows[1][4] != "5" || orows[1][7] != "partial" {
		t.Errorf("Orders o1 = %v", orows[1])
	}
	if orows[3][1] != "o3" || orows[3][7] != "pending" {
		t.Errorf("Orders o3 = %v", orows[3])
	}
	// Summary.
	summary := map[string]string{}
	srows, _ := f.GetRows("Summary")
	for _, r := range srows {
		if len(r) >= 2 {
			summary[r[0]] = r[1]
		}
	}
	for k, v := range map[string]string{LabelEndpoint: SandboxEndpoint, LabelInputSHA: "abc123", LabelRunID: "run-1", LabelDuration: "1m5s", "cancelled": "1", "pending": "1", "invalid": "1", LabelQuantity: "5"} {
		if summary[k] != v {
			t.Errorf("Summary %s = %q, want %q", k, summary[k], v)
		}
	}
	if zr, err := zip.OpenReader(path); err == nil {
		var charts int
		for _, zf := range zr.File {
			if strings.HasPrefix(zf.Name, "xl/charts/chart") {
				charts++
			}
		}
		zr.Close()
		if charts != 1 {
			t.Errorf("the workbook has %d charts, want the status chart", charts)
		}
	}
	if counts.TotalLines != 6 || counts.Lines[batch.Cancelled] != 1 || counts.Unfinished != 2 || counts.QuantityCancelled != 5 {
		t.Errorf("counts = %+v", counts)
	}
}

func TestNeverOverwritesWithoutForce(t *testing.T) {
	p, recs := fixture(t)
	path := filepath.Join(t.TempDir(), "r.xlsx")
	os.WriteFile(path, []byte("precious"), 0o644)
	_, err := Write(Options{Path: path, Plan: p, Records: recs, Meta: Meta{RunID: "r"}})
	if !errors.Is(err, ErrExists) {
		t.Fatalf("err = %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "precious" {
		t.Error("the existing file was changed")
	}
	if _, err := Write(Options{Path: path, Force: true, Plan: p, Records: recs, Meta: Meta{RunID: "r"}}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("files left beside the report: %v", entries)
	}
}

func TestFailedWriteLeavesNoFile(t *testing.T) {
	p, _ := fixture(t)
	path := filepath.Join(t.TempDir(), "r.xlsx")
	bad := records{0: {Seq: 0, Customer: cust, Order: "other"}}
	if _, err := Write(Options{Path: path, Plan: p, Records: bad, Meta: Meta{RunID: "r"}}); err == nil {
		t.Fatal("a record for the wrong order was accepted")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 0 {
		t.Errorf("files left: %v", entries)
	}
}

func TestReadBack(t *testing.T) {
	path, _ := writeFixture(t)
	prior, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer prior.Close()
	if prior.Meta[LabelRunID] != "run-1" || prior.Meta[LabelInputSHA] != "abc123" {
		t.Errorf("meta = %v", prior.Meta)
	}
	if !reflect.DeepEqual(prior.ExtraHeaders(), []string{"Ticket", "Amount"}) {
		t.Errorf("extra = %v", prior.ExtraHeaders())
	}
	if o := prior.Orders()[batch.OrderKey(cust, "o1")]; o == nil || o.HTTPStatus != 200 || o.DurationMS != 120 || o.Outcome != "partial" {
		t.Errorf("order o1 = %+v", o)
	}
	p, recs := fixture(t)
	var want []batch.LineResult
	p.Results(recs, "run-1", func(res *batch.OrderResult, _ bool) error {
		want = append(want, res.Lines...)
		return nil
	})
	var got []batch.LineResult
	if err := prior.Lines(func(l batch.LineResult) error { got = append(got, l); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d lines, wrote %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		w.Expect = nil // not a report column
		if fmt.Sprintf("%+v", norm(w)) != fmt.Sprintf("%+v", norm(g)) {
			t.Errorf("line %d:\n got %+v\nwant %+v", i, norm(g), norm(w))
		}
	}
}

// norm makes a line comparable: pointers to values, times to UTC.
func norm(l batch.LineResult) string {
	line := l.LineText
	if l.Line != nil {
		line = fmt.Sprint(*l.Line) // "0" typed in an invalid row reads back as the number 0
	}
	for len(l.Extras) > 0 && l.Extras[len(l.Extras)-1].Kind == sheet.Empty {
		l.Extras = l.Extras[:len(l.Extras)-1] // an empty cell is no cell
	}
	s := fmt.Sprintf("row=%d c=%s o=%s line=%s offer=%s prod=%s before=%s after=%s st=%s %s→%s bought=%s code=%s msg=%s att=%d rid=%s cid=%s at=%s run=%s",
		l.Row, l.Customer, l.Order, line, l.Offer, l.Product, p(l.Before), p(l.After), l.Status, l.OrderBefore, l.OrderAfter,
		l.Purchased.UTC().Format(time.RFC3339), l.ErrorCode, l.ErrorMessage, l.Attempts, l.RequestID, l.CorrelationID, l.ProcessedAt.UTC().Format(time.RFC3339), l.RunID)
	for _, e := range l.Extras {
		s += fmt.Sprintf(" [%d %s %g]", e.Kind, e.Text, e.Num)
	}
	return s
}

func p(n *int) string {
	if n == nil {
		return "-"
	}
	return fmt.Sprint(*n)
}

func TestLinesContinueOnNextSheet(t *testing.T) {
	defer func(n int) { MaxSheetRows = n }(MaxSheetRows)
	MaxSheetRows = 3 // a header and two lines per sheet
	path, counts := writeFixture(t)
	f, _ := excelize.OpenFile(path)
	got := f.GetSheetList()
	f.Close()
	if !reflect.DeepEqual(got, []string{"Summary", "Lines", "Lines 2", "Lines 3", "Orders"}) {
		t.Errorf("sheets = %v", got)
	}
	prior, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer prior.Close()
	var rows []int
	prior.Lines(func(l batch.LineResult) error { rows = append(rows, l.Row); return nil })
	if !reflect.DeepEqual(rows, []int{2, 3, 4, 5, 6, 7}) || counts.TotalLines != 6 {
		t.Errorf("rows read back across sheets = %v", rows)
	}
}

func TestOpenRefusesOtherWorkbooks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.xlsx")
	f := excelize.NewFile()
	f.SetCellValue("Sheet1", "A1", "hello")
	f.SaveAs(path)
	_, err := Open(path)
	var se *Error
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "not a pcreconcile report") {
		t.Errorf("err = %v", err)
	}
}

// TestWidestLinesSheet writes a plan with as many extra columns as batch
// lets through: the Lines sheet fills Excel's 16,384 columns, and the
// extras keep their headers and values to the last one.
func TestWidestLinesSheet(t *testing.T) {
	csv := "Customer Tenant ID,Order ID,Line Item Number" + strings.Repeat(",x", batch.MaxExtraColumns-1) + ",last\n" +
		cust + ",o1,0" + strings.Repeat(",v", batch.MaxExtraColumns-1) + ",end\n"
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte(csv), 0o644)
	h, _ := batch.NewHeaders(nil)
	p, err := batch.ReadFile(in, batch.ReadOptions{Headers: h, Extras: true})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "report.xlsx")
	if _, err := Write(Options{Path: path, Plan: p, Records: records{}, Meta: Meta{Command: "plan", RunID: "run-1"}}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	last, _ := excelize.ColumnNumberToName(excelize.MaxColumns)
	if got, _ := f.GetCellValue("Lines", last+"1"); got != "last" {
		t.Errorf("Lines!%s1 = %q, want the last extra header", last, got)
	}
	if got, _ := f.GetCellValue("Lines", last+"2"); got != "end" {
		t.Errorf("Lines!%s2 = %q, want the last extra value", last, got)
	}
	if got, _ := f.GetCellValue("Lines", "I2"); got != string(batch.Pending) {
		t.Errorf("Lines!I2 = %q, want pending", got)
	}
}
