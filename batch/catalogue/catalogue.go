// Package catalogue tells the product kind and cancellation deadline of
// the lines of an order as read: from each product's catalogue entry,
// read once per product for the life of a Catalogue (a run, a discover),
// else from the line itself (package deadline has the rules).
package catalogue

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/pcreconcile/pcreconcile/internal/deadline"
	"github.com/pcreconcile/pcreconcile/pcclient"
)

// Reader is the part of pcclient.Client that reads catalogue entries.
type Reader interface {
	GetProduct(ctx context.Context, id string, opts ...pcclient.CallOption) (*pcclient.Product, *pcclient.Response, error)
}

// Line is a line's product kind, where it was learnt, its window and the
// last moment it can be cancelled (zero Until: it has no deadline).
type Line struct {
	Kind   deadline.Kind
	From   deadline.Evidence
	Window time.Duration
	Until  time.Time
}

// Catalogue reads product kinds, each product once, and judges deadlines
// by its rules. The zero Catalogue reads nothing: kinds come from the lines.
type Catalogue struct {
	reader   Reader
	rules    deadline.Rules
	log      *slog.Logger
	products sync.Map // product id → *entry
}

type entry struct {
	once    sync.Once
	product *pcclient.Product // nil when it could not be read
}

// New returns a catalogue reading through client when it can read
// catalogue entries (a client that cannot leaves the lines to tell), with
// the windows of rules.
func New(client any, rules deadline.Rules, log *slog.Logger) *Catalogue {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Catalogue{rules: rules, log: log}
	c.reader, _ = client.(Reader)
	return c
}

// Rules are the windows the catalogue judges by.
func (c *Catalogue) Rules() deadline.Rules { return c.rules }

// Lines tells the kind and deadline of each line of order, by line number.
func (c *Catalogue) Lines(ctx context.Context, order *pcclient.Order) map[int]Line {
	out := make(map[int]Line, len(order.LineItems))
	bought, err := time.Parse(time.RFC3339Nano, order.CreationDate)
	if err != nil {
		bought = time.Time{}
	}
	for i := range order.LineItems {
		li := &order.LineItems[i]
		var pt, sub string
		if p := c.product(ctx, li.ProductID()); p != nil {
			pt, sub = p.ProductType.ID, p.ProductType.SubTypeID()
		}
		l := Line{}
		l.Kind, l.From = deadline.KindOf(pt, sub, li.TermDuration, order.BillingCycle)
		if until, ok := c.rules.Until(bought, l.Kind); ok {
			l.Until = until
			l.Window, _ = c.rules.Window(l.Kind)
		}
		out[li.LineItemNumber] = l
	}
	return out
}

// product reads the catalogue entry of id once; nil when there is no
// reader or the entry could not be read.
func (c *Catalogue) product(ctx context.Context, id string) *pcclient.Product {
	if c == nil || c.reader == nil || id == "" {
		return nil
	}
	v, _ := c.products.LoadOrStore(id, &entry{})
	e := v.(*entry)
	e.once.Do(func() {
		p, _, err := c.reader.GetProduct(ctx, id, pcclient.UntilStopped(ctx))
		if err != nil {
			c.log.Debug("the catalogue entry could not be read: the line tells the kind", "product", id, "err", err)
			return
		}
		e.product = p
	})
	return e.product
}
