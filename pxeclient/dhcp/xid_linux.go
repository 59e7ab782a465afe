package dhcp

import (
	"context"
	"encoding/binary"
	"hash/fnv"
	"net"
	"sync"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	uiorand "github.com/u-root/uio/rand"

	"github.com/s390netboot/s390netboot/internal/entropy"
)

// Transaction IDs.
//
// A DHCP transaction ID (xid, RFC 2131 section 2) only has to differ
// between the clients on a link and between one client's exchanges, so
// that each client takes the answers to its own messages; it guards
// nothing. The dhcpv4 package draws one for every message it builds from
// github.com/u-root/uio/rand, which waits for the kernel's random pool,
// up to two minutes per message: on QEMU's default x86 CPU under TCG (no
// RDRAND) the client got no lease at all. So the client puts a source that
// never waits under the dhcpv4 package (useNonblockingRand) and gives its
// exchanges transaction IDs of its own (newXID).

var nonblockingOnce sync.Once

// useNonblockingRand makes entropy.ReadNonblocking the random source of
// the dhcpv4 package (uio/rand.Reader, which in this module's programs
// only the dhcpv4 package reads).
func useNonblockingRand() {
	nonblockingOnce.Do(func() { uiorand.Reader = nonblockingRand{} })
}

// nonblockingRand is a uio/rand.ContextReader that never waits.
type nonblockingRand struct{}

func (nonblockingRand) Read(b []byte) (int, error) {
	entropy.ReadNonblocking(b)
	return len(b), nil
}

func (r nonblockingRand) ReadContext(_ context.Context, b []byte) (int, error) { return r.Read(b) }

// newXID returns the transaction ID of a new exchange from mac, without
// waiting for the kernel's random pool (see mixXID).
func newXID(mac net.HardwareAddr) dhcpv4.TransactionID {
	var r [4]byte
	entropy.ReadNonblocking(r[:])
	return mixXID(r, mac, time.Now().UnixNano())
}

// mixXID mixes random bytes with the MAC and the time: from a pool that
// is not ready yet, two machines that booted alike (clones under
// emulation) may draw the same bytes, but their MACs differ, and the
// same machine's exchanges differ by the time.
func mixXID(random [4]byte, mac net.HardwareAddr, nanos int64) dhcpv4.TransactionID {
	h := fnv.New32a()
	h.Write(mac)
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], uint64(nanos))
	h.Write(t[:])
	var xid dhcpv4.TransactionID
	binary.BigEndian.PutUint32(xid[:], binary.BigEndian.Uint32(random[:])^h.Sum32())
	return xid
}
