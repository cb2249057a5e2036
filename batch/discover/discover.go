// Package discover finds what can still be cancelled: the line items of the
// partner's customers that are still active and still inside their
// cancellation window, by deadline. No Partner Center API lists them; this
// reads every customer (or those a sheet names), each customer's orders of
// the billing types software is bought under, and judges each line's
// deadline as a run does (package catalogue).
//
// It only reads: an interrupted discover is simply run again. Memory holds
// the candidates, never the orders read.
package discover

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/sync/errgroup"

	"github.com/pcreconcile/pcreconcile/batch/catalogue"
	"github.com/pcreconcile/pcreconcile/internal/deadline"
	"github.com/pcreconcile/pcreconcile/pcclient"
)

// Client is the part of pcclient.Client discover reads with.
type Client interface {
	Customers(ctx context.Context, size int, visit func([]pcclient.Customer) error) error
	Orders(ctx context.Context, customerID, billingType string, visit func([]pcclient.Order) error) error
}

// Progress hears about customers read.
type Progress interface {
	Start(total int)
	Add(n int)
	Finish()
}

// BillingTypes are the orders' billing types read by default: one-time
// purchases (perpetual software; the documented request) and the monthly
// and annual orders software subscriptions are billed under.
var BillingTypes = []string{"onetime", "monthly", "annual"}

// PageSize is the size of the customer list's pages asked for (Partner
// Center's documented example asks for 40).
const PageSize = 40

// Customer names a customer to read.
type Customer struct {
	ID, Name string
}

// Options say what to read and how.
type Options struct {
	Client    Client
	Catalogue *catalogue.Catalogue
	// Customers, when set, are the customers to read; nil reads every
	// customer of the partner.
	Customers []Customer
	// BillingTypes are the order lists read per customer (default
	// BillingTypes).
	BillingTypes []string
	// Within keeps only the lines whose deadline is at most this far away
	// (0: every deadline still ahead).
	Within time.Duration
	// Concurrency bounds the customers read at once (default 8).
	Concurrency int
	Now         func() time.Time
	Progress    Progress
	Log         *slog.Logger
}

// Candidate is a line that can still be cancelled.
type Candidate struct {
	Customer, CustomerName, Order string
	Line                          int
	Offer, Product                string
	Kind                          deadline.Kind
	KindFrom                      deadline.Evidence
	Purchased, Until              time.Time
	Quantity                      int
	UnitPrice                     decimal.NullDecimal
	Currency                      string
}

// Amount is what cancelling the line would credit: Unit Price × Quantity;
// invalid without a price.
func (c *Candidate) Amount() decimal.NullDecimal {
	if !c.UnitPrice.Valid {
		return decimal.NullDecimal{}
	}
	return decimal.NewNullDecimal(c.UnitPrice.Decimal.Mul(decimal.NewFromInt(int64(c.Quantity))))
}

// HoursLeft is how long is left until the deadline at now, in hours (to a
// tenth).
func (c *Candidate) HoursLeft(now time.Time) float64 {
	return float64(c.Until.Sub(now).Round(6*time.Minute)) / float64(time.Hour)
}

// NotRead is a customer whose orders could not be read.
type NotRead struct {
	Customer, Name string
	Code, Reason   string
}

// Result is what a discover found.
type Result struct {
	At         time.Time
	Candidates []Candidate // by deadline, then customer, order and line
	NotRead    []NotRead
	// Customers and Orders count what was read; Lines the active lines
	// judged.
	Customers, Orders, Lines int
	// Skipped counts the active lines that are not candidates, by why:
	// "past its deadline", "never cancelled through its order", "kind not
	// known", "deadline further than --within".
	Skipped map[string]int
	// Incomplete says why the customer list was not read to its end ("" when
	// it was): the customers read before are in the result.
	Incomplete string
}

// Why a line is not a candidate.
const (
	SkipPast     = "past its deadline"
	SkipNever    = "never cancelled through its order (Azure plans and the like)"
	SkipUnknown  = "kind not known: no catalogue entry, no termDuration"
	SkipTooFar   = "deadline further away than --within"
	SkipInactive = "already cancelled (quantity 0)"
)

