package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEarlierVersionsResume resumes a plan, a report and a crashed run's
// journal written by the first release (testdata/v1): files are read by
// column name, so those of earlier versions still finish their work.
func TestEarlierVersionsResume(t *testing.T) {
	t.Parallel()
	t.Run("plan", func(t *testing.T) {
		c := newCLI(t)
		res := c.runCfg("run", "--resume", "testdata/v1/plan-v1.xlsx", "--report", c.path("run.xlsx"))
		if res.code != exitIncomplete {
			t.Fatalf("exit %d\n%s", res.code, res.stderr)
		}
		got := readLines(t, c.path("run.xlsx"))
		for _, k := range []string{"2/0", "3/0", "4/1", "5/0", "5/1", "5/2"} {
			if got[k] != sampleWant[k] {
				t.Errorf("line %s = %q, want %q", k, got[k], sampleWant[k])
			}
		}
		if len(got) != len(sampleWant) {
			t.Errorf("%d lines, want %d", len(got), len(sampleWant))
		}
	})
	t.Run("report", func(t *testing.T) {
		c := newCLI(t)
		res := c.runCfg("run", "--resume", "testdata/v1/run-v1.xlsx", "--report", c.path("again.xlsx"))
		if res.code != exitIncomplete {
			t.Fatalf("exit %d\n%s", res.code, res.stderr)
		}
		got := readLines(t, c.path("again.xlsx"))
		// Carried as the first release wrote them, quantities and all.
		for _, k := range []string{"2/0", "5/1", "7/0", "9/0", "14/0"} {
			if got[k] != sampleWant[k] {
				t.Errorf("line %s = %q, want %q", k, got[k], sampleWant[k])
			}
		}
		if len(got) != len(sampleWant) {
			t.Errorf("%d lines, want %d", len(got), len(sampleWant))
		}
	})
	t.Run("journal", func(t *testing.T) {
		c := newCLI(t)
		input, err := filepath.Abs("testdata/v1/cancellations.csv")
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile("testdata/v1/journal-v2.xlsx.journal")
		if err != nil {
			t.Fatal(err)
		}
		journal := c.path("journal-v2.xlsx.journal")
		os.WriteFile(journal, []byte(strings.ReplaceAll(string(b), "/tmp/fx/cancellations.csv", input)), 0o600)
		state, _ := os.ReadFile("testdata/v1/journal-v2-sandbox-state.json")
		os.WriteFile(c.path("sandbox-state.json"), state, 0o600)

		res := c.runCfg("run", "--resume", journal, "--report", c.path("final.xlsx"))
		if res.code != exitIncomplete {
			t.Fatalf("exit %d\n%s", res.code, res.stderr)
		}
		got := readLines(t, c.path("final.xlsx"))
		for k, want := range sampleWant {
			if got[k] != want {
				t.Errorf("line %s = %q, want %q", k, got[k], want)
			}
		}
		if len(got) != len(sampleWant) {
			t.Errorf("%d lines, want %d", len(got), len(sampleWant))
		}
	})
}
