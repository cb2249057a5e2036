package credits

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"path/filepath"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/internal/deadline"
)

// Status is a cancelled line's credit status, exactly these words.
type Status string

// The credit statuses.
const (
	Credited         Status = "credited"          // the credit equals Amount Cancelled, within a cent per unit
	CreditedPartly   Status = "credited_partly"   // less was credited (expected for a prorated subscription)
	OverCredited     Status = "over_credited"     // more was credited
	NotCredited      Status = "not_credited"      // no credit row yet
	CurrencyDiffers  Status = "currency_differs"  // credited in another currency: both amounts shown
	UnexpectedCredit Status = "unexpected_credit" // a credit row no cancelled line claims
)

// Statuses lists the credit statuses in report order.
var Statuses = []Status{Credited, CreditedPartly, OverCredited, NotCredited, CurrencyDiffers, UnexpectedCredit}

// Family is how a credit status is coloured, as the run's statuses are.
func (s Status) Family() record.Family {
	switch s {
	case Credited:
		return record.FamilyDone
	case NotCredited:
		return record.FamilyRetry // it may come on the next invoice
	}
	return record.FamilyPerson
}

// Line is a line a run cancelled, and what the reconciliation files
// credited it.
type Line struct {
	Row                          int // the input row
	Customer, Order, AlternateID string
	Line                         int
	Offer, Product               string
	// Kind is what was cancelled, when the report tells: a software
	// subscription's credit is prorated, perpetual software's is whole.
	Kind                       deadline.Kind
	Quantity                   int // cancelled
	Currency                   string
	Amount                     decimal.Decimal // Amount Cancelled
	Priced                     bool
	RunID                      string
	Credited, CreditedQuantity decimal.Decimal // in Currency (absolute)
	Other                      map[string]decimal.Decimal
	Invoices, Charges          []string
	// CreditRows are the credit rows counted for the line.
	CreditRows []RowRef
	Status     Status
	Note       string
}

// RowRef names a row of a reconciliation file.
type RowRef struct {
	File string
	Row  int
}

func (r RowRef) String() string { return fmt.Sprintf("%s row %d", filepath.Base(r.File), r.Row) }

// CreditRowsText lists the line's credit rows, "recon.csv row 21; …".
func (l *Line) CreditRowsText() string {
	parts := make([]string, len(l.CreditRows))
	for i, r := range l.CreditRows {
		parts[i] = r.String()
	}
	return strings.Join(parts, "; ")
}

// Difference is what is still to be credited (negative: credited too much).
func (l *Line) Difference() decimal.Decimal { return l.Amount.Sub(l.Credited) }

// Unmatched is a credit row no cancelled line claims.
type Unmatched struct {
	Row
	Why string
}

// Matcher matches the credit rows of reconciliation files to cancelled
// lines: by customer, order id (or the order's alternate id) and offer
// (ProductId:SkuId:AvailabilityId; a file without them matches by order),
// ids compared without regard to case. It fills in the lines it is given.
//
// A million lines are indexed in a few bytes each: by a hash of their key
// (customer, order and offer; customer and order), each bucket a chain
// through next, every candidate compared field by field.
type Matcher struct {
	Lines     []Line
	Unmatched []Unmatched
	seed      maphash.Seed
	byKey     map[uint64]int32 // hash of customer/order/offer → first line
	byOrder   map[uint64]int32 // hash of customer/order → first line
	nextKey   []int32          // the next line of the same key hash, -1 for none
	nextOrder []int32
	// names interns the files', invoices' and charge types' names: a
	// million lines share a few.
	names map[string]string
}

func (m *Matcher) intern(s string) string {
	if v, ok := m.names[s]; ok {
		return v
	}
	if len(m.names) < 100_000 {
		m.names[s] = s
	}
	return s
}

// NewMatcher starts matching against lines.
func NewMatcher(lines []Line) *Matcher {
	m := &Matcher{Lines: lines, seed: maphash.MakeSeed(), names: map[string]string{},
		byKey: make(map[uint64]int32, 2*len(lines)), byOrder: make(map[uint64]int32, len(lines)),
		nextKey: make([]int32, 2*len(lines)), nextOrder: make([]int32, 2*len(lines))}
	for i := range lines {
		l := &lines[i]
		l.Customer = record.CanonicalCustomer(l.Customer)
		for k, id := range []string{l.Order, l.AlternateID} {
			if id == "" || k == 1 && strings.EqualFold(id, l.Order) {
				continue
			}
			slot := int32(2*i + k) // a line sits in a chain once per id
			link(m.byOrder, m.nextOrder, m.hash(l.Customer, id, ""), slot)
			link(m.byKey, m.nextKey, m.hash(l.Customer, id, l.Offer), slot)
		}
	}
	return m
}

// link puts slot at the head of the chain of h.
func link(heads map[uint64]int32, next []int32, h uint64, slot int32) {
	if first, ok := heads[h]; ok {
		next[slot] = first
	} else {
		next[slot] = -1
	}
	heads[h] = slot
}

// hash is the hash of a key, case folded (ASCII: ids are).
func (m *Matcher) hash(parts ...string) uint64 {
	var h maphash.Hash
	h.SetSeed(m.seed)
	var buf [64]byte
	for _, p := range parts {
		for len(p) > 0 {
			n := copy(buf[:], p)
			for i := range buf[:n] {
				if c := buf[i]; 'A' <= c && c <= 'Z' {
					buf[i] = c + 'a' - 'A'
				}
			}
			h.Write(buf[:n])
			p = p[n:]
		}
		h.WriteByte(0)
	}
	return h.Sum64()
}

