package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// walkthroughStep is a command of the README's walkthrough and the output
// the README shows for it ("…" stands for lines left out).
type walkthroughStep struct {
	args []string
	want []string
}

// readmeWalkthrough extracts the walkthrough's commands from README.md: the
// lines "./pcreconcile …" (or "$ ./pcreconcile …") of its code blocks, each
// with the output block that follows it.
func readmeWalkthrough(t *testing.T) []walkthroughStep {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "## Walkthrough")
	end := strings.Index(text[start+1:], "\n## ")
	if start < 0 || end < 0 {
		t.Fatal("README.md has no walkthrough section")
	}
	var steps []walkthroughStep
	inBlock, output := false, false
	for _, line := range strings.Split(text[start:start+1+end], "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
			if inBlock {
				inBlock, output = false, false
			} else {
				inBlock = true
				// A plain block right after a command block is its output.
				output = line == "```" && len(steps) > 0 && steps[len(steps)-1].want == nil
			}
		case !inBlock:
		case strings.HasPrefix(strings.TrimPrefix(line, "$ "), "./pcreconcile "):
			cmd, _, _ := strings.Cut(strings.TrimPrefix(line, "$ "), "#")
			steps = append(steps, walkthroughStep{args: strings.Fields(cmd)[1:]})
			output = strings.HasPrefix(line, "$ ")
		case output && strings.TrimSpace(line) != "" && strings.TrimSpace(line) != "…":
			s := &steps[len(steps)-1]
			s.want = append(s.want, strings.TrimRight(line, " "))
		}
	}
	return steps
}

// TestReadmeWalkthroughRuns runs the README's walkthrough as written, on
// the built-in sandbox (its state in the test's folder), and checks that
// every line of output the README shows is what the command prints, and
// that the plan changes nothing in the sandbox.
func TestReadmeWalkthroughRuns(t *testing.T) {
	t.Parallel()
	steps := readmeWalkthrough(t)
	if len(steps) < 5 {
		t.Fatalf("found %d walkthrough commands in README.md", len(steps))
	}
	c := newCLI(t)
	state := c.path("sandbox-state.json")
	for _, s := range steps {
		if s.args[0] == "sandbox" {
			continue // the test's sandbox is fresh already
		}
		args := append([]string{}, s.args...)
		for i, a := range args {
			if strings.HasSuffix(a, ".xlsx") && !strings.HasPrefix(a, "samples/") {
				args[i] = c.path(a) // reports go to the test's folder
			}
		}
		before, _ := os.ReadFile(state)
		res := c.runCfg(args...)
		if res.code != exitOK && res.code != exitIncomplete {
			t.Errorf("%v: exit %d\n%s", s.args, res.code, res.stderr)
			continue
		}
		if after, _ := os.ReadFile(state); s.args[0] == "plan" && string(after) != string(before) {
			t.Errorf("%v changed the sandbox", s.args)
		}
		// The test names its config (for the sandbox's state); the README's
		// reader has none.
		out := strings.ReplaceAll(res.stdout, " --config "+c.config, "")
		out = strings.ReplaceAll(out, c.dir+string(filepath.Separator), "")
		have := map[string]bool{}
		for _, l := range strings.Split(out, "\n") {
			have[strings.TrimRight(l, " ")] = true
		}
		for _, w := range s.want {
			if !have[w] {
				t.Errorf("%v: the README shows %q, which the command does not print:\n%s", s.args, w, out)
			}
		}
	}
}

// TestReadmeWalkthroughPlanThatCannotBeWritten runs the walkthrough's plan
// with a report that cannot be written, then follows the hint it prints,
// word for word: nothing may be cancelled on the way.
func TestReadmeWalkthroughPlanThatCannotBeWritten(t *testing.T) {
	t.Parallel()
	var plan []string
	for _, s := range readmeWalkthrough(t) {
		if s.args[0] == "plan" {
			plan = s.args
		}
	}
	if plan == nil {
		t.Fatal("the README's walkthrough has no plan")
	}
	c := newCLI(t)
	state := c.path("sandbox-state.json")
	args := append([]string{}, plan...)
	for i, a := range args {
		if strings.HasSuffix(a, ".xlsx") && !strings.HasPrefix(a, "samples/") {
			args[i] = c.path(a)
		}
	}
	c.writeReport = failingReport
	res := c.runCfg(args...)
	c.writeReport = nil
	if res.code != exitAborted {
		t.Fatalf("%v with a failing report: exit %d\n%s", plan, res.code, res.stderr)
	}
	_, hint, ok := strings.Cut(res.stderr, "write the report with: ")
	if !ok {
		t.Fatalf("no hint to follow:\n%s", res.stderr)
	}
	hint, _, _ = strings.Cut(hint, "\n")
	words := strings.Fields(hint)
	if len(words) < 2 || words[0] != "pcreconcile" || words[1] != "plan" {
		t.Fatalf("the hint %q is not a plan command", hint)
	}
	if res := c.run(words[1:]...); res.code != exitOK && res.code != exitIncomplete {
		t.Fatalf("following the hint: exit %d\n%s", res.code, res.stderr)
	}
	if _, err := os.Stat(state); err == nil {
		t.Error("following the plan's hint changed the sandbox")
	}
}
