package initramfs

import (
	"debug/elf"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files and generated fuzz seeds under testdata")

// TestFuzzSeeds writes the generated ELF seeds of FuzzReadModinfo to
// testdata/fuzz with -update (the files are what `go test -fuzz` starts from)
// and otherwise checks that they are there.
func TestFuzzSeeds(t *testing.T) {
	seeds := map[string][]byte{
		"fake_s390x_module": fakeModule(t, elf.EM_S390, "name=virtio_net", "depends=net_failover", "softdep=pre: a post: b"),
		"fake_amd64_module": fakeModule(t, elf.EM_X86_64, "name=igb", "depends=dca,i2c-algo-bit"),
		"fake_executable":   fakeELF(t, elf.ET_EXEC, elf.EM_S390, nil, true),
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzReadModinfo")
	for name, data := range seeds {
		p := filepath.Join(dir, name)
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(data)))
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != want {
			t.Errorf("%s is missing or stale (%v): run go test -run TestFuzzSeeds -update", p, err)
		}
	}
}
