package pcclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// fakeClock never sleeps: Sleep advances the time and records the wait.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
		c.slept = append(c.slept, d)
	}
	return ctx.Err()
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// recordingLimiter lets every request through and records pauses.
type recordingLimiter struct {
	mu     sync.Mutex
	waits  int
	pauses []time.Duration
}

func (l *recordingLimiter) Wait(ctx context.Context, customer string) error {
	l.mu.Lock()
	l.waits++
	l.mu.Unlock()
	return ctx.Err()
}

func (l *recordingLimiter) Pause(d time.Duration) {
	l.mu.Lock()
	l.pauses = append(l.pauses, d)
	l.mu.Unlock()
}

const (
	testCustomer = "45411344-b09d-47e7-9653-542006bf9766"
	testOrder    = "2y6dF_rVgDAXMxypQPPnTquuXhKVK_3N1"
)

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// setup starts a test server and returns a client pointed at it, its mux,
// the clock and the limiter the client uses.
func setup(t *testing.T, opts ...Option) (*Client, *http.ServeMux, *fakeClock, *recordingLimiter) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	clock := newFakeClock()
	lim := &recordingLimiter{}
	base := []Option{
		WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "test-token"})),
		WithClock(clock),
		WithLimiter(lim),
		WithRetry(RetryPolicy{Jitter: func(d time.Duration) time.Duration { return d }}),
	}
	c, err := New(srv.URL, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, mux, clock, lim
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testPath(customer, order string) string {
	return "/v1/customers/" + customer + "/orders/" + order
}

func TestGetOrderSendsDocumentedHeaders(t *testing.T) {
	c, mux, _, _ := setup(t)
	var got http.Header
	mux.HandleFunc("GET "+testPath(testCustomer, testOrder), func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("MS-RequestId", r.Header.Get("MS-RequestId"))
		w.Write(fixture(t, "cancel-order-response.json"))
	})
	o, resp, err := c.GetOrder(t.Context(), testCustomer, testOrder)
	if err != nil {
		t.Fatal(err)
	}
	for header, want := range map[string]string{
		"Authorization":       "Bearer test-token",
		"Accept":              "application/json",
		"Ms-Contract-Version": "v1",
		"User-Agent":          "pcreconcile",
	} {
		if got.Get(header) != want {
			t.Errorf("header %s = %q, want %q", header, got.Get(header), want)
		}
	}
	for _, h := range []string{"MS-RequestId", "MS-CorrelationId"} {
		if !guidRE.MatchString(got.Get(h)) {
			t.Errorf("header %s = %q, want a random GUID", h, got.Get(h))
		}
	}
	if got.Get("MS-RequestId") == got.Get("MS-CorrelationId") {
		t.Error("MS-RequestId and MS-CorrelationId are the same value")
	}
	if got.Get("Content-Type") != "" {
		t.Errorf("GET has Content-Type %q", got.Get("Content-Type"))
	}
	if resp.RequestID != got.Get("MS-RequestId") || resp.Attempts != 1 || resp.StatusCode != 200 {
		t.Errorf("response = %+v, want the request id sent, 1 attempt, 200", resp)
	}
	// The published example: unknown fields ignored, both lines decoded.
	if o.ID != testOrder || o.Status != "completed" || len(o.LineItems) != 2 {
		t.Fatalf("order = %+v", o)
	}
	if li := o.Line(1); li == nil || li.Quantity != 1 || li.OfferID != "DG7GMGF0DVT7:000C:DG7GMGF0FVZM" || li.FriendlyName != "Windows Server CAL - 1 Device CAL - 3 year" {
		t.Errorf("line 1 = %+v", li)
	}
	if o.Line(0).Quantity != 0 {
		t.Errorf("line 0 quantity = %d, want 0", o.Line(0).Quantity)
	}
}

