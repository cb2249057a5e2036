package pcclient

import (
	"context"
	"net/http"
	"net/url"
)

// Order is a Partner Center order, with the fields the tool uses. Unknown
// fields are ignored and Status is an open string ("completed",
// "cancelled", "pending", "unknown", …), so new values never break a run.
type Order struct {
	ID                  string     `json:"id"`
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

// GetOrder reads an order. It returns an error matching ErrNotFound when the
// order does not exist, and an *APIError for any other refusal.
func (c *Client) GetOrder(ctx context.Context, customerID, orderID string) (*Order, *Response, error) {
	var o Order
	resp, err := c.do(ctx, &call{method: http.MethodGet, path: orderPath(customerID, orderID), customer: customerID}, &o)
	if err != nil {
		return nil, resp, err
	}
	return &o, resp, nil
}

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
func (c *Client) CancelOrder(ctx context.Context, customerID, orderID string, lines []LineItemRef) (*Order, *Response, error) {
	var answered, seen *Order
	cl := &call{
		method:   http.MethodPatch,
		path:     orderPath(customerID, orderID),
		customer: customerID,
		body:     cancelBody{ID: orderID, Status: "cancelled", LineItems: lines},
		verify: func(ctx context.Context) bool {
			o, _, err := c.GetOrder(ctx, customerID, orderID)
			if err != nil || !cancelled(o, lines) {
				return false
			}
			seen = o
			return true
		},
	}
	answered = new(Order)
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
