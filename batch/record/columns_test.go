package record

import (
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// The journal's row is the order's columns and the line's side by side:
// a key used twice would make one of them unreadable.
func TestTableNamesAreUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	var keys []string
	for _, c := range OrderTable.Journaled() {
		keys = append(keys, c.Key)
	}
	for _, c := range LineTable.Journaled() {
		keys = append(keys, c.Key)
	}
	for _, k := range keys {
		if seen[k] {
			t.Errorf("journal column %q appears twice", k)
		}
		seen[k] = true
	}
	for name, headers := range map[string][]string{"Lines": LineTable.Headers(), "Orders": OrderTable.Headers()} {
		seen := map[string]bool{}
		for _, h := range headers {
			if seen[h] {
				t.Errorf("%s sheet: header %q appears twice", name, h)
			}
			seen[h] = true
		}
	}
	if h := LineTable.Headers(); h[len(h)-1] != LastLineHeader {
		t.Errorf("the Lines sheet's last own column is %q, want %q (extras follow it)", h[len(h)-1], LastLineHeader)
	}
}

// Every column reads back what it writes.
func TestColumnsRoundTrip(t *testing.T) {
	t.Parallel()
	four, two, seven := 4, 2, 7
	line := LineResult{
		Row: 12, Customer: "4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57", Order: "o1", Line: &two, Offer: "P:S:A", Product: "SQL, \"2 core\"",
		Before: &four, After: &two, UnitPrice: decimal.NewNullDecimal(decimal.RequireFromString("12373.205")), Currency: "EUR", PriceField: "price",
		Status: NotCancelled, OrderBefore: "completed", OrderAfter: "completed",
		Purchased: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), ErrorCode: "800071", ErrorMessage: "line\nbreak",
		Attempts: 3, RequestID: "r", CorrelationID: "c", ProcessedAt: time.Date(2026, 11, 21, 9, 1, 2, 345e6, time.UTC),
		RunID: "run-1", Expect: &seven,
	}
	var back LineResult
	for _, c := range LineTable {
		if c.Get == nil || c.Set == nil {
			continue
		}
		if err := c.Set(&back, Text(c.Get(&line))); err != nil {
			t.Errorf("column %s/%s: %v", c.Key, c.Header, err)
		}
	}
	if !reflect.DeepEqual(back, line) {
		t.Errorf("line read back\n got %+v\nwant %+v", back, line)
	}

	order := OrderResult{Customer: "4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57", Order: "o1", Currency: "EUR", StatusBefore: "completed", StatusAfter: "cancelled", Outcome: "partial",
		HTTPStatus: 200, ErrorCode: "x", ErrorMessage: "y", Attempts: 2, RequestID: "r", DurationMS: 1 << 40, AuthFailed: true}
	var oback OrderResult
	for _, c := range OrderTable {
		if c.Set == nil {
			continue
		}
		if err := c.Set(&oback, Text(c.Get(&order))); err != nil {
			t.Errorf("column %s/%s: %v", c.Key, c.Header, err)
		}
	}
	if !reflect.DeepEqual(oback, order) {
		t.Errorf("order read back\n got %+v\nwant %+v", oback, order)
	}

	// A line not known by number keeps what the sheet said.
	every := LineResult{LineText: "*"}
	var eback LineResult
	LineTable[3].Set(&eback, Text(LineTable[3].Get(&every)))
	if eback.Line != nil || eback.LineText != "*" {
		t.Errorf("every-line row read back as %+v", eback)
	}
}

// A file is read by name: columns in another order, columns this version
// does not know, and a missing required column named.
func TestBindByName(t *testing.T) {
	t.Parallel()
	b, missing := LineTable.BindHeaders([]string{"Status", "Ticket", "Source Row"})
	if len(missing) == 0 {
		t.Error("a sheet without Order ID binds without complaint")
	}
	var l LineResult
	for i, v := range []string{"cancelled", "FIN-1", "7"} {
		if err := b.Set(&l, i, v); err != nil {
			t.Fatal(err)
		}
	}
	if l.Status != Cancelled || l.Row != 7 {
		t.Errorf("bound by name: %+v", l)
	}
	if err := b.Set(&l, 0, "done"); err == nil || err.Error() != `column Status: "done": unknown status` {
		t.Errorf("unknown status: %v", err)
	}
}

// Line Item Number keeps one type across resumes: a number the sheet gave
// is a number, whatever the line's status, and text as typed stays text.
func TestLineItemNumberKeepsItsType(t *testing.T) {
	var col Column[LineResult]
	for _, c := range LineTable {
		if c.Header == "Line Item Number" {
			col = c
		}
	}
	for typed, want := range map[string]any{"3": 3, "0": 0, "010": "010", "2.5": "2.5", "*": "*", "-1": "-1"} {
		var l LineResult
		l.Status = Invalid
		if err := col.Set(&l, typed); err != nil {
			t.Fatal(err)
		}
		if got := col.Get(&l); got != want {
			t.Errorf("%q reads back as %#v, want %#v", typed, got, want)
		}
		// An invalid row that kept the text as typed shows it the same way.
		if got := col.Get(&LineResult{Status: Invalid, LineText: typed}); got != want {
			t.Errorf("LineText %q shows as %#v, want %#v", typed, got, want)
		}
	}
}
