package resume

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/pcreconcile/pcreconcile/batch/journal"
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/run"
	"github.com/pcreconcile/pcreconcile/report"
)

// standalone reports whether a line of an earlier report is a row that was
// never part of an order's processing: an invalid or duplicate row caught
// before any request (it has no request id).
func standalone(l *record.LineResult) bool {
	return (l.Status == record.Invalid || l.Status == record.Duplicate) && l.RequestID == ""
}

// redo reports whether a resume does a line in status s again: the
// retryable statuses, and rejected when asked to retry those too.
func redo(p *plan.Plan, s record.Status) bool {
	return s.Retryable() || (p.RetryRejected && s == record.Rejected)
}

// carryFunc writes a record of an earlier run into the new run's journal.
type carryFunc func(kind journal.Kind, r *record.OrderResult) error

// resumeOrder splits the earlier lines of order o (at index idx) into lines
// to carry and lines to do again. With nothing to do again, the earlier
// record is carried whole as the order's outcome and o is marked journaled;
// otherwise it is carried as a prior, so that if this run dies too, the
// next resume still knows the lines the earlier run finished.
func resumeOrder(p *plan.Plan, idx int32, o *plan.Order, prev *record.OrderResult, carry carryFunc) error {
	o.Prev, o.Rows = nil, nil
	var again []record.LineResult
	for _, l := range prev.Lines {
		if redo(p, l.Status) {
			again = append(again, l)
		} else {
			o.Prev = append(o.Prev, l)
		}
	}
	rec := *prev
	rec.Seq, rec.Customer, rec.Order = o.Seq, o.Customer, o.ID
	o.Intent = run.UnsettledIntent(&rec, again)
	if len(again) == 0 {
		p.Carried += len(rec.Lines)
		o.Prev, o.Journaled = nil, true
		return carry(journal.KindOutcome, &rec)
	}
	if err := carry(journal.KindPrior, &rec); err != nil {
		return err
	}
	p.Carried += len(o.Prev)
	for _, l := range again {
		row := plan.Row{Source: l.Row, Order: idx, Line: plan.EveryLine, Expect: -1, Offer: l.Offer, Extras: l.Extras}
		switch {
		case l.Line != nil:
			row.Line = int32(*l.Line)
		case l.LineText == "" && l.Offer != "":
			row.Line = plan.LineByOffer // a row by offer whose order was never read
		}
		switch {
		case l.Expect != nil:
			row.Expect = int32(*l.Expect)
		case (l.Status == record.WouldCancel || l.Status == record.Pending) && l.Before != nil:
			// A reviewed plan is executed as reviewed: if the quantity has
			// changed since, the order is held as a mismatch. (A pending line
			// with a quantity is a planned line a run did not reach.)
			row.Expect = int32(*l.Before)
		}
		prevLine := l
		row.SetPrev(&prevLine)
		o.Rows = append(o.Rows, p.Rows.Add(row))
	}
	return nil
}

// overlay applies the journal of an interrupted run to a plan rebuilt from
// the same source: orders it finished are carried into the new journal,
// lines it left retryable are done again, orders it never reached stay as
// planned. An order it was doing again (a prior with no outcome) resumes
// from that prior; a PATCH it sent without recording the answer (an intent)
// is carried too and settles the order: the lines that PATCH cancelled are
// reported cancelled, by this tool, when the order is read again.
func overlay(p *plan.Plan, old *journal.Journal, carry carryFunc) error {
	for i, o := range p.Orders {
		rec, ok, err := old.Get(o.Seq)
		if err == nil && !ok {
			rec, ok, err = old.Prior(o.Seq)
		}
		if err != nil {
			return err
		}
		if ok {
			if err := sameOrder(o, rec); err != nil {
				return err
			}
			if err := resumeOrder(p, int32(i), o, rec, carry); err != nil {
				return err
			}
		}
		intent, sent, err := old.Intent(o.Seq)
		if err != nil {
			return err
		}
		if sent {
			if err := sameOrder(o, intent); err != nil {
				return err
			}
			intent.Seq = o.Seq
			o.Intent = intent
			if err := carry(journal.KindIntent, intent); err != nil {
				return err
			}
		}
	}
	return nil
}