// Run reads the customers and their orders and returns the candidates. One
// customer failing does not stop the rest: it is listed in NotRead. A
// customer list that cannot be read at all is an error; one that keeps
// paging is stopped and said so (Result.Incomplete).
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if len(opts.BillingTypes) == 0 {
		opts.BillingTypes = BillingTypes
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.Catalogue == nil {
		opts.Catalogue = catalogue.New(opts.Client, deadline.Rules{}, opts.Log)
	}
	res := &Result{At: opts.Now().UTC(), Skipped: map[string]int{}}
	list := opts.Customers
	if list == nil {
		// The whole list first (customers are few and small), so that the
		// progress knows its total.
		var err error
		if list, err = listCustomers(ctx, opts, res); err != nil {
			return nil, err
		}
	}
	if opts.Progress != nil {
		opts.Progress.Start(len(list))
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	customers := make(chan Customer)
	g.Go(func() error {
		defer close(customers)
		for _, c := range list {
			select {
			case customers <- c:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range opts.Concurrency {
		g.Go(func() error {
			for c := range customers {
				found, orders, judged, skipped, err := readCustomer(gctx, opts, c)
				if gctx.Err() != nil {
					return gctx.Err()
				}
				mu.Lock()
				res.Customers++
				res.Orders += orders
				res.Lines += judged
				for why, n := range skipped {
					res.Skipped[why] += n
				}
				if err != nil {
					res.NotRead = append(res.NotRead, notRead(c, err))
				} else {
					res.Candidates = append(res.Candidates, found...)
				}
				mu.Unlock()
				if opts.Progress != nil {
					opts.Progress.Add(1)
				}
			}
			return nil
		})
	}
	err := g.Wait()
	if opts.Progress != nil {
		opts.Progress.Finish()
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(res.Candidates, func(a, b Candidate) int {
		return cmp.Or(a.Until.Compare(b.Until), cmp.Compare(a.Customer, b.Customer), cmp.Compare(a.Order, b.Order), cmp.Compare(a.Line, b.Line))
	})
	slices.SortFunc(res.NotRead, func(a, b NotRead) int { return cmp.Compare(a.Customer, b.Customer) })
	return res, nil
}

// listCustomers reads the partner's customer list to its end — or, when it
// keeps paging, as far as it was stopped, said in res.Incomplete.
func listCustomers(ctx context.Context, opts Options, res *Result) ([]Customer, error) {
	var list []Customer
	seen := map[string]bool{}
	err := opts.Client.Customers(ctx, PageSize, func(page []pcclient.Customer) error {
		for _, c := range page {
			if !seen[c.ID] { // a customer listed twice is read once
				seen[c.ID] = true
				list = append(list, Customer{ID: c.ID, Name: c.CompanyProfile.CompanyName})
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, pcclient.ErrRunawayPaging):
		res.Incomplete = "the customer list was not read to its end: " + err.Error()
		opts.Log.Warn("the customer list keeps paging: stopped", "err", err, "customers", len(list))
	case err != nil:
		return nil, fmt.Errorf("cannot list the customers: %w", err)
	}
	return list, nil
}

// readCustomer reads a customer's orders of every billing type and keeps
// the lines that can still be cancelled. Its orders are dropped as they
// are judged.
func readCustomer(ctx context.Context, opts Options, c Customer) (found []Candidate, orders, judged int, skipped map[string]int, err error) {
	skipped = map[string]int{}
	now := opts.Now()
	seen := map[string]bool{} // an order listed under two billing types is one order
	for _, bt := range opts.BillingTypes {
		err = opts.Client.Orders(ctx, c.ID, bt, func(page []pcclient.Order) error {
			for i := range page {
				o := &page[i]
				if seen[o.ID] {
					continue
				}
				seen[o.ID] = true
				orders++
				if strings.EqualFold(o.Status, "cancelled") {
					continue
				}
				lines := opts.Catalogue.Lines(ctx, o)
				for k := range o.LineItems {
					li := &o.LineItems[k]
					if li.Quantity == 0 {
						continue
					}
					judged++
					l := lines[li.LineItemNumber]
					switch {
					case l.Kind == "":
						skipped[SkipUnknown]++
						continue
					case l.Until.IsZero():
						skipped[SkipNever]++
						continue
					case !l.Until.After(now):
						skipped[SkipPast]++
						continue
					case opts.Within > 0 && l.Until.Sub(now) > opts.Within:
						skipped[SkipTooFar]++
						continue
					}
					cand := Candidate{Customer: c.ID, CustomerName: c.Name, Order: o.ID, Line: li.LineItemNumber, Offer: li.OfferID,
						Product: li.FriendlyName, Kind: l.Kind, KindFrom: l.From, Until: l.Until, Quantity: li.Quantity, Currency: o.CurrencyCode}
					cand.Purchased = l.Until.Add(-l.Window)
					if price, _, ok := li.UnitPrice(); ok {
						cand.UnitPrice = decimal.NewNullDecimal(price)
					}
					found = append(found, cand)
				}
			}
			return nil
		})
		if err != nil {
			return nil, orders, judged, skipped, err
		}
	}
	return found, orders, judged, skipped, nil
}

// notRead says why a customer's orders could not be read.
func notRead(c Customer, err error) NotRead {
	nr := NotRead{Customer: c.ID, Name: c.Name, Reason: err.Error()}
	var ae *pcclient.APIError
	if errors.As(err, &ae) {
		nr.Code = ae.Code
		if nr.Code == "" {
			nr.Code = fmt.Sprint(ae.StatusCode)
		}
		nr.Reason = cmp.Or(ae.Description, err.Error())
	}
	nr.Reason = pcclient.Clean(nr.Reason, pcclient.MaxText)
	return nr
}
