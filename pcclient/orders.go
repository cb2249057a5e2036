package pcclient

import (
	"bytes"
	"context"
	"net/http"
	"net/url"

	"github.com/shopspring/decimal"
)

// Order is a Partner Center order, with the fields the tool uses. Unknown
// fields are ignored and Status is an open string ("completed",
// "cancelled", "pending", "unknown", …), so new values never break a run.
type Order struct {
	ID string `json:"id"`
	// AlternateID is the order's friendly id, which reconciliation files
	// often carry instead of its id.
	AlternateID         string     `json:"alternateId,omitempty"`
	ReferenceCustomerID string     `json:"referenceCustomerId,omitempty"`
	Status              string     `json:"status,omitempty"`
	CreationDate        string     `json:"creationDate,omitempty"`
	BillingCycle        string     `json:"billingCycle,omitempty"`
	CurrencyCode        string     `json:"currencyCode,omitempty"`
	LineItems           []LineItem `json:"lineItems"`
}

// LineItem is one line of an order. A cancelled line has Quantity 0.
type LineItem struct {
	LineItemNumber  int    `json:"lineItemNumber"`
	OfferID         string `json:"offerId"`
	FriendlyName    string `json:"friendlyName,omitempty"`
	Quantity        int    `json:"quantity"`
	TermDuration    string `json:"termDuration,omitempty"`
	TransactionType string `json:"transactionType,omitempty"`
	// Pricing is present when the order was read with prices and the caller
	// may see them (GetOrder asks for them).
	Pricing *Pricing `json:"pricing,omitempty"`
	Links   struct {
		Product Link `json:"product"`
	} `json:"links"`
}

// Pricing is a line item's prices, as "Get an order by ID" returns them
// with include_price=true. Every field is optional: Partner Center omits
// what the caller may not see.
type Pricing struct {
	ListPrice       Amount `json:"listPrice"`
	DiscountedPrice Amount `json:"discountedPrice"`
	ExtendedPrice   Amount `json:"extendedPrice"`
	Price           Amount `json:"price"`
	ProratedPrice   Amount `json:"proratedPrice"`
}

// Amount is an optional, exact decimal amount. A value that is absent,
// null, not a number or negative is not Valid: a price Partner Center did
// not give, never an error that fails the order.
type Amount struct {
	Value decimal.Decimal
	Valid bool
}

// UnmarshalJSON reads a JSON number (or a number in a string).
func (a *Amount) UnmarshalJSON(b []byte) error {
	*a = Amount{}
	b = bytes.Trim(bytes.TrimSpace(b), `"`)
	if d, err := decimal.NewFromString(string(b)); err == nil && !d.IsNegative() {
		*a = Amount{Value: d, Valid: true}
	}
	return nil
}

// MarshalJSON writes the amount as a JSON number, or null.
func (a Amount) MarshalJSON() ([]byte, error) {
	if !a.Valid {
		return []byte("null"), nil
	}
	return []byte(a.Value.String()), nil
}

// The pricing fields a unit price is taken from, in order of preference.
const (
	PriceField           = "price"
	DiscountedPriceField = "discountedPrice"
	ListPriceField       = "listPrice"
)

// UnitPrice is what one unit of the line costs the partner: pricing.price,
// else discountedPrice, else listPrice. field names the one used; ok is
// false when the answer carried none.
func (li *LineItem) UnitPrice() (price decimal.Decimal, field string, ok bool) {
	if li.Pricing == nil {
		return decimal.Decimal{}, "", false
	}
	for _, f := range []struct {
		name string
		a    Amount
	}{{PriceField, li.Pricing.Price}, {DiscountedPriceField, li.Pricing.DiscountedPrice}, {ListPriceField, li.Pricing.ListPrice}} {
		if f.a.Valid {
			return f.a.Value, f.name, true
		}
	}
	return decimal.Decimal{}, "", false
}

// Line returns the line item numbered n, or nil.
func (o *Order) Line(n int) *LineItem {
	for i := range o.LineItems {
		if o.LineItems[i].LineItemNumber == n {
			return &o.LineItems[i]
		}
	}
	return nil
}

// LineItemRef names a line item to cancel. Partner Center wants both the
// number and the offer id, taken from the order as it was read.
type LineItemRef struct {
	LineItemNumber int    `json:"lineItemNumber"`
	OfferID        string `json:"offerId"`
}

