package plan

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
)

func TestBuildGroupsRowsIntoOrders(t *testing.T) {
	t.Parallel()
	p := readPlan(t, "Cancellations for November\n\n"+
		"Customer Tenant ID,Order ID,Line Item Number,Offer ID,Expected Quantity,Ticket\n"+
		cA+",o1,0,OFF-A,5,T1\n"+ // row 4
		cB+",o2,*,,,T2\n"+ // row 5: every line
		strings.ToUpper(cA)+",o1,1,,,T3\n"+ // row 6: same order, other line, GUID in upper case
		cA+",o1,0,,,T4\n"+ // row 7: duplicate of row 4
		cB+",o2,3,,,T5\n"+ // row 8: after an every-line row: duplicate
		cA+",o3,x,,,T6\n") // row 9: invalid line
	if p.HeaderRow != 3 {
		t.Errorf("header row = %d, want 3 (title rows above are skipped)", p.HeaderRow)
	}
	if len(p.Orders) != 2 || p.Customers != 2 {
		t.Fatalf("orders = %d, customers = %d", len(p.Orders), p.Customers)
	}
	o1 := p.Orders[0]
	if o1.ID != "o1" || o1.Customer != cA || len(o1.Rows) != 2 {
		t.Errorf("o1 = %+v", o1)
	}
	if r := *p.Rows.At(o1.Rows[0]); r.Offer != "OFF-A" || r.Expect != 5 || r.Line != 0 || r.Extras[0].Text != "5" || r.Extras[1].Text != "T1" {
		t.Errorf("row 4 = %+v", r)
	}
	if r := *p.Rows.At(p.Orders[1].Rows[0]); !r.AllLines() || r.Source != 5 {
		t.Errorf("row 5 = %+v", r)
	}
	var bad []string
	for _, r := range p.Invalid() {
		bad = append(bad, string(r.Status)+"@"+strconv.Itoa(r.Source))
	}
	if strings.Join(bad, " ") != "duplicate@7 duplicate@8 invalid@9" {
		t.Errorf("rows not processed = %v", bad)
	}
	if dup := *p.Rows.At(3); !strings.Contains(dup.Problems()[0].Reason, "row 4") || dup.Typed().Customer != cA {
		t.Errorf("duplicate row = %+v", dup)
	}
	// Items in sheet order: o1 at row 4, o2 at row 5, then the three rows.
	var seq []string
	for _, it := range p.Items {
		if it.Order != nil {
			seq = append(seq, it.Order.ID)
		} else {
			seq = append(seq, strconv.Itoa(p.Rows.At(it.Row).Source))
		}
	}
	if strings.Join(seq, " ") != "o1 o2 7 8 9" {
		t.Errorf("items = %v", seq)
	}
	s := p.Summarize()
	if s.Orders != 2 || s.Lines != 2 || s.AllLineRows != 1 || s.Invalid != 1 || s.Duplicate != 2 || s.Quantity != 5 {
		t.Errorf("summary = %+v", s)
	}
}

func TestSpecificLineBeforeEveryLine(t *testing.T) {
	t.Parallel()
	p := readPlan(t, "Customer ID,Order,Line\n"+cA+",o1,1\n"+cA+",o1,*\n"+cA+",o1,\n")
	o := p.Orders[0]
	if len(o.Rows) != 2 || p.Rows.At(o.Rows[1]).Line != EveryLine {
		t.Fatalf("rows of o1 = %v", o.Rows)
	}
	if bad := p.Invalid(); len(bad) != 1 || bad[0].Source != 4 || bad[0].Status != record.Duplicate {
		t.Errorf("the second every-line row (row 4) should be the duplicate: %+v", bad)
	}
}

