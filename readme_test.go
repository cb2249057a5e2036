package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/report"
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
	return readmeSteps(t, "## Walkthrough")
}

// readmeSteps extracts the commands and their output from the README
// section that starts with heading.
func readmeSteps(t *testing.T, heading string) []walkthroughStep {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, heading)
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
	steps := append(readmeSteps(t, "## Start from what can still be cancelled"), readmeWalkthrough(t)...)
	steps = append(steps, readmeSteps(t, "## Did the money come back?")...)
	if len(steps) < 6 {
		t.Fatalf("found %d walkthrough commands in README.md", len(steps))
	}
	c := newCLI(t)
	state := c.path("sandbox-state.json")
	for _, s := range steps {
		if s.args[0] == "sandbox" && slices.Contains(s.args, "--reset") {
			continue // the test's sandbox is fresh already
		}
		args := append([]string{}, s.args...)
		for i, a := range args {
			if (strings.HasSuffix(a, ".xlsx") || strings.HasSuffix(a, ".csv")) && !strings.HasPrefix(a, "samples/") {
				args[i] = c.path(a) // reports and files go to the test's folder
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

// TestReadmeSaysWhatTheToolDoes holds the README to the tool's own words:
// every flag it names exists, the help lists flags as users type them and
// goes to stdout, every bad-value message it quotes is the one printed,
// the plan's title is the workbook's, and the sheets it and run --help
// describe are the workbook's.
func TestReadmeSaysWhatTheToolDoes(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	c := newCLI(t)
	flags := map[string]bool{}
	helps := map[string]string{}
	var commands [][]string
	for _, cmd := range commandNames {
		commands = append(commands, []string{cmd})
	}
	commands = append(commands, []string{"sandbox", "recon"}) // a command of its own
	for _, words := range commands {
		cmd := strings.Join(words, " ")
		res := c.run(append(words, "--help")...)
		if res.code != exitOK || res.stdout == "" || res.stderr != "" {
			t.Errorf("%s --help: exit %d, %d bytes on stdout, stderr %q", cmd, res.code, len(res.stdout), res.stderr)
		}
		helps[cmd] = res.stdout
		for _, m := range regexp.MustCompile(`(?m)^  --([a-z][a-z-]+)`).FindAllStringSubmatch(res.stdout, -1) {
			flags[m[1]] = true
		}
		if m := regexp.MustCompile(`(?m)^  -[a-z][a-z-]+`).FindString(res.stdout); m != "" {
			t.Errorf("%s --help lists %q: flags are typed --name", cmd, m)
		}
	}
	for _, line := range strings.Split(readme, "\n") {
		if strings.Contains(line, "soffice") || strings.Contains(line, "az account") {
			continue // other tools' flags
		}
		for _, m := range regexp.MustCompile("(?:^|[\\s(`\\[])--([a-z][a-z-]+)").FindAllStringSubmatch(line, -1) {
			if !flags[m[1]] && m[1] != "help" {
				t.Errorf("the README names --%s, which no command has", m[1])
			}
		}
	}
	for _, m := range regexp.MustCompile("`(invalid value \"([^\"]*)\" for --([a-z-]+): [^`]*)`").FindAllStringSubmatch(readme, -1) {
		res := c.run("run", "--"+m[3], m[2], sampleCSV)
		if res.code != exitUsage || !strings.Contains(res.stderr, m[1]) {
			t.Errorf("the README quotes %q; run --%s %s says:\n%s", m[1], m[3], m[2], res.stderr)
		}
	}
	planTitle := report.Title(report.Meta{Mode: record.Plan})
	for _, m := range regexp.MustCompile(`\*\*(PLAN —[^*]*)\*\*`).FindAllStringSubmatch(readme, -1) {
		if got := strings.Join(strings.Fields(m[1]), " "); got != planTitle {
			t.Errorf("the README calls the plan %q; its workbook says %q", got, planTitle)
		}
	}
	for _, sheet := range []string{"Summary", "Lines", "Orders", "Customers", "Statuses"} {
		if !strings.Contains(helps["run"], sheet) {
			t.Errorf("run --help does not name the %s sheet", sheet)
		}
		if !strings.Contains(readme, "**"+sheet+"**") {
			t.Errorf("the README's workbook section does not describe the %s sheet", sheet)
		}
	}
}
