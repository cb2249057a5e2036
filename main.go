// Command pcreconcile cancels Microsoft Partner Center software purchases in
// bulk from a spreadsheet and writes a reconciliation workbook that proves
// what happened, line by line. Run `pcreconcile --help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/pcreconcile/pcreconcile/batch/config"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/report"
)

// Exit codes: other programs and scripts act on them.
const (
	exitOK          = 0   // every line ended in a success status
	exitIncomplete  = 1   // the run finished, some lines did not succeed
	exitUsage       = 2   // usage, config or input error: nothing was sent
	exitAborted     = 3   // aborted (authentication, report not writable); what was done is recorded
	exitInterrupted = 130 // SIGINT/SIGTERM: in-flight orders finished, the rest is pending
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sig := &signals{stderr: os.Stderr, now: time.Now, exit: os.Exit, cancel: cancel}
	sig.install()
	a := &app{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		getenv:    os.Getenv,
		stdinTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		stderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		now:       time.Now,
		signals:   sig,
	}
	os.Exit(a.run(ctx, os.Args[1:]))
}

// app is the command line with its surroundings, so tests can run it.
type app struct {
	// args are the command line's arguments, as the report records them.
	args           []string
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// stdinTTY and stderrTTY say whether a person is there: the confirmation
	// prompt needs stdin, the progress bar stderr.
	stdinTTY, stderrTTY bool
	now                 func() time.Time
	// signals is told by each command what a signal means to it; nil in
	// tests that run commands in-process.
	signals *signals
	// dir is where files named by default are made (the working directory
	// when ""): tests run commands in-process and must not write into the
	// repository.
	dir string
	// configDir is the user's config directory, where the run ledger is by
	// default (os.UserConfigDir when nil).
	configDir func() (string, error)
	// writeReport writes the workbook (report.Write; tests make it fail).
	writeReport func(report.Options) (*report.Counts, error)
}

func (a *app) run(ctx context.Context, args []string) int {
	a.args = args
	return a.fail(a.dispatch(ctx, args))
}

// gcTarget sets Go's GC target to percent while a command holds a large
// live heap — unless the user set GOGC, which wins — and returns what
// restores it.
func (a *app) gcTarget(percent int) (restore func()) {
	if a.getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(percent)
	return func() { debug.SetGCPercent(old) }
}

// defaultPath is where a file the user did not name goes: name in the
// working directory.
func (a *app) defaultPath(name string) string {
	if a.dir == "" {
		return name
	}
	return filepath.Join(a.dir, name)
}

// expect tells the signal handler what a first signal means to the
// command (see signals.expect).
func (a *app) expect(stopping string, quitting func() string) {
	if a.signals != nil {
		a.signals.expect(stopping, quitting)
	}
}

// commandNames are the commands of the tool, in the order help lists them.
var commandNames = []string{"check", "discover", "plan", "run", "verify", "credits", "history", "sandbox", "version"}

// commands are the commands of the tool.
var commands = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range commandNames {
		m[c] = true
	}
	return m
}()

