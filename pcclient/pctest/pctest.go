// Package pctest gives the tests of the packages above the client what
// they share: a client for a test server (a sandbox or an httptest
// server) that authenticates with a static token and retries after
// milliseconds, not seconds, so that no test waits for a real backoff.
package pctest

import (
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/pcreconcile/pcreconcile/pcclient"
)

// Client returns a client for the server at url; opts add to the test
// defaults or override them. It fails t when url is not usable.
func Client(t testing.TB, url string, opts ...pcclient.Option) *pcclient.Client {
	t.Helper()
	base := []pcclient.Option{
		pcclient.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"})),
		pcclient.WithRetry(pcclient.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}),
		pcclient.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}),
	}
	client, err := pcclient.New(url, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return client
}
