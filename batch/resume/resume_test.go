package resume

import (
	"testing"

	"github.com/pcreconcile/pcreconcile/batch/journal"
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/plan/plantest"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
)

// Lines read back from a report: which are done again, and against which
// quantity they are checked.
func TestReportPlanChecksQuantitiesAgain(t *testing.T) {
	h, _ := plan.NewHeaders(nil)
	orders := map[string]*record.OrderResult{}
	for _, o := range []string{"o1", "o2", "o3"} {
		orders[record.OrderKey(plantest.CustomerA, o)] = &record.OrderResult{Customer: plantest.CustomerA, Order: o}
	}
	var carried, priors []*record.OrderResult
	b := newReportPlan(record.Source{Name: "r.xlsx"}, []string{"Ticket", "Expected Quantity"}, orders, h, func(kind journal.Kind, r *record.OrderResult) error {
		switch kind {
		case journal.KindOutcome:
			carried = append(carried, r)
		case journal.KindPrior:
			priors = append(priors, r)
		default:
			t.Errorf("a report carried a record of kind %q", kind)
		}
		return nil
	})
	five, three, zero := 5, 3, 0
	qty := func(n string) []sheet.Cell {
		return []sheet.Cell{{Kind: sheet.Text, Text: "T"}, {Kind: sheet.Number, Text: n}}
	}
	lines := []record.LineResult{
		{Row: 2, Customer: plantest.CustomerA, Order: "o1", Line: &zero, Before: &five, Status: record.WouldCancel, RequestID: "r"},             // reviewed: 5
		{Row: 3, Customer: plantest.CustomerA, Order: "o1", Line: &three, Before: &five, Status: record.Pending, RequestID: "r"},                // planned, not reached: 5
		{Row: 4, Customer: plantest.CustomerA, Order: "o2", Line: &zero, Before: &five, Status: record.Failed, RequestID: "r"},                  // no check
		{Row: 5, Customer: plantest.CustomerA, Order: "o2", Line: &three, Status: record.Pending, Extras: qty("7")},                             // the sheet's 7
		{Row: 6, Customer: plantest.CustomerA, Order: "o3", Line: &zero, Before: &five, After: &zero, Status: record.Cancelled, RequestID: "r"}, // carried
		{Row: 7, Customer: "x", Order: "y", LineText: "2.5", Status: record.Invalid},                                                            // carried row
	}
	for _, l := range lines {
		if err := b.Add(l); err != nil {
			t.Fatal(err)
		}
	}
	p, err := b.Plan()
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]int32{2: 5, 3: 5, 4: -1, 5: 7}
	got := map[int]int32{}
	for _, o := range p.Orders {
		for _, ri := range o.Rows {
			r := p.Rows.At(ri)
			got[r.Source] = r.Expect
		}
	}
	for row, w := range want {
		if g, ok := got[row]; !ok || g != w {
			t.Errorf("row %d: expect %d (present %v), want %d", row, g, ok, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("rows to do: %v", got)
	}
	if len(carried) != 1 || carried[0].Order != "o3" || p.Carried != 2 {
		t.Errorf("carried %v (%d lines), want order o3 whole and the invalid row", carried, p.Carried)
	}
	// The orders done again are journaled as they were, so that a second
	// crash keeps what the first run knew of them.
	if len(priors) != 2 || priors[0].Order != "o1" || priors[1].Order != "o2" || len(priors[1].Lines) != 2 {
		t.Errorf("priors = %v, want o1 and o2 as the report had them", priors)
	}
	if len(p.Items) != 4 {
		t.Errorf("items = %d, want o1, o2, o3 and the invalid row", len(p.Items))
	}
}
