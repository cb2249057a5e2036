package resume

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/journal"
	"github.com/pcreconcile/pcreconcile/batch/ledger"
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/report"
)

// A run starts a chain; each resume adds a link that names its parent. Only
// the newest link — the head — may be resumed: an older one (the same
// command twice from shell history, a report a later resume continued, a
// stale journal) would send again what a newer link cancelled and report it
// already_cancelled. The head is found from the ledger, which has a row for
// every link that started, and from the journals beside the files.

// Link is one run of a chain as its files and the ledger know it.
type Link struct {
	Chain, Run, Parent string
	Mode               record.Mode
	// Report is the report the link wrote, or meant to write; Journal its
	// journal when one is on disk.
	Report, Journal string
	// Written is true when its report exists; Left counts the lines it
	// left to retry, as the ledger says (-1 when it does not).
	Written bool
	Left    int
	Started time.Time
	By      string
}

// Resumable reports whether a resume of the link would have work: its
// report has lines to retry, or it died before writing its report.
func (l Link) Resumable() bool { return !l.Written || l.Left != 0 }

// From is the file a resume of the link reads: its report, or its journal
// when the report was never written.
func (l Link) From() string {
	if !l.Written && l.Journal != "" {
		return l.Journal
	}
	return l.Report
}

// Identify says which link of which chain the report or journal at path
// is. A report that does not exist but has its journal beside it is that
// journal's link.
func Identify(path string) (Link, error) {
	if !strings.HasSuffix(path, ".journal") {
		if _, err := os.Stat(path); err != nil {
			if _, jerr := os.Stat(journal.Path(path)); jerr != nil {
				return Link{}, &plan.Error{Reason: "cannot resume: " + err.Error(), Fix: "pass the report a run or plan wrote, or its .journal", Err: err}
			}
			path = journal.Path(path)
		}
	}
	if strings.HasSuffix(path, ".journal") {
		h, err := journal.ReadHeader(path)
		if err != nil {
			return Link{}, err
		}
		l := Link{Chain: h.Chain(), Run: h.RunID, Mode: h.Mode, Report: h.Report, Journal: absPath(path), Left: -1, Started: h.Started}
		if h.Parent != nil {
			l.Parent = h.Parent.RunID
		}
		_, err = os.Stat(h.Report)
		l.Written = err == nil
		return l, nil
	}
	p, err := report.Open(path)
	if err != nil {
		return Link{}, err
	}
	defer p.Close()
	l := Link{Chain: p.ChainID(), Run: p.RunID(), Parent: p.ParentRunID(), Mode: p.Mode(), Report: absPath(path), Written: true, Left: p.Left()}
	if _, err := os.Stat(journal.Path(path)); err == nil {
		l.Journal = absPath(journal.Path(path))
	}
	return l, nil
}

// Head finds the newest link of l's chain: the runs that continued l —
// from the ledger, and from the journals beside l's files — and theirs in
// turn, the newest when two continued the same link. It returns l when
// nothing continued it.
func Head(l Link, led ledger.Ledger) Link {
	seen := map[string]bool{}
	for {
		seen[l.Run] = true
		kids := children(l, led)
		slices.SortFunc(kids, func(a, b Link) int { return a.Started.Compare(b.Started) })
		for len(kids) > 0 && seen[kids[len(kids)-1].Run] {
			kids = kids[:len(kids)-1]
		}
		if len(kids) == 0 {
			return l
		}
		l = kids[len(kids)-1]
	}
}

// children are the links that continued l: every run the ledger has a
// row of (a run appends its first row just before its first request, so a
// resume refused or failed before that has none), and the journals beside
// l's files that name l as their parent.
func children(l Link, led ledger.Ledger) []Link {
	var out []Link
	seen := map[string]bool{}
	for _, e := range led.Children(l.Run) {
		k := Link{Chain: e.ChainID, Run: e.RunID, Parent: e.ParentRunID, Mode: e.Mode, Report: e.Report, Left: -1, Started: e.When, By: e.Who}
		if e.Finished() {
			k.Left = e.LinesLeft
		}
		if _, err := os.Stat(e.Report); err == nil {
			k.Written = true
		}
		if _, err := os.Stat(journal.Path(e.Report)); err == nil {
			k.Journal = journal.Path(e.Report)
		}
		out = append(out, k)
		seen[k.Run] = true
	}
	for _, dir := range dirsOf(l) {
		matches, _ := filepath.Glob(filepath.Join(dir, "*.journal"))
		for _, m := range matches {
			h, err := journal.ReadHeader(m)
			if err != nil || h.Parent == nil || h.Parent.RunID != l.Run || seen[h.RunID] {
				continue
			}
			k := Link{Chain: h.Chain(), Run: h.RunID, Parent: l.Run, Mode: h.Mode, Report: h.Report, Journal: m, Left: -1, Started: h.Started}
			_, err = os.Stat(h.Report)
			k.Written = err == nil
			out = append(out, k)
			seen[k.Run] = true
		}
	}
	return out
}

// dirsOf are the folders of a link's files.
func dirsOf(l Link) []string {
	var dirs []string
	for _, f := range []string{l.Report, l.Journal} {
		if d := filepath.Dir(f); f != "" && !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// NotHeadError refuses a resume of a link that a newer one continued.
type NotHeadError struct {
	Given, Head Link
	// Continue is the command that continues the head.
	Continue string
}

func (e *NotHeadError) Error() string {
	what := e.Head.Report
	switch {
	case e.Head.Written:
		what = "its report " + e.Head.Report
	case e.Head.Journal != "":
		what = "its journal " + e.Head.Journal + " (the run was interrupted)"
	}
	by := ""
	if e.Head.By != "" {
		by = " by " + e.Head.By
	}
	when := ""
	if !e.Head.Started.IsZero() {
		when = " on " + e.Head.Started.UTC().Format("2006-01-02 15:04 UTC")
	}
	return fmt.Sprintf("%s is not the newest link of its chain (%s): run %s continued it%s%s — %s. Resuming an older link would send again what the newer one cancelled and report it already_cancelled",
		e.Given.From(), e.Given.Chain, e.Head.Run, when, by, what)
}

// Hint says what to type instead.
func (e *NotHeadError) Hint() string {
	if !e.Head.Resumable() {
		return "that chain is finished: nothing is left to do (" + e.Head.Report + " has the books)"
	}
	return "continue the chain with: " + e.Continue
}

// Journals lists the journals of chain: those the ledger's rows point at
// and those in dirs, whose headers name the chain.
func Journals(chain string, led ledger.Ledger, dirs ...string) []string {
	var out []string
	add := func(path string) {
		if h, err := journal.ReadHeader(path); err == nil && h.Chain() == chain && !slices.Contains(out, path) {
			out = append(out, path)
		}
	}
	for _, e := range led.Chain(chain) {
		add(journal.Path(e.Report))
	}
	for _, dir := range dirs {
		matches, _ := filepath.Glob(filepath.Join(dir, "*.journal"))
		for _, m := range matches {
			add(m)
		}
	}
	return out
}
