package dhcp

import (
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// TestSeedCorpus keeps the FuzzDecode seed corpus in step with the
// builders in decode_test.go: go test -run TestSeedCorpus -update.
func TestSeedCorpus(t *testing.T) {
	seeds := map[string][]byte{
		"pxe":        ack(t, map[uint8]string{1: "\xff\xff\xff\x00", 3: "\xc0\x00\x02\x01", 6: "\xc0\x00\x02\x35", 12: "node7", 15: "lab.example", 66: "192.0.2.5", 67: "s390x/pxelinux.0", 209: "pxelinux.cfg/x", 210: "s390x/", 211: be32(30)}),
		"option43":   ack(t, map[uint8]string{43: subopts(208, "\xf1\x00\x74\x7e", 209, "cfg/x", 210, "tftp://h/p/", 211, be32(5))}),
		"overload1":  overloaded(t, 1, []byte("\x43\x09s390x/ipl\x00\xd1\x04a.cf\xff"), nil, nil),
		"overload3":  overloaded(t, 3, []byte("\xd2\x03ab/\xff"), []byte("\xd2\x02c/\x42\x09192.0.2.9\xff"), nil),
		"hostile":    ack(t, map[uint8]string{67: "../../etc/shadow", 209: "a\x00b", 210: "x/ y", 12: "evil host", 15: "a\nb", 66: "not a host!"}),
		"badlengths": overloaded(t, 1, []byte("\x43\x7f"), nil, map[uint8]string{43: "\xd1\x09short", 1: "\xff\x00\xff\x00", 3: "\x01\x02\x03"}),
	}
	testenv.FuzzSeeds(t, "FuzzDecode", seeds)
}
