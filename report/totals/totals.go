// Package totals adds up a report as its lines and orders stream past:
// lines, quantities and money per status and currency (never added across
// currencies), this run against what it carried, prices and kinds by where
// they came from, and the Customers sheet. The writer and the seal check
// (which recomputes them from the workbook) share it.
package totals

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/internal/deadline"
)

// Counts are the totals of a written report. Amounts are kept per currency
// and never added across currencies.
type Counts struct {
	Lines    map[record.Status]int
	Quantity map[record.Status]int // Quantity Before, summed
	// Value sums Unit Price × Quantity Before of the lines with a price, by
	// status and currency: what the lines of each status are worth.
	Value  map[record.Status]map[string]decimal.Decimal
	Orders map[string]int // by outcome
	// TotalLines and TotalOrders count rows of the Lines and Orders sheets.
	TotalLines, TotalOrders int
	// QuantityCancelled is what this run and earlier ones cancelled.
	QuantityCancelled int
	// Cancelled totals the cancelled lines by currency ("" when Partner
	// Center named none), over the whole chain; ThisRun those this run
	// cancelled itself (the rest were carried from earlier runs).
	Cancelled, ThisRun map[string]*Cancelled
	// WouldCancel totals the lines a plan would cancel, by currency.
	WouldCancel map[string]*Cancelled
	// ByRun totals them by the run that cancelled them, then currency.
	ByRun map[string]map[string]*Cancelled
	// runID is this run's: a line of another run was carried.
	runID string
	// PriceFields counts the lines whose unit price came from each pricing
	// field ("price", "discountedPrice", "listPrice"); Priced counts the
	// lines with a price, Unpriced the lines read from Partner Center
	// without one.
	PriceFields      map[string]int
	Priced, Unpriced int
	// KindFrom counts the lines read from Partner Center by where their
	// product kind was learnt ("" for nowhere).
	KindFrom map[deadline.Evidence]int
	// Unfinished counts lines `run --resume` would process.
	Unfinished int
	// Customers is the Customers sheet: one row per customer and currency.
	Customers []*record.CustomerTotal
	// Rows are the input rows the Lines sheet accounts for.
	Rows record.RowSet
	// Seal is the seal the workbook records of its tool-owned cells;
	// Result says how the run ended (the Summary's Result).
	Seal, Result string
}

// Cancelled is what was cancelled in one currency.
type Cancelled struct {
	Lines, Quantity int
	Amount          decimal.Decimal
	// Unpriced counts the cancelled lines without a price: their amount is
	// not in Amount.
	Unpriced int
}

func NewCounts(runID string) *Counts {
	c := &Counts{
		Lines: map[record.Status]int{}, Quantity: map[record.Status]int{}, Value: map[record.Status]map[string]decimal.Decimal{},
		Orders: map[string]int{}, Cancelled: map[string]*Cancelled{}, WouldCancel: map[string]*Cancelled{}, PriceFields: map[string]int{},
		KindFrom: map[deadline.Evidence]int{},
		ByRun:    map[string]map[string]*Cancelled{runID: {}},
		runID:    runID,
	}
	c.ThisRun = c.ByRun[runID]
	return c
}

// add counts a cancelled (or would-cancel) line into the totals of its
// currency.
func (x *Cancelled) add(l *record.LineResult) {
	x.Lines++
	x.Quantity += l.QuantityCancelled()
	if l.Status == record.WouldCancel && l.Before != nil {
		x.Quantity += *l.Before
	}
	if a := l.Amount(); a.Valid {
		x.Amount = x.Amount.Add(a.Decimal)
	} else {
		x.Unpriced++
	}
}

// in returns the totals of currency cur in m, made when new.
func in(m map[string]*Cancelled, cur string) *Cancelled {
	x := m[cur]
	if x == nil {
		x = &Cancelled{}
		m[cur] = x
	}
	return x
}

// ThisRunDiffers reports whether some of what was cancelled was carried
// from earlier runs of the chain: then the amounts say who did what.
func (c *Counts) ThisRunDiffers() bool {
	for cur, x := range c.Cancelled {
		if t := c.ThisRun[cur]; t == nil || t.Lines != x.Lines {
			return true
		}
	}
	return false
}