func TestCancelOrderSendsPublishedBody(t *testing.T) {
	c, mux, _, _ := setup(t)
	var body []byte
	var ctype string
	mux.HandleFunc("PATCH "+testPath(testCustomer, testOrder), func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		ctype = r.Header.Get("Content-Type")
		w.Write(fixture(t, "cancel-order-response.json"))
	})
	o, _, err := c.CancelOrder(t.Context(), testCustomer, testOrder, []LineItemRef{{LineItemNumber: 0, OfferID: "DG7GMGF0FKZV:0003:DG7GMGF0DWMS"}})
	if err != nil {
		t.Fatal(err)
	}
	var got, want any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	json.Unmarshal(fixture(t, "cancel-order-request.json"), &want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("body = %s\nwant the published request %v", body, want)
	}
	if ctype != "application/json" {
		t.Errorf("Content-Type = %q", ctype)
	}
	if o.Line(0).Quantity != 0 || o.Line(1).Quantity != 1 || o.Status != "completed" {
		t.Errorf("order after cancel = %+v", o)
	}
}

func TestCancelWholeOrderOmitsLineItems(t *testing.T) {
	c, mux, _, _ := setup(t)
	var body map[string]any
	mux.HandleFunc("PATCH /v1/customers/{c}/orders/{o}", func(w http.ResponseWriter, r *http.Request) {
		json.NewDecoder(r.Body).Decode(&body)
		w.Write([]byte(`{"id":"x","status":"cancelled","lineItems":[]}`))
	})
	if _, _, err := c.CancelOrder(t.Context(), testCustomer, "x", nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := body["lineItems"]; ok || body["status"] != "cancelled" || body["id"] != "x" {
		t.Errorf("body = %v, want id and status only", body)
	}
}

func TestPathSegmentsAreEscaped(t *testing.T) {
	c, mux, _, _ := setup(t)
	var raw string
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		raw = r.URL.EscapedPath()
		w.Write([]byte(`{"id":"a/b?c d"}`))
	})
	if _, _, err := c.GetOrder(t.Context(), testCustomer, "a/b?c d"); err != nil {
		t.Fatal(err)
	}
	if want := "/v1/customers/" + testCustomer + "/orders/a%2Fb%3Fc%20d"; raw != want {
		t.Errorf("path = %s, want %s", raw, want)
	}
}

func TestBaseURLWithPathPrefix(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	var path string
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { path = r.URL.Path; w.Write([]byte(`{}`)) })
	c, err := New(srv.URL+"/proxy/", WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"})))
	if err != nil {
		t.Fatal(err)
	}
	c.GetOrder(t.Context(), "c", "o")
	if path != "/proxy/v1/customers/c/orders/o" {
		t.Errorf("path = %s", path)
	}
}

func TestErrorBodies(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		wantCode   string
		wantDesc   string
		wantIs     error
		wantName   string
		retryAfter time.Duration
	}{
		{"numeric code", 400, nil, `{"code": 900117, "description": "Cancellation window passed", "data": [], "source": "PartnerFD"}`, "900117", "Cancellation window passed", nil, "", -1},
		{"string code and new fields", 400, nil, `{"code": "800071", "errorName": "InvalidLineItem", "isRetryable": false, "message": "bad line"}`, "800071", "bad line", nil, "InvalidLineItem", -1},
		{"throttle shape", 429, map[string]string{"Retry-After": "57"}, `{"statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds."}`, "", "Rate limit is exceeded. Try again in 57 seconds.", ErrThrottled, "", 57 * time.Second},
		{"not found", 404, nil, `{"code": 20000, "description": "Order not found"}`, "20000", "Order not found", ErrNotFound, "", -1},
		{"unknown extra fields", 403, nil, `{"code": 800019, "description": "d", "future": {"x": 1}}`, "800019", "d", nil, "", -1},
		{"html from a proxy", 502, nil, "<html>\nBad gateway</html>", "", "<html>", nil, "", -1},
		{"empty body", 403, nil, ``, "", "", nil, "", -1},
		{"code null uses statusCode", 400, nil, `{"code": null, "statusCode": 400, "message": "m"}`, "400", "m", nil, "", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux, _, _ := setup(t, WithRetry(RetryPolicy{MaxAttempts: 1}))
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("MS-CorrelationId", r.Header.Get("MS-CorrelationId"))
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			_, _, err := c.GetOrder(t.Context(), testCustomer, testOrder)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want an *APIError", err)
			}
			if ae.StatusCode != tt.status || ae.Code != tt.wantCode || ae.Description != tt.wantDesc || ae.ErrorName != tt.wantName {
				t.Errorf("got status %d code %q desc %q name %q, want %d %q %q %q", ae.StatusCode, ae.Code, ae.Description, ae.ErrorName, tt.status, tt.wantCode, tt.wantDesc, tt.wantName)
			}
			if ae.RetryAfter != tt.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", ae.RetryAfter, tt.retryAfter)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(err, %v) = false", tt.wantIs)
			}
			if !guidRE.MatchString(ae.CorrelationID) {
				t.Errorf("CorrelationID = %q, want the echoed GUID", ae.CorrelationID)
			}
			if !strings.Contains(err.Error(), "GET v1/customers/") {
				t.Errorf("error %q does not say which call failed", err)
			}
		})
	}
}

