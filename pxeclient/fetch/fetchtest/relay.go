// Package fetchtest provides a lossy UDP relay for testing TFTP clients
// against real servers, in the spirit of net/http/httptest.
//
// The relay sits between clients and a TFTP server and loses, duplicates
// and delays packets in both directions. Each decision is drawn from a
// generator seeded with the seed and the packet's identity: its
// direction, opcode and block number and how many copies of that packet
// the transfer has sent before. So the first DATA of block 17 is lost or
// not whatever the timing, and two clients fetching the same file meet
// the same losses as long as they send the same packets.
//
//	r, err := fetchtest.NewRelay("127.0.0.1:69", fetchtest.Impairment{Loss: 0.05, Seed: 1})
//	if err != nil { ... }
//	defer r.Close()
//	// fetch tftp://<r.Addr()>/file
//	fmt.Println(r.Stats())
package fetchtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/s390netboot/s390netboot/internal/positive"
)

// opRRQ is the TFTP read request opcode, RFC 1350 section 5.
const opRRQ = 1

// Impairment says what the relay does to packets. Each packet is first
// lost with probability Loss; a packet that survives is delayed (so that
// later ones overtake it) with probability Delay and sent twice with
// probability Dup.
type Impairment struct {
	Loss, Dup, Delay float64
	// MaxDelay bounds the delay of a delayed packet (default 5 ms).
	MaxDelay time.Duration
	// Seed seeds the generator.
	Seed uint64
}

// Stats counts what the relay did.
type Stats struct {
	Forwarded, Dropped, Duplicated, Delayed int64
}

func (s Stats) String() string {
	return fmt.Sprintf("%d forwarded, %d dropped, %d duplicated, %d delayed",
		s.Forwarded, s.Dropped, s.Duplicated, s.Delayed)
}

// Relay forwards TFTP between clients and one server. Clients talk to
// the relay's one port; read requests go to the server's listening port
// and everything else to the port the transfer's answers came from.
type Relay struct {
	conn   *net.UDPConn
	server *net.UDPAddr
	imp    Impairment

	mu       sync.Mutex
	sessions map[string]*session
	closed   bool

	forwarded, dropped, duplicated, delayed atomic.Int64
}

type session struct {
	up  *net.UDPConn
	mu  sync.Mutex
	tid *net.UDPAddr
	// seen counts copies of each packet identity: direction, then the
	// first 4 bytes (opcode and block number).
	seen map[[5]byte]uint64
}

// Directions, part of a packet's identity.
const (
	toServer = 0
	toClient = 1
)

// NewRelay starts a relay on an ephemeral port of the loopback address
// of the server's family, forwarding to server (host:port).
func NewRelay(server string, imp Impairment) (*Relay, error) {
	sa, err := net.ResolveUDPAddr("udp", server)
	if err != nil {
		return nil, fmt.Errorf("relay to %s: %w", server, err)
	}
	imp.MaxDelay = positive.Or(imp.MaxDelay, 5*time.Millisecond)
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: loopback(sa.IP)})
	if err != nil {
		return nil, fmt.Errorf("relay to %s: %w", server, err)
	}
	r := &Relay{conn: c, server: sa, imp: imp, sessions: map[string]*session{}}
	go r.fromClients()
	return r, nil
}

func loopback(ip net.IP) net.IP {
	if ip.To4() == nil && ip != nil {
		return net.IPv6loopback
	}
	return net.IPv4(127, 0, 0, 1)
}

// Addr is the host:port clients send to.
func (r *Relay) Addr() string { return r.conn.LocalAddr().String() }

// Stats returns the counters so far.
func (r *Relay) Stats() Stats {
	return Stats{r.forwarded.Load(), r.dropped.Load(), r.duplicated.Load(), r.delayed.Load()}
}

// Close stops the relay.
func (r *Relay) Close() error {
	r.mu.Lock()
	r.closed = true
	for _, s := range r.sessions {
		s.up.Close()
	}
	r.mu.Unlock()
	return r.conn.Close()
}

// impair sends p with write, or drops, doubles or delays it.
func (r *Relay) impair(s *session, dir byte, p []byte, write func([]byte)) {
	var id [5]byte
	id[0] = dir
	copy(id[1:], p)
	s.mu.Lock()
	n := s.seen[id]
	s.seen[id] = n + 1
	s.mu.Unlock()
	key := uint64(id[0])<<32 | uint64(binary.BigEndian.Uint32(id[1:]))
	rng := rand.New(rand.NewPCG(mix(r.imp.Seed^mix(key)), mix(n)))
	drop := rng.Float64() < r.imp.Loss
	dup := rng.Float64() < r.imp.Dup
	delay := rng.Float64() < r.imp.Delay
	wait := time.Duration(1 + rng.Int64N(int64(r.imp.MaxDelay)))
	if drop {
		r.dropped.Add(1)
		return
	}
	r.forwarded.Add(1)
	p = bytes.Clone(p)
	if delay {
		r.delayed.Add(1)
		time.AfterFunc(wait, func() { write(p) })
	} else {
		write(p)
	}
	if dup {
		r.duplicated.Add(1)
		time.AfterFunc(wait/2, func() { write(p) })
	}
}

// ServeUDP reads datagrams from c until a read fails (c was closed) or
// handle returns false, and hands each to handle with its sender. p is
// only valid during the call.
func ServeUDP(c *net.UDPConn, handle func(p []byte, from *net.UDPAddr) bool) {
	buf := make([]byte, 65536)
	for {
		n, from, err := c.ReadFromUDP(buf)
		if err != nil || !handle(buf[:n], from) {
			return
		}
	}
}

func (r *Relay) fromClients() {
	ServeUDP(r.conn, func(p []byte, from *net.UDPAddr) bool {
		s := r.session(from)
		if s == nil {
			return false
		}
		to := r.server
		if len(p) >= 2 && binary.BigEndian.Uint16(p) != opRRQ {
			s.mu.Lock()
			if s.tid != nil {
				to = s.tid
			}
			s.mu.Unlock()
		}
		r.impair(s, toServer, p, func(p []byte) { s.up.WriteToUDP(p, to) })
		return true
	})
}

func (r *Relay) session(client *net.UDPAddr) *session {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	if s, ok := r.sessions[client.String()]; ok {
		return s
	}
	up, err := net.ListenUDP("udp", &net.UDPAddr{IP: loopback(r.server.IP)})
	if err != nil {
		return nil
	}
	s := &session{up: up, seen: map[[5]byte]uint64{}}
	r.sessions[client.String()] = s
	go ServeUDP(up, func(p []byte, from *net.UDPAddr) bool {
		s.mu.Lock()
		s.tid = from
		s.mu.Unlock()
		r.impair(s, toClient, p, func(p []byte) { r.conn.WriteToUDP(p, client) })
		return true
	})
	return s
}

// mix is splitmix64's finalizer: nearby keys give unrelated seeds.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
