package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
	"github.com/pcreconcile/pcreconcile/report"
	"github.com/pcreconcile/pcreconcile/samples"
)

// discard is a ResponseWriter that keeps nothing.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// A cancellation whose outcome stayed unknown — every PATCH applied and its
// answer lost, every GET after it failing — is reported failed with no
// quantity after; the resume from that report reads the order first and
// counts the line as cancelled by this tool, money included, without
// sending it again.
func TestUnknownOutcomeIsSettledByTheResume(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	st, _ := sandbox.ReadState(bytes.NewReader(samples.SandboxSeed))
	sb, _ := sandbox.New(st, sandbox.Options{})
	const order = "Q2v7Lm9kT4xR8sPz1wYb3nHc6dFg5jKa0"
	var broken atomic.Bool
	broken.Store(true)
	var patches atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := strings.HasSuffix(r.URL.Path, "/orders/"+order)
		if target && r.Method == http.MethodPatch {
			patches.Add(1)
		}
		switch {
		case !broken.Load() || !target:
			sb.ServeHTTP(w, r)
		case r.Method == http.MethodPatch:
			sb.ServeHTTP(&discard{http.Header{}}, r) // applied…
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close() // …and never answered
			}
		case patches.Load() > 0:
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		default:
			sb.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	c.config = c.writeConfig(fmt.Sprintf("partner_center:\n  base_url: %s\nrun:\n  requests_per_minute: 60000\n  max_attempts: 2\nauth:\n  mode: token\n", srv.URL))
	c.env["PC_ACCESS_TOKEN"] = "opaque-test-token"

	first := c.runCfg("run", sampleCSV, "--report", c.path("r.xlsx"), "--yes")
	if first.code != exitIncomplete {
		t.Fatalf("exit %d\n%s", first.code, first.stderr)
	}
	if got := readLines(t, c.path("r.xlsx"))["2/0"]; got != "failed 4→-" {
		t.Fatalf("the line whose outcome is unknown reads %q, want failed 4→-", got)
	}
	if sb.Stats().LinesCancelled["4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57/"+order+"/0"] != 1 {
		t.Fatalf("the sandbox did not cancel the line: %v", sb.Stats().LinesCancelled)
	}

	broken.Store(false)
	sent := patches.Load()
	res := c.runCfg("run", "--resume", c.path("r.xlsx"), "--report", c.path("final.xlsx"), "--yes")
	if res.code != exitIncomplete {
		t.Fatalf("resume: exit %d\n%s", res.code, res.stderr)
	}
	if got := readLines(t, c.path("final.xlsx"))["2/0"]; got != "cancelled 4→0" {
		t.Errorf("after the resume the line reads %q, want cancelled 4→0", got)
	}
	if patches.Load() != sent {
		t.Errorf("the resume sent %d more PATCHes for a line that was at 0", patches.Load()-sent)
	}
	prior, err := report.Open(c.path("final.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer prior.Close()
	var amount string
	prior.Lines(func(l record.LineResult) error {
		if l.Row == 2 {
			amount = l.AmountCancelled().Decimal.StringFixed(2)
		}
		return nil
	})
	if amount == "0.00" || amount == "" {
		t.Errorf("the resumed line's Amount Cancelled is %q", amount)
	}
}