// sameOrder checks that a journal's record of item o.Seq is of order o.
func sameOrder(o *plan.Order, rec *record.OrderResult) error {
	if rec.Customer != o.Customer || rec.Order != o.ID {
		return fmt.Errorf("the journal does not belong to this input: its item %d is order %s, the input's is %s", o.Seq, rec.Order, o.ID)
	}
	return nil
}

// reportPlan rebuilds a plan from the lines of an earlier report, read in
// report order. Lines of an order are contiguous in a report; orders (known
// by the report's Orders sheet) keep their order-level fields from it.
type reportPlan struct {
	p      *plan.Plan
	orders map[string]*record.OrderResult
	carry  carryFunc
	cur    *record.OrderResult
	seen   map[string]bool
	cust   map[string]bool
	expect int // extra column holding the sheet's Expected Quantity, or -1
}

// newReportPlan starts a plan read from a report. orders holds the report's
// Orders sheet by OrderKey; carry receives the earlier records; headers
// finds the input's Expected Quantity among the extra columns, so that lines
// done again are checked against it again.
func newReportPlan(src record.Source, extra []string, orders map[string]*record.OrderResult, headers *plan.Headers, carry carryFunc) *reportPlan {
	return &reportPlan{
		p:      &plan.Plan{Source: src, Extra: extra},
		orders: orders,
		carry:  carry,
		seen:   map[string]bool{},
		cust:   map[string]bool{},
		expect: headers.Find(plan.FieldQuantity, extra),
	}
}

// Add takes the next line of the report.
func (b *reportPlan) Add(l record.LineResult) error {
	if l.Expect == nil && b.expect >= 0 && b.expect < len(l.Extras) && l.Extras[b.expect].Text != "" {
		n, err := plan.ParseCount(l.Extras[b.expect].Text)
		if err != nil {
			return fmt.Errorf("row %d: %s %q: %v", l.Row, b.p.Extra[b.expect], l.Extras[b.expect].Text, err)
		}
		l.Expect = &n
	}
	key := record.OrderKey(l.Customer, l.Order)
	info, isOrder := b.orders[key]
	if standalone(&l) || !isOrder {
		if err := b.flush(); err != nil {
			return err
		}
		line := l
		status := l.Status
		if redo(b.p, status) {
			return fmt.Errorf("row %d (order %s) is %s but the report's Orders sheet does not list its order", l.Row, l.Order, status)
		}
		row := plan.Row{Source: l.Row, Order: -1, Status: status, Expect: -1, Line: plan.EveryLine}
		row.SetPrev(&line)
		ri := b.p.Rows.Add(row)
		b.p.Items = append(b.p.Items, plan.Item{Row: ri})
		b.p.Carried++
		return nil
	}
	if b.cur != nil && record.OrderKey(b.cur.Customer, b.cur.Order) == key {
		b.cur.Lines = append(b.cur.Lines, l)
		return nil
	}
	if err := b.flush(); err != nil {
		return err
	}
	if b.seen[key] {
		return fmt.Errorf("order %s appears in two places of the report's Lines sheet; was the report edited?", l.Order)
	}
	b.seen[key] = true
	rec := *info
	rec.Lines = []record.LineResult{l}
	b.cur = &rec
	return nil
}

func (b *reportPlan) flush() error {
	if b.cur == nil {
		return nil
	}
	rec := b.cur
	b.cur = nil
	o := &plan.Order{Seq: len(b.p.Items), Customer: rec.Customer, ID: rec.Order}
	idx := int32(len(b.p.Orders))
	b.p.Orders = append(b.p.Orders, o)
	b.p.Items = append(b.p.Items, plan.Item{Order: o})
	b.cust[o.Customer] = true
	return resumeOrder(b.p, idx, o, rec, b.carry)
}

