// Package ledger is the run ledger: a CSV file with a row for every run and
// plan — when, who, what input against which endpoint, which chain it is a
// link of and which link it continued, where its report is with the
// report's SHA-256 and seal, how it ended, and what it cancelled itself.
// It is what the guards consult ("this sheet already ran", "that report is
// not the newest of its chain") and what an auditor reads as a log.
//
// By default it is one file per user (pcreconcile/history.csv in the
// user's config directory), so a report filed in another folder does not
// escape it; a team points history.path at a shared folder. Appends are
// locked (internal/lock) and fsynced. A run appends a row when it starts
// (Result "started") and one when it ends: a run that died still shows who
// started it and where its journal is. Amounts are only on the ending row,
// and only what that run itself cancelled — never a chain's cumulative
// totals — so summing the ledger never counts money twice.
//
// Every cell is written as text (record.AsText), and the file is read by
// column name, so columns can be added.
package ledger

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/internal/lock"
)

// Started is the Result of the row a run appends when it starts.
const Started = "started"

// Entry is one row of the ledger.
type Entry struct {
	When time.Time
	// Who is the OS user and host (user@host).
	Who  string
	Mode record.Mode
	// Command is the command line as typed.
	Command            string
	Input, InputSHA256 string
	Endpoint, Config   string
	// ChainID is the run id of the chain's first link; ParentRunID the run
	// this one continued ("" for a first link).
	ChainID, RunID, ParentRunID string
	Report, ReportSHA256, Seal  string
	Result                      string
	// LinesCancelled, QuantityCancelled and AmountCancelled ("EUR
	// 25,147.80; USD 51,947.10") are what this run cancelled itself.
	LinesCancelled, QuantityCancelled int
	AmountCancelled                   string
	// LinesLeft counts the lines a resume would still process.
	LinesLeft int
}

// Finished reports whether e is the row of a run that ended (not the one
// it appended when it started).
func (e *Entry) Finished() bool { return e.Result != Started }

var columns = []string{
	"When (UTC)", "Who", "Mode", "Command", "Input", "Input SHA-256", "Endpoint", "Config",
	"Chain ID", "Run ID", "Parent Run ID", "Report", "Report SHA-256", "Seal", "Result",
	"Lines Cancelled", "Quantity Cancelled", "Amount Cancelled", "Lines Left",
}

func (e *Entry) row() []string {
	return []string{
		e.When.UTC().Format(time.RFC3339), e.Who, e.Mode.String(), e.Command, e.Input, e.InputSHA256, e.Endpoint, e.Config,
		e.ChainID, e.RunID, e.ParentRunID, e.Report, e.ReportSHA256, e.Seal, e.Result,
		strconv.Itoa(e.LinesCancelled), strconv.Itoa(e.QuantityCancelled), e.AmountCancelled, strconv.Itoa(e.LinesLeft),
	}
}

// DefaultPath is the ledger of a user whose config directory is dir.
func DefaultPath(dir string) string { return filepath.Join(dir, "pcreconcile", "history.csv") }

// LockDir is where the chain locks of a ledger's users are: beside the
// ledger, so a team that shares one shares the other.
func LockDir(path string) string { return filepath.Join(filepath.Dir(path), "locks") }

// Append adds e to the ledger at path, creating it (and its folder) with
// its header row when it is new. It holds the ledger's lock while it
// writes, and returns once the row is on disk.
func Append(path string, e Entry) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	l, err := lock.Wait(path+".lock", 10*time.Second)
	if err != nil {
		return fmt.Errorf("ledger %s: %w", path, err)
	}
	defer l.Release()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	if fi.Size() == 0 {
		w.Write(columns)
	}
	row := e.row()
	for i, v := range row {
		row[i] = record.AsText(v)
	}
	w.Write(row)
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return f.Sync()
}

// Ledger is the rows of a ledger, in the order they were appended.
type Ledger []Entry

// Read reads the ledger at path; a ledger that does not exist yet has no
// rows. A last row cut short (a crash while appending) is ignored.
func Read(path string) (Ledger, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return read(f, path, columns)
}

