package pcclient

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// A host the DNS does not know is said so, once: nothing was sent, and no
// retry would find it.
func TestUnknownHostIsNotRetried(t *testing.T) {
	dials := 0
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials++
		return nil, &net.DNSError{Err: "no such host", Name: "api.partnercenter.invalid", IsNotFound: true}
	}}}
	c, err := New("https://api.partnercenter.invalid", WithHTTPClient(hc), WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"})))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.GetOrder(context.Background(), testCustomer, testOrder)
	var ue *UnreachableError
	if !errors.Is(err, ErrUnreachable) || !errors.As(err, &ue) || ue.Host != "api.partnercenter.invalid" || dials != 1 {
		t.Fatalf("err %v after %d dials", err, dials)
	}
	if !strings.Contains(err.Error(), "check partner_center.base_url") {
		t.Errorf("message %q", err)
	}
}