// RunTotals are the lines, quantity and amounts the runs named cancelled,
// the amounts per currency as "EUR 25,147.80; USD 51,947.10".
func (c *Counts) RunTotals(runs ...string) (lines, quantity int, amounts string) {
	sum := map[string]*Cancelled{}
	for _, run := range runs {
		for cur, x := range c.ByRun[run] {
			t := in(sum, cur)
			t.Lines, t.Quantity, t.Unpriced = t.Lines+x.Lines, t.Quantity+x.Quantity, t.Unpriced+x.Unpriced
			t.Amount = t.Amount.Add(x.Amount)
		}
	}
	var parts []string
	for _, cur := range slices.Sorted(maps.Keys(sum)) {
		x := sum[cur]
		lines += x.Lines
		quantity += x.Quantity
		if cur != "" && x.Lines > x.Unpriced {
			parts = append(parts, cur+" "+FormatMoney(x.Amount))
		}
	}
	return lines, quantity, strings.Join(parts, "; ")
}

// Currencies lists the currencies the report's amounts are in, sorted.
func (c *Counts) Currencies() []string {
	set := map[string]bool{}
	for _, byCur := range c.Value {
		for cur := range byCur {
			set[cur] = true
		}
	}
	for cur, x := range c.Cancelled {
		if cur != "" && !x.Amount.IsZero() {
			set[cur] = true
		}
	}
	var out []string
	for cur := range set {
		if cur != "" {
			out = append(out, cur)
		}
	}
	slices.Sort(out)
	return out
}

// AddLine counts one line of the Lines sheet.
func (c *Counts) AddLine(l *record.LineResult) {
	c.Rows.Add(l.Row)
	c.TotalLines++
	c.Lines[l.Status]++
	if l.Before != nil {
		c.Quantity[l.Status] += *l.Before
	}
	if l.UnitPrice.Valid {
		c.Priced++
		if l.PriceField != "" {
			c.PriceFields[l.PriceField]++
		}
		if l.Before != nil {
			byCur := c.Value[l.Status]
			if byCur == nil {
				byCur = map[string]decimal.Decimal{}
				c.Value[l.Status] = byCur
			}
			byCur[l.Currency] = byCur[l.Currency].Add(l.UnitPrice.Decimal.Mul(decimal.NewFromInt(int64(*l.Before))))
		}
	} else if l.Before != nil {
		c.Unpriced++
	}
	if l.Status == record.Cancelled {
		in(c.Cancelled, l.Currency).add(l)
		byRun := c.ByRun[l.RunID]
		if byRun == nil {
			byRun = map[string]*Cancelled{}
			c.ByRun[l.RunID] = byRun
		}
		in(byRun, l.Currency).add(l)
	}
	if l.Status == record.WouldCancel {
		in(c.WouldCancel, l.Currency).add(l)
	}
	if !l.Purchased.IsZero() {
		// A line read from Partner Center: its kind came from somewhere, or
		// from nowhere ("").
		c.KindFrom[deadline.Evidence(l.KindFrom)]++
	}
	c.QuantityCancelled += l.QuantityCancelled()
	if l.Status.Retryable() {
		c.Unfinished++
	}
}

// CustomerTotals adds up the Customers sheet: per customer and currency, from
// every line (in the Lines goroutine) and every order (in the Orders
// goroutine), each into its own map, merged at the end.
type CustomerTotals struct {
	// lastRaw and last cache the canonical form of the last customer id:
	// a sheet names one customer on many lines in a row.
	lastRaw, last string
	plan          bool
	name          int // the input's Customer Name column among the extras, or -1
	lines         map[custKey]*record.CustomerTotal
	orders        map[custKey]int
	names         map[string]string
}

type custKey struct{ customer, currency string }

func NewCustomerTotals(extra []string, plan bool) *CustomerTotals {
	return &CustomerTotals{
		plan: plan, name: record.CustomerNameColumn(extra),
		lines: map[custKey]*record.CustomerTotal{}, orders: map[custKey]int{}, names: map[string]string{},
	}
}