// Plan finishes the plan.
func (b *reportPlan) Plan() (*plan.Plan, error) {
	if err := b.flush(); err != nil {
		return nil, err
	}
	b.p.Customers = len(b.cust)
	if len(b.p.Items) == 0 {
		return nil, &plan.Error{File: b.p.Source.Name, Reason: "the report's Lines sheet has no rows"}
	}
	return b.p, nil
}

// Options says what to continue and how to start the new run.
type Options struct {
	// From is the report, plan or journal to continue.
	From string
	// Mode is a run or a plan. A plan finishes only its own journal: a
	// plan's work is never executed by a resume of its journal, and a run's
	// journal is never finished by a plan.
	Mode record.Mode
	// Endpoint is where this run goes: a resume against another endpoint
	// than the earlier run's is refused.
	Endpoint string
	// Command spells the commands that hints print.
	Command Command
	// Read says how to read the original input again (a journal names it).
	Read plan.ReadOptions
	// SealKey is the key reports are sealed with (report.seal_key_env), or
	// nil: a report whose tool-owned cells changed is refused.
	SealKey []byte
	// RetryRejected does rejected lines again too.
	RetryRejected bool
	// JournalPath and Journal start the new run's journal; Resume fills in
	// the header's Source and Input.
	JournalPath string
	Journal     journal.Header
	Log         *slog.Logger
}

// Work is a run rebuilt from an earlier one: the plan of what is left,
// with everything finished already carried into the new journal.
type Work struct {
	Plan    *plan.Plan
	Journal *journal.Journal
	// Input is the original input, for the report's Summary.
	Input record.Source
	// Finishes is the earlier journal this run carries on, "" for none:
	// once this run's report is written, it has served.
	Finishes string
	// Chain is the chain this run is a link of; Parent the link it
	// continues.
	Chain  string
	Parent record.Parent
	// Approval is the signed-off plan the chain executes (nil for none):
	// the plan resumed, or the one an earlier link executed.
	Approval *record.Approval
	// target, when set, is the journal resumed, which Journal (written
	// aside) replaces when the run starts.
	target string
}

// Start makes the new journal the chain's, once the run is about to send
// anything: a journal written aside to take over the file of the journal
// it continues is renamed into that place. Until then the old journal is
// whole, and if the run never starts (a refusal, wrong credentials) it
// stays as it was; after the rename the new one holds everything.
func (w *Work) Start() error {
	if w.target == "" {
		return nil
	}
	aside := w.Journal.Path()
	if err := w.Journal.Close(); err != nil {
		return &journal.Error{Op: "write", Err: err}
	}
	if err := os.Rename(aside, w.target); err != nil {
		return &journal.Error{Op: "write", Err: err}
	}
	j, err := journal.OpenAppend(w.target)
	if err != nil {
		return &journal.Error{Op: "write", Err: err}
	}
	w.Journal, w.target = j, ""
	return nil
}

