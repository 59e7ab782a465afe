package initramfs

import (
	"debug/elf"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// TestFuzzSeeds writes the generated ELF seeds of FuzzReadModinfo to
// testdata/fuzz with -update (the files are what `go test -fuzz` starts from)
// and otherwise checks that they are there.
func TestFuzzSeeds(t *testing.T) {
	seeds := map[string][]byte{
		"fake_s390x_module": fakeModule(t, elf.EM_S390, "name=virtio_net", "depends=net_failover", "softdep=pre: a post: b"),
		"fake_amd64_module": fakeModule(t, elf.EM_X86_64, "name=igb", "depends=dca,i2c-algo-bit"),
		"fake_executable":   fakeELF(t, elf.ET_EXEC, elf.EM_S390, nil, true),
	}
	testenv.FuzzSeeds(t, "FuzzReadModinfo", seeds)
}
