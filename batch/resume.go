package batch

import "fmt"

// OrderKey identifies an order across reports and journals.
func OrderKey(customer, order string) string { return customer + "/" + order }

// standalone reports whether a line of an earlier report is a row that was
// never part of an order's processing: an invalid or duplicate row caught
// before any request (it has no request id).
func standalone(l *LineResult) bool {
	return (l.Status == Invalid || l.Status == Duplicate) && l.RequestID == ""
}

// resumeOrder splits the earlier lines of order o (at index idx) into lines
// to carry and lines to do again. With nothing to do again, the earlier
// record is carried whole through carry and o is marked journaled.
func (p *Plan) resumeOrder(idx int32, o *Order, prev *OrderResult, carry func(*OrderResult) error) error {
	o.Prev, o.Rows = nil, nil
	var again []LineResult
	for _, l := range prev.Lines {
		if l.Status.Retryable() {
			again = append(again, l)
		} else {
			o.Prev = append(o.Prev, l)
		}
	}
	if len(again) == 0 {
		rec := *prev
		rec.Seq, rec.Customer, rec.Order = o.Seq, o.Customer, o.ID
		p.Carried += len(rec.Lines)
		o.Prev, o.Journaled = nil, true
		return carry(&rec)
	}
	p.Carried += len(o.Prev)
	for _, l := range again {
		row := Row{Source: l.Row, Order: idx, Line: allLines, Expect: -1, Offer: l.Offer, Extras: l.Extras}
		if l.Line != nil {
			row.Line = int32(*l.Line)
		}
		switch {
		case l.Expect != nil:
			row.Expect = int32(*l.Expect)
		case (l.Status == WouldCancel || l.Status == Pending) && l.Before != nil:
			// A reviewed plan is executed as reviewed: if the quantity has
			// changed since, the order is held as a mismatch. (A pending line
			// with a quantity is a planned line a run did not reach.)
			row.Expect = int32(*l.Before)
		}
		prevLine := l
		row.d().prev = &prevLine
		o.Rows = append(o.Rows, p.Rows.Add(row))
	}
	return nil
}

// Overlay applies the journal of an interrupted run to a plan rebuilt from
// the same source: orders it finished are carried (through carry, into the
// new journal), lines it left retryable are done again, orders it never
// reached stay as planned.
func (p *Plan) Overlay(old Records, carry func(*OrderResult) error) error {
	for i, o := range p.Orders {
		rec, ok, err := old.Get(o.Seq)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if rec.Customer != o.Customer || rec.Order != o.ID {
			return fmt.Errorf("the journal does not belong to this input: its item %d is order %s, the input's is %s", o.Seq, rec.Order, o.ID)
		}
		if err := p.resumeOrder(int32(i), o, rec, carry); err != nil {
			return err
		}
	}
	return nil
}

// ReportPlan rebuilds a plan from the lines of an earlier report, read in
// report order. Lines of an order are contiguous in a report; orders (known
// by the report's Orders sheet) keep their order-level fields from it.
type ReportPlan struct {
	p      *Plan
	orders map[string]*OrderResult
	carry  func(*OrderResult) error
	cur    *OrderResult
	seen   map[string]bool
	cust   map[string]bool
	expect int // extra column holding the sheet's Expected Quantity, or -1
}

// NewReportPlan starts a plan read from a report. orders holds the report's
// Orders sheet by OrderKey; carry receives the orders with nothing left to
// do; headers finds the input's Expected Quantity among the extra columns,
// so that lines done again are checked against it again.
func NewReportPlan(src Source, extra []string, orders map[string]*OrderResult, headers *Headers, carry func(*OrderResult) error) *ReportPlan {
	return &ReportPlan{
		p:      &Plan{Source: src, Extra: extra},
		orders: orders,
		carry:  carry,
		seen:   map[string]bool{},
		cust:   map[string]bool{},
		expect: headers.Find(FieldQuantity, extra),
	}
}

// Add takes the next line of the report.
func (b *ReportPlan) Add(l LineResult) error {
	if l.Expect == nil && b.expect >= 0 && b.expect < len(l.Extras) && l.Extras[b.expect].Text != "" {
		n, err := parseCount(l.Extras[b.expect].Text)
		if err != nil {
			return fmt.Errorf("row %d: %s %q: %v", l.Row, b.p.Extra[b.expect], l.Extras[b.expect].Text, err)
		}
		l.Expect = &n
	}
	key := OrderKey(l.Customer, l.Order)
	info, isOrder := b.orders[key]
	if standalone(&l) || !isOrder {
		if err := b.flush(); err != nil {
			return err
		}
		line := l
		status := l.Status
		if status.Retryable() {
			return fmt.Errorf("row %d (order %s) is %s but the report's Orders sheet does not list its order", l.Row, l.Order, status)
		}
		ri := b.p.Rows.Add(Row{Source: l.Row, Order: -1, Status: status, Expect: -1, Line: allLines, detail: &rowDetail{prev: &line}})
		b.p.Items = append(b.p.Items, Item{Row: ri})
		b.p.Carried++
		return nil
	}
	if b.cur != nil && OrderKey(b.cur.Customer, b.cur.Order) == key {
		b.cur.Lines = append(b.cur.Lines, l)
		return nil
	}
	if err := b.flush(); err != nil {
		return err
	}
	if b.seen[key] {
		return fmt.Errorf("order %s appears in two places of the report's Lines sheet; was the report edited?", l.Order)
	}
	b.seen[key] = true
	rec := *info
	rec.Lines = []LineResult{l}
	b.cur = &rec
	return nil
}

func (b *ReportPlan) flush() error {
	if b.cur == nil {
		return nil
	}
	rec := b.cur
	b.cur = nil
	o := &Order{Seq: len(b.p.Items), Customer: rec.Customer, ID: rec.Order}
	idx := int32(len(b.p.Orders))
	b.p.Orders = append(b.p.Orders, o)
	b.p.Items = append(b.p.Items, Item{Order: o})
	b.cust[o.Customer] = true
	return b.p.resumeOrder(idx, o, rec, b.carry)
}

// Plan finishes the plan.
func (b *ReportPlan) Plan() (*Plan, error) {
	if err := b.flush(); err != nil {
		return nil, err
	}
	b.p.Customers = len(b.cust)
	if len(b.p.Items) == 0 {
		return nil, &InputError{File: b.p.Source.Name, Reason: "the report's Lines sheet has no rows"}
	}
	return b.p, nil
}

// Unfinished counts the lines a resume would process.
func (p *Plan) Unfinished() int {
	n := 0
	for _, o := range p.Orders {
		n += len(o.Rows)
	}
	return n
}
