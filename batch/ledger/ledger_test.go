package ledger

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/record"
)

// Rows go in whole and come back by column name, text never becoming a
// formula; concurrent appends (two operators sharing a ledger) each land
// whole; the latest row of a run stands for it; a torn last row is ignored.
func TestAppendAndRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared", "history.csv")
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	start := Entry{When: t0, Who: "jane@fin-01", Mode: record.Run, Command: "pcreconcile run =cmd", Input: "c.csv", InputSHA256: "abc",
		Endpoint: "https://api.partnercenter.microsoft.com", ChainID: "run-1", RunID: "run-1", Report: "/r/r1.xlsx", Result: Started}
	if err := Append(path, start); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := start
			e.RunID, e.ParentRunID, e.Result = "run-x", "run-1", Started
			e.LinesCancelled = i
			if err := Append(path, e); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	end := start
	end.When, end.Result, end.LinesCancelled, end.AmountCancelled, end.Seal = t0.Add(time.Minute), "finished: 3 lines need attention", 6, "EUR 25,147.80; USD 51,947.10", "seal"
	if err := Append(path, end); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`2026-12-01T10:00:00Z,"torn`)
	f.Close()
	l, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 22 {
		t.Fatalf("%d rows, want 22", len(l))
	}
	runs := l.Runs()
	if len(runs) != 2 || runs[0].RunID != "run-1" || runs[0].Result != end.Result || runs[0].AmountCancelled != end.AmountCancelled || runs[0].Command != "pcreconcile run =cmd" {
		t.Errorf("runs: %+v", runs)
	}
	if c := l.Children("run-1"); len(c) != 1 || c[0].RunID != "run-x" {
		t.Errorf("children: %+v", c)
	}
	if e, ok := l.LastRun("abc", "https://API.partnercenter.microsoft.com/", record.Run); !ok || e.RunID != "run-1" {
		t.Errorf("LastRun: %+v %v", e, ok)
	}
	if _, ok := l.LastRun("abc", "https://api.partnercenter.microsoft.com", record.Plan); ok {
		t.Error("a run answered for a plan")
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "'=cmd") && !strings.Contains(string(b), "run =cmd") {
		t.Error("the command was not written")
	}
}

// The per-folder history of earlier versions is still read.
func TestLegacyHistoryIsRead(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, LegacyFile), []byte("Input,Input SHA-256,Endpoint,Report,Config,Run ID,Started (UTC),Finished (UTC),Result,Lines Cancelled,Quantity Cancelled,Amount Cancelled\n"+
		"c.csv,abc,https://api.partnercenter.microsoft.com,/r/r1.xlsx,,run-old,2026-11-01T09:00:00Z,2026-11-01T09:05:00Z,complete,6,85,EUR 1.00\n"), 0o644)
	l, err := ReadLegacy(dir)
	if err != nil || len(l) != 1 {
		t.Fatalf("%v %v", l, err)
	}
	e, ok := l.LastRun("abc", "https://api.partnercenter.microsoft.com", record.Run)
	if !ok || e.ChainID != "run-old" || e.Report != "/r/r1.xlsx" || e.When.Hour() != 9 || e.When.Minute() != 5 {
		t.Errorf("%+v %v", e, ok)
	}
}