func TestRetriesReuseRequestID(t *testing.T) {
	c, mux, clock, _ := setup(t)
	var mu sync.Mutex
	var ids, corr []string
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ids = append(ids, r.Header.Get("MS-RequestId"))
		corr = append(corr, r.Header.Get("MS-CorrelationId"))
		n := len(ids)
		mu.Unlock()
		if n <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"id":"o"}`))
	})
	_, resp, err := c.GetOrder(t.Context(), testCustomer, "o")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Attempts != 3 || len(ids) != 3 {
		t.Fatalf("attempts = %d (server saw %d), want 3", resp.Attempts, len(ids))
	}
	if ids[0] != ids[1] || ids[1] != ids[2] || corr[0] != corr[2] {
		t.Errorf("ids changed between retries: %v %v", ids, corr)
	}
	if got := clock.Slept(); len(got) != 2 || got[0] != time.Second || got[1] != 2*time.Second {
		t.Errorf("backoff = %v, want [1s 2s]", got)
	}
	// The next logical call gets new ids.
	c.GetOrder(t.Context(), testCustomer, "o")
	if ids[3] == ids[0] || corr[3] == corr[0] {
		t.Error("a new logical call reused the previous ids")
	}
}

func TestThrottlePausesEveryone(t *testing.T) {
	c, mux, clock, lim := setup(t)
	var n int
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n++
		if n == 1 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"statusCode": 429, "message": "Rate limit is exceeded. Try again in 7 seconds."}`))
			return
		}
		w.Write([]byte(`{"id":"o"}`))
	})
	if _, _, err := c.GetOrder(t.Context(), testCustomer, "o"); err != nil {
		t.Fatal(err)
	}
	if len(lim.pauses) != 1 || lim.pauses[0] != 7*time.Second {
		t.Errorf("pauses = %v, want [7s] on the shared limiter", lim.pauses)
	}
	if lim.waits != 2 {
		t.Errorf("limiter waits = %d, want 2 (the retry waits for a token too)", lim.waits)
	}
	if s := clock.Slept(); len(s) != 0 {
		t.Errorf("the worker slept %v itself; the pause belongs to the limiter", s)
	}
}

