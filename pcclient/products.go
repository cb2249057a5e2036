package pcclient

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Product is a product's catalogue entry, as "Get a product by ID" returns
// it; its type says what kind of product it is (Azure, Software with a
// subtype, OnlineServicesNCE, …).
type Product struct {
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	ProductType ProductType `json:"productType"`
}

// ProductType is a product's type and, for some, its subtype.
type ProductType struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	SubType     *struct {
		ID string `json:"id"`
	} `json:"subType"`
}

// SubTypeID is the product's subtype id, "" when it has none.
func (t ProductType) SubTypeID() string {
	if t.SubType == nil {
		return ""
	}
	return t.SubType.ID
}

// check validates a product read for id and cleans its texts.
func (p *Product) check(id, token string) error {
	if !strings.EqualFold(p.ID, id) {
		return fmt.Errorf("the answer is for product %q, not %q", Clean(p.ID, 80, token), id)
	}
	p.Title = Clean(p.Title, MaxText, token)
	p.ProductType.ID = Clean(p.ProductType.ID, 80, token)
	p.ProductType.DisplayName = Clean(p.ProductType.DisplayName, 80, token)
	if p.ProductType.SubType != nil {
		p.ProductType.SubType.ID = Clean(p.ProductType.SubType.ID, 80, token)
	}
	return nil
}

// GetProduct reads product id's catalogue entry (country US: the kind of a
// product is the same in every market). It returns an error matching
// ErrNotFound for a product the catalogue does not have.
func (c *Client) GetProduct(ctx context.Context, id string, opts ...CallOption) (*Product, *Response, error) {
	var p Product
	cl := &call{method: http.MethodGet, path: "v1/products/" + url.PathEscape(id), query: url.Values{"country": {"US"}},
		check: func(token string) error { return p.check(id, token) }}
	for _, opt := range opts {
		opt(cl)
	}
	resp, err := c.do(ctx, cl, &p)
	if err != nil {
		return nil, resp, err
	}
	return &p, resp, nil
}

// Link is a link of an answer: a URI relative to the API root (without
// "/v1"), its method and headers to send.
type Link struct {
	URI     string `json:"uri"`
	Method  string `json:"method"`
	Headers []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"headers"`
}

var productID = regexp.MustCompile(`^[A-Za-z0-9]{1,40}$`)

// ProductID is the id of the line's product: from its product link when
// the answer has one, else its offer id's first part.
func (li *LineItem) ProductID() string {
	if u := li.Links.Product.URI; u != "" {
		if rest, ok := strings.CutPrefix(strings.TrimPrefix(u, "/v1"), "/products/"); ok {
			id, _, _ := strings.Cut(rest, "?")
			if productID.MatchString(id) {
				return id
			}
		}
	}
	id, _, _ := strings.Cut(li.OfferID, ":")
	return id
}
