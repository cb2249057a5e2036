package pcclient_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"golang.org/x/oauth2"

	"github.com/pcreconcile/pcreconcile/pcclient"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
	"github.com/pcreconcile/pcreconcile/samples"
)

// Cancel one line of an order, after reading it, against the sandbox.
func ExampleClient_CancelOrder() {
	state, _ := sandbox.ReadState(bytes.NewReader(samples.SandboxSeed))
	sb, _ := sandbox.New(state, sandbox.Options{})
	srv := httptest.NewServer(sb)
	defer srv.Close()

	client, err := pcclient.New(srv.URL,
		pcclient.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "token"})),
		pcclient.WithLimiter(pcclient.NewPacer(pcclient.PacerOptions{RequestsPerMinute: 500})),
	)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	const customer, order = "4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57", "Q2v7Lm9kT4xR8sPz1wYb3nHc6dFg5jKa0"
	o, _, err := client.GetOrder(ctx, customer, order)
	if err != nil {
		log.Fatal(err)
	}
	line := o.Line(0)
	fmt.Printf("before: line 0 %s quantity %d, order %s\n", line.OfferID, line.Quantity, o.Status)

	after, resp, err := client.CancelOrder(ctx, customer, order, []pcclient.LineItemRef{{LineItemNumber: 0, OfferID: line.OfferID}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("after: line 0 quantity %d, line 1 quantity %d, order %s, %d attempt\n", after.Line(0).Quantity, after.Line(1).Quantity, after.Status, resp.Attempts)
	// Output:
	// before: line 0 DG7GMGF0FKZV:0003:DG7GMGF0DWMS quantity 4, order completed
	// after: line 0 quantity 0, line 1 quantity 10, order completed, 1 attempt
}