func TestSameOrderUnderTwoCustomersInvalidatesBoth(t *testing.T) {
	t.Parallel()
	p := readPlan(t, "Customer Tenant ID,Order ID,Line Item Number\n"+cA+",o1,0\n"+cA+",o2,0\n"+cB+",o1,1\n")
	if len(p.Orders) != 1 || p.Orders[0].ID != "o2" {
		t.Fatalf("orders = %+v", p.Orders)
	}
	bad := p.Invalid()
	if len(bad) != 2 || bad[0].Source != 2 || bad[1].Source != 4 {
		t.Fatalf("invalid rows = %+v", bad)
	}
	for _, r := range bad {
		msg := r.Problems()[0].Reason
		if !strings.Contains(msg, cA+" (row 2)") || !strings.Contains(msg, cB+" (row 4)") {
			t.Errorf("reason %q does not name both customers and rows", msg)
		}
	}
	if p.Customers != 1 {
		t.Errorf("customers = %d", p.Customers)
	}
}

func TestExtrasBeyondHeaderAreKept(t *testing.T) {
	t.Parallel()
	p := readPlan(t, "Customer ID,Order ID,Line,Note\n"+cA+",o1,0,n1,surprise\n"+cA+",o2,0\n")
	if strings.Join(p.Extra, "|") != "Note|Column E" {
		t.Errorf("extra headers = %v", p.Extra)
	}
	if e := p.Rows.At(0).Extras; len(e) != 2 || e[1].Text != "surprise" {
		t.Errorf("row 2 extras = %+v", e)
	}
}

func TestStructuralInputErrors(t *testing.T) {
	t.Parallel()
	h, _ := NewHeaders(nil)
	tests := []struct {
		name, csv, reason, hint string
	}{
		{"no header", "a,b,c\n1,2,3\n", "no header row", "Customer Tenant ID: Customer Tenant ID, CustomerTenantId"},
		{"missing column", "Customer ID,Order ID,Notes\nx,y,z\n", "required column Line Item Number missing: the header (row 1) names Customer ID, Order ID", "Line Item Number, LineItemNumber, Line Item, Line"},
		{"no data rows", "Customer ID,Order ID,Line\n\n", "no data rows", ""},
		{"header twice", "Order ID,Customer ID,Line,OrderId\n", `names the order id twice: "Order ID" (column A) and "OrderId" (column D)`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadFile(writeFile(t, "in.csv", tt.csv), ReadOptions{Headers: h})
			var ie *Error
			if !errors.As(err, &ie) || !strings.Contains(ie.Reason, tt.reason) || !strings.Contains(ie.Hint(), tt.hint) {
				t.Errorf("err = %v (hint %q), want reason %q hint %q", err, hintOf(err), tt.reason, tt.hint)
			}
		})
	}
}

func hintOf(err error) string {
	var ie *Error
	if errors.As(err, &ie) {
		return ie.Hint()
	}
	return ""
}

func TestRowProblemsNameRowColumnValueReason(t *testing.T) {
	t.Parallel()
	p := readPlan(t, "Customer Tenant ID,Order ID,Line Item Number,Expected Quantity\n"+
		"nope,o 1,2.5,1.000\n")
	r := p.Invalid()[0]
	got := []string{}
	for _, pr := range r.Problems() {
		if pr.Row != 2 {
			t.Errorf("problem %q names row %d, want 2", pr.Detail(), pr.Row)
		}
		got = append(got, pr.Detail())
	}
	want := []string{
		`Customer Tenant ID "nope": is not a GUID`,
		`Order ID "o 1": contains ' '`,
		`Line Item Number "2.5": is not a whole number`,
		`Expected Quantity "1.000": is ambiguous`,
	}
	if r.Source != 2 || len(got) != len(want) {
		t.Fatalf("row %d problems = %q", r.Source, got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q, want prefix %q", i, got[i], want[i])
		}
	}
}