// One bad header must not stall every worker: a Retry-After of 100000
// seconds pauses everyone for MaxRetryAfter only, and says so in the log.
func TestHugeRetryAfterIsCapped(t *testing.T) {
	var logs bytes.Buffer
	c, mux, _, lim := setup(t, WithRetry(RetryPolicy{MaxRetryAfter: 5 * time.Minute, Jitter: func(d time.Duration) time.Duration { return d }}), WithLogger(newTestLogger(&logs)))
	var n int
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n++
		if n == 1 {
			w.Header().Set("Retry-After", "100000")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"statusCode": 429, "message": "Rate limit is exceeded. Try again in 100000 seconds."}`))
			return
		}
		w.Write([]byte(`{"id":"o"}`))
	})
	if _, _, err := c.GetOrder(t.Context(), testCustomer, "o"); err != nil {
		t.Fatal(err)
	}
	if len(lim.pauses) != 1 || lim.pauses[0] != 5*time.Minute {
		t.Errorf("pauses = %v, want [5m0s]", lim.pauses)
	}
	if !strings.Contains(logs.String(), "Retry-After capped") || !strings.Contains(logs.String(), "asked=") {
		t.Errorf("the cap is not logged:\n%s", logs.String())
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	c, mux, _, _ := setup(t, WithRetry(RetryPolicy{MaxAttempts: 3, Jitter: func(d time.Duration) time.Duration { return d }}))
	var n int
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n++
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"code": 500, "description": "boom"}`))
	})
	_, resp, err := c.GetOrder(t.Context(), testCustomer, "o")
	if n != 3 || resp.Attempts != 3 {
		t.Fatalf("server saw %d attempts, response says %d; want 3", n, resp.Attempts)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 500 || !strings.Contains(err.Error(), "giving up after 3 attempts") {
		t.Errorf("err = %v", err)
	}
}

func TestNonRetryableIsFinal(t *testing.T) {
	c, mux, _, _ := setup(t)
	var n int
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n++
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"code": 900117, "description": "window"}`))
	})
	_, _, err := c.CancelOrder(t.Context(), testCustomer, "o", nil)
	if n != 1 {
		t.Errorf("a 400 was sent %d times", n)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != CodeOutsideWindow {
		t.Errorf("err = %v", err)
	}
}

func TestUnauthorizedRefreshesTokenOnce(t *testing.T) {
	var fetched int
	cache := NewTokenCache(TokenSourceFunc(func() (*oauth2.Token, error) {
		fetched++
		return &oauth2.Token{AccessToken: fmt.Sprintf("token-%d", fetched)}, nil
	}), nil, time.Minute)
	c, mux, _, _ := setup(t, WithTokenSource(cache))
	var seen []string
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"))
		if r.Header.Get("Authorization") == "Bearer token-1" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"code": 800001, "description": "expired"}`))
			return
		}
		w.Write([]byte(`{"id":"o"}`))
	})
	if _, _, err := c.GetOrder(t.Context(), testCustomer, "o"); err != nil {
		t.Fatal(err)
	}
	if strings.Join(seen, ",") != "Bearer token-1,Bearer token-2" {
		t.Errorf("tokens sent = %v", seen)
	}

	// A token Partner Center keeps refusing ends the call after one refresh.
	seen = nil
	mux2 := http.NewServeMux()
	mux2.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusUnauthorized)
	})
	srv := httptest.NewServer(mux2)
	defer srv.Close()
	c2, _ := New(srv.URL, WithTokenSource(cache), WithClock(newFakeClock()))
	_, _, err := c2.GetOrder(t.Context(), testCustomer, "o")
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("err = %v, want ErrUnauthorized", err)
	}
	if len(seen) != 2 {
		t.Errorf("sent %d requests, want 2 (one refresh)", len(seen))
	}
}

func TestPermanentAuthErrorSendsNothing(t *testing.T) {
	c, mux, _, _ := setup(t, WithTokenSource(TokenSourceFunc(func() (*oauth2.Token, error) {
		return nil, &AuthError{AADSTS: "AADSTS7000215", Description: "Invalid client secret provided.", Permanent: true}
	})))
	var n int
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { n++ })
	_, _, err := c.CancelOrder(t.Context(), testCustomer, "o", nil)
	if !errors.Is(err, ErrUnauthorized) || n != 0 {
		t.Errorf("err = %v, requests = %d; want ErrUnauthorized and nothing sent", err, n)
	}
}

