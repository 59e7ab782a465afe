package testenv

import (
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// EmulatedEnv names the environment variable scripts/test.sh sets to 1
// for the qemu-user run, which can neither create namespaces nor execute
// a second s390x binary.
const EmulatedEnv = "S390NETBOOT_EMULATED"

// Emulated reports whether the tests run under user-mode emulation:
// either EmulatedEnv is 1, or GOARCH is s390x while /proc/cpuinfo names
// another CPU than IBM/S390 (qemu-user passes the host's file through).
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

// SkipEmulated skips t under user-mode emulation (see Emulated), saying
// that it cannot do what (such as "create PID namespaces").
func SkipEmulated(t testing.TB, what string) {
	t.Helper()
	if Emulated() {
		t.Skipf("user-mode emulation (qemu-user) cannot %s", what)
	}
}

// Reexec returns a command that runs the test binary again, in the new
// namespaces cloneflags asks for (syscall.CLONE_NEWPID,
// CLONE_NEWNET|CLONE_NEWUTS, or 0 for none), with env ("NAME=value")
// added to its environment so that the copy knows it is the copy, and
// args as its flags: RunOnly(t) to run only the calling test, os.Args[1:]
// to run what this binary runs. The copy is killed (SIGKILL) when the
// test binary dies. New namespaces need root (CAP_SYS_ADMIN); under
// user-mode emulation nothing of this works (SkipEmulated).
//
//	if os.Getenv(childEnv) == "1" {
//		... the copy's part; return ...
//	}
//	testenv.SkipEmulated(t, "create network namespaces")
//	out, err := testenv.Reexec(syscall.CLONE_NEWNET, []string{childEnv + "=1"}, testenv.RunOnly(t), "-test.v").CombinedOutput()
func Reexec(cloneflags uintptr, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command("/proc/self/exe", args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: cloneflags, Pdeathsig: syscall.SIGKILL}
	return cmd
}

// RunOnly returns the -test.run flag that selects t alone (and, for a
// subtest, its parents): every level of its name anchored and quoted.
func RunOnly(t testing.TB) string { return "-test.run=" + runPattern(t) }

// runPattern is the -run pattern that selects only t.
func runPattern(t testing.TB) string {
	names := strings.Split(t.Name(), "/")
	for i, name := range names {
		names[i] = "^" + regexp.QuoteMeta(name) + "$"
	}
	return strings.Join(names, "/")
}
