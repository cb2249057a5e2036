package batch

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/pcreconcile/pcreconcile/pcclient"
)

// Helpers shared by the package's tests.

// testClient is a client for a sandbox at url with a static token and
// retries that wait milliseconds, not seconds; opts add to or override that.
func testClient(t testing.TB, url string, opts ...pcclient.Option) *pcclient.Client {
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

// qty prints a quantity that may be unknown: "-" for nil.
func qty(p *int) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprint(*p)
}