// A PATCH whose answer is lost is checked with a GET before anything is
// sent again: if the lines are at 0 the cancellation happened, once.
func TestAmbiguousPatchIsVerifiedNotResent(t *testing.T) {
	c, mux, _, _ := setup(t)
	var mu sync.Mutex
	var patches, gets int
	quantity := 5
	mux.HandleFunc("PATCH /v1/customers/{c}/orders/{o}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		patches++
		quantity = 0
		mu.Unlock()
		conn, _, _ := http.NewResponseController(w).Hijack()
		conn.Close() // applied, then the connection drops
	})
	mux.HandleFunc("GET /v1/customers/{c}/orders/{o}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		gets++
		fmt.Fprintf(w, `{"id":"o","status":"cancelled","lineItems":[{"lineItemNumber":0,"offerId":"A","quantity":%d}]}`, quantity)
	})
	o, resp, err := c.CancelOrder(t.Context(), testCustomer, "o", []LineItemRef{{0, "A"}})
	if err != nil {
		t.Fatal(err)
	}
	if patches != 1 || gets != 1 {
		t.Errorf("patches = %d, gets = %d; want 1 and 1", patches, gets)
	}
	if !resp.Verified || o.Line(0).Quantity != 0 {
		t.Errorf("verified = %v, order = %+v", resp.Verified, o)
	}
}

func TestAmbiguousPatchNotAppliedIsResentWithSameRequestID(t *testing.T) {
	c, mux, _, _ := setup(t)
	var ids []string
	mux.HandleFunc("PATCH /v1/customers/{c}/orders/{o}", func(w http.ResponseWriter, r *http.Request) {
		ids = append(ids, r.Header.Get("MS-RequestId"))
		if len(ids) == 1 {
			w.WriteHeader(http.StatusInternalServerError) // failed before applying
			return
		}
		w.Write([]byte(`{"id":"o","status":"cancelled","lineItems":[{"lineItemNumber":0,"offerId":"A","quantity":0}]}`))
	})
	var getIDs []string
	mux.HandleFunc("GET /v1/customers/{c}/orders/{o}", func(w http.ResponseWriter, r *http.Request) {
		getIDs = append(getIDs, r.Header.Get("MS-RequestId"))
		w.Write([]byte(`{"id":"o","status":"completed","lineItems":[{"lineItemNumber":0,"offerId":"A","quantity":5}]}`))
	})
	o, resp, err := c.CancelOrder(t.Context(), testCustomer, "o", []LineItemRef{{0, "A"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] != ids[1] {
		t.Errorf("PATCH request ids = %v, want the same id twice", ids)
	}
	if len(getIDs) != 1 || getIDs[0] == ids[0] {
		t.Errorf("verification GETs = %v; want one, with its own request id", getIDs)
	}
	if resp.Verified || resp.Attempts != 2 || o.Line(0).Quantity != 0 {
		t.Errorf("resp = %+v, order = %+v", resp, o)
	}
}

func TestRedirectToAnotherHostKeepsTheToken(t *testing.T) {
	var leaked []string
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = append(leaked, r.Header.Get("Authorization"))
		w.Write([]byte(`{}`))
	}))
	defer evil.Close()
	for _, target := range []string{evil.URL, strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)} {
		c, mux, _, _ := setup(t, WithRetry(RetryPolicy{MaxAttempts: 1}))
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target+r.URL.Path, http.StatusTemporaryRedirect)
		})
		_, _, err := c.CancelOrder(t.Context(), testCustomer, "o", nil)
		if err == nil || !strings.Contains(err.Error(), "refusing redirect") {
			t.Errorf("redirect to %s: err = %v, want a refusal", target, err)
		}
	}
	if len(leaked) != 0 {
		t.Errorf("the other host received %d requests (Authorization %q)", len(leaked), leaked)
	}
}

func TestContextEndsRetries(t *testing.T) {
	c, mux, _, _ := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	var n int
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n++
		cancel()
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	_, _, err := c.GetOrder(ctx, testCustomer, "o")
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Errorf("err = %v after %d requests, want context.Canceled after 1", err, n)
	}
}

func TestNewRefusesPlainHTTP(t *testing.T) {
	if _, err := New("http://pc.example.com"); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("err = %v", err)
	}
}