func (a *app) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		a.mainUsage(a.stderr)
		return exitWith(exitUsage)
	}
	// Flags may come before the command as well as after it: "pcreconcile
	// --quiet run x.csv" is "pcreconcile run --quiet x.csv".
	if strings.HasPrefix(args[0], "-") && !slices.Contains([]string{"-h", "-help", "--help", "--version"}, args[0]) {
		for i, arg := range args {
			if commands[arg] {
				args = slices.Concat([]string{arg}, args[:i], args[i+1:])
				break
			}
		}
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "check":
		return a.cmdCheck(ctx, rest)
	case "plan":
		return a.cmdRun(ctx, rest, record.Plan)
	case "run":
		return a.cmdRun(ctx, rest, record.Run)
	case "history":
		return a.cmdHistory(ctx, rest)
	case "discover":
		return a.cmdDiscover(ctx, rest)
	case "credits":
		return a.cmdCredits(ctx, rest)
	case "verify":
		return a.cmdVerify(ctx, rest)
	case "sandbox":
		return a.cmdSandbox(ctx, rest)
	case "version", "--version":
		fs := flag.NewFlagSet("version", flag.ContinueOnError)
		fs.SetOutput(a.stdout) // --help is read with less, or piped
		fs.Usage = func() {
			fmt.Fprint(fs.Output(), "Usage: pcreconcile version\n\nPrints the version, the commit it was built from and the Go version.\n")
			printFlags(fs)
		}
		if pos, err := parseFlags(fs, rest); err != nil {
			return err
		} else if len(pos) > 0 {
			return usage("version takes no arguments, got "+pos[0], "")
		}
		v, commit := versionInfo()
		fmt.Fprintf(a.stdout, "pcreconcile %s\ncommit %s\n%s\n", v, commit, runtime.Version())
		return nil
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			return a.dispatch(ctx, []string{rest[0], "--help"})
		}
		a.mainUsage(a.stdout)
		return nil
	default:
		if strings.HasPrefix(cmd, "-") {
			return usage(fmt.Sprintf("%s comes before a command, and there is none", cmd), "flags go with a command: pcreconcile run --help lists run's")
		}
		if near := config.Nearest(cmd, commandNames); near != "" {
			return usage(fmt.Sprintf("unknown command %q — did you mean %q?", cmd, near), "pcreconcile "+near+" --help says what it does")
		}
		return usage(fmt.Sprintf("unknown command %q", cmd), "the commands are "+strings.Join(commandNames, ", ")+"; try pcreconcile --help")
	}
}

func (a *app) mainUsage(w io.Writer) {
	fmt.Fprint(w, `pcreconcile cancels Partner Center software purchases in bulk from a
spreadsheet, and writes a reconciliation workbook proving what happened.

Usage:
  pcreconcile discover               what can still be cancelled, by when, for how much
  pcreconcile check INPUT            validate and group the sheet; no network
  pcreconcile plan INPUT             read every order (GET only): what a run would do
  pcreconcile run INPUT              cancel: GET each order, PATCH the lines still active
  pcreconcile run --resume REPORT    finish what an earlier run or plan left undone
  pcreconcile verify REPORT          is this workbook as pcreconcile wrote it?
  pcreconcile credits REPORT RECON…  did the money come back? cancellations against the invoices' credits
  pcreconcile history                the run ledger: every run, who, what it cancelled
  pcreconcile sandbox                serve the built-in Partner Center simulator
  pcreconcile version

INPUT is a CSV (comma, semicolon or tab; UTF-8 or UTF-16) or XLSX file with one
row per line item: Customer Tenant ID, Order ID, Line Item Number (empty or *
for every line), and optionally Offer ID and Expected Quantity.

Without a config file every command uses the built-in sandbox: try
  pcreconcile run samples/cancellations.csv

A monthly run:
  pcreconcile check cancellations.xlsx           fix the rows it reports
  pcreconcile plan cancellations.xlsx            review the workbook it writes
  pcreconcile run --resume reconciliation-….xlsx execute exactly that plan
  pcreconcile run --resume reconciliation-….xlsx again, for anything left to retry

Run pcreconcile COMMAND --help for the flags of a command.
Exit codes: 0 all lines succeeded, 1 some did not, 2 usage/config/input error
(nothing sent), 3 aborted, 130 interrupted.
`)
}

