package pcclient

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

const sampleJWT = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2FwaSJ9.U2lnbmF0dXJlT2ZUaGVUb2tlbg"

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Authorization: Bearer " + sampleJWT, "Authorization: [redacted] [redacted]"},
		{"token " + sampleJWT + " expired", "token [redacted] expired"},
		{"bearer abcdefghijklmnop", "bearer [redacted]"},
		{`{"client_secret":"s3cr3t-value~x"}`, `{"client_secret":"[redacted]"}`},
		{"password=hunter22&user=a", "password=[redacted]&user=a"},
		{"refresh_token: 0.AAAA-xyz", "refresh_token: [redacted]"},
		{"the order 800063 is cancelled (code 800063)", "the order 800063 is cancelled (code 800063)"},
		{"a key-123456789 here", "a [redacted] here"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in, "key-123456789", "short"); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCleanBoundsAndStripsControls(t *testing.T) {
	got := Clean("a\x00b\x1b[31mc\nd\te\xff"+strings.Repeat("é", 400), 50)
	if utf8.RuneCountInString(got) != 50 || !strings.HasSuffix(got, "…") || !utf8.ValidString(got) {
		t.Errorf("Clean = %q (%d runes)", got, utf8.RuneCountInString(got))
	}
	if !strings.HasPrefix(got, "ab[31mc d e\uFFFD") {
		t.Errorf("Clean = %q", got)
	}
}

func TestImplausibleAnswersAreRefusedWithoutRetry(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"another order", `{"id":"other","lineItems":[]}`, `the answer is for order "other"`},
		{"no id", `{"lineItems":[]}`, "names no order id"},
		{"negative quantity", `{"id":"` + testOrder + `","lineItems":[{"lineItemNumber":0,"offerId":"A","quantity":-7}]}`, "quantity -7"},
		{"negative line number", `{"id":"` + testOrder + `","lineItems":[{"lineItemNumber":-1,"offerId":"A","quantity":1}]}`, "number -1"},
		{"line twice", `{"id":"` + testOrder + `","lineItems":[{"lineItemNumber":2,"offerId":"A","quantity":1},{"lineItemNumber":2,"offerId":"B","quantity":1}]}`, "line item 2 appears twice"},
		{"offer id", `{"id":"` + testOrder + `","lineItems":[{"lineItemNumber":0,"offerId":"=HYPERLINK(1)","quantity":1}]}`, "is not an offer id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux, _, _ := setup(t)
			calls := 0
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				calls++
				w.Write([]byte(tt.body))
			})
			_, resp, err := c.GetOrder(t.Context(), testCustomer, testOrder)
			var ae *AnswerError
			if !errors.As(err, &ae) || !errors.Is(err, ErrImplausible) || !strings.Contains(ae.Reason, tt.want) {
				t.Fatalf("err = %v, want an AnswerError saying %q", err, tt.want)
			}
			if calls != 1 || resp.Attempts != 1 {
				t.Errorf("%d calls, %d attempts: an implausible answer is not asked again", calls, resp.Attempts)
			}
			// A PATCH answered so comes back the same way; the caller reads
			// the order again.
			_, _, err = c.CancelOrder(t.Context(), testCustomer, testOrder, nil)
			if !errors.Is(err, ErrImplausible) || calls != 2 {
				t.Errorf("PATCH: err = %v after %d calls", err, calls)
			}
		})
	}
}

func TestAnswerTextsAreCleaned(t *testing.T) {
	c, mux, _, _ := setup(t)
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		name := "Office " + r.Header.Get("Authorization") + "\x07" + strings.Repeat("x", 500)
		json.NewEncoder(w).Encode(map[string]any{"id": testOrder, "status": "completed\r\n", "lineItems": []map[string]any{
			{"lineItemNumber": 0, "offerId": "CFQ7TTC0LH18:0001:CFQ7TTC0LGQR", "quantity": 3, "friendlyName": name},
		}})
	})
	mux.HandleFunc("PATCH /", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"code": "800071", "description": "you sent " + r.Header.Get("Authorization"), "errorName": "Bad\x00"})
	})
	o, _, err := c.GetOrder(t.Context(), testCustomer, testOrder)
	if err != nil {
		t.Fatal(err)
	}
	name := o.LineItems[0].FriendlyName
	if strings.Contains(name, "test-token") || strings.ContainsRune(name, '\x07') || utf8.RuneCountInString(name) > MaxText || o.Status != "completed" {
		t.Errorf("friendly name %q, status %q", name, o.Status)
	}
	_, _, err = c.CancelOrder(t.Context(), testCustomer, testOrder, nil)
	var ae *APIError
	if !errors.As(err, &ae) || strings.Contains(ae.Description, "test-token") || !strings.Contains(ae.Description, "[redacted]") || ae.ErrorName != "Bad" {
		t.Errorf("err = %v (name %q)", err, ae.ErrorName)
	}
}

