package pcclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// The published answers decode as they are: a page of customers, and a
// customer's one-time orders.
func TestListsAsPublished(t *testing.T) {
	c, mux, _, _ := setup(t)
	mux.HandleFunc("GET /v1/customers", func(w http.ResponseWriter, r *http.Request) {
		w.Write(fixture(t, "customers-list-response.json"))
	})
	var customers []Customer
	if err := c.Customers(context.Background(), 40, func(p []Customer) error { customers = append(customers, p...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(customers) != 2 || customers[0].ID != "b44bb1fb-c595-45b0-9e09-d657365580bf" || customers[0].CompanyProfile.CompanyName != "companyName" {
		t.Errorf("customers %+v", customers)
	}
	const cust = "b0d70a69-4c42-4b27-b17b-91a835d8686a"
	var query string
	mux.HandleFunc("GET /v1/customers/{id}/orders", func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		w.Write(fixture(t, "orders-by-billing-type-response.json"))
	})
	var orders []Order
	if err := c.Orders(context.Background(), cust, "onetime", func(p []Order) error { orders = append(orders, p...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(orders) != 2 || orders[0].BillingCycle != "one_time" || len(orders[0].LineItems) == 0 || query != "billingType=onetime&include_price=true" {
		t.Errorf("orders %+v (query %q)", orders, query)
	}
}

// A list is followed page by page to its end: each next page is asked for
// at the path its link names, with the continuation token its headers
// carry — and nothing else of the link.
func TestListsFollowEveryPage(t *testing.T) {
	c, mux, _, _ := setup(t)
	var tokens []string
	mux.HandleFunc("GET /v1/customers", func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("MS-ContinuationToken")
		tokens = append(tokens, tok+"|"+r.URL.Query().Get("seekOperation")+"|"+r.Header.Get("X-Evil"))
		n := len(tokens)
		page := map[string]any{"totalCount": 1, "items": []any{map[string]any{"id": fmt.Sprintf("00000000-0000-4000-8000-00000000000%d", n)}}}
		if n < 3 {
			page["links"] = map[string]any{"next": map[string]any{"uri": "/customers?size=1&seekOperation=Next", "method": "GET",
				"headers": []any{map[string]any{"key": "MS-ContinuationToken", "value": fmt.Sprintf("t%d", n)}, map[string]any{"key": "X-Evil", "value": "1"}}}}
		}
		json.NewEncoder(w).Encode(page)
	})
	var ids []string
	if err := c.Customers(context.Background(), 1, func(p []Customer) error {
		for _, cu := range p {
			ids = append(ids, cu.ID[len(cu.ID)-1:])
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, "") != "123" || strings.Join(tokens, ",") != "||,t1|Next|,t2|Next|" {
		t.Errorf("pages %v, requests %v", ids, tokens)
	}
}

// A server that never stops paging is stopped; a next page elsewhere, a
// customer id that is not a GUID, make the answer unbelievable.
func TestListsRefuseWhatTheyCannotBelieve(t *testing.T) {
	for name, tt := range map[string]struct {
		next, id string
		want     error
	}{
		"runaway":        {next: "/customers?seekOperation=Next", id: "00000000-0000-4000-8000-000000000001", want: ErrRunawayPaging},
		"same token":     {next: "/customers?seekOperation=Next&same", id: "00000000-0000-4000-8000-000000000001", want: ErrRunawayPaging},
		"another host":   {next: "https://evil.example.com/v1/customers", id: "00000000-0000-4000-8000-000000000001", want: ErrImplausible},
		"another path":   {next: "/customers/x/orders", id: "00000000-0000-4000-8000-000000000001", want: ErrImplausible},
		"not a customer": {id: "../../orders", want: ErrImplausible},
	} {
		t.Run(name, func(t *testing.T) {
			c, mux, _, _ := setup(t, WithMaxPages(5))
			n := 0
			mux.HandleFunc("GET /v1/customers", func(w http.ResponseWriter, r *http.Request) {
				n++
				tok := fmt.Sprint(n)
				if strings.Contains(tt.next, "same") {
					tok = "again"
				}
				page := map[string]any{"items": []any{map[string]any{"id": tt.id}}}
				if tt.next != "" {
					page["links"] = map[string]any{"next": map[string]any{"uri": tt.next, "headers": []any{map[string]any{"key": "MS-ContinuationToken", "value": tok}}}}
				}
				json.NewEncoder(w).Encode(page)
			})
			err := c.Customers(context.Background(), 40, func([]Customer) error { return nil })
			if !errors.Is(err, tt.want) || n > 5 {
				t.Errorf("err %v after %d pages, want %v", err, n, tt.want)
			}
		})
	}
}

// An order list's ids are held to the rule the input's Order ID column is:
// an order discover lists must be one plan and run accept (and its id goes
// back into later calls' paths).
func TestOrderListRefusesWhatIsNoOrderID(t *testing.T) {
	const cust = "b0d70a69-4c42-4b27-b17b-91a835d8686a"
	for id, want := range map[string]string{"a.b": `contains '.'`, "../x": `contains '.'`, "": "is empty", strings.Repeat("x", 129): "longer than 128"} {
		c, mux, _, _ := setup(t)
		mux.HandleFunc("GET /v1/customers/{id}/orders", func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(map[string]any{"items": []any{map[string]any{"id": id, "lineItems": []any{}}}})
		})
		err := c.Orders(context.Background(), cust, "onetime", func([]Order) error { return nil })
		if !errors.Is(err, ErrImplausible) || !strings.Contains(err.Error(), want) {
			t.Errorf("order id %q: %v, want %q", id, err, want)
		}
	}
}