func read(r io.Reader, path string, known []string) (Ledger, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	at := map[string]int{}
	for _, c := range known {
		at[c] = slices.Index(head, c)
	}
	var out Ledger
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return out, nil // the torn last row of an append that died
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		get := func(name string) string {
			if i, ok := at[name]; ok && i >= 0 && i < len(rec) {
				return record.FromText(rec[i])
			}
			return ""
		}
		e := Entry{
			Who: get("Who"), Command: get("Command"), Input: get("Input"), InputSHA256: get("Input SHA-256"),
			Endpoint: get("Endpoint"), Config: get("Config"), ChainID: get("Chain ID"), RunID: get("Run ID"),
			ParentRunID: get("Parent Run ID"), Report: get("Report"), ReportSHA256: get("Report SHA-256"), Seal: get("Seal"),
			Result: get("Result"), AmountCancelled: get("Amount Cancelled"),
		}
		e.Mode, _ = record.ParseMode(get("Mode"))
		e.When, _ = time.Parse(time.RFC3339, get("When (UTC)"))
		e.LinesCancelled, _ = strconv.Atoi(get("Lines Cancelled"))
		e.QuantityCancelled, _ = strconv.Atoi(get("Quantity Cancelled"))
		e.LinesLeft, _ = strconv.Atoi(get("Lines Left"))
		if e.ChainID == "" {
			e.ChainID = e.RunID // a row of an earlier version: a chain of one
		}
		out = append(out, e)
	}
}

// LegacyFile is the per-folder history earlier versions kept beside their
// reports; it is still read for the "already ran" guard.
const LegacyFile = "pcreconcile-history.csv"

var legacyColumns = []string{
	"Input", "Input SHA-256", "Endpoint", "Report", "Config", "Run ID", "Started (UTC)", "Finished (UTC)",
	"Result", "Lines Cancelled", "Quantity Cancelled", "Amount Cancelled",
}

// ReadLegacy reads the per-folder history of an earlier version in dir.
func ReadLegacy(dir string) (Ledger, error) {
	path := filepath.Join(dir, LegacyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	l, err := read(bytes.NewReader(b), path, legacyColumns)
	if err != nil {
		return nil, err
	}
	// Its rows name when a run finished; every one of them had.
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	head, _ := cr.Read()
	fin := slices.Index(head, "Finished (UTC)")
	for i := range l {
		rec, err := cr.Read()
		if err != nil {
			break
		}
		if fin >= 0 && fin < len(rec) {
			l[i].When, _ = time.Parse(time.RFC3339, record.FromText(rec[fin]))
		}
		if l[i].Result == "" || l[i].Result == Started {
			l[i].Result = "finished"
		}
	}
	return l, nil
}

// Runs returns the latest row of each run, in the order the runs started.
func (l Ledger) Runs() []Entry {
	last := map[string]int{}
	var order []string
	for i, e := range l {
		if _, ok := last[e.RunID]; !ok {
			order = append(order, e.RunID)
		}
		last[e.RunID] = i
	}
	out := make([]Entry, 0, len(order))
	for _, id := range order {
		out = append(out, l[last[id]])
	}
	return out
}

// LastRun returns the latest run that ended of the input with SHA-256 sha
// against endpoint.
func (l Ledger) LastRun(sha, endpoint string, mode record.Mode) (Entry, bool) {
	for i := len(l) - 1; i >= 0; i-- {
		if e := l[i]; e.Finished() && e.InputSHA256 == sha && e.Mode == mode && record.SameEndpoint(e.Endpoint, endpoint) {
			return e, true
		}
	}
	return Entry{}, false
}

// Children returns the runs that continued run (the latest row of each),
// oldest first.
func (l Ledger) Children(run string) []Entry {
	var out []Entry
	for _, e := range l.Runs() {
		if e.ParentRunID == run && run != "" {
			out = append(out, e)
		}
	}
	return out
}

// Chain returns the runs of chain (the latest row of each), oldest first.
func (l Ledger) Chain(chain string) []Entry {
	var out []Entry
	for _, e := range l.Runs() {
		if e.ChainID == chain {
			out = append(out, e)
		}
	}
	return out
}
