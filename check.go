package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/pcreconcile/pcreconcile/batch"
)

func (a *app) cmdCheck(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	configPath := fs.String("config", "", "config `FILE` (default pcreconcile.yaml if present)")
	sheetName := fs.String("sheet", "", "XLSX sheet `NAME` (default: the first visible sheet)")
	delim := fs.String("delimiter", "", "CSV delimiter: auto, \",\", \";\", \"|\" or tab (default from config, auto)")
	format := fs.String("format", "text", "output `FORMAT`: text or json")
	// check prints its result and logs nothing: these are accepted so that
	// one set of flags serves every command, and change nothing.
	fs.Bool("quiet", false, "accepted like run's; check prints only its result anyway")
	fs.Bool("v", false, "accepted like run's; check logs nothing")
	fs.String("log-format", "text", "accepted like run's; check logs nothing")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: pcreconcile check [flags] INPUT

Reads INPUT, validates every row and groups the rows into one PATCH per order,
without any network access. Prints what the sheet asks for and every row
problem: the row number you see in Excel or your editor, the column, the value
and the reason, grouped by reason.

Exit status: 0 every row is valid, 1 some rows have problems, 2 the file cannot
be used at all (unreadable, no header row, a required column missing).

Example:
  pcreconcile check cancellations.xlsx --sheet "November"
  pcreconcile check cancellations.csv --format json | jq '.problems[]'

Flags:
`)
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usage("check needs exactly one INPUT file", "pcreconcile check cancellations.csv")
	}
	if *format != "text" && *format != "json" {
		return usage(fmt.Sprintf("--format %q: want text or json", *format), "")
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	if *sheetName != "" {
		cfg.Input.Sheet = *sheetName
	}
	if *delim != "" {
		cfg.Input.Delimiter = *delim
	}
	read, err := a.readOptions(cfg, false)
	if err != nil {
		return err
	}
	p, err := batch.ReadFile(pos[0], read)
	if err != nil {
		return err
	}
	if *format == "json" {
		a.checkJSON(a.stdout, p)
	} else {
		a.checkText(a.stdout, p)
	}
	if len(p.Invalid()) > 0 {
		return exitWith(exitIncomplete)
	}
	return nil
}

// describePlan is the plan summary: what the sheet asks for.
func describePlan(s batch.Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s, %s", plural(s.Customers, "customer", "customers"), plural(s.Orders, "order", "orders"), plural(s.Lines, "line", "lines"))
	if s.AllLineRows > 0 {
		fmt.Fprintf(&b, " + %s for every line of an order", plural(s.AllLineRows, "row", "rows"))
	}
	if s.QuantityRows > 0 {
		fmt.Fprintf(&b, "; expected quantity %d (on %s)", s.Quantity, plural(s.QuantityRows, "row", "rows"))
	}
	return b.String()
}

func (a *app) checkText(w io.Writer, p *batch.Plan) {
	s := p.Summarize()
	src := p.Source
	how := strings.ToUpper(src.Format)
	if src.Encoding != "" {
		how += ", " + src.Encoding
	}
	fmt.Fprintf(w, "%s (%s; header on row %d)\n", src.Name, how, p.HeaderRow)
	fmt.Fprintf(w, "  asks for: %s\n", describePlan(s))
	bad := p.Invalid()
	if len(bad) == 0 {
		fmt.Fprintf(w, "  every row is valid\n")
		return
	}
	fmt.Fprintf(w, "  problems: %s invalid, %s duplicate\n\n", plural(s.Invalid, "row", "rows"), plural(s.Duplicate, "row", "rows"))
	for _, g := range groupProblems(bad) {
		fmt.Fprintf(w, "%s — %s\n", g.title, plural(len(g.rows), "row", "rows"))
		for i, pr := range g.rows {
			if i == 20 {
				fmt.Fprintf(w, "    … and %d more\n", len(g.rows)-20)
				break
			}
			fmt.Fprintf(w, "    row %d: %s\n", pr.row, pr.text)
		}
	}
}

type problemRow struct {
	row  int
	text string
}

type problemGroup struct {
	title string
	rows  []problemRow
}

// groupProblems groups row problems by column and kind of reason, in order
// of first appearance.
func groupProblems(rows []*batch.Row) []problemGroup {
	var groups []problemGroup
	index := map[string]int{}
	for _, r := range rows {
		for _, pr := range r.Problems() {
			kind, _, _ := strings.Cut(pr.Reason, ":")
			kind, _, _ = strings.Cut(kind, " (")
			if r.Status == batch.Duplicate {
				kind = "duplicate"
			}
			title := kind
			if pr.Column != "" {
				title = pr.Column + " " + kind
			}
			i, ok := index[title]
			if !ok {
				i = len(groups)
				index[title] = i
				groups = append(groups, problemGroup{title: title})
			}
			text := pr.Detail()
			groups[i].rows = append(groups[i].rows, problemRow{pr.Row, text})
		}
	}
	sort.SliceStable(groups, func(i, j int) bool { return len(groups[i].rows) > len(groups[j].rows) })
	return groups
}

type checkReport struct {
	File      string         `json:"file"`
	Format    string         `json:"format"`
	Encoding  string         `json:"encoding,omitempty"`
	SHA256    string         `json:"sha256"`
	HeaderRow int            `json:"headerRow"`
	Valid     bool           `json:"valid"`
	Summary   checkSummary   `json:"summary"`
	Problems  []checkProblem `json:"problems"`
}

type checkSummary struct {
	Customers        int `json:"customers"`
	Orders           int `json:"orders"`
	Lines            int `json:"lines"`
	EveryLineRows    int `json:"everyLineRows"`
	ExpectedQuantity int `json:"expectedQuantity"`
	InvalidRows      int `json:"invalidRows"`
	DuplicateRows    int `json:"duplicateRows"`
}

type checkProblem struct {
	Row    int          `json:"row"`
	Status batch.Status `json:"status"`
	Column string       `json:"column,omitempty"`
	Value  string       `json:"value,omitempty"`
	Reason string       `json:"reason"`
}

func (a *app) checkJSON(w io.Writer, p *batch.Plan) {
	s := p.Summarize()
	out := checkReport{
		File: p.Source.Name, Format: p.Source.Format, Encoding: p.Source.Encoding, SHA256: p.Source.SHA256, HeaderRow: p.HeaderRow,
		Summary:  checkSummary{s.Customers, s.Orders, s.Lines, s.AllLineRows, s.Quantity, s.Invalid, s.Duplicate},
		Problems: []checkProblem{},
	}
	for _, r := range p.Invalid() {
		for _, pr := range r.Problems() {
			out.Problems = append(out.Problems, checkProblem{Row: pr.Row, Status: r.Status, Column: pr.Column, Value: pr.Value, Reason: pr.Reason})
		}
	}
	out.Valid = len(out.Problems) == 0
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(out)
}
