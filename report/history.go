package report

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/record"
)

// HistoryFile is the file beside the reports that lists every run that
// finished there, one row each: which input, against which endpoint, into
// which report, and what it cancelled. A second run of the same input is
// refused by looking it up; an auditor reads it as a log.
const HistoryFile = "pcreconcile-history.csv"

// HistoryEntry is one row of the history.
type HistoryEntry struct {
	Input, InputSHA256 string
	Endpoint           string
	Report             string // as the run was asked to write it
	Config             string // the config file the run used, or ""
	RunID              string
	Started, Finished  time.Time
	Result             string
	LinesCancelled     int
	QuantityCancelled  int
	// AmountCancelled is per currency: "EUR 25,147.80; USD 51,947.10".
	AmountCancelled string
}

var historyColumns = []string{
	"Input", "Input SHA-256", "Endpoint", "Report", "Config", "Run ID", "Started (UTC)", "Finished (UTC)",
	"Result", "Lines Cancelled", "Quantity Cancelled", "Amount Cancelled",
}

func (e *HistoryEntry) row() []string {
	return []string{
		e.Input, e.InputSHA256, e.Endpoint, e.Report, e.Config, e.RunID,
		e.Started.UTC().Format(time.RFC3339), e.Finished.UTC().Format(time.RFC3339),
		e.Result, strconv.Itoa(e.LinesCancelled), strconv.Itoa(e.QuantityCancelled), e.AmountCancelled,
	}
}

// AppendHistory adds e to the history in dir, creating the file with its
// header row when it is new. The row is on disk when it returns.
func AppendHistory(dir string, e HistoryEntry) error {
	path := filepath.Join(dir, HistoryFile)
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
		w.Write(historyColumns)
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

// LastRun returns the latest run in the history of dir of the input with
// that SHA-256 against endpoint. A missing history knows no run.
func LastRun(dir, sha, endpoint string) (*HistoryEntry, bool, error) {
	f, err := os.Open(filepath.Join(dir, HistoryFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", f.Name(), err)
	}
	col := func(name string) int { return slices.Index(head, name) }
	at := map[string]int{}
	for _, c := range historyColumns {
		at[c] = col(c)
	}
	get := func(rec []string, name string) string {
		if i := at[name]; i >= 0 && i < len(rec) {
			return record.FromText(rec[i])
		}
		return ""
	}
	var last *HistoryEntry
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", f.Name(), err)
		}
		if get(rec, "Input SHA-256") != sha || !SameEndpoint(get(rec, "Endpoint"), endpoint) {
			continue
		}
		e := &HistoryEntry{
			Input: get(rec, "Input"), InputSHA256: sha, Endpoint: get(rec, "Endpoint"), Report: get(rec, "Report"),
			Config: get(rec, "Config"), RunID: get(rec, "Run ID"), Result: get(rec, "Result"), AmountCancelled: get(rec, "Amount Cancelled"),
		}
		e.Started, _ = time.Parse(time.RFC3339, get(rec, "Started (UTC)"))
		e.Finished, _ = time.Parse(time.RFC3339, get(rec, "Finished (UTC)"))
		e.LinesCancelled, _ = strconv.Atoi(get(rec, "Lines Cancelled"))
		e.QuantityCancelled, _ = strconv.Atoi(get(rec, "Quantity Cancelled"))
		last = e
	}
	return last, last != nil, nil
}

// SameEndpoint reports whether two endpoints as reports and journals name
// them are the same: URLs compare without case in scheme and host and
// without a trailing slash.
func SameEndpoint(a, b string) bool {
	norm := func(s string) string {
		s = strings.TrimRight(strings.TrimSpace(s), "/")
		if scheme, rest, ok := strings.Cut(s, "://"); ok {
			host, path, _ := strings.Cut(rest, "/")
			s = strings.ToLower(scheme) + "://" + strings.ToLower(host)
			if path != "" {
				s += "/" + path
			}
		}
		return s
	}
	return norm(a) == norm(b)
}

// RecordRun adds the run a report at path was written for to the history
// beside it: its Meta and what it cancelled.
func RecordRun(path string, m Meta, c *Counts) error {
	var amounts []string
	for _, cur := range c.Currencies() {
		if x := c.Cancelled[cur]; x != nil {
			amounts = append(amounts, cur+" "+FormatMoney(x.Amount))
		}
	}
	e := HistoryEntry{
		Input: m.Input.Name, InputSHA256: m.Input.SHA256, Endpoint: m.Endpoint, Report: path, Config: m.Config,
		RunID: m.RunID, Started: m.Started, Finished: m.Finished, Result: m.Result,
		QuantityCancelled: c.QuantityCancelled, AmountCancelled: strings.Join(amounts, "; "),
	}
	for _, x := range c.Cancelled {
		e.LinesCancelled += x.Lines
	}
	return AppendHistory(filepath.Dir(path), e)
}

// HistoryNote says, for check, when the history in dir shows that the
// input with this SHA-256 ran already against endpoint; nil if it did not.
func HistoryNote(dir, sha, endpoint string) []string {
	last, ok, err := LastRun(dir, sha, endpoint)
	if err != nil || !ok {
		return nil
	}
	return []string{fmt.Sprintf("already run on %s against %s → report %s (%s)", last.Finished.Format("2006-01-02 15:04 MST"), last.Endpoint, last.Report, last.Result)}
}
