package pcclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/pcreconcile/pcreconcile/internal/orderid"
)

// Partner Center pages its collections: an answer holds a page of items
// and, when more follow, a links.next whose uri is relative to the API
// root without "/v1" (e.g. /customers?size=40&seekOperation=Next) and
// whose headers carry the MS-ContinuationToken to send with it. A list is
// read page by page to the end, each page a call of its own (paced,
// retried); a server that keeps paging is stopped after MaxPages pages.

// DefaultMaxPages bounds a list read: 10,000 pages of 40 customers is
// 400,000 customers, more than any partner has.
const DefaultMaxPages = 10000

// ErrRunawayPaging is returned when a list keeps paging past its bound, or
// sends the same continuation twice in a row.
var ErrRunawayPaging = errors.New("the server keeps paging")

// WithMaxPages bounds every list read to n pages.
func WithMaxPages(n int) Option { return func(c *Client) { c.maxPages = n } }

// Customer is one of the partner's customers, as "Get a list of customers"
// returns it.
type Customer struct {
	ID             string `json:"id"`
	CompanyProfile struct {
		TenantID    string `json:"tenantId"`
		Domain      string `json:"domain"`
		CompanyName string `json:"companyName"`
	} `json:"companyProfile"`
	RelationshipToPartner string `json:"relationshipToPartner"`
}

// collection is a page of a list.
type collection[T any] struct {
	TotalCount int `json:"totalCount"`
	Items      []T `json:"items"`
	Links      struct {
		Next *Link `json:"next"`
	} `json:"links"`
}

// maxItems bounds a page: no documented page is larger.
const maxItems = 5000

// Customers reads the partner's customers (pages of size), calling visit
// with each page. Ids that are not GUIDs make the answer unbelievable: they
// would be sent back in the next calls' paths.
func (c *Client) Customers(ctx context.Context, size int, visit func([]Customer) error) error {
	first := &call{method: http.MethodGet, path: "v1/customers", query: url.Values{"size": {fmt.Sprint(size)}}}
	return readPages(ctx, c, first, "/customers", func(page *collection[Customer], token string) error {
		for i := range page.Items {
			cu := &page.Items[i]
			u, err := uuid.Parse(cu.ID)
			if err != nil {
				return fmt.Errorf("a customer's id %q is not a GUID", Clean(cu.ID, 80, token))
			}
			cu.ID = u.String()
			cu.CompanyProfile.CompanyName = Clean(cu.CompanyProfile.CompanyName, MaxText, token)
			cu.CompanyProfile.Domain = Clean(cu.CompanyProfile.Domain, MaxText, token)
			cu.CompanyProfile.TenantID = Clean(cu.CompanyProfile.TenantID, 80, token)
			cu.RelationshipToPartner = Clean(cu.RelationshipToPartner, 40, token)
		}
		return nil
	}, visit)
}

// Orders reads a customer's orders of a billing type ("onetime", the
// documented request for software purchases; answers carry billingCycle
// one_time) with their prices, calling visit with each page. Each order is
// checked as GetOrder checks one: its id, numbers and offer ids, and that
// it is this customer's.
func (c *Client) Orders(ctx context.Context, customerID, billingType string, visit func([]Order) error) error {
	path := "v1/customers/" + url.PathEscape(customerID) + "/orders"
	first := &call{method: http.MethodGet, path: path, customer: customerID,
		query: url.Values{"billingType": {billingType}, "include_price": {"true"}}}
	return readPages(ctx, c, first, "/customers/"+customerID+"/orders", func(page *collection[Order], token string) error {
		for i := range page.Items {
			o := &page.Items[i]
			// An order id discover lists is one the input accepts; it is
			// also sent back in later calls' paths.
			if err := orderid.Check(o.ID); err != nil {
				return fmt.Errorf("an order id %q %v", Clean(o.ID, 80, token), err)
			}
			if err := o.check(o.ID, token); err != nil {
				return fmt.Errorf("order %s: %w", o.ID, err)
			}
			if o.ReferenceCustomerID != "" && !strings.EqualFold(o.ReferenceCustomerID, customerID) {
				return fmt.Errorf("order %s is of customer %s, not %s", o.ID, o.ReferenceCustomerID, customerID)
			}
		}
		return nil
	}, visit)
}

// readPages reads the pages of a list from first, each checked by check
// (an error is an AnswerError) and given to visit, following links.next —
// only to the list's own path (collection) on the same endpoint, with only
// the continuation token taken from the link's headers.
func readPages[T any](ctx context.Context, c *Client, first *call, collectionPath string, check func(*collection[T], string) error, visit func([]T) error) error {
	max := c.maxPages
	if max <= 0 {
		max = DefaultMaxPages
	}
	cl := first
	lastToken := ""
	for n := 1; ; n++ {
		var page collection[T]
		cl.check = func(token string) error {
			if len(page.Items) > maxItems {
				return fmt.Errorf("a page of %d items", len(page.Items))
			}
			return check(&page, token)
		}
		if _, err := c.do(ctx, cl, &page); err != nil {
			return err
		}
		if err := visit(page.Items); err != nil {
			return err
		}
		next := page.Links.Next
		if next == nil || next.URI == "" {
			return nil
		}
		if n >= max {
			return fmt.Errorf("%s %s: %w: stopped after %d pages", cl.method, first.path, ErrRunawayPaging, n)
		}
		nc, token, err := nextCall(next, first, collectionPath)
		if err != nil {
			return &AnswerError{Method: cl.method, Path: first.path, Reason: err.Error()}
		}
		if token != "" && token == lastToken {
			return fmt.Errorf("%s %s: %w: the same continuation twice", cl.method, first.path, ErrRunawayPaging)
		}
		lastToken, cl = token, nc
	}
}

// maxToken bounds a continuation token.
const maxToken = 8 << 10

// nextCall is the call a links.next asks for: its uri, relative to the API
// root and within the list's own path, and the MS-ContinuationToken of its
// headers. Anything else the link says is not followed.
func nextCall(next *Link, first *call, collectionPath string) (*call, string, error) {
	u, err := url.Parse(next.URI)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/") {
		return nil, "", fmt.Errorf("its next page %q is not a path of the API", Clean(next.URI, 120))
	}
	p := strings.TrimPrefix(u.Path, "/v1")
	if !strings.EqualFold(p, collectionPath) {
		return nil, "", fmt.Errorf("its next page %q is not of the same list", Clean(next.URI, 120))
	}
	nc := &call{method: http.MethodGet, path: first.path, customer: first.customer, query: u.Query(), header: http.Header{}}
	var token string
	for _, h := range next.Headers {
		if strings.EqualFold(h.Key, "MS-ContinuationToken") {
			if len(h.Value) > maxToken || strings.ContainsAny(h.Value, "\r\n") {
				return nil, "", errors.New("its continuation token is not one")
			}
			token = h.Value
			nc.header.Set("MS-ContinuationToken", token)
		}
	}
	return nc, token, nil
}