func TestDecodeToleratesUnknownStatus(t *testing.T) {
	c, mux, _, _ := setup(t)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id":"o","status":"provisioning_in_galaxy","newThing":{"a":[1,2]},"lineItems":[{"lineItemNumber":3,"offerId":"X","quantity":2,"extra":true}]}`))
	})
	o, _, err := c.GetOrder(t.Context(), testCustomer, "o")
	if err != nil || o.Status != "provisioning_in_galaxy" || o.Line(3).Quantity != 2 {
		t.Errorf("order = %+v, err = %v", o, err)
	}
}

func TestCorruptSuccessBodyIsRetried(t *testing.T) {
	c, mux, _, _ := setup(t)
	var n int
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n++
		if n == 1 {
			w.Write([]byte(`{"id":"o","lineItems":[`))
			return
		}
		w.Write([]byte(`{"id":"o"}`))
	})
	if _, resp, err := c.GetOrder(t.Context(), testCustomer, "o"); err != nil || resp.Attempts != 2 {
		t.Errorf("err = %v, attempts = %d", err, resp.Attempts)
	}
}

func TestLoggingNeverShowsToken(t *testing.T) {
	var logs bytes.Buffer
	c, mux, _, _ := setup(t, WithLogger(newTestLogger(&logs)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	c.GetOrder(t.Context(), testCustomer, "o")
	if logs.Len() == 0 {
		t.Fatal("no debug logs written")
	}
	if strings.Contains(logs.String(), "test-token") {
		t.Errorf("logs contain the token:\n%s", logs.String())
	}
}

func TestGivesUpWhenWaitingTooLong(t *testing.T) {
	c, mux, _, lim := setup(t, WithRetry(RetryPolicy{MaxAttempts: 10, MaxWait: 2 * time.Minute}))
	var n int
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	_, _, err := c.GetOrder(t.Context(), testCustomer, "o")
	if n != 3 || !strings.Contains(fmt.Sprint(err), "2m0s of waiting") || !errors.Is(err, ErrThrottled) {
		t.Errorf("after %d attempts: %v; want to stop at the third, the next wait passing MaxWait", n, err)
	}
	if len(lim.pauses) != 2 {
		t.Errorf("pauses = %v", lim.pauses)
	}
}

// GetOrder asks for prices; the line items' pricing and the order's
// currency are read exactly, and a price Partner Center does not give —
// absent, null, not a number, negative — is no price, never an error.
func TestGetOrderReadsPrices(t *testing.T) {
	t.Parallel()
	c, mux, _, _ := setup(t)
	var query string
	mux.HandleFunc("GET "+testPath(testCustomer, testOrder), func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		io.WriteString(w, `{"id":"`+testOrder+`","currencyCode":"EUR","lineItems":[
			{"lineItemNumber":0,"offerId":"A","quantity":4,"pricing":{"listPrice":13748.00,"discountedPrice":12373.2,"price":12373.20,"extendedPrice":49492.8}},
			{"lineItemNumber":1,"offerId":"B","quantity":3,"pricing":{"listPrice":"209.005","discountedPrice":null,"price":"n/a"}},
			{"lineItemNumber":2,"offerId":"C","quantity":1,"pricing":{"price":-5,"discountedPrice":0.1}},
			{"lineItemNumber":3,"offerId":"D","quantity":1,"pricing":{}},
			{"lineItemNumber":4,"offerId":"E","quantity":1}]}`)
	})
	o, _, err := c.GetOrder(t.Context(), testCustomer, testOrder)
	if err != nil {
		t.Fatal(err)
	}
	if query != "include_price=true" || o.CurrencyCode != "EUR" {
		t.Errorf("query %q, currency %q", query, o.CurrencyCode)
	}
	for n, want := range []string{"12373.2 price", "209.005 listPrice", "0.1 discountedPrice", "none", "none"} {
		got := "none"
		if price, field, ok := o.Line(n).UnitPrice(); ok {
			got = price.String() + " " + field
		}
		if got != want {
			t.Errorf("line %d unit price = %s, want %s", n, got, want)
		}
	}
}
