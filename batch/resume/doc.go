// Package resume rebuilds a run from what an earlier one left: its report
// (read back with package report) or, when it died before writing one, its
// journal and the original input. Lines that are finished are carried into
// the new journal unchanged; lines still pending, failed, not_cancelled or
// would_cancel become the new plan — and every order is read again before
// anything is sent, so nothing is cancelled twice. A report or journal that
// was edited, belongs to another endpoint or input, or is a plan's journal
// asked to run, is refused with what to type instead.
package resume
