package dhcp

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	uiorand "github.com/u-root/uio/rand"
)

func TestMixXID(t *testing.T) {
	mac1 := net.HardwareAddr{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
	mac2 := net.HardwareAddr{0x52, 0x54, 0x00, 0x12, 0x34, 0x57}
	same := [4]byte{1, 2, 3, 4}
	const t0 = int64(1_700_000_000_000_000_000)
	tests := []struct {
		name   string
		a, b   dhcpv4.TransactionID
		differ bool
	}{
		{"clones: same random bytes and time, MACs differ", mixXID(same, mac1, t0), mixXID(same, mac2, t0), true},
		{"one machine: same random bytes, a nanosecond apart", mixXID(same, mac1, t0), mixXID(same, mac1, t0+1), true},
		{"random bytes differ", mixXID(same, mac1, t0), mixXID([4]byte{1, 2, 3, 5}, mac1, t0), true},
		{"same inputs", mixXID(same, mac1, t0), mixXID(same, mac1, t0), false},
	}
	for _, tt := range tests {
		if (tt.a != tt.b) != tt.differ {
			t.Errorf("%s: %v and %v, want differ=%v", tt.name, tt.a, tt.b, tt.differ)
		}
	}
}

// TestDHCPv4RandomDoesNotWait: once Run has installed the source, the
// dhcpv4 package's transaction IDs come at once and never fail, even with
// a context that has ended (uio/rand's own reader, with the pool not
// ready, spins until its context ends and dhcpv4 then builds no message).
func TestDHCPv4RandomDoesNotWait(t *testing.T) {
	useNonblockingRand()
	if _, ok := uiorand.Reader.(nonblockingRand); !ok {
		t.Fatalf("uio/rand.Reader is %T", uiorand.Reader)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	seen := map[dhcpv4.TransactionID]bool{}
	for range 100 {
		xid, err := dhcpv4.GenerateTransactionIDWithContext(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seen[xid] = true
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("100 transaction IDs took %v", d)
	}
	if len(seen) < 99 {
		t.Errorf("100 transaction IDs, %d different", len(seen))
	}
	if _, err := dhcpv4.NewDiscovery(net.HardwareAddr{2, 0, 0, 0, 0, 1}); err != nil {
		t.Fatal(err)
	}
}
