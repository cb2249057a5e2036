// Package plantest builds plans for the tests of the packages above the
// planner: from CSV text, read through plan.ReadFile exactly as a real
// sheet is.
package plantest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pcreconcile/pcreconcile/batch/plan"
)

// Customers of the sandbox's seed, for sheets written in tests.
const (
	CustomerA = "4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57"
	CustomerB = "b81f6d04-7e2a-4c95-a3d8-5f0e1c9b2a76"
)

// File writes content to name in a temporary directory of t and returns
// its path.
func File(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Read reads csv as a run does (extra columns kept) and fails t if the
// sheet cannot be used.
func Read(t testing.TB, csv string) *plan.Plan {
	t.Helper()
	h, _ := plan.NewHeaders(nil)
	p, err := plan.ReadFile(File(t, "in.csv", csv), plan.ReadOptions{Headers: h, Extras: true})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
