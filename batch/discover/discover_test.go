package discover

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pcreconcile/pcreconcile/batch/catalogue"
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
	"github.com/pcreconcile/pcreconcile/internal/deadline"
	"github.com/pcreconcile/pcreconcile/pcclient"
	"github.com/pcreconcile/pcreconcile/pcclient/pctest"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
	"github.com/pcreconcile/pcreconcile/samples"
)

// sandboxClient serves the seeded sandbox on a real socket (pages of 2)
// and returns a client for it.
func sandboxClient(t testing.TB, wrap func(http.Handler) http.Handler) *pcclient.Client {
	t.Helper()
	st, err := sandbox.ReadState(bytes.NewReader(samples.SandboxSeed))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(st, sandbox.Options{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = sb
	if wrap != nil {
		h = wrap(sb)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return pctest.Client(t, srv.URL)
}

func keys(cs []Candidate) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Order[:4]+"/"+string(rune('0'+c.Line)))
	}
	return out
}

// The candidates are exactly the lines still active and inside their
// window — none past its deadline, none of a kind never cancelled this way,
// none at quantity 0 — soonest deadline first, with hours left and the
// amount at stake; the customer without a relationship is not read.
func TestCandidatesAreWhatCanStillBeCancelled(t *testing.T) {
	t.Parallel()
	c := sandboxClient(t, nil)
	now := time.Now()
	res, err := Run(t.Context(), Options{Client: c, Catalogue: catalogue.New(c, deadline.Rules{}, nil), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	got := keys(res.Candidates)
	want := []string{"Dv3C/0", "Ey7N/0", "Hs3N/0", "Hs3N/1", "Pd8Y/1", "Wn5K/0", "Wn5K/1", "Wn5K/2", "Rx9B/0", "Rx9B/1", "Q2v7/0", "Q2v7/1", "Md6V/0", "Kf2N/0"}
	slices.Sort(got[2:4])
	if strings.Join(got[:2], " ") != "Dv3C/0 Ey7N/0" && strings.Join(got[:2], " ") != "Ey7N/0 Dv3C/0" {
		t.Errorf("soonest first: %v", got)
	}
	a, b := slices.Clone(got), slices.Clone(want)
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Errorf("candidates %v\nwant       %v", got, want)
	}
	if !slices.IsSortedFunc(res.Candidates, func(x, y Candidate) int { return x.Until.Compare(y.Until) }) {
		t.Error("not sorted by deadline")
	}
	for _, c := range res.Candidates {
		if !c.Until.After(now) || c.Until.Sub(c.Purchased) != map[deadline.Kind]time.Duration{deadline.SoftwareSubscription: 7 * 24 * time.Hour, deadline.PerpetualSoftware: 30 * 24 * time.Hour}[c.Kind] {
			t.Errorf("%s/%d: %s bought %v, until %v", c.Order, c.Line, c.Kind, c.Purchased, c.Until)
		}
	}
	first := res.Candidates[0]
	if h := first.HoursLeft(now); h < 4.5 || h > 5 {
		t.Errorf("the soonest has %.1f hours left, want 4.8", h)
	}
	totals := map[string]decimal.Decimal{}
	for _, c := range res.Candidates {
		totals[c.Currency] = totals[c.Currency].Add(c.Amount().Decimal)
	}
	for cur, want := range map[string]string{"EUR": "28969.02", "GBP": "68463", "USD": "54416.7"} {
		if !totals[cur].Equal(decimal.RequireFromString(want)) {
			t.Errorf("at stake %s %s, want %s", cur, totals[cur], want)
		}
	}
	if len(res.NotRead) != 1 || res.NotRead[0].Name != "Tailspin Toys" || res.NotRead[0].Code != "20002" {
		t.Errorf("not read %+v", res.NotRead)
	}
	if res.Customers != 4 || res.Skipped[SkipPast] != 2 || res.Skipped[SkipNever] != 2 {
		t.Errorf("read %d customers, skipped %v", res.Customers, res.Skipped)
	}

	// --within 24h: only the two hours from their deadline.
	res, err = Run(t.Context(), Options{Client: c, Within: 24 * time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(res.Candidates); len(got) != 2 || res.Skipped[SkipTooFar] != 12 {
		t.Errorf("within 24h: %v, skipped %v", got, res.Skipped)
	}
}

// A customer list that never ends is stopped and said so; the customers
// read before are still read.
func TestRunawayCustomerList(t *testing.T) {
	t.Parallel()
	var pages atomic.Int64
	st, _ := sandbox.ReadState(bytes.NewReader(samples.SandboxSeed))
	sb, _ := sandbox.New(st, sandbox.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/customers" {
			sb.ServeHTTP(w, r)
			return
		}
		n := pages.Add(1)
		w.Write([]byte(`{"items": [{"id": "4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57", "companyProfile": {"companyName": "Contoso"}}],
			"links": {"next": {"uri": "/customers?seekOperation=Next", "headers": [{"key": "MS-ContinuationToken", "value": "t` + string(rune('a'+n%26)) + `"}]}}}`))
	}))
	t.Cleanup(srv.Close)
	c := pctest.Client(t, srv.URL, pcclient.WithMaxPages(50))
	res, err := Run(t.Context(), Options{Client: c})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Incomplete, "keeps paging") || pages.Load() != 50 || res.Customers != 1 || len(res.Candidates) == 0 {
		t.Errorf("incomplete %q after %d pages, %d customers, %d candidates", res.Incomplete, pages.Load(), res.Customers, len(res.Candidates))
	}
}