// Resume rebuilds the plan of an earlier run from its report or journal
// and starts the new run's journal with everything that run finished.
//
// From a report, the report itself is the plan: its lines pending, failed,
// not_cancelled and would_cancel are done again, the rest carried. From a
// journal — a run that died before writing its report — the original input
// is read again (it must be unchanged: its SHA-256 is in the journal) and
// the orders the journal finished are carried. A report that does not exist
// but has its journal beside it is resumed from that journal.
//
// Errors are *Error values (or the reader's) that say what to pass instead.
func Prepare(opts Options) (*Work, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	from := opts.From
	jpath := ""
	switch {
	case strings.HasSuffix(from, ".journal"):
		jpath = from
	default:
		if _, err := os.Stat(from); err != nil {
			if _, jerr := os.Stat(journal.Path(from)); jerr != nil {
				return nil, &plan.Error{Reason: "cannot resume: " + err.Error(), Fix: "pass the report a run or plan wrote, or its .journal", Err: err}
			}
			jpath = journal.Path(from) // the run died before writing its report
		} else if _, jerr := os.Stat(journal.Path(from)); jerr == nil {
			opts.Log.Warn("the report has an unfinished journal beside it; resuming from the report", "journal", journal.Path(from))
		}
	}
	r := &resumer{opts: opts}
	var err error
	if jpath != "" {
		// A resume into the report the journal was for takes over its file:
		// the new journal is written aside and renamed into its place once it
		// holds everything the old one did.
		r.takeover = absPath(jpath) == absPath(opts.JournalPath)
		if !r.takeover {
			r.out.Finishes = jpath
		}
		err = r.fromJournal(jpath)
	} else if opts.Mode == record.Plan {
		err = &plan.Error{File: from, Reason: "plan --resume finishes a plan's unfinished journal, and this is a report",
			Fix: "to execute a reviewed plan: " + opts.Command.Continue(record.Run, from)}
	} else {
		err = r.fromReport(from)
	}
	if err == nil {
		if ferr := r.carry.Flush(); ferr != nil {
			err = &journal.Error{Op: "write", Err: ferr}
		}
	}
	if err == nil && r.takeover {
		r.out.target = r.opts.JournalPath
	}
	if err != nil {
		if r.out.Journal != nil {
			r.out.Journal.Remove()
		}
		return nil, err
	}
	return &r.out, nil
}

type resumer struct {
	opts     Options
	out      Work
	carry    *journal.Batch
	takeover bool // the new journal replaces the one resumed
}

func (r *resumer) fromReport(path string) error {
	prior, err := report.Open(path)
	if err != nil {
		return err
	}
	defer prior.Close()
	// A changed Quantity Before or Status would be carried into the next
	// report and counted.
	sealed, err := prior.CheckSeal(r.opts.SealKey, "resume from")
	if err != nil {
		return err
	}
	if !sealed {
		r.opts.Log.Warn("the report has no seal (an earlier version wrote it): its rows are checked against its Summary only", "report", path)
	}
	sum, err := plan.FileSHA256(path)
	if err != nil {
		return &plan.Error{File: path, Reason: "cannot read the file", Err: err}
	}
	if err := r.sameEndpoint(path, prior.Endpoint(), prior.Config()); err != nil {
		return err
	}
	r.out.Input = prior.Input()
	r.out.Chain = prior.ChainID()
	r.out.Parent = record.Parent{RunID: prior.RunID(), Path: absPath(path), SHA256: sum, Seal: prior.Seal()}
	if r.opts.Mode == record.Run {
		r.out.Approval = prior.Approval(r.out.Parent)
	}
	src := record.Source{Path: absPath(path), Name: path, SHA256: sum, Format: "xlsx", Report: true}
	if err := r.startJournal(src); err != nil {
		return err
	}
	r.out.Plan, err = r.planFromReport(prior, src)
	return err
}

