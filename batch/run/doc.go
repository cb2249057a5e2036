// Package run executes a plan against Partner Center: orders concurrently
// (errgroup, bounded), each read first (GET: quantity, status and prices
// before), decided line by line by the pure rules of rules.go, its intent
// journaled before its PATCH goes out (intent.go), its answer settled, and
// its outcome journaled the moment the order finishes. A failed order is an
// outcome, never the group's error: only a journal that cannot be written,
// or authentication failing order after order, ends a run early.
//
// Outcomes turns a plan and its journal into what the workbook shows, item
// by item in sheet order: finished orders as recorded, the rest pending.
package run