// A customer list that cannot be read is an error; one customer's orders
// that cannot be read are not.
func TestCustomerListUnreadable(t *testing.T) {
	t.Parallel()
	c := sandboxClient(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v1/customers" {
				w.WriteHeader(http.StatusForbidden)
				w.Write([]byte(`{"code": 600001, "description": "forbidden"}`))
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	if _, err := Run(t.Context(), Options{Client: c}); err == nil || !strings.Contains(err.Error(), "cannot list the customers") {
		t.Errorf("err %v", err)
	}
}

// --customers FILE: the customers of its Customer Tenant ID column, each
// once, names from its Customer Name column; a bad id names its row.
func TestReadCustomers(t *testing.T) {
	t.Parallel()
	h, _ := plan.NewHeaders(nil)
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "c.csv")
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	got, err := ReadCustomers(write("Notes\nCustomer ID,Customer Name\n4A7C2E91-5B3D-4F8A-9C1E-2D6B8F0A3C57,Contoso\n{4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57},\n,Total\nb81f6d04-7e2a-4c95-a3d8-5f0e1c9b2a76,Fabrikam\n"), h, sheet.Options{})
	if err != nil || len(got) != 2 || got[0] != (Customer{ID: "4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57", Name: "Contoso"}) || got[1].Name != "Fabrikam" {
		t.Errorf("%+v %v", got, err)
	}
	_, err = ReadCustomers(write("Customer Tenant ID\nnot-a-guid\n"), h, sheet.Options{})
	var pe *plan.Error
	if !errors.As(err, &pe) || pe.Row != 2 || pe.Value != "not-a-guid" {
		t.Errorf("a bad id: %v", err)
	}
	if _, err := ReadCustomers(write("Order\nx\n"), h, sheet.Options{}); err == nil || !strings.Contains(err.Error(), "no Customer Tenant ID column") {
		t.Errorf("no column: %v", err)
	}
}

// Read only the customers named: the others are not asked for.
func TestOnlyTheCustomersNamed(t *testing.T) {
	t.Parallel()
	var asked atomic.Int64
	c := sandboxClient(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v1/customers" {
				asked.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	})
	res, err := Run(t.Context(), Options{Client: c, Customers: []Customer{{ID: "b81f6d04-7e2a-4c95-a3d8-5f0e1c9b2a76", Name: "Fabrikam"}}})
	if err != nil {
		t.Fatal(err)
	}
	if asked.Load() != 0 || res.Customers != 1 || len(res.Candidates) != 5 {
		t.Errorf("list asked %d times, %d customers, %v", asked.Load(), res.Customers, keys(res.Candidates))
	}
}