func (r *resumer) fromJournal(path string) error {
	old, h, err := journal.Open(path)
	if err != nil {
		return err
	}
	defer old.Close()
	switch {
	case h.Mode == record.Plan && r.opts.Mode != record.Plan:
		return &plan.Error{File: path, Reason: "is the journal of a plan, which sends nothing; run --resume does not execute it",
			Fix: "finish the plan with: " + r.opts.Command.Continue(record.Plan, path) + " — then review its report and execute that: pcreconcile run --resume REPORT"}
	case h.Mode != record.Plan && r.opts.Mode == record.Plan:
		return &plan.Error{File: path, Reason: "is the journal of a run; plan --resume finishes only a plan's",
			Fix: "finish the run with: " + r.opts.Command.Continue(record.Run, path)}
	}
	if err := r.sameEndpoint(path, h.Endpoint, h.Config); err != nil {
		return err
	}
	r.out.Input = h.Source
	if h.Input.SHA256 != "" {
		r.out.Input = h.Input
	}
	if err := sameFile(h.Source); err != nil {
		return err
	}
	sum, err := plan.FileSHA256(path)
	if err != nil {
		return &plan.Error{File: path, Reason: "cannot read the file", Err: err}
	}
	r.out.Chain = h.Chain()
	r.out.Parent = record.Parent{RunID: h.RunID, Path: absPath(path), SHA256: sum}
	r.out.Approval = h.Approval
	var p *plan.Plan
	if h.Source.Report {
		// The interrupted run was itself a resume: rebuild from its report.
		prior, err := report.Open(h.Source.Path)
		if err != nil {
			return err
		}
		defer prior.Close()
		if err := r.startJournal(h.Source); err != nil {
			return err
		}
		if p, err = r.planFromReport(prior, h.Source); err != nil {
			return err
		}
	} else {
		read := r.opts.Read
		read.Sheet = h.Source.Sheet
		if p, err = plan.ReadFile(h.Source.Path, read); err != nil {
			return err
		}
		p.RetryRejected = r.opts.RetryRejected
		p.Source = h.Source
		if err := r.startJournal(h.Source); err != nil {
			return err
		}
	}
	if err := overlay(p, old, r.carry.Add); err != nil {
		return err
	}
	r.out.Plan = p
	return nil
}

// sameEndpoint refuses to continue, against another endpoint, what an
// earlier run did against its own: a report made against Partner Center
// resumed against the sandbox (or the other way round) would mix two sets
// of orders in one workbook. config is the config file the earlier run used.
func (r *resumer) sameEndpoint(path, was, config string) error {
	if was == "" || record.SameEndpoint(was, r.opts.Endpoint) {
		return nil
	}
	fix := "resume with the config the earlier run used"
	if config != "" {
		fix = "resume with the config the earlier run used: --config " + config
	}
	return &plan.Error{File: path, Reason: fmt.Sprintf("was made against %s, and this configuration points at %s", was, r.opts.Endpoint), Fix: fix}
}

// startJournal creates the new run's journal, made from src.
func (r *resumer) startJournal(src record.Source) error {
	h := r.opts.Journal
	h.Source, h.Input = src, r.out.Input
	h.ChainID, h.Parent, h.Approval = r.out.Chain, &r.out.Parent, r.out.Approval
	path := r.opts.JournalPath
	if r.takeover {
		path += ".new"
		os.Remove(path) // left by a takeover that died before its rename: the old journal is whole
	}
	j, err := journal.Create(path, h)
	if err != nil {
		return &journal.Error{Op: "create", Err: err}
	}
	r.out.Journal = j
	r.carry = journal.NewBatch(j)
	return nil
}

// planFromReport rebuilds a plan from an earlier report; the orders it
// finished go to the new journal.
func (r *resumer) planFromReport(prior *report.Prior, src record.Source) (*plan.Plan, error) {
	b := newReportPlan(src, prior.ExtraHeaders(), prior.Orders(), r.opts.Read.Headers, r.carry.Add)
	b.p.RetryRejected = r.opts.RetryRejected
	var seen record.RowSet
	lines := 0
	err := prior.Lines(func(l record.LineResult) error {
		seen.Add(l.Row)
		lines++
		return b.Add(l)
	})
	if err != nil {
		return nil, err
	}
	if err := sameRows(src.Name, &seen, lines, prior); err != nil {
		return nil, err
	}
	return b.Plan()
}

