package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pcreconcile/pcreconcile/internal/atomicfile"
	"github.com/pcreconcile/pcreconcile/internal/deadline"
)

// Kind is the product kind of a line item; it decides whether and for how
// long the line can be cancelled, after Partner Center's rules for
// software purchases (package deadline): a software subscription within 7
// days, perpetual software within 30, an Azure plan not at all through the
// orders API.
type Kind = deadline.Kind

// The kinds a seed names.
const (
	SoftwareSubscription = deadline.SoftwareSubscription
	PerpetualSoftware    = deadline.PerpetualSoftware
	AzurePlan            = deadline.AzurePlan
)

// window returns the cancellation window of k, and false when k cannot be
// cancelled through the orders API at all. A line of no kind is perpetual
// software, the sandbox's first kind.
func window(k Kind) (time.Duration, bool) {
	if k == "" {
		k = PerpetualSoftware
	}
	return deadline.DefaultWindow(k)
}

// State is everything the sandbox knows: customers, their orders and line
// items. It is the format of samples/sandbox.json and of the state file.
type State struct {
	Comment string `json:"comment,omitempty"`
	// PricesHidden withholds every line's pricing, as Partner Center does
	// for a caller without permission to see prices.
	PricesHidden bool        `json:"pricesHidden,omitempty"`
	Customers    []*Customer `json:"customers"`
}

// Customer is a customer tenant of the simulated partner.
type Customer struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Relationship false makes every call for this customer answer 403/20002,
	// as Partner Center does when the reseller relationship is gone.
	Relationship bool `json:"relationship"`
	// Currency is the currency the customer is billed in; an order's own
	// CurrencyCode, when set, wins.
	Currency string   `json:"currency,omitempty"`
	Orders   []*Order `json:"orders"`
}

// Order is one order of a customer.
type Order struct {
	ID string `json:"id"`
	// PurchasedDaysAgo is relative to "now", so the samples never age out of
	// their cancellation windows however long the state is kept.
	PurchasedDaysAgo float64 `json:"purchasedDaysAgo"`
	// Status is empty for a normal order; "pending" makes cancellation fail
	// with 800061. "completed"/"cancelled" are derived from the quantities.
	Status       string      `json:"status,omitempty"`
	CurrencyCode string      `json:"currencyCode,omitempty"`
	BillingCycle string      `json:"billingCycle,omitempty"`
	LineItems    []*LineItem `json:"lineItems"`
	// Pending are cancellations Partner Center accepted and has not carried
	// out yet (the pending fault): until they are due the order reads
	// "pending" with its lines unchanged. They are part of the state, so a
	// cancellation lands even when the client that sent it is gone.
	Pending []*PendingCancel `json:"pending,omitempty"`
}

// PendingCancel is an accepted cancellation that takes effect at Due.
type PendingCancel struct {
	RequestID string    `json:"requestId"`
	Lines     []int     `json:"lines"`
	Due       time.Time `json:"due"`
}

// LineItem is one line of an order.
type LineItem struct {
	LineItemNumber int    `json:"lineItemNumber"`
	OfferID        string `json:"offerId"`
	FriendlyName   string `json:"friendlyName,omitempty"`
	Quantity       int    `json:"quantity"`
	Kind           Kind   `json:"kind,omitempty"`
	TermDuration   string `json:"termDuration,omitempty"`
	// ListPrice and Price are per unit, in the order's currency; Price is
	// what the partner pays. Either may be absent.
	ListPrice json.Number `json:"listPrice,omitempty"`
	Price     json.Number `json:"price,omitempty"`
	// Cancelled is the quantity cancellations took off the line: what the
	// reconciliation file credits.
	Cancelled int `json:"cancelled,omitempty"`
}

// alternateID is the order's friendly id, as Partner Center's reconciliation
// files show it: the last twelve characters of its id, in lower case.
func (o *Order) alternateID() string {
	return strings.ToLower(o.ID[max(0, len(o.ID)-12):])
}

// product returns a line item of product id (its offer id's first part),
// or nil.
func (st *State) product(id string) *LineItem {
	for _, c := range st.Customers {
		for _, o := range c.Orders {
			for i := range o.LineItems {
				if p, _, _ := strings.Cut(o.LineItems[i].OfferID, ":"); strings.EqualFold(p, id) {
					return o.LineItems[i]
				}
			}
		}
	}
	return nil
}

