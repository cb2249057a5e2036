package pcclient

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
)

// Published catalogue entries decode as they are: an Azure product and a
// new-commerce licence product, each with its type.
func TestProductsAsPublished(t *testing.T) {
	for file, want := range map[string][2]string{
		"product-by-id-response.json":     {"Azure", "VirtualMachines"},
		"product-by-id-response-nce.json": {"OnlineServicesNCE", ""},
	} {
		var p Product
		if err := json.Unmarshal(fixture(t, file), &p); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if p.ProductType.ID != want[0] || p.ProductType.SubTypeID() != want[1] {
			t.Errorf("%s: type %q subtype %q, want %v", file, p.ProductType.ID, p.ProductType.SubTypeID(), want)
		}
	}
}

// A line's product is the one its product link names, else its offer id's
// first part; a link that is not a product id is not followed.
func TestLineItemProductID(t *testing.T) {
	var o Order
	if err := json.Unmarshal(fixture(t, "order-software-perpetual.json"), &o); err != nil {
		t.Fatal(err)
	}
	if got := o.LineItems[0].ProductID(); got != "DG7GMGF0DWT0" {
		t.Errorf("perpetual line: %q", got)
	}
	if err := json.Unmarshal(fixture(t, "order-software-subscription.json"), &o); err != nil {
		t.Fatal(err)
	}
	if got := o.LineItems[1].ProductID(); got != "DG7GMGF0DVT7" {
		t.Errorf("subscription line: %q", got)
	}
	li := LineItem{OfferID: "DG7GMGF0FKZV:0003:DG7GMGF0DWMS"}
	li.Links.Product.URI = "/products/../customers?country=US"
	if got := li.ProductID(); got != "DG7GMGF0FKZV" {
		t.Errorf("a hostile link: %q", got)
	}
}

func TestGetProduct(t *testing.T) {
	c, mux, _, _ := setup(t)
	var query string
	mux.HandleFunc("GET /v1/products/{id}", func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		switch r.PathValue("id") {
		case "DZH318Z0BQ3Q":
			w.Write(fixture(t, "product-by-id-response.json"))
		case "OTHER":
			w.Write(fixture(t, "product-by-id-response.json")) // another product's entry
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"code": 400013, "description": "not found"}`))
		}
	})
	p, _, err := c.GetProduct(context.Background(), "DZH318Z0BQ3Q")
	if err != nil || p.ProductType.ID != "Azure" || query != "country=US" {
		t.Fatalf("%+v %v (query %q)", p, err, query)
	}
	if _, _, err := c.GetProduct(context.Background(), "OTHER"); !errors.Is(err, ErrImplausible) {
		t.Errorf("another product's answer: %v", err)
	}
	if _, _, err := c.GetProduct(context.Background(), "NOPE"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown product: %v", err)
	}
}