// AddLine counts a line under its customer — the canonical tenant id, so
// that a row typed "{4A7C…}" counts with "4a7c…" — and its currency.
//
// A row that names no customer — one that asks for nothing (a totals row),
// or whose tenant id is not one — is no customer's: it is in Lines only.
func (cs *CustomerTotals) AddLine(l *record.LineResult) {
	if l.Status == record.Ignored {
		return
	}
	if l.Customer != cs.lastRaw || cs.last == "" {
		cs.lastRaw, cs.last = l.Customer, ""
		if c, err := record.ParseGUID(l.Customer); err == nil {
			cs.last = c
		}
	}
	customer := cs.last
	if customer == "" {
		return
	}
	k := custKey{customer, l.Currency}
	t := cs.lines[k]
	if t == nil {
		t = &record.CustomerTotal{Customer: customer, Currency: l.Currency}
		cs.lines[k] = t
	}
	t.Lines++
	if l.Status == record.Cancelled {
		t.LinesCancelled++
		t.QuantityCancelled += l.QuantityCancelled()
	}
	// A priced line that was not cancelled adds 0: a customer with prices
	// and nothing cancelled shows 0.00, one without prices shows nothing. A
	// plan shows what a run would cancel.
	if a := l.Amount(); a.Valid {
		t.AmountCancelled = decimal.NewNullDecimal(t.AmountCancelled.Decimal.Add(a.Decimal))
	}
	if l.Status.NeedsAttention(cs.plan) {
		t.Attention++
	}
	if cs.name >= 0 && cs.name < len(l.Extras) && cs.names[customer] == "" {
		cs.names[customer] = l.Extras[cs.name].Text
	}
}

func (cs *CustomerTotals) AddOrder(res *record.OrderResult) {
	cur := res.Currency
	if cur == "" && len(res.Lines) > 0 {
		cur = res.Lines[0].Currency
	}
	cs.orders[custKey{record.CanonicalCustomer(res.Customer), cur}]++
}

// Rows merges what was counted into the sheet's Rows, by customer and
// currency. Lines and orders of a customer whose currency is unknown (an
// order not found, an invalid row) join the customer's row when it has
// exactly one currency; otherwise they keep a row without one.
func (cs *CustomerTotals) Rows() []*record.CustomerTotal {
	only := map[string]string{} // customer → its one currency, or "" when several
	seen := map[string]int{}
	for k := range cs.lines {
		if k.currency != "" {
			seen[k.customer]++
			only[k.customer] = k.currency
		}
	}
	for c, n := range seen {
		if n > 1 {
			only[c] = ""
		}
	}
	merged := map[custKey]*record.CustomerTotal{}
	get := func(k custKey) *record.CustomerTotal {
		if k.currency == "" {
			k.currency = only[k.customer]
		}
		t := merged[k]
		if t == nil {
			t = &record.CustomerTotal{Customer: k.customer, Currency: k.currency, Name: cs.names[k.customer]}
			merged[k] = t
		}
		return t
	}
	for k, x := range cs.lines {
		t := get(k)
		t.Lines += x.Lines
		t.LinesCancelled += x.LinesCancelled
		t.QuantityCancelled += x.QuantityCancelled
		t.Attention += x.Attention
		if x.AmountCancelled.Valid {
			t.AmountCancelled = decimal.NewNullDecimal(t.AmountCancelled.Decimal.Add(x.AmountCancelled.Decimal))
		}
	}
	for k, n := range cs.orders {
		get(k).Orders += n
	}
	out := make([]*record.CustomerTotal, 0, len(merged))
	for _, t := range merged {
		out = append(out, t)
	}
	// By name, those without one last; then by tenant id and currency.
	slices.SortFunc(out, func(a, b *record.CustomerTotal) int {
		unnamed := func(c *record.CustomerTotal) int {
			if c.Name == "" {
				return 1
			}
			return 0
		}
		return cmp.Or(cmp.Compare(unnamed(a), unnamed(b)), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Customer, b.Customer), cmp.Compare(a.Currency, b.Currency))
	})
	return out
}

// FormatMoney writes an amount as an accountant reads it: digits grouped by
// thousands, two decimals, more when the amount has them (up to four).
func FormatMoney(d decimal.Decimal) string {
	places := int32(2)
	for places < 4 && !d.Equal(d.Round(places)) {
		places++
	}
	s := d.StringFixed(places)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String() + "." + frac
	if neg {
		out = "-" + out
	}
	return out
}
