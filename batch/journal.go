package batch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// JournalVersion is the format version written in every journal header.
const JournalVersion = 1

// JournalHeader is the first line of a journal: what run it belongs to and
// where its input came from, so that `run --resume` can rebuild the plan.
type JournalHeader struct {
	Kind    string `json:"kind"` // "header"
	Version int    `json:"version"`
	RunID   string `json:"runId"`
	Command string `json:"command"` // run or plan
	Source  Source `json:"source"`
	// Input is the original input when Source is an earlier report.
	Input       Source    `json:"input,omitzero"`
	Report      string    `json:"report"`
	ResumedFrom string    `json:"resumedFrom,omitempty"`
	Endpoint    string    `json:"endpoint"`
	Sandbox     bool      `json:"sandbox,omitempty"`
	Started     time.Time `json:"started"`
}

type journalLine struct {
	Kind string `json:"kind"` // "order"
	*OrderResult
}

// Journal is the append-only record of a run: one JSON line per finished
// order, fsynced before the order counts as done, so that a crash — even
// kill -9 — loses nothing that finished. The report is written from it.
type Journal struct {
	path string
	mu   sync.Mutex
	f    *os.File
	end  int64
	at   map[int]span // seq → where its latest record is
	sync bool
}

type span struct{ off, n int64 }

// JournalPath is where the journal of a report lives: beside it.
func JournalPath(report string) string { return report + ".journal" }

// CreateJournal starts a new journal at path with header h; it fails if the
// file exists.
func CreateJournal(path string, h JournalHeader) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	h.Kind, h.Version = "header", JournalVersion
	b, err := json.Marshal(h)
	if err != nil {
		f.Close()
		return nil, err
	}
	j := &Journal{path: path, f: f, at: make(map[int]span), sync: true}
	if err := j.write(append(b, '\n')); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	syncDir(filepath.Dir(path))
	return j, nil
}

// Path returns the journal's file name.
func (j *Journal) Path() string { return j.path }

func (j *Journal) write(b []byte) error {
	if _, err := j.f.WriteAt(b, j.end); err != nil {
		return err
	}
	if j.sync {
		if err := j.f.Sync(); err != nil {
			return err
		}
	}
	j.end += int64(len(b))
	return nil
}

// Append records a finished order. It returns only when the record is on
// disk.
func (j *Journal) Append(r *OrderResult) error {
	b, err := json.Marshal(journalLine{Kind: "order", OrderResult: r})
	if err != nil {
		return err
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	off := j.end
	if err := j.write(b); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	j.at[r.Seq] = span{off, int64(len(b))}
	return nil
}

// AppendCarried records orders finished by an earlier run, with one fsync
// for all of them.
func (j *Journal) AppendCarried(rs []*OrderResult) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	var buf bytes.Buffer
	spans := make([]span, len(rs))
	for i, r := range rs {
		b, err := json.Marshal(journalLine{Kind: "order", OrderResult: r})
		if err != nil {
			return err
		}
		spans[i] = span{j.end + int64(buf.Len()), int64(len(b) + 1)}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	if err := j.write(buf.Bytes()); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	for i, r := range rs {
		j.at[r.Seq] = spans[i]
	}
	return nil
}

// Has reports whether the order at seq has a record.
func (j *Journal) Has(seq int) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	_, ok := j.at[seq]
	return ok
}

// Get reads the record of the order at seq.
func (j *Journal) Get(seq int) (*OrderResult, bool, error) {
	j.mu.Lock()
	s, ok := j.at[seq]
	j.mu.Unlock()
	if !ok {
		return nil, false, nil
	}
	buf := make([]byte, s.n)
	if _, err := j.f.ReadAt(buf, s.off); err != nil {
		return nil, false, fmt.Errorf("journal %s: %w", j.path, err)
	}
	var line journalLine
	if err := json.Unmarshal(buf, &line); err != nil || line.OrderResult == nil {
		return nil, false, fmt.Errorf("journal %s: record of item %d is corrupt: %v", j.path, seq, err)
	}
	return line.OrderResult, true, nil
}

// Close closes the journal file; it stays on disk.
func (j *Journal) Close() error { return j.f.Close() }

// Remove closes and deletes the journal: the report it fed is complete.
func (j *Journal) Remove() error {
	j.f.Close()
	err := os.Remove(j.path)
	syncDir(filepath.Dir(j.path))
	return err
}

// OpenJournal opens an existing journal for reading: its header and the
// index of its records (the latest record of an order wins). A torn last
// line, written when the process died, is ignored: its order had not
// finished. The file is not modified.
func OpenJournal(path string) (*Journal, JournalHeader, error) {
	var h JournalHeader
	f, err := os.Open(path)
	if err != nil {
		return nil, h, err
	}
	j := &Journal{path: path, f: f, at: make(map[int]span), sync: true}
	br := bufio.NewReaderSize(f, 1<<20)
	var off int64
	for n := 0; ; n++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			break // a torn tail, if any, is not a record
		}
		if err != nil {
			f.Close()
			return nil, h, err
		}
		if n == 0 {
			if err := json.Unmarshal(line, &h); err != nil || h.Kind != "header" {
				f.Close()
				return nil, h, fmt.Errorf("%s is not a pcreconcile journal", path)
			}
			if h.Version > JournalVersion {
				f.Close()
				return nil, h, fmt.Errorf("%s was written by a newer pcreconcile (journal version %d)", path, h.Version)
			}
		} else {
			var probe struct {
				Kind string `json:"kind"`
				Seq  *int   `json:"seq"`
			}
			if err := json.Unmarshal(line, &probe); err != nil || probe.Kind != "order" || probe.Seq == nil {
				f.Close()
				return nil, h, fmt.Errorf("%s: line %d is corrupt", path, n+1)
			}
			j.at[*probe.Seq] = span{off, int64(len(line))}
		}
		off += int64(len(line))
	}
	if off == 0 {
		f.Close()
		return nil, h, fmt.Errorf("%s is empty", path)
	}
	j.end = off
	return j, h, nil
}

// ReadJournalHeader reads only the header of the journal at path.
func ReadJournalHeader(path string) (JournalHeader, error) {
	var h JournalHeader
	f, err := os.Open(path)
	if err != nil {
		return h, err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadBytes('\n')
	if err != nil {
		return h, fmt.Errorf("%s: %w", path, err)
	}
	if err := json.Unmarshal(line, &h); err != nil || h.Kind != "header" {
		return h, fmt.Errorf("%s is not a pcreconcile journal", path)
	}
	return h, nil
}

// Len returns the number of orders recorded.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.at)
}

// syncDir makes a created or removed file name durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
