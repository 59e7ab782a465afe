package kexec

// The kernel configuration options that build the two kexec system calls
// (kernel/Kconfig.kexec): CONFIG_KEXEC for kexec_load, CONFIG_KEXEC_FILE
// for kexec_file_load.
const (
	ConfigKexec     = "CONFIG_KEXEC"
	ConfigKexecFile = "CONFIG_KEXEC_FILE"
)

// RequiredConfig returns the kernel configuration options of which a
// running kernel needs at least one for Load to work on arch (a GOARCH),
// in the order Load prefers them: on s390x and arm64 either
// (kexec_file_load, or kexec_load where it is missing), on amd64
// CONFIG_KEXEC_FILE (Load calls only kexec_file_load there). It returns
// nil for an architecture Load does not support.
//
// A build tool uses it to refuse a first-stage kernel that can never
// start a target (see package initramfs).
func RequiredConfig(arch string) []string {
	switch arch {
	case "s390x", "arm64":
		return []string{ConfigKexecFile, ConfigKexec}
	case "amd64":
		return []string{ConfigKexecFile}
	}
	return nil
}