// cancelBody is the PATCH body of "Cancel software purchases".
type cancelBody struct {
	ID        string        `json:"id"`
	Status    string        `json:"status"`
	LineItems []LineItemRef `json:"lineItems,omitempty"`
}

func orderPath(customerID, orderID string) string {
	return "v1/customers/" + url.PathEscape(customerID) + "/orders/" + url.PathEscape(orderID)
}

// withPrices asks "Get an order by ID" for the line items' pricing and
// the order's currency.
var withPrices = url.Values{"include_price": {"true"}}

// GetOrder reads an order with its prices (include_price=true; a caller
// without permission to see prices gets the order without them). It returns
// an error matching ErrNotFound when the order does not exist, an
// *APIError for any other refusal, and an *AnswerError for an answer that
// is not this order or not a possible one.
func (c *Client) GetOrder(ctx context.Context, customerID, orderID string, opts ...CallOption) (*Order, *Response, error) {
	var o Order
	cl := &call{method: http.MethodGet, path: orderPath(customerID, orderID), query: withPrices, customer: customerID,
		check: func(token string) error { return o.check(orderID, token) }}
	for _, opt := range opts {
		opt(cl)
	}
	resp, err := c.do(ctx, cl, &o)
	if err != nil {
		return nil, resp, err
	}
	return &o, resp, nil
}

// CallOption sets something of one logical call.
type CallOption func(*call)

// WithRequestID makes the call use id as its MS-RequestId, on every
// attempt. A caller that must record the id before the request is sent —
// to re-send the same logical call after a crash, which Partner Center then
// treats as the same request — chooses it itself.
func WithRequestID(id string) CallOption { return func(c *call) { c.requestID = id } }

// UntilStopped ends the call's waiting once stop is done: no further
// attempt is sent, whatever a Retry-After asked for. The attempt under way
// finishes (under the call's own context). A call stopped before its first
// attempt returns ErrStopped: nothing was sent.
func UntilStopped(stop context.Context) CallOption { return func(c *call) { c.until = stop } }

// Once sends one attempt at once — not waiting for the limiter or a pause
// — and does not retry: the last look at an order when a run is stopping.
func Once() CallOption { return func(c *call) { c.once = true } }

// CancelOrder cancels line items of an order (PATCH status "cancelled"); no
// lines cancels the whole order. It returns the order as Partner Center
// answered it: cancelled lines have quantity 0.
//
// When an attempt fails ambiguously (timeout, dropped connection, 5xx), the
// order is read before anything is sent again: if every requested line is
// already at 0, the cancellation happened and the order read is returned with
// Response.Verified set, and no second PATCH goes out. Otherwise the PATCH is
// re-sent with the same MS-RequestId, which Partner Center treats as the same
// request.
func (c *Client) CancelOrder(ctx context.Context, customerID, orderID string, lines []LineItemRef, opts ...CallOption) (*Order, *Response, error) {
	var seen *Order
	answered := new(Order)
	cl := &call{
		method:   http.MethodPatch,
		path:     orderPath(customerID, orderID),
		customer: customerID,
		body:     cancelBody{ID: orderID, Status: "cancelled", LineItems: lines},
		check:    func(token string) error { return answered.check(orderID, token) },
		verify: func(ctx context.Context) bool {
			o, _, err := c.GetOrder(ctx, customerID, orderID)
			if err != nil || !cancelled(o, lines) {
				return false
			}
			seen = o
			return true
		},
	}
	for _, opt := range opts {
		opt(cl)
	}
	resp, err := c.do(ctx, cl, answered)
	switch {
	case err != nil:
		return nil, resp, err
	case resp.Verified:
		return seen, resp, nil
	}
	return answered, resp, nil
}

// cancelled reports whether every requested line (every line when none is
// named) of o is at quantity 0.
func cancelled(o *Order, lines []LineItemRef) bool {
	if len(lines) == 0 {
		for _, li := range o.LineItems {
			if li.Quantity != 0 {
				return false
			}
		}
		return len(o.LineItems) > 0
	}
	for _, ref := range lines {
		li := o.Line(ref.LineItemNumber)
		if li == nil || li.Quantity != 0 {
			return false
		}
	}
	return true
}
