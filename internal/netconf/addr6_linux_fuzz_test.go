package netconf

import (
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// addrMsg builds an RTM_NEWADDR payload in the host's byte order.
func addrMsg(family uint8, bits uint8, flags8 uint8, index uint32, addr []byte, flags32 uint32) []byte {
	b := make([]byte, unix.SizeofIfAddrmsg)
	b[0], b[1], b[2] = family, bits, flags8
	ne.PutUint32(b[4:8], index)
	b = appendAttr(b, unix.IFA_ADDRESS, addr)
	if flags32 != 0 {
		b = appendAttrU32(b, unix.IFA_FLAGS, flags32)
	}
	return b
}

// linkMsg6 builds an AF_INET6 RTM_NEWLINK payload with IFLA_INET6_FLAGS.
func linkMsg6(index, flags uint32) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	b[0] = unix.AF_INET6
	ne.PutUint32(b[4:8], index)
	return appendAttr(b, unix.IFLA_PROTINFO|0x8000, appendAttrU32(nil, unix.IFLA_INET6_FLAGS, flags))
}

func TestDecodeAddr6(t *testing.T) {
	ll := netip.MustParseAddr("fe80::1")
	a, index, err := decodeAddr6(addrMsg(unix.AF_INET6, 64, 0, 3, ll.AsSlice(), ifaFTentative|0x100))
	if err != nil || index != 3 || a.Prefix.String() != "fe80::1/64" || !a.Tentative() || a.DADFailed() || !LinkLocal(a) || Global(a) {
		t.Errorf("decodeAddr6 = %+v, %d, %v", a, index, err)
	}
	a, _, err = decodeAddr6(addrMsg(unix.AF_INET6, 128, ifaFDADFailed, 4, netip.MustParseAddr("2001:db8::5").AsSlice(), 0))
	if err != nil || !a.DADFailed() || !Global(a) {
		t.Errorf("decodeAddr6 (8-bit flags) = %+v, %v", a, err)
	}
	if a, _, err := decodeAddr6(addrMsg(unix.AF_INET, 24, 0, 1, []byte{10, 0, 0, 1}, 0)); err != nil || a.Prefix.IsValid() {
		t.Errorf("decodeAddr6 (IPv4) = %+v, %v; want no address, no error", a, err)
	}
	for name, b := range map[string][]byte{
		"short":          {10, 64},
		"4-byte address": addrMsg(unix.AF_INET6, 64, 0, 1, []byte{1, 2, 3, 4}, 0),
		"prefix 129":     addrMsg(unix.AF_INET6, 129, 0, 1, ll.AsSlice(), 0),
	} {
		if _, _, err := decodeAddr6(b); err == nil {
			t.Errorf("decodeAddr6(%s) succeeded", name)
		}
	}
	for _, tc := range []struct {
		flags   uint32
		want    RA
		wantErr bool
	}{
		{0, RA{}, false},
		{ifRARcvd, RA{Received: true}, false},
		{ifRARcvd | ifRAManaged | ifRAOtherCon, RA{Received: true, Managed: true, Other: true}, false},
		{ifRARcvd | ifRAOtherCon, RA{Received: true, Other: true}, false},
	} {
		f, err := inet6Flags(linkMsg6(2, tc.flags))
		got := RA{Received: f&ifRARcvd != 0, Managed: f&ifRAManaged != 0, Other: f&ifRAOtherCon != 0}
		if err != nil || got != tc.want {
			t.Errorf("inet6Flags(%#x) = %+v, %v; want %+v", tc.flags, got, err, tc.want)
		}
	}
	if _, err := inet6Flags(make([]byte, unix.SizeofIfInfomsg)); err == nil {
		t.Error("inet6Flags without IFLA_PROTINFO succeeded")
	}
}

// seedsAddr6 are FuzzDecodeAddr6's seed corpus (go test -run
// TestSeedCorpusAddr6 -update writes them).
func seedsAddr6() map[string][]byte {
	return map[string][]byte{
		"linklocal-tentative": addrMsg(unix.AF_INET6, 64, 0, 3, netip.MustParseAddr("fe80::1").AsSlice(), ifaFTentative),
		"ra-managed":          linkMsg6(2, ifRARcvd|ifRAManaged),
		"short":               {10, 64, 0},
	}
}

func TestSeedCorpusAddr6(t *testing.T) {
	if ne.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the seed files hold netlink messages in little-endian order, as x86-64 and arm64 write them")
	}
	testenv.FuzzSeeds(t, "FuzzDecodeAddr6", seedsAddr6())
}

// FuzzDecodeAddr6: the RTM_NEWADDR and IFLA_INET6_FLAGS decoders return
// errors on any input, never panic.
func FuzzDecodeAddr6(f *testing.F) {
	for _, s := range seedsAddr6() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if a, _, err := decodeAddr6(b); err == nil && a.Prefix.IsValid() && !a.Prefix.Addr().Is6() {
			t.Fatalf("decodeAddr6 gave %v", a.Prefix)
		}
		inet6Flags(b)
	})
}
