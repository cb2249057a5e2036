package discover

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pcreconcile/pcreconcile/pcclient"
	"github.com/pcreconcile/pcreconcile/pcclient/pctest"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
)

// benchState is a partner of customers customers with orders one-time
// orders each: one line of each customer's first order is inside its
// window, the rest past it — the candidates stay as many as the customers
// whatever the number of orders.
func benchState(customers, orders int) *sandbox.State {
	st := &sandbox.State{}
	for c := range customers {
		cu := &sandbox.Customer{ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", c, c), Name: fmt.Sprintf("Customer %d", c), Relationship: true, Currency: "EUR"}
		for o := range orders {
			ago := 45.0
			if o == 0 {
				ago = 3
			}
			cu.Orders = append(cu.Orders, &sandbox.Order{ID: fmt.Sprintf("ORD%06d%04d", c, o), PurchasedDaysAgo: ago, BillingCycle: "one_time",
				LineItems: []*sandbox.LineItem{
					{LineItemNumber: 0, OfferID: "DG7GMGF0FKZV:0003:DG7GMGF0DWMS", FriendlyName: "SQL Server Enterprise", Quantity: 2, Kind: sandbox.PerpetualSoftware, Price: "11385.00"},
					{LineItemNumber: 1, OfferID: "DG7GMGF0DVT7:000C:DG7GMGF0FVZM", FriendlyName: "Windows Server CAL", Quantity: 10, Kind: sandbox.PerpetualSoftware, Price: "28.08"},
				}})
		}
		st.Customers = append(st.Customers, cu)
	}
	return st
}

// BenchmarkDiscover reads 2,000 customers: with 2 and with 10 orders each
// (4,000 and 20,000 orders), at a configured rate. The time is bound by
// the rate (requests ÷ rate, reported as rate-bound, 1.0 at the bound) and
// the memory does not grow with the orders (MB-heap-peak).
func BenchmarkDiscover(b *testing.B) {
	customers, rate := 2000, 60000.0
	if testing.Short() {
		customers = 100
	}
	for _, orders := range []int{2, 10} {
		b.Run(fmt.Sprintf("orders=%d", customers*orders), func(b *testing.B) {
			sb, err := sandbox.New(benchState(customers, orders), sandbox.Options{PageSize: 40})
			if err != nil {
				b.Fatal(err)
			}
			var requests atomic.Int64
			srv := httptest.NewServer(countHandler(sb, &requests))
			defer srv.Close()
			for b.Loop() {
				requests.Store(0)
				c := pctest.Client(b, srv.URL, pcclient.WithLimiter(pcclient.NewPacer(pcclient.PacerOptions{RequestsPerMinute: rate})))
				// The sandbox's state is in this process too: measure above it.
				runtime.GC()
				peak := heapWatch()
				start := time.Now()
				res, err := Run(b.Context(), Options{Client: c, BillingTypes: []string{"onetime", "monthly", "annual"}, Concurrency: 8})
				elapsed := time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Candidates) != customers*2 || res.Orders != customers*orders {
					b.Fatalf("%d candidates of %d orders", len(res.Candidates), res.Orders)
				}
				bound := time.Duration(float64(requests.Load()) / rate * float64(time.Minute))
				b.ReportMetric(float64(requests.Load()), "requests")
				b.ReportMetric(elapsed.Seconds(), "s")
				b.ReportMetric(elapsed.Seconds()/bound.Seconds(), "rate-bound")
				b.ReportMetric(peak(), "MB-live-heap-peak")
			}
		})
	}
}

func countHandler(sb *sandbox.Server, n *atomic.Int64) *countingServer {
	return &countingServer{sb: sb, n: n}
}

type countingServer struct {
	sb *sandbox.Server
	n  *atomic.Int64
}

func (s *countingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.n.Add(1)
	s.sb.ServeHTTP(w, r)
}

// heapWatch samples the live heap (as the last collection marked it:
// garbage not counted) while the benchmark runs and returns a function
// giving its peak above the live heap at the start, in MB.
func heapWatch() func() float64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	go func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-t.C:
			case <-stop:
				return
			}
		}
	}()
	base := live(sample)
	return func() float64 { close(stop); return float64(peak.Load()-min(base, peak.Load())) / (1 << 20) }
}

func live(s []metrics.Sample) uint64 {
	metrics.Read(s)
	return s[0].Value.Uint64()
}
