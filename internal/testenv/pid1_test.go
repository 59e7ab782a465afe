package testenv

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// pid1Env marks the copy of the test binary that TestReexecPID1 starts.
const pid1Env = "S390NETBOOT_TESTENV_PID1"

// TestReexecPID1: the copy runs as PID 1, its lines arrive in order, and
// Kill says whether it was still running.
func TestReexecPID1(t *testing.T) {
	switch os.Getenv(pid1Env) {
	case "stay":
		fmt.Printf("pid=%d\n", os.Getpid())
		select {}
	case "exit":
		fmt.Println("leaving")
		os.Exit(3)
	}
	for _, tt := range []struct{ mode, line, killErr string }{
		{"stay", "pid=1", ""},
		{"exit", "leaving", "exited before it was killed: exit status 3"},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			p := ReexecPID1(t, pid1Env+"="+tt.mode)
			if l, err := p.Next(time.Now().Add(20 * time.Second)); err != nil || l != tt.line {
				t.Fatalf("Next = %q, %v, want %q\n%s", l, err, tt.line, p.Output())
			}
			if tt.mode == "exit" {
				<-p.Ended()
				if _, err := p.Next(time.Now().Add(time.Second)); err == nil || !strings.Contains(err.Error(), "the init ended (exit status 3)") {
					t.Errorf("Next after the end = %v", err)
				}
			}
			err := p.Kill()
			if tt.killErr == "" && err != nil || tt.killErr != "" && (err == nil || !strings.Contains(err.Error(), tt.killErr)) {
				t.Errorf("Kill = %v, want %q", err, tt.killErr)
			}
		})
	}
}
