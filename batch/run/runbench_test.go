package run

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/journal"
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/pcclient"
	"github.com/pcreconcile/pcreconcile/pcclient/pctest"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
)

// arrivals records when each request reached the server.
type arrivals struct {
	mu    sync.Mutex
	times []time.Time
	next  http.Handler
}

func (a *arrivals) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.times = append(a.times, time.Now())
	a.mu.Unlock()
	a.next.ServeHTTP(w, r)
}

// rateWorld is n orders of one line each, spread over 50 customers.
func rateWorld(n int) (*sandbox.State, string) {
	st := &sandbox.State{}
	var b strings.Builder
	b.WriteString("Customer Tenant ID,Order ID,Line Item Number\n")
	for c := range 50 {
		st.Customers = append(st.Customers, &sandbox.Customer{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", c+1), Relationship: true})
	}
	for i := range n {
		cust := st.Customers[i%50]
		id := fmt.Sprintf("R%06d", i)
		cust.Orders = append(cust.Orders, &sandbox.Order{ID: id, PurchasedDaysAgo: 1, LineItems: []*sandbox.LineItem{{LineItemNumber: 0, OfferID: "O", Quantity: 3}}})
		fmt.Fprintf(&b, "%s,%s,0\n", cust.ID, id)
	}
	return st, b.String()
}

type rateResult struct {
	elapsed   time.Duration
	requests  int
	perMinute float64 // achieved, first to last request
	maxWindow int     // most requests in any 10-second window
	throttled int
}

// runAtRate runs n orders against the sandbox (latency, throttle) with a
// client paced at perMinute and measures the traffic the sandbox saw.
func runAtRate(b *testing.B, n int, perMinute float64, latency time.Duration, throttle sandbox.Throttle) rateResult {
	b.Helper()
	st, csv := rateWorld(n)
	sb, err := sandbox.New(st, sandbox.Options{Latency: latency, Faults: sandbox.Faults{Throttle: throttle}})
	if err != nil {
		b.Fatal(err)
	}
	arr := &arrivals{next: sb}
	srv := httptest.NewServer(arr)
	defer srv.Close()
	pacer := pcclient.NewPacer(pcclient.PacerOptions{RequestsPerMinute: perMinute})
	client := pctest.Client(b, srv.URL, pcclient.WithLimiter(pacer), pcclient.WithRetry(pcclient.RetryPolicy{MaxAttempts: 20}))
	dir := b.TempDir()
	path := filepath.Join(dir, "in.csv")
	os.WriteFile(path, []byte(csv), 0o644)
	h, _ := plan.NewHeaders(nil)
	p, err := plan.ReadFile(path, plan.ReadOptions{Headers: h})
	if err != nil {
		b.Fatal(err)
	}
	j, _ := journal.Create(filepath.Join(dir, "j"), journal.Header{})
	defer j.Close()
	start := time.Now()
	r := &Runner{Client: client, Concurrency: 8, Journal: j}
	if err := r.Run(b.Context(), p); err != nil {
		b.Fatal(err)
	}
	res := rateResult{elapsed: time.Since(start), throttled: sb.Stats().Throttled}
	got := collect(b, p, j)
	for _, l := range got {
		if l.Status != record.Cancelled {
			b.Fatalf("a line ended %s: %s", l.Status, l.ErrorMessage)
		}
	}
	times := arr.times
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	res.requests = len(times)
	if span := times[len(times)-1].Sub(times[0]); span > 0 {
		res.perMinute = float64(len(times)-1) / span.Minutes()
	}
	for i, k := 0, 0; i < len(times); i++ {
		for times[i].Sub(times[k]) > 10*time.Second {
			k++
		}
		res.maxWindow = max(res.maxWindow, i-k+1)
	}
	return res
}

// BenchmarkRunRate runs orders against the sandbox with 150 ms of latency
// and reports the request rate the sandbox saw against the configured one
// (the target: at least 95 %, and never above it in any 10-second window,
// retries included).
func BenchmarkRunRate(b *testing.B) {
	const perMinute = 1500
	n := 500 // 1,000 requests: 40 s at 1,500 a minute
	if testing.Short() {
		n = 40
	}
	var res rateResult
	for b.Loop() {
		res = runAtRate(b, n, perMinute, 150*time.Millisecond, sandbox.Throttle{})
	}
	limit := perMinute / 6 // requests allowed in 10 seconds
	b.ReportMetric(res.perMinute, "req/min")
	b.ReportMetric(100*res.perMinute/perMinute, "%-of-configured")
	b.ReportMetric(float64(res.maxWindow), "max-req/10s")
	b.ReportMetric(float64(limit), "limit-req/10s")
	if res.maxWindow > limit {
		b.Errorf("%d requests in a 10-second window; the limit allows %d", res.maxWindow, limit)
	}
	if !testing.Short() && res.perMinute < 0.95*perMinute {
		b.Errorf("sustained %.0f requests a minute, below 95 %% of %d", res.perMinute, perMinute)
	}
}
