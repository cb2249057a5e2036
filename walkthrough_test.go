package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestWalkthroughOutput runs the README's walkthrough on the sandbox —
// check, plan, run the plan, resume what is left, a direct run — and
// compares everything the user sees (stdout, stderr, exit codes) with
// testdata/walkthrough.golden. It pins the command line's behaviour: a
// change to what users read shows up here as a diff to review, and
// `go test -run Walkthrough -update` accepts it.
func TestWalkthroughOutput(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	var b strings.Builder
	step := func(args ...string) {
		t.Helper()
		res := c.runCfg(args...)
		fmt.Fprintf(&b, "$ pcreconcile %s\n", strings.Join(args, " "))
		fmt.Fprintf(&b, "exit %d\n--- stdout\n%s--- stderr\n%s\n", res.code, res.stdout, res.stderr)
	}
	step("check", "samples/cancellations.xlsx")
	step("check", "samples/cancellations.csv", "--format", "json")
	step("plan", "samples/cancellations.xlsx", "--report", c.path("plan.xlsx"))
	step("run", "--resume", c.path("plan.xlsx"), "--report", c.path("run.xlsx"))
	step("run", "--resume", c.path("run.xlsx"), "--report", c.path("retry.xlsx"))
	step("sandbox", "--reset")
	step("run", "samples/cancellations.csv", "--report", c.path("direct.xlsx"))
	step("run", "samples/cancellations.csv", "--report", c.path("direct.xlsx"))
	// The error paths: usage, a file that is no cancellation list, a resume
	// of nothing, a config that is wrong.
	step("run")
	step("run", "samples/cancellations.csv", "--rate", "fast")
	step("check", "samples/sandbox.json")
	step("run", "--resume", c.path("missing.xlsx"))
	c.config = c.writeConfig("run:\n  concurrency: 4\n  bogus: 1\n")
	step("plan", "samples/cancellations.csv")
	got := normalizeOutput(b.String(), c)

	golden := filepath.Join("testdata", "walkthrough.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run Walkthrough -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("the walkthrough's output changed; review the diff and accept it with -update\n%s", lineDiff(string(want), got))
	}
}

var (
	configs   = regexp.MustCompile(`config-\d+\.yaml`)
	logTime   = regexp.MustCompile(`time=\S+`)
	runIDs    = regexp.MustCompile(`run-\d{8}-\d{6}-[0-9a-f]{6}`)
	durations = regexp.MustCompile(`took=\S+`)
)

// normalizeOutput replaces what differs between runs (the temporary
// directory, times, run ids) by placeholders.
func normalizeOutput(s string, c *cli) string {
	s = strings.ReplaceAll(s, c.config, "$CONFIG")
	s = strings.ReplaceAll(s, c.dir, "$DIR")
	s = configs.ReplaceAllString(s, "config.yaml")
	s = logTime.ReplaceAllString(s, "time=T")
	s = runIDs.ReplaceAllString(s, "RUN-ID")
	return durations.ReplaceAllString(s, "took=D")
}

// lineDiff shows the lines of want and got that differ, with their line
// numbers: enough to see what changed in a golden file.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 40; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  - %s\n  + %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}