// patientClock's Sleep lasts until its context ends: a wait that only a
// stop can cut short.
type patientClock struct{ *fakeClock }

func (patientClock) Sleep(ctx context.Context, d time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestUntilStoppedEndsTheWaitAtOnce(t *testing.T) {
	c, mux, _, _ := setup(t, WithClock(patientClock{newFakeClock()}))
	stop, cancel := context.WithCancel(t.Context())
	calls := 0
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		calls++
		cancel() // the run is stopped while this answer is on its way
		w.Header().Set("Retry-After", "900")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	_, resp, err := c.GetOrder(t.Context(), testCustomer, testOrder, UntilStopped(stop))
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 503 || calls != 1 || resp.Attempts != 1 || !strings.Contains(err.Error(), "stopped after 1 attempts") {
		t.Errorf("err = %v after %d calls", err, calls)
	}
	// Stopped before the first attempt: nothing is sent.
	_, resp, err = c.CancelOrder(t.Context(), testCustomer, testOrder, nil, UntilStopped(stop))
	if !errors.Is(err, ErrStopped) || calls != 1 || resp.Attempts != 0 {
		t.Errorf("err = %v, %d calls", err, calls)
	}
}

func TestOnceSendsOneAttemptWithoutTheLimiter(t *testing.T) {
	c, mux, _, lim := setup(t)
	calls := 0
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusInternalServerError)
	})
	lim.mu.Lock()
	before := lim.waits
	lim.mu.Unlock()
	_, resp, err := c.GetOrder(t.Context(), testCustomer, testOrder, Once())
	if err == nil || calls != 1 || resp.Attempts != 1 || lim.waits != before {
		t.Errorf("err = %v, %d calls, %d limiter waits", err, calls, lim.waits-before)
	}
}

func TestMayHaveAppliedAfterAnAmbiguousAttempt(t *testing.T) {
	c, mux, _, _ := setup(t)
	patches := 0
	mux.HandleFunc("PATCH /", func(w http.ResponseWriter, r *http.Request) {
		patches++
		if patches == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"code":"800063","description":"already cancelled"}`))
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	_, resp, err := c.CancelOrder(t.Context(), testCustomer, testOrder, nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != CodeLineItemCancelled || !resp.MayHaveApplied {
		t.Errorf("err = %v, MayHaveApplied %v", err, resp.MayHaveApplied)
	}
	// A PATCH refused at the first attempt carries no such doubt.
	patches = 1
	_, resp, _ = c.CancelOrder(t.Context(), testCustomer, testOrder, nil)
	if resp.MayHaveApplied {
		t.Error("MayHaveApplied after a plain refusal")
	}
}

// FuzzDecodeOrder feeds hostile JSON to the answer decoder and its checks:
// never a panic, and an order that passes is one the rules can trust.
func FuzzDecodeOrder(f *testing.F) {
	for _, seed := range []string{
		`{"id":"o1","status":"completed","currencyCode":"EUR","lineItems":[{"lineItemNumber":0,"offerId":"A:1","quantity":3,"pricing":{"price":"12.50"}}]}`,
		`{"id":"o1","lineItems":null}`,
		`{"id":"o1","lineItems":[{"lineItemNumber":0,"quantity":-1}]}`,
		`{"id":"o1","lineItems":[{"lineItemNumber":1,"offerId":"A"},{"lineItemNumber":1,"offerId":"B"}]}`,
		`{"id":"o1","lineItems":[{"lineItemNumber":0,"offerId":"A","quantity":1,"friendlyName":"Bearer ` + sampleJWT + `\u0000"}]}`,
		`{"id":"o2"}`, `[]`, `null`, `{"id":1}`, `{"id":"o1","lineItems":[{"quantity":1e400}]}`,
		`{"id":"o1","lineItems":[{"pricing":{"price":-5,"listPrice":"abc","discountedPrice":null}}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var o Order
		if json.Unmarshal(body, &o) != nil {
			return
		}
		if o.check("o1", sampleJWT) != nil {
			return
		}
		if o.ID != "o1" {
			t.Fatalf("accepted an answer for %q", o.ID)
		}
		seen := map[int]bool{}
		for _, li := range o.LineItems {
			if li.Quantity < 0 || li.LineItemNumber < 0 || seen[li.LineItemNumber] {
				t.Fatalf("accepted line %+v", li)
			}
			seen[li.LineItemNumber] = true
			for _, s := range []string{li.FriendlyName, li.OfferID, li.TermDuration} {
				if strings.Contains(s, sampleJWT) || utf8.RuneCountInString(s) > MaxText || !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
					t.Fatalf("accepted text %q", s)
				}
			}
			if p, _, ok := li.UnitPrice(); ok && p.IsNegative() {
				t.Fatalf("negative price %v", p)
			}
		}
		for _, s := range []string{o.Status, o.CurrencyCode, o.CreationDate} {
			if strings.Contains(s, sampleJWT) || !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
				t.Fatalf("accepted text %q", s)
			}
		}
	})
}