// exitError ends a command with an exit code. err, when set, is printed
// as "pcreconcile: error: …", and the hint — its own, or the one the error
// carries — as "pcreconcile: hint: …".
type exitError struct {
	code int
	err  error
	hint string
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func (e *exitError) Hint() string {
	if e.hint != "" {
		return e.hint
	}
	var h hinter
	if errors.As(e.err, &h) {
		return h.Hint()
	}
	return ""
}

// hinter is an error that knows what the user can do about it.
type hinter interface{ Hint() string }

// exitWith ends a command with code and nothing more to print.
func exitWith(code int) error { return &exitError{code: code} }

// usage is a wrong invocation: exit 2, nothing was sent.
func usage(msg, hint string) error {
	return &exitError{code: exitUsage, err: errors.New(msg), hint: hint}
}

// fail prints err with its hint and returns the exit code it means: the
// code of an *exitError, else 2 (a usage, config or input error).
func (a *app) fail(err error) int {
	if err == nil {
		return exitOK
	}
	code := exitUsage
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	a.printError(err)
	return code
}

// printError prints "pcreconcile: error: …" and the error's hint.
func (a *app) printError(err error) {
	fmt.Fprintf(a.stderr, "pcreconcile: error: %v\n", err)
	var h hinter
	if errors.As(err, &h) && h.Hint() != "" {
		fmt.Fprintf(a.stderr, "pcreconcile: hint: %s\n", h.Hint())
	}
}

// printFlags lists fs's flags as users type them — "--rate N", not the flag
// package's "-rate N" — each with its usage and default.
func printFlags(fs *flag.FlagSet) {
	w := fs.Output()
	fs.VisitAll(func(f *flag.Flag) {
		arg, help := flag.UnquoteUsage(f)
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		line := "  " + dash + f.Name
		if arg != "" {
			line += " " + arg
		}
		if d := f.DefValue; d != "" && d != "false" && d != "0" && !strings.Contains(help, "default") {
			help += fmt.Sprintf(" (default %q)", d)
		}
		fmt.Fprintf(w, "%s\n      %s\n", line, help)
	})
}

// parseFlags parses flags and positional arguments in any order, so that
// `pcreconcile run input.csv --yes` works as users type it. A non-nil error
// ends the command: exit 0 after --help (fs.Usage prints the help), 2 after
// a bad flag, said in one line with a hint rather than the whole help.
func parseFlags(fs *flag.FlagSet, args []string) (pos []string, err error) {
	help, out := fs.Usage, fs.Output()
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(out)
			help()
			return nil, exitWith(exitOK)
		} else if err != nil {
			// Users type --rate; the flag package says -rate.
			msg := strings.Replace(err.Error(), "for flag -", "for --", 1)
			return nil, usage(msg, "pcreconcile "+fs.Name()+" --help lists the flags")
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// newLogger writes to stderr: text or JSON, info by default, debug with -v,
// warnings only with --quiet.
func newLogger(w io.Writer, format string, verbose, quiet bool) (*slog.Logger, error) {
	level := slog.LevelInfo
	switch {
	case verbose:
		level = slog.LevelDebug
	case quiet:
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

func versionInfo() (v, commit string) {
	info, _ := debug.ReadBuildInfo()
	return describeBuild(version, info)
}

// describeBuild names a build: the version set at link time, else the
// module version Go recorded (a release tag, or a pseudo-version naming
// the commit), and the commit it was built from — "(modified)" when the
// checkout had changes. Where Go recorded no commit (go run, -buildvcs=false,
// a build outside a git checkout) the version is "development build".
func describeBuild(linked string, info *debug.BuildInfo) (v, commit string) {
	v, commit = linked, "not recorded (go run, -buildvcs=false or a build outside a git checkout)"
	if info == nil {
		info = &debug.BuildInfo{}
	}
	if v == "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		commit = rev
		if modified == "true" {
			commit += " (modified)"
		}
	}
	if v == "" {
		v = "development build"
		if rev != "" {
			v += " " + rev[:min(12, len(rev))]
		}
	}
	return v, commit
}

// commandLine is how the command was typed, arguments quoted as a shell
// needs them.
func (a *app) commandLine() string {
	q := []string{"pcreconcile"}
	for _, arg := range a.args {
		q = append(q, quoteArg(arg))
	}
	return strings.Join(q, " ")
}

// runBy is who ran the tool: the OS user and the host.
func runBy() string { return userName() + "@" + hostname() }

func userName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

func hostname() string {
	host, _ := os.Hostname()
	return host
}

func quoteArg(s string) string { return report.ShellQuote(s) }
