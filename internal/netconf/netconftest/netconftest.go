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
// Main re-executes the test binary with CLONE_NEWNET|CLONE_NEWUTS (so
// sethostname does not touch the host either); that needs root
// (CAP_SYS_ADMIN) and fails loudly without it. Under user-mode emulation
// (qemu-s390x-static), where raw packet sockets and namespaces do not
// work, Main runs the tests in place and Require skips, saying why.
package netconftest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// EmulatedEnv is the environment variable the project's test scripts set
// to 1 when the tests run under qemu-user.
const EmulatedEnv = "S390NETBOOT_EMULATED"

// insideEnv marks the re-executed child that runs in the new namespaces.
const insideEnv = "S390NETBOOT_NETCONFTEST_INSIDE"

// Emulated reports whether the tests run under user-mode emulation: either
// EmulatedEnv is 1, or GOARCH is s390x while /proc/cpuinfo names another
// CPU vendor than IBM/S390 (qemu-user passes the host's file through).
func Emulated() bool {
	if os.Getenv(EmulatedEnv) == "1" {
		return true
	}
	if runtime.GOARCH == "s390x" {
		b, err := os.ReadFile("/proc/cpuinfo")
		return err == nil && !strings.Contains(string(b), "IBM/S390")
	}
	return false
}

var inside atomic.Bool

// Main runs m in fresh network and UTS namespaces and exits with its
// status. See the package documentation.
func Main(m *testing.M) {
	if os.Getenv(insideEnv) == "1" {
		inside.Store(true)
		os.Exit(m.Run())
	}
	if Emulated() {
		os.Exit(m.Run())
	}
	cmd := exec.Command("/proc/self/exe", os.Args[1:]...)
	cmd.Env = append(os.Environ(), insideEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWUTS}
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		os.Exit(0)
	case errors.As(err, &exit):
		os.Exit(exit.ExitCode())
	default:
		fmt.Fprintf(os.Stderr, "netconftest: cannot run the tests in a new network namespace "+
			"(run them as root, or set %s=1 under qemu-user): %v\n", EmulatedEnv, err)
		os.Exit(1)
	}
}

// Require skips t under emulation and fails it when the test binary does
// not run inside the namespaces Main makes.
func Require(t testing.TB) {
	t.Helper()
	if Emulated() {
		t.Skip("user-mode emulation (qemu-user) has no network namespaces or raw packet sockets")
	}
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
