package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CheckPath checks, before anything is read or sent, that a report can be
// written at path and that writing it harms nothing: the name ends in
// .xlsx, the folder exists and takes files, path is not a folder or a
// symbolic link (dangling or not), an existing file is replaced only with
// force — and never one of reads, the files the command reads, however
// they are named.
func CheckPath(path string, force bool, reads ...string) error {
	refuse := func(reason, fix string) error { return &Error{Reason: reason, Fix: fix} }
	if !strings.EqualFold(filepath.Ext(path), ".xlsx") {
		return refuse("--report "+path+": the report is an Excel workbook; its name must end in .xlsx", "e.g. --report "+ShellQuote(strings.TrimSuffix(path, filepath.Ext(path))+".xlsx"))
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return refuse("the report's folder "+dir+" does not exist", "create it first, or choose another --report PATH")
	}
	if err := writable(dir); err != nil {
		return refuse(fmt.Sprintf("cannot write in the report's folder %s: %v", dir, err), "choose another --report PATH")
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return nil // nothing there yet
	}
	switch {
	case fi.IsDir():
		return refuse("--report "+path+" is a folder", "give a file name ending in .xlsx")
	case fi.Mode()&os.ModeSymlink != 0:
		return refuse("--report "+path+" is a symbolic link; a report is never written through one", "give the path it points to, or another --report PATH")
	case !force:
		return refuse("report "+path+" exists", "choose another --report PATH, or --force to replace it")
	}
	return NotOneOf(path, reads...)
}

// NotOneOf refuses a report path that is one of the files the command
// reads — the input, the report or journal resumed, the config — however
// it is named: --force replaces an earlier report, never those.
func NotOneOf(path string, reads ...string) error {
	rep, err := os.Stat(path)
	if err != nil {
		return nil
	}
	for _, f := range reads {
		if fi, err := os.Stat(f); f != "" && err == nil && os.SameFile(rep, fi) {
			return &Error{Reason: "--report " + path + " is " + f + ", which this command reads; it is never replaced, with --force or without", Fix: "choose another --report PATH"}
		}
	}
	return nil
}

// writable reports whether files can be created in dir.
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".pcreconcile-check-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// ShellQuote quotes s for a POSIX shell when it needs it, for the
// commands messages print.
func ShellQuote(s string) string {
	if s == "" || strings.ContainsAny(s, " \t'\"$`\\!*?[]{}()<>|&;#~") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}
