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
// in the order Load prefers them: the options of Calls(arch). It returns
// nil for an architecture Load does not support.
//
// A build tool uses it to refuse a first-stage kernel that can never
// start a target (see package initramfs).
func RequiredConfig(arch string) []string {
	var opts []string
	for _, c := range Calls(arch) {
		opts = append(opts, c.Config)
	}
	return opts
}
