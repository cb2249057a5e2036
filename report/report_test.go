package report

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/run"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
	"github.com/pcreconcile/pcreconcile/report/book"
	"github.com/pcreconcile/pcreconcile/report/booktest"
)

type records map[int]*record.OrderResult

func (r records) Get(seq int) (*record.OrderResult, bool, error) {
	x, ok := r[seq]
	return x, ok, nil
}

func (r records) Intent(int) (*record.OrderResult, bool, error) { return nil, false, nil }

func (r records) LinesOf(seq int) (int, bool) {
	x, ok := r[seq]
	if !ok {
		return 0, false
	}
	return len(x.Lines), true
}

const cust = "4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57"

func ip(n int) *int { return &n }

// fixture is a plan of three orders and two bad rows, with results for
// two of the orders; the third was never started.
// withPlan is opts with the outcomes of plan p and its records, as a run
// hands them over.
func withPlan(p *plan.Plan, recs run.Records, opts Options) Options {
	opts.Extra, opts.Orders = p.Extra, len(p.Orders)
	opts.Outcomes, opts.Lines = run.Outcomes(p, recs, opts.Meta.RunID), run.LineCount(p, recs)
	return opts
}

func fixture(t *testing.T) (*plan.Plan, records) {
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
	h, _ := plan.NewHeaders(nil)
	p, err := plan.ReadFile(path, plan.ReadOptions{Headers: h, Extras: true})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 21, 9, 30, 15, 0, time.UTC)
	bought := time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC)
	line := func(row, n, before, after int, st record.Status, extras ...string) record.LineResult {
		l := record.LineResult{Row: row, Customer: cust, Line: ip(n), Offer: "OFF", Product: "SQL Server", Before: ip(before), After: ip(after),
			Status: st, OrderBefore: "completed", OrderAfter: "completed", Purchased: bought, Attempts: 2, RequestID: "rid", CorrelationID: "cid",
			ProcessedAt: at, RunID: "run-1"}
		for _, e := range extras {
			l.Extras = append(l.Extras, sheet.Cell{Kind: sheet.Text, Text: e})
		}
		return l
	}
	l1, l2 := line(2, 0, 5, 0, record.Cancelled, "T-1"), line(3, 1, 3, 3, record.NotCancelled, "T-2")
	l1.Order, l2.Order = "o1", "o1"
	l1.UnitPrice, l1.Currency, l1.PriceField = decimal.NewNullDecimal(decimal.RequireFromString("12373.20")), "USD", "price"
	l2.UnitPrice, l2.Currency, l2.PriceField = decimal.NewNullDecimal(decimal.RequireFromString("30.6")), "USD", "price"
	l2.Extras = append(l2.Extras, sheet.Cell{Kind: sheet.Number, Text: "20", Num: 20})
	l3 := line(4, 0, 7, 7, record.OutsideWindow, "T-3")
	l3.Order, l3.ErrorCode, l3.ErrorMessage = "o2", "900117", "window passed"
	recs := records{
		0: {Seq: 0, Customer: cust, Order: "o1", Currency: "USD", Outcome: "partial", HTTPStatus: 200, Attempts: 2, RequestID: "rid", DurationMS: 120, StatusBefore: "completed", StatusAfter: "completed", Lines: []record.LineResult{l1, l2}},
		1: {Seq: 1, Customer: cust, Order: "o2", Outcome: "outside_window", HTTPStatus: 400, ErrorCode: "900117", ErrorMessage: "window passed", Attempts: 2, Lines: []record.LineResult{l3}},
	}
	return p, recs
}

func writeFixture(t *testing.T) (string, *Counts) {
	t.Helper()
	p, recs := fixture(t)
	path := filepath.Join(t.TempDir(), "report.xlsx")
	c, err := Write(withPlan(p, recs, Options{Path: path, Meta: Meta{
		Version: "v1", Mode: record.Run, Endpoint: record.SandboxEndpoint, Input: record.Source{Name: "in.csv", SHA256: "abc123"},
		RunID: "run-1", Started: time.Unix(0, 0), Finished: time.Unix(65, 0), Concurrency: 8, Rate: "500 requests/minute",
	}}))
	if err != nil {
		t.Fatal(err)
	}
	return path, c
}