func TestSameCancellationsInEveryDialectGiveTheSamePlan(t *testing.T) {
	t.Parallel()
	// The same three rows as a US Excel CSV, a European one with a sep=
	// line, and a tab-separated one with title rows: identical plans.
	inputs := []string{
		"Customer Tenant ID,Order ID,Line Item Number,Expected Quantity\r\n" + cA + ",o1,0,\"1,234\"\r\n" + cA + ",o1,1,2\r\n" + cB + ",o2,*,\r\n",
		"sep=;\nCustomer Tenant ID;Order ID;Line Item Number;Expected Quantity\n{" + strings.ToUpper(cA) + "};o1;0;1.234\n" + cA + ";o1;1,0;2\n" + cB + ";o2;;\n",
		"Title\n\nCustomerTenantId\tOrderId\tLineItemNumber\tQuantity\n" + cA + "\to1\t0\t1234\n " + cA + " \to1\t1\t2.00\n" + cB + "\to2\t*\t\n",
	}
	var first string
	for i, in := range inputs {
		got := planFingerprint(readPlan(t, in))
		if i == 0 {
			first = got
			continue
		}
		if got != first {
			t.Errorf("dialect %d plan:\n%s\nwant\n%s", i, got, first)
		}
	}
}

// planFingerprint renders what a plan asks Partner Center to do.
func planFingerprint(p *Plan) string {
	var b strings.Builder
	for _, o := range p.Orders {
		b.WriteString(o.Customer + "/" + o.ID + ":")
		for _, ri := range o.Rows {
			r := *p.Rows.At(ri)
			b.WriteString(" line=" + fmtLine(r.Line) + " expect=" + fmtLine(r.Expect))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func fmtLine(n int32) string {
	if n < 0 {
		return "*"
	}
	return strconv.Itoa(int(n))
}

func TestReadFileReportsSheetErrors(t *testing.T) {
	t.Parallel()
	h, _ := NewHeaders(nil)
	_, err := ReadFile(filepath.Join(t.TempDir(), "nope.csv"), ReadOptions{Headers: h})
	var se *sheet.Error
	if !errors.As(err, &se) || se.Hint() == "" {
		t.Errorf("err = %v", err)
	}
}

// The two sample sheets hold the same rows: the plans must be identical.
func TestSampleCSVAndXLSXGiveTheSamePlan(t *testing.T) {
	t.Parallel()
	h, _ := NewHeaders(nil)
	var prints []string
	for _, f := range []string{"../../samples/cancellations.csv", "../../samples/cancellations.xlsx"} {
		p, err := ReadFile(f, ReadOptions{Headers: h, Extras: true})
		if err != nil {
			t.Fatal(err)
		}
		fp := planFingerprint(p)
		for _, r := range p.Invalid() {
			for _, pr := range r.Problems() {
				fp += fmt.Sprintf("row %d %s %s\n", pr.Row, r.Status, pr.Detail())
			}
		}
		prints = append(prints, fp)
	}
	if prints[0] != prints[1] {
		t.Errorf("CSV plan:\n%s\nXLSX plan:\n%s", prints[0], prints[1])
	}
}

func TestHugeCellMakesTheRowInvalid(t *testing.T) {
	t.Parallel()
	p := readPlan(t, "Customer ID,Order ID,Line,Notes\n"+cA+",o1,0,"+strings.Repeat("x", 40000)+"\n"+cA+",o2,0,ok\n")
	bad := p.Invalid()
	if len(bad) != 1 || bad[0].Source != 2 || !strings.Contains(bad[0].Problems()[0].Reason, "longer than 32767") {
		t.Errorf("invalid rows = %+v", bad)
	}
	if len(p.Orders) != 1 || p.Orders[0].ID != "o2" {
		t.Errorf("orders = %+v", p.Orders)
	}
}

// TestWidestSheetTheReportCanHold: a sheet with as many extra columns as
// the report's Lines sheet can copy is read; one more column with data, in
// the header or in any row, is a structural error before any request —
// for check (no extras kept) as for run.
func TestWidestSheetTheReportCanHold(t *testing.T) {
	t.Parallel()
	h, _ := NewHeaders(nil)
	header := "Customer ID,Order ID,Line" + strings.Repeat(",x", MaxExtraColumns)
	row := cA + ",o1,0" + strings.Repeat(",v", MaxExtraColumns)
	p := readPlan(t, header+"\n"+row+"\n")
	if len(p.Extra) != MaxExtraColumns || len(p.Rows.At(0).Extras) != MaxExtraColumns {
		t.Errorf("%d extra headers, %d extra cells; want %d", len(p.Extra), len(p.Rows.At(0).Extras), MaxExtraColumns)
	}
	for name, csv := range map[string]string{
		"header": header + ",y\n" + row + "\n",
		"row 3":  header + "\n" + row + "\n" + row + ",surprise\n",
	} {
		for _, extras := range []bool{false, true} {
			_, err := ReadFile(writeFile(t, "in.csv", csv), ReadOptions{Headers: h, Extras: extras})
			var ie *Error
			wantRow := map[string]string{"header": "row 1 ", "row 3": "row 3 "}[name]
			if !errors.As(err, &ie) || !strings.HasPrefix(ie.Reason, wantRow) || !strings.Contains(ie.Reason, "16,384 columns") {
				t.Errorf("%s, extras %v: err = %v, want an input error naming %q", name, extras, err, wantRow)
			}
		}
	}
}

// Partner Center's reconciliation files name lines by ProductId, SkuId and
// AvailabilityId, with no line numbers: each row is the order's line with
// that offer. Two rows naming the same offer of one order are duplicates
// (case aside); a SkuId Excel turned into a number gets its zeros back; a
// totals row asks for nothing and is ignored; half an offer is invalid.
func TestLinesByOfferAndNotes(t *testing.T) {
	t.Parallel()
	p := readPlan(t, "CustomerId,CustomerName,OrderId,ProductId,SkuId,AvailabilityId,Quantity,UnitPrice\n"+
		cA+",Contoso,o1,DG7GMGF0FKZV,0003,DG7GMGF0DWMS,4,12373.20\n"+
		cA+",Contoso,o1,DG7GMGF0DVT7,3,DG7GMGF0FVZM,10,30.60\n"+
		cA+",Contoso,o1,dg7gmgf0fkzv,0003,dg7gmgf0dwms,4,12373.20\n"+
		cA+",Contoso,o2,DG7GMGF0D3PZ,,DG7GMGF0DJJT,25,75.60\n"+
		",,,,,,,\"16.610,15\"\n"+
		",Total,,,,,,\n")
	var got []string
	for _, r := range p.Rows.All() {
		what := r.asks()
		if r.Status != "" {
			what = string(r.Status)
			if pr := r.Problems(); len(pr) > 0 {
				what += ": " + pr[0].Detail()
			}
		}
		got = append(got, fmt.Sprintf("%d %s", r.Source, what))
	}
	want := []string{
		"2 the line with offer DG7GMGF0FKZV:0003:DG7GMGF0DWMS",
		"3 the line with offer DG7GMGF0DVT7:0003:DG7GMGF0FVZM",
		"4 duplicate: duplicate: row 2 already asks to cancel the line with offer DG7GMGF0FKZV:0003:DG7GMGF0DWMS of order o1",
		`5 invalid: ProductId "DG7GMGF0D3PZ::DG7GMGF0DJJT": is not an offer: SkuId is empty (an offer needs ProductId, SkuId and AvailabilityId)`,
		"6 ignored: ignored: no customer, order, line or offer — a totals or note row asks for nothing",
		"7 ignored: ignored: no customer, order, line or offer — a totals or note row asks for nothing",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	s := p.Summarize()
	if s.Lines != 2 || s.ByOffer != 2 || s.Ignored != 2 || s.Invalid != 1 || s.Duplicate != 1 || len(p.Invalid()) != 2 || len(p.Ignored()) != 2 {
		t.Errorf("summary %#v; invalid %d, ignored %d", s, len(p.Invalid()), len(p.Ignored()))
	}
	if p.Rows.At(0).Expect != 4 {
		t.Errorf("the export's Quantity is the expected quantity: %d", p.Rows.At(0).Expect)
	}

	// A sheet with neither line numbers nor offers would cancel whole
	// orders: it is refused.
	h, _ := NewHeaders(nil)
	_, err := ReadFile(writeFile(t, "in.csv", "Customer ID,Order ID,Item\n"+cA+",o1,0\n"), ReadOptions{Headers: h})
	var ie *Error
	if !errors.As(err, &ie) || !strings.Contains(ie.Reason, "required column Line Item Number missing") || !strings.Contains(ie.Hint(), "ProductId, SkuId and AvailabilityId") {
		t.Errorf("no line column, no offer: %v (hint %q)", err, hintOf(err))
	}
}

// check names a huge value by its start and length, and the plan keeps no
// more of it than a message or a cell can show.
func TestHugeValueIsShownShort(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("Q", 500000)
	p := readPlan(t, "Customer ID,Order ID,Line,Notes\n"+cA+","+huge+",0,"+huge+"\n")
	r := p.Invalid()[0]
	for _, pr := range r.Problems() {
		if len(pr.Value) > maxShown {
			t.Errorf("a problem keeps %d bytes of the value", len(pr.Value))
		}
	}
	if n := len(r.Typed().Order) + len(r.Extras[0].Text); n > 2*maxCellChars {
		t.Errorf("the row keeps %d bytes", n)
	}
	var out strings.Builder
	p.WriteCheck(&out)
	for line := range strings.SplitSeq(out.String(), "\n") {
		if len(line) > 400 {
			t.Errorf("check prints a line of %d bytes: %.120s…", len(line), line)
		}
	}
	if !strings.Contains(out.String(), "… (500000 characters)") {
		t.Errorf("check does not say how long the value is:\n%s", out.String())
	}
}

// A row repeated a thousand times is one row and 999 duplicates that share
// what they hold: values, extra cells, the reason they are duplicates.
func TestRepeatedRowsShareTheirValues(t *testing.T) {
	t.Parallel()
	row := cA + ",o1,0,Jane Doe,FIN-1001\n"
	p := readPlan(t, "Customer ID,Order ID,Line,Requested By,Ticket\n"+strings.Repeat(row, 1000))
	dups := p.Invalid()
	if len(dups) != 999 {
		t.Fatalf("%d duplicates", len(dups))
	}
	first := dups[0]
	for _, d := range dups[1:] {
		if d.detail != first.detail || &d.Extras[0] != &first.Extras[0] {
			t.Fatalf("row %d keeps its own copy", d.Source)
		}
	}
	// Each still says which row it is.
	var out strings.Builder
	p.WriteCheck(&out)
	if !strings.Contains(out.String(), "row 3: duplicate: row 2 already asks") || !strings.Contains(out.String(), "row 22: duplicate") {
		t.Errorf("check:\n%s", out.String())
	}
	var copy1000 *Row
	for _, d := range dups {
		if d.Source == 1000 {
			copy1000 = d
		}
	}
	if copy1000 == nil || copy1000.Status != record.Duplicate || len(copy1000.Problems()) != 1 || !strings.Contains(copy1000.Problems()[0].Detail(), "row 2 already asks") {
		t.Errorf("the copy in row 1000: %+v", copy1000)
	}
}

// The report sizes the input's columns to their widest value: text as
// typed, a date as the report shows it.
func TestExtraWidths(t *testing.T) {
	p := readPlan(t, "Customer Tenant ID,Order ID,Line Item Number,Customer Name,Requested On,Note\n"+
		cA+",o1,0,Contoso Pharmaceuticals,2026-11-18,\n"+
		cA+",o1,1,Contoso Pharmaceuticals,2026-11-18,ünïcödé\n"+
		cB+",o2,0,Fabrikam,2026-11-19,x\n")
	got := p.ExtraWidths()
	if len(got) != 3 || got[0] != len("Contoso Pharmaceuticals") || got[1] != len("2026-11-18") || got[2] != 7 {
		t.Errorf("widths %v for %v", got, p.Extra)
	}
}
