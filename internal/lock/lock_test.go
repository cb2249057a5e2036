package lock

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A second taker is refused at once and told who holds the lock; once the
// holder releases it, or dies, it is free.
func TestSecondTakerIsToldWhoHoldsIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locks", "chain.lock")
	since := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	first, err := Try(path, Holder{PID: 4242, Host: "fin-01", User: "jane", Since: since, Command: "pcreconcile run --resume r1.xlsx"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Try(path, Holder{PID: 1})
	var held *HeldError
	if !errors.As(err, &held) || !strings.Contains(err.Error(), "in progress: pid 4242 on fin-01 (jane) since 2026-12-01 09:30:00 UTC: pcreconcile run --resume r1.xlsx") {
		t.Fatalf("second Try: %v", err)
	}
	if _, err := Wait(path, 30*time.Millisecond); !errors.As(err, &held) {
		t.Errorf("Wait on a held lock: %v", err)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := Try(path, Holder{PID: 2})
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again.Release()
}

// The lock of a process that died is free: the OS released it. (The child
// is this test binary, holding the lock until it is killed.)
func TestLockOfADeadProcessIsFree(t *testing.T) {
	if os.Getenv("LOCK_TEST_HOLD") != "" {
		if _, err := Try(os.Getenv("LOCK_TEST_HOLD"), Holder{PID: os.Getpid(), Host: "child"}); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("held\n")
		select {}
	}
	path := filepath.Join(t.TempDir(), "chain.lock")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockOfADeadProcessIsFree$")
	cmd.Env = append(os.Environ(), "LOCK_TEST_HOLD="+path)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := out.Read(buf); err != nil || string(buf) != "held\n" {
		t.Fatalf("child: %q %v", buf, err)
	}
	if _, err := Try(path, Holder{PID: 1}); err == nil || !strings.Contains(err.Error(), "on child") {
		t.Fatalf("while the child lives: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	l, err := Try(path, Holder{PID: 1})
	if err != nil {
		t.Fatalf("after the holder died: %v", err)
	}
	l.Release()
}
