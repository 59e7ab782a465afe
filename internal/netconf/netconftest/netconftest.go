//go:build linux

// Package netconftest runs a package's tests inside a private network
// namespace, so they can create links, addresses and routes without
// touching the host's network, and make veth pairs to put real peers on.
//
// Usage, in a test file of the package:
//
//	func TestMain(m *testing.M) { netconftest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		netconftest.Require(t)
//		a, b := netconftest.Veth(t, "t0")
//		...
//	}
//
// Main re-executes the test binary (testenv.Reexec) with
// CLONE_NEWNET|CLONE_NEWUTS (so sethostname does not touch the host
// either); that needs root (CAP_SYS_ADMIN) and fails loudly without it. Under user-mode emulation
// (qemu-s390x-static), where raw packet sockets and namespaces do not
// work, Main runs the tests in place and Require skips, saying why.
package netconftest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// insideEnv marks the re-executed child that runs in the new namespaces.
const insideEnv = "S390NETBOOT_NETCONFTEST_INSIDE"

var inside atomic.Bool

// Main runs m in fresh network and UTS namespaces and exits with its
// status. See the package documentation.
func Main(m *testing.M) {
	if os.Getenv(insideEnv) == "1" {
		inside.Store(true)
		os.Exit(m.Run())
	}
	if testenv.Emulated() {
		os.Exit(m.Run())
	}
	cmd := testenv.Reexec(syscall.CLONE_NEWNET|syscall.CLONE_NEWUTS, []string{insideEnv + "=1"}, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		os.Exit(0)
	case errors.As(err, &exit):
		os.Exit(exit.ExitCode())
	default:
		fmt.Fprintf(os.Stderr, "netconftest: cannot run the tests in a new network namespace "+
			"(run them as root, or set %s=1 under qemu-user): %v\n", testenv.EmulatedEnv, err)
		os.Exit(1)
	}
}

// Require skips t under emulation and fails it when the test binary does
// not run inside the namespaces Main makes.
func Require(t testing.TB) {
	t.Helper()
	testenv.SkipEmulated(t, "create network namespaces or open raw packet sockets")
	if !inside.Load() {
		t.Fatal("test needs a private network namespace: call netconftest.Main from TestMain")
	}
}

// Veth creates a veth pair named prefix+"a" and prefix+"b", both up, and
// deletes it when t ends. It uses iproute2's ip(8).
func Veth(t testing.TB, prefix string) (a, b string) {
	t.Helper()
	a, b = prefix+"a", prefix+"b"
	Run(t, "ip", "link", "add", a, "type", "veth", "peer", "name", b)
	t.Cleanup(func() { exec.Command("ip", "link", "del", a).Run() })
	Run(t, "ip", "link", "set", a, "up")
	Run(t, "ip", "link", "set", b, "up")
	return a, b
}

// Run runs a command and fails t with its output when it fails; a missing
// command fails t with a hint to install it.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s not found (install iproute2): %v", name, err)
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