func TestWorkbookLayout(t *testing.T) {
	path, counts := writeFixture(t)
	booktest.CheckDimensions(t, path)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"Summary", "Lines", "Orders", "Customers", "Statuses", "Seal"}) {
		t.Errorf("sheets = %v", got)
	}
	if visible, _ := f.GetSheetVisible("Seal"); visible {
		t.Error("the Seal sheet is visible")
	}
	rows, _ := f.GetRows("Lines", excelize.Options{RawCellValue: true})
	wantHeader := []string{
		"Source Row", "Customer Tenant ID", "Order ID", "Line Item Number", "Offer ID", "Product",
		"Quantity Before", "Quantity After", "Unit Price", "Currency", "Amount Cancelled",
		"Status", "Order Status Before", "Order Status After",
		"Purchase Date", "Cancellable Until", "Error Code", "Error Message", "Attempts", "Request ID", "Correlation ID",
		"Processed At", "Run ID", "Ticket", "Amount",
	}
	if !reflect.DeepEqual(rows[0], wantHeader) {
		t.Errorf("Lines header = %v", rows[0])
	}
	// Sheet order, every input row at least once, pending and invalid included.
	lines := byHeader(rows)
	var got []string
	for _, r := range lines {
		got = append(got, r["Source Row"]+":"+r["Line Item Number"]+":"+r["Status"])
	}
	want := []string{"2:0:cancelled", "3:1:not_cancelled", "4:0:outside_window", "5:0:invalid", "6:2:pending", "7:0:duplicate"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lines = %v\nwant %v", got, want)
	}
	// Money: the unit price, the currency, and the amount this run cancelled
	// (0 for other statuses, blank without a price).
	for i, want := range []string{"12373.2 USD 61866", "30.6 USD 0", "  "} {
		if got := lines[i]["Unit Price"] + " " + lines[i]["Currency"] + " " + lines[i]["Amount Cancelled"]; got != want {
			t.Errorf("line %d money = %q, want %q", i, got, want)
		}
	}
	if v, _ := f.GetCellValue("Lines", cellOf(rows[0], "Amount Cancelled", 2)); v != "61,866.00" {
		t.Errorf("Amount Cancelled shows %q, want 61,866.00", v)
	}
	// Numbers are numbers, dates are dates, text extras stay text.
	for _, col := range []string{"Source Row", "Line Item Number", "Quantity Before", "Quantity After", "Unit Price", "Amount Cancelled", "Attempts"} {
		if ct, _ := f.GetCellType("Lines", cellOf(rows[0], col, 2)); ct != excelize.CellTypeNumber && ct != excelize.CellTypeUnset {
			t.Errorf("Lines %s type %v, want a number", col, ct)
		}
	}
	if ct, _ := f.GetCellType("Lines", cellOf(rows[0], "Ticket", 2)); ct != excelize.CellTypeInlineString {
		t.Errorf("Ticket type %v, want text", ct)
	}
	if v, _ := f.GetCellValue("Lines", cellOf(rows[0], "Processed At", 2)); v != "2026-11-21 09:30:15" {
		t.Errorf("Processed At shows %q", v)
	}
	if v, _ := f.GetCellValue("Lines", cellOf(rows[0], "Purchase Date", 2)); v != "2026-11-19" {
		t.Errorf("Purchase Date shows %q", v)
	}
	if lines[1]["Amount"] != "20" {
		t.Errorf("typed extra Amount = %q", lines[1]["Amount"])
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
	if strings.Join(filters, " ") != "'Lines'!$A$1:$Y$7 'Orders'!$A$1:$R$4 'Customers'!$A$1:$I$2" {
		t.Errorf("filters = %v", filters)
	}
	fills := map[string]string{}
	for row, status := range map[int]string{2: "cancelled", 3: "not_cancelled", 6: "pending"} {
		id, _ := f.GetCellStyle("Lines", cellOf(rows[0], "Status", row))
		st, _ := f.GetStyle(id)
		fills[status] = strings.Join(st.Fill.Color, "")
	}
	if fills["cancelled"] != "C6EFCE" || fills["not_cancelled"] != "FFEB9C" || fills["pending"] != "FFEB9C" {
		t.Errorf("status fills = %v", fills)
	}
	// Orders: one row per order; the never-started order is pending.
	orows, _ := f.GetRows("Orders")
	wantOrders := []string{
		"Customer Tenant ID", "Order ID", "Alternate ID", "Lines Requested", "Lines Cancelled", "Quantity Cancelled",
		"Currency", "Amount Cancelled", "Order Status Before", "Order Status After", "Outcome", "HTTP Status", "Error Code",
		"Error Message", "Attempts", "Request ID", "Correlation ID", "Duration (ms)",
	}
	if !reflect.DeepEqual(orows[0], wantOrders) || len(orows) != 4 {
		t.Fatalf("Orders = %v", orows)
	}
	orders := byHeader(orows)
	if o := orders[0]; o["Order ID"] != "o1" || o["Lines Requested"] != "2" || o["Lines Cancelled"] != "1" || o["Quantity Cancelled"] != "5" ||
		o["Outcome"] != "partial" || o["Currency"] != "USD" || o["Amount Cancelled"] != "61,866.00" {
		t.Errorf("Orders o1 = %v", o)
	}
	if o := orders[2]; o["Order ID"] != "o3" || o["Outcome"] != "pending" || o["Amount Cancelled"] != "" {
		t.Errorf("Orders o3 = %v", o)
	}
	// Summary.
	summary := map[string]string{}
	srows, _ := f.GetRows("Summary")
	for _, r := range srows {
		if len(r) >= 2 {
			summary[r[0]] = r[1]
		}
	}
	for k, v := range map[string]string{LabelEndpoint: record.SandboxEndpoint, LabelInputSHA: "abc123", LabelRunID: "run-1", LabelDuration: "1m5s", "cancelled": "1", "pending": "1", "invalid": "1", LabelQuantity: "5"} {
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
	if counts.TotalLines != 6 || counts.Lines[record.Cancelled] != 1 || counts.Unfinished != 2 || counts.QuantityCancelled != 5 {
		t.Errorf("counts = %+v", counts)
	}
}

func TestNeverOverwritesWithoutForce(t *testing.T) {
	p, recs := fixture(t)
	path := filepath.Join(t.TempDir(), "r.xlsx")
	os.WriteFile(path, []byte("precious"), 0o644)
	_, err := Write(withPlan(p, recs, Options{Path: path, Meta: Meta{RunID: "r"}}))
	if !errors.Is(err, book.ErrExists) {
		t.Fatalf("err = %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "precious" {
		t.Error("the existing file was changed")
	}
	if _, err := Write(withPlan(p, recs, Options{Path: path, Force: true, Meta: Meta{RunID: "r"}})); err != nil {
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
	if _, err := Write(withPlan(p, bad, Options{Path: path, Meta: Meta{RunID: "r"}})); err == nil {
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
	if o := prior.Orders()[record.OrderKey(cust, "o1")]; o == nil || o.HTTPStatus != 200 || o.DurationMS != 120 || o.Outcome != "partial" {
		t.Errorf("order o1 = %+v", o)
	}
	p, recs := fixture(t)
	var want []record.LineResult
	for it, err := range run.Outcomes(p, recs, "run-1") {
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, it.Result.Lines...)
	}
	var got []record.LineResult
	if err := prior.Lines(func(l record.LineResult) error { got = append(got, l); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d lines, wrote %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		w.Expect, w.PriceField = nil, "" // not report columns
		if fmt.Sprintf("%+v", norm(w)) != fmt.Sprintf("%+v", norm(g)) {
			t.Errorf("line %d:\n got %+v\nwant %+v", i, norm(g), norm(w))
		}
	}
}

// norm makes a line comparable: pointers to values, times to UTC.
func norm(l record.LineResult) string {
	line := l.LineText
	if l.Line != nil {
		line = fmt.Sprint(*l.Line) // "0" typed in an invalid row reads back as the number 0
	}
	for len(l.Extras) > 0 && l.Extras[len(l.Extras)-1].Kind == sheet.Empty {
		l.Extras = l.Extras[:len(l.Extras)-1] // an empty cell is no cell
	}
	s := fmt.Sprintf("row=%d c=%s o=%s line=%s offer=%s prod=%s before=%s after=%s price=%v %s st=%s %s→%s bought=%s code=%s msg=%s att=%d rid=%s cid=%s at=%s run=%s",
		l.Row, l.Customer, l.Order, line, l.Offer, l.Product, p(l.Before), p(l.After), l.UnitPrice, l.Currency, l.Status, l.OrderBefore, l.OrderAfter,
		l.Purchased.UTC().Format(time.RFC3339), l.ErrorCode, l.ErrorMessage, l.Attempts, l.RequestID, l.CorrelationID, l.ProcessedAt.UTC().Format(time.RFC3339), l.RunID)
	for _, e := range l.Extras {
		s += fmt.Sprintf(" [%d %s %g]", e.Kind, e.Text, e.Num)
	}
	return s
}

// byHeader turns a sheet's rows into maps keyed by the header row.
func byHeader(rows [][]string) []map[string]string {
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			if i < len(r) {
				m[h] = r[i]
			}
		}
		out = append(out, m)
	}
	return out
}

// cellOf is the cell of column header on row (1 is the header row).
func cellOf(header []string, col string, row int) string {
	for i, h := range header {
		if h == col {
			name, _ := excelize.CoordinatesToCellName(i+1, row)
			return name
		}
	}
	return "no-such-column-" + col
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
	var visible, seals []string
	for _, name := range f.GetSheetList() {
		if v, _ := f.GetSheetVisible(name); v {
			visible = append(visible, name)
		} else {
			seals = append(seals, name)
		}
	}
	f.Close()
	if !reflect.DeepEqual(visible, []string{"Summary", "Lines", "Lines 2", "Lines 3", "Orders", "Customers", "Statuses"}) {
		t.Errorf("visible sheets = %v", visible)
	}
	// The seal continues past the limit too, hidden: Seal, Seal 2, …
	if len(seals) < 2 || seals[0] != "Seal" || seals[len(seals)-1] != fmt.Sprintf("Seal %d", len(seals)) {
		t.Errorf("hidden sheets = %v", seals)
	}
	booktest.CheckDimensions(t, path)
	if v, err := Verify(path, nil); err != nil || len(v.Changes) != 0 {
		t.Errorf("verify across sheets: %v %v", v.Changes, err)
	}
	last := seals[len(seals)-1]
	v, err := Verify(edit(t, path, func(f *excelize.File) { f.SetCellValue(last, "C2", "00") }), nil)
	if err != nil || len(v.Changes) == 0 || !strings.Contains(v.Changes[0].String(), last+" row 2: its values do not match") {
		t.Errorf("an edit of %s: %v %v", last, v.Changes, err)
	}
	v, err = Verify(edit(t, path, func(f *excelize.File) {
		f.SetCellValue("Lines 3", column(t, f, "Lines 3", "Quantity Before")+"3", 4000)
	}), nil)
	if err != nil || len(v.Changes) == 0 || !strings.Contains(v.Changes[0].String(), `Lines 3 row 3, Quantity Before: "4000" — the seal says`) {
		t.Errorf("an edit of Lines 3: %v %v", v.Changes, err)
	}
	prior, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer prior.Close()
	var rows []int
	prior.Lines(func(l record.LineResult) error { rows = append(rows, l.Row); return nil })
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
	csv := "Customer Tenant ID,Order ID,Line Item Number" + strings.Repeat(",x", plan.MaxExtraColumns-1) + ",last\n" +
		cust + ",o1,0" + strings.Repeat(",v", plan.MaxExtraColumns-1) + ",end\n"
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte(csv), 0o644)
	h, _ := plan.NewHeaders(nil)
	p, err := plan.ReadFile(in, plan.ReadOptions{Headers: h, Extras: true})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "report.xlsx")
	if _, err := Write(withPlan(p, records{}, Options{Path: path, Meta: Meta{Mode: record.Plan, RunID: "run-1"}})); err != nil {
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
	header, _ := f.GetRows("Lines")
	if got, _ := f.GetCellValue("Lines", cellOf(header[0], "Status", 2)); got != string(record.Pending) {
		t.Errorf("Lines Status = %q, want pending", got)
	}
}

// Text from the input and from Partner Center is written as text: a cell
// "=HYPERLINK(…)" stays a string in every reader, never a formula.
func TestTextNeverBecomesAFormula(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte("Customer Tenant ID,Order ID,Line Item Number,Ticket\n"+
		cust+`,o1,0,"=HYPERLINK(""http://x"",""y"")"`+"\n"), 0o644)
	h, _ := plan.NewHeaders(nil)
	p, err := plan.ReadFile(in, plan.ReadOptions{Headers: h, Extras: true})
	if err != nil {
		t.Fatal(err)
	}
	l := record.LineResult{Row: 2, Customer: cust, Order: "o1", Line: ip(0), Status: record.Failed, ErrorMessage: "=1+1",
		Extras: []sheet.Cell{{Kind: sheet.Text, Text: `=HYPERLINK("http://x","y")`}}}
	recs := records{0: {Seq: 0, Customer: cust, Order: "o1", Outcome: "failed", ErrorMessage: "@SUM(A1)", Lines: []record.LineResult{l}}}
	path := filepath.Join(dir, "r.xlsx")
	if _, err := Write(withPlan(p, recs, Options{Path: path, Meta: Meta{RunID: "r", Mode: record.Run}})); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/") {
			continue
		}
		rc, _ := zf.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if strings.Contains(string(b), "<f>") || strings.Contains(string(b), "<f ") {
			t.Errorf("%s holds a formula", zf.Name)
		}
	}
	f, _ := excelize.OpenFile(path)
	defer f.Close()
	rows, _ := f.GetRows("Lines")
	for _, col := range []string{"Ticket", "Error Message"} {
		cell := cellOf(rows[0], col, 2)
		v, _ := f.GetCellValue("Lines", cell)
		typ, _ := f.GetCellType("Lines", cell)
		if !strings.HasPrefix(v, "=") || typ != excelize.CellTypeInlineString {
			t.Errorf("Lines %s = %q (type %v), want the text as typed", col, v, typ)
		}
	}
}