// ReadState decodes a state or seed document. Unknown fields are errors, so a
// typo in a hand-edited seed does not silently produce a different sandbox.
func ReadState(r io.Reader) (*State, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var s State
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("sandbox state: %w", err)
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("sandbox state: %w", err)
	}
	return &s, nil
}

func (s *State) validate() error {
	seen := make(map[string]bool)
	for _, c := range s.Customers {
		if c.ID == "" {
			return errors.New("customer without id")
		}
		c.ID = strings.ToLower(c.ID)
		for _, o := range c.Orders {
			if o.ID == "" {
				return fmt.Errorf("customer %s: order without id", c.ID)
			}
			if seen[o.ID] {
				return fmt.Errorf("order %s appears twice", o.ID)
			}
			seen[o.ID] = true
			for _, li := range o.LineItems {
				if li.Quantity < 0 {
					return fmt.Errorf("order %s line %d: negative quantity", o.ID, li.LineItemNumber)
				}
				for _, p := range []json.Number{li.ListPrice, li.Price} {
					if d, err := decimal.NewFromString(p.String()); p != "" && (err != nil || d.IsNegative()) {
						return fmt.Errorf("order %s line %d: price %q is not an amount", o.ID, li.LineItemNumber, p)
					}
				}
				switch li.Kind {
				case "", SoftwareSubscription, PerpetualSoftware, AzurePlan:
				default:
					return fmt.Errorf("order %s line %d: unknown kind %q (the kinds: %s, %s, %s)", o.ID, li.LineItemNumber, li.Kind, SoftwareSubscription, PerpetualSoftware, AzurePlan)
				}
			}
		}
	}
	return nil
}

// Open serves the state kept at path (LoadState), saving it there after
// every change; reset starts again from the seed, and saves that at once.
func Open(path string, seed []byte, reset bool, opts Options) (*Server, error) {
	st, err := LoadState(path, seed, reset)
	if err != nil {
		return nil, err
	}
	if reset {
		if err := st.Save(path); err != nil {
			return nil, err
		}
	}
	opts.StatePath = path
	return New(st, opts)
}

// LoadState reads the state kept at path, or, when path does not exist yet,
// the seed. reset ignores any kept state and starts from the seed again.
func LoadState(path string, seed []byte, reset bool) (*State, error) {
	if path != "" && !reset {
		f, err := os.Open(path)
		switch {
		case err == nil:
			defer f.Close()
			s, err := ReadState(f)
			if err != nil {
				return nil, fmt.Errorf("%s: %w (hint: pcreconcile sandbox --reset starts again from the seed)", path, err)
			}
			return s, nil
		case !errors.Is(err, os.ErrNotExist):
			return nil, err
		}
	}
	return ReadState(bytes.NewReader(seed))
}

// Save writes the state to path atomically (temp file, fsync, rename), so a
// crash never leaves a half-written state behind.
func (s *State) Save(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, 0o600, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

func (s *State) customer(id string) *Customer {
	id = strings.ToLower(id)
	for _, c := range s.Customers {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (c *Customer) order(id string) *Order {
	for _, o := range c.Orders {
		if o.ID == id {
			return o
		}
	}
	return nil
}

func (o *Order) line(n int) *LineItem {
	for _, li := range o.LineItems {
		if li.LineItemNumber == n {
			return li
		}
	}
	return nil
}

// currency is the order's currency: its own, else its customer's.
func (o *Order) currency(c *Customer) string {
	if o.CurrencyCode != "" {
		return o.CurrencyCode
	}
	return c.Currency
}

// status is the order status Partner Center reports: "cancelled" once every
// line is at quantity 0, otherwise "completed" (or the seeded status).
func (o *Order) status() string {
	all := len(o.LineItems) > 0
	for _, li := range o.LineItems {
		if li.Quantity > 0 {
			all = false
		}
	}
	switch {
	case len(o.Pending) > 0:
		return "pending"
	case all:
		return "cancelled"
	case o.Status != "":
		return o.Status
	default:
		return "completed"
	}
}

// price is the line's unit price (0 when it has none); prices are checked
// when the state is read.
func (li *LineItem) price() decimal.Decimal {
	d, _ := decimal.NewFromString(li.Price.String())
	return d
}