// sameRows checks that a report's Lines sheets still have the input rows
// and the number of lines its Summary records: a deleted row would
// silently drop out of the books, an added one be cancelled without ever
// being in the input.
func sameRows(path string, seen *record.RowSet, lines int, prior *report.Prior) error {
	acc := prior.Accounted()
	if acc.RowCount < 0 {
		return nil // written before reports recorded their rows
	}
	fix := "take the report as it was written (or restore the rows), or start again from the input with run --fresh"
	ranges := acc.Rows
	recorded, err := record.ParseRowSet(ranges)
	if ranges == "" || err != nil {
		if seen.Len() != acc.RowCount {
			return &plan.Error{File: path, Reason: fmt.Sprintf("its Lines sheet accounts for %d input rows, and its Summary records %d: it was edited", seen.Len(), acc.RowCount), Fix: fix}
		}
		recorded = seen
	}
	list := func(rows []int) string {
		s := make([]string, len(rows))
		for i, r := range rows {
			s[i] = fmt.Sprint(r)
		}
		return strings.Join(s, ", ")
	}
	if missing := recorded.Diff(seen, 20); len(missing) > 0 {
		return &plan.Error{File: path, Reason: fmt.Sprintf("its Lines sheet lacks input rows %s, which its Summary records (rows %s): they were deleted, and would drop out of the books", list(missing), ranges), Fix: fix}
	}
	if added := seen.Diff(recorded, 20); len(added) > 0 {
		return &plan.Error{File: path, Reason: fmt.Sprintf("its Lines sheet has rows %s, which the input did not have (its Summary records rows %s): they were added", list(added), ranges), Fix: fix}
	}
	if lines != acc.Lines {
		return &plan.Error{File: path, Reason: fmt.Sprintf("its Lines sheet has %d lines, and its Summary counts %d: lines were deleted or added", lines, acc.Lines), Fix: fix}
	}
	return nil
}

// sameFile checks that the file a journal was made from is unchanged.
func sameFile(src record.Source) error {
	sum, err := plan.FileSHA256(src.Path)
	if err != nil {
		return &plan.Error{Reason: fmt.Sprintf("cannot read %s, which the journal was made from: %v", src.Path, err), Fix: "put the file back where it was to resume", Err: err}
	}
	if sum != src.SHA256 {
		return &plan.Error{Reason: fmt.Sprintf("%s has changed since the interrupted run (SHA-256 %s, was %s)", src.Path, shortSum(sum), shortSum(src.SHA256)), Fix: "restore the original file to resume, or start a fresh run with the changed file (--fresh)"}
	}
	return nil
}

// shortSum is the first 12 hex digits of a SHA-256, as messages show it.
func shortSum(s string) string { return s[:min(len(s), 12)] }

// absPath returns the absolute form of p, or p.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// Command is how the commands that messages print are spelled: with the
// flags of this invocation that a continuation needs, so that following a
// hint reaches the same endpoint and reads the sheet the same way.
type Command struct {
	// Config is the --config given, "" for none; Delimiter the --delimiter.
	Config, Delimiter string
	// Dir is the working directory: files under it are named relative to
	// it, as a user would type them.
	Dir string
}

// name is how a command names path: relative to Dir when it is under it.
func (c Command) name(path string) string {
	if c.Dir == "" || !filepath.IsAbs(path) {
		return report.ShellQuote(path)
	}
	if rel, err := filepath.Rel(c.Dir, path); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		path = rel
	}
	return report.ShellQuote(path)
}

// Continue is the command that carries on from path in mode.
func (c Command) Continue(mode record.Mode, path string) string {
	return c.Into(mode, path, "")
}

// Into is the command that carries on from path in mode, writing the
// report to rep ("" for the default).
func (c Command) Into(mode record.Mode, path, rep string) string {
	parts := []string{"pcreconcile", mode.String(), "--resume", c.name(path)}
	if rep != "" {
		parts = append(parts, "--report", c.name(rep))
	}
	if c.Config != "" {
		parts = append(parts, "--config", report.ShellQuote(c.Config))
	}
	if c.Delimiter != "" {
		parts = append(parts, "--delimiter", report.ShellQuote(c.Delimiter))
	}
	return strings.Join(parts, " ")
}

// Link is the command that continues link l: from its report; or, when it
// died before writing one, from its journal into the report it was
// writing. A plan's report is executed by run; its journal finished by
// plan.
func (c Command) Link(l Link) string {
	switch {
	case !l.Written && l.Journal != "":
		return c.Into(l.Mode, l.Journal, l.Report)
	default:
		return c.Continue(record.Run, l.Report)
	}
}