// The workbook reads well on screen and on paper: every table sheet has
// columns at least as wide as their headers (up to the cap, then the header
// wraps), a frozen and filtered header repeated on printed pages, and
// prints landscape one page wide; the Summary says what the workbook is,
// draws one bar colour per status family and no zero bars, and ends with a
// sign-off block; the document properties name pcreconcile.
func TestWorkbookReadsWell(t *testing.T) {
	path, _ := writeFixture(t)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	titles := map[string]string{}
	for _, n := range f.GetDefinedName() {
		if n.Name == "_xlnm.Print_Titles" {
			titles[n.Scope] = n.RefersTo
		}
	}
	for _, name := range []string{"Lines", "Orders", "Customers"} {
		rows, _ := f.GetRows(name)
		for i, h := range rows[0] {
			col, _ := excelize.ColumnNumberToName(i + 1)
			w, _ := f.GetColWidth(name, col)
			if w < min(float64(len(h)+2), book.MaxWidth) {
				t.Errorf("%s column %s (%q) is %g wide, narrower than its header", name, col, h, w)
			}
		}
		if panes, _ := f.GetPanes(name); !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s: header not frozen: %+v", name, panes)
		}
		// The print setup: TestPrintSetup.
	}
	if v, _ := f.GetCellValue("Summary", "A1"); v != "Cancellation run" {
		t.Errorf("Summary title %q", v)
	}
	props, _ := f.GetDocProps()
	if !strings.HasPrefix(props.Creator, "pcreconcile") || props.Created == "" || strings.HasPrefix(props.Created, "2006") || !strings.Contains(props.Description, "run-1") {
		t.Errorf("document properties = %+v", props)
	}
	srows, _ := f.GetRows("Summary", excelize.Options{RawCellValue: true})
	var labels []string
	for _, r := range srows {
		if len(r) > 0 {
			labels = append(labels, r[0])
		}
		if len(r) > 1 && r[0] == LabelDurationSeconds && r[1] != "65" {
			t.Errorf("duration in seconds = %q, want the number 65", r[1])
		}
	}
	if tail := strings.Join(labels[len(labels)-3:], "/"); tail != "Sign-off/Prepared by/Reviewed by" {
		t.Errorf("the Summary ends with %s, want the sign-off block", tail)
	}
	// The chart: one series per family that has lines, in its colour, over
	// the statuses that have lines.
	zr, _ := zip.OpenReader(path)
	defer zr.Close()
	var chart string
	for _, zf := range zr.File {
		if strings.HasPrefix(zf.Name, "xl/charts/chart") {
			rc, _ := zf.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			chart = string(b)
		}
	}
	colours := regexp.MustCompile(`<ser>.*?<a:srgbClr val="([0-9A-F]{6})"`).FindAllStringSubmatch(chart, -1)
	var got []string
	for _, m := range colours {
		got = append(got, m[1])
	}
	// The fixture: cancelled (done), not_cancelled and pending (retry),
	// outside_window, invalid and duplicate (needs a person).
	want := []string{chartColours[record.FamilyDone], chartColours[record.FamilyRetry], chartColours[record.FamilyPerson]}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("chart series colours %v, want %v", got, want)
	}
	if n := strings.Count(chart, "<ser>"); n != 3 {
		t.Errorf("%d series", n)
	}
	ref := regexp.MustCompile(`<cat><strRef><f>Summary!\$J\$(\d+):\$J\$(\d+)</f>`).FindStringSubmatch(chart)
	if ref == nil {
		t.Fatalf("no categories in the chart:\n%s", chart)
	}
	from, _ := strconv.Atoi(ref[1])
	to, _ := strconv.Atoi(ref[2])
	var bars []string
	for r := from; r <= to; r++ {
		v, _ := f.GetCellValue("Summary", fmt.Sprintf("J%d", r))
		bars = append(bars, v)
	}
	if strings.Join(bars, " ") != "cancelled not_cancelled outside_window invalid duplicate pending" {
		t.Errorf("chart bars %v, want only the statuses with lines", bars)
	}
}

// A plan's workbook says so at the top: nothing was changed.
func TestPlanWorkbookSaysPlan(t *testing.T) {
	p, recs := fixture(t)
	path := filepath.Join(t.TempDir(), "plan.xlsx")
	if _, err := Write(withPlan(p, recs, Options{Path: path, Meta: Meta{RunID: "r", Mode: record.Plan, Endpoint: record.SandboxEndpoint}})); err != nil {
		t.Fatal(err)
	}
	f, _ := excelize.OpenFile(path)
	defer f.Close()
	title, _ := f.GetCellValue("Summary", "A1")
	banner, _ := f.GetCellValue("Summary", "A2")
	if title != "PLAN — nothing was changed" || !strings.HasPrefix(banner, "SANDBOX") {
		t.Errorf("plan title %q, banner %q", title, banner)
	}
}