// candidates are the lines of customer and order id (and offer, when
// given): each chain walked, each line compared in full.
func (m *Matcher) candidates(customer, order, offer string) []int32 {
	heads, next := m.byOrder, m.nextOrder
	if offer != "" {
		heads, next = m.byKey, m.nextKey
	}
	slot, ok := heads[m.hash(customer, order, offer)]
	if !ok {
		return nil
	}
	var out []int32
	for ; slot >= 0; slot = next[slot] {
		l := &m.Lines[slot/2]
		id := l.Order
		if slot%2 == 1 {
			id = l.AlternateID
		}
		if strings.EqualFold(l.Customer, customer) && strings.EqualFold(id, order) && (offer == "" || strings.EqualFold(l.Offer, offer)) {
			out = append(out, slot/2)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Add matches one row of a reconciliation file; rows that are not credits
// are not matched.
func (m *Matcher) Add(r *Row) {
	if !r.Credit() {
		return
	}
	var cands []int32
	customer := record.CanonicalCustomer(r.Customer)
	for _, id := range []string{r.Order, r.AlternateID} {
		if id != "" {
			if cands = m.candidates(customer, id, r.Offer); len(cands) > 0 {
				break
			}
		}
	}
	if len(cands) == 0 {
		m.Unmatched = append(m.Unmatched, Unmatched{Row: *r, Why: "no line the tool cancelled has this customer, order and offer"})
		return
	}
	amount, qty := r.Amount.Abs(), r.Quantity.Abs()
	// The line it fits best: the one with the most still to credit in the
	// row's currency, nearest the row's amount.
	best := cands[0]
	if len(cands) > 1 {
		best = slices.MinFunc(cands, func(a, b int32) int {
			return cmp.Or(fit(&m.Lines[a], r, amount).Cmp(fit(&m.Lines[b], r, amount)), cmp.Compare(a, b))
		})
		for _, other := range cands {
			if other != best {
				o := &m.Lines[other]
				o.Note = joinNote(o.Note, fmt.Sprintf("the credit of %s could be this line's too; it fits line %d of row %d better and is counted there",
					RowRef{r.File, r.Row}, m.Lines[best].Line, m.Lines[best].Row))
			}
		}
	}
	l := &m.Lines[best]
	if r.Currency != "" && l.Currency != "" && !strings.EqualFold(r.Currency, l.Currency) {
		if l.Other == nil {
			l.Other = map[string]decimal.Decimal{}
		}
		l.Other[r.Currency] = l.Other[r.Currency].Add(amount)
	} else {
		l.Credited = l.Credited.Add(amount)
		l.CreditedQuantity = l.CreditedQuantity.Add(qty)
	}
	l.CreditRows = append(l.CreditRows, RowRef{File: m.intern(r.File), Row: r.Row})
	if r.Invoice != "" && !slices.Contains(l.Invoices, r.Invoice) {
		l.Invoices = append(l.Invoices, m.intern(r.Invoice))
	}
	if !slices.Contains(l.Charges, r.Charge) {
		l.Charges = append(l.Charges, m.intern(r.Charge))
	}
}

// fit is how badly a credit of amount fits l: the distance between what l
// still expects and amount; a line credited in another currency fits last.
func fit(l *Line, r *Row, amount decimal.Decimal) decimal.Decimal {
	if r.Currency != "" && l.Currency != "" && !strings.EqualFold(r.Currency, l.Currency) {
		return decimal.New(1, 30)
	}
	return l.Amount.Sub(l.Credited).Sub(amount).Abs()
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// Finish gives every line its credit status.
func (m *Matcher) Finish() {
	for i := range m.Lines {
		l := &m.Lines[i]
		tolerance := decimal.New(1, -2).Mul(decimal.NewFromInt(int64(max(l.Quantity, 1))))
		switch diff := l.Difference(); {
		case len(l.Other) > 0:
			l.Status = CurrencyDiffers
			var parts []string
			for _, cur := range slices.Sorted(func(yield func(string) bool) {
				for c := range l.Other {
					if !yield(c) {
						return
					}
				}
			}) {
				parts = append(parts, cur+" "+l.Other[cur].StringFixed(2))
			}
			l.Note = joinNote(l.Note, fmt.Sprintf("credited %s, the line was cancelled in %s", strings.Join(parts, ", "), l.Currency))
		case len(l.CreditRows) == 0:
			l.Status = NotCredited
			l.Note = joinNote(l.Note, "no credit row yet: it may come on the next invoice")
		case !l.Priced:
			// No price to compare with: the quantity credited tells.
			if l.CreditedQuantity.Equal(decimal.NewFromInt(int64(l.Quantity))) {
				l.Status = Credited
			} else {
				l.Status = CreditedPartly
			}
			l.Note = joinNote(l.Note, "the line had no price: compared by quantity")
		case diff.Abs().LessThanOrEqual(tolerance):
			l.Status = Credited
		case diff.IsPositive():
			l.Status = CreditedPartly
			switch l.Kind {
			case deadline.SoftwareSubscription:
				l.Note = joinNote(l.Note, "prorated: a software subscription is credited for the days of its term left")
			case deadline.PerpetualSoftware:
				l.Note = joinNote(l.Note, "perpetual software is credited in full: ask Microsoft for the rest")
			default:
				// The report did not say when the line could be cancelled
				// until (an older version, or no purchase date).
				l.Note = joinNote(l.Note, "less came back than was cancelled: expected only if it is a software subscription (prorated); other purchases are credited in full")
			}
		default:
			l.Status = OverCredited
		}
	}
}
