package fetch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// TFTP opcodes, RFC 1350 section 5 and RFC 2347 (OACK).
const (
	opRRQ   = 1
	opWRQ   = 2
	opDATA  = 3
	opACK   = 4
	opERROR = 5
	opOACK  = 6
)

// TFTP error code 3 (disk full or allocation exceeded), RFC 1350: sent to
// the server when a file does not fit in memory.
const tftpErrDiskFull = 3

// maxWindowSize is the largest windowsize, RFC 7440.
const maxWindowSize = 65535

// tftpHeader is the size of the DATA, ACK and ERROR headers: opcode and
// block number (or error code).
const tftpHeader = 4

// errMalformed marks a packet that does not parse.
var errMalformed = errors.New("malformed TFTP packet")

// requestPacket builds a read request for name in octet mode, with the
// blksize and tsize options (RFC 2348, RFC 2349) when blksize > 0, and
// windowsize (RFC 7440) when window > 1 too.
func requestPacket(name string, blksize, window int) []byte {
	p := binary.BigEndian.AppendUint16(nil, opRRQ)
	p = append(p, name...)
	p = append(p, 0)
	p = append(p, "octet\x00"...)
	if blksize > 0 {
		p = append(p, "blksize\x00"...)
		p = strconv.AppendInt(p, int64(blksize), 10)
		p = append(p, 0)
		p = append(p, "tsize\x000\x00"...)
		if window > 1 {
			p = append(p, "windowsize\x00"...)
			p = strconv.AppendInt(p, int64(window), 10)
			p = append(p, 0)
		}
	}
	return p
}

// ackPacket fills p (4 bytes) with an ACK of block.
func ackPacket(p []byte, block uint16) []byte {
	binary.BigEndian.PutUint16(p[0:], opACK)
	binary.BigEndian.PutUint16(p[2:], block)
	return p[:4]
}

// errorPacket builds an ERROR packet with code and message.
func errorPacket(code uint16, msg string) []byte {
	p := binary.BigEndian.AppendUint16(nil, opERROR)
	p = binary.BigEndian.AppendUint16(p, code)
	p = append(p, msg...)
	return append(p, 0)
}

// oack is what a server's option acknowledgment (RFC 2347) says. Zero
// fields were not acknowledged.
type oack struct {
	blksize int
	tsize   int64 // -1 when absent
	window  int
}

// parseOACK decodes the body of an OACK packet (after the opcode): pairs
// of NUL-terminated option names and values, names case-insensitive
// (RFC 2347). blksize must lie in 8..65464 (RFC 2348), tsize be a
// non-negative decimal (RFC 2349) and windowsize lie in 1..65535 (RFC
// 7440). Other options are ignored: a server
// should not acknowledge what was not asked for, and one that does has
// not changed the transfer by it.
func parseOACK(body []byte) (oack, error) {
	o := oack{tsize: -1}
	if len(body) == 0 || body[len(body)-1] != 0 {
		return o, fmt.Errorf("%w: OACK options not NUL-terminated", errMalformed)
	}
	fields := bytes.Split(body[:len(body)-1], []byte{0})
	if len(fields)%2 != 0 {
		return o, fmt.Errorf("%w: OACK option \"%s\" has no value", errMalformed, printable(fields[len(fields)-1]))
	}
	for i := 0; i < len(fields); i += 2 {
		name, value := strings.ToLower(string(fields[i])), string(fields[i+1])
		switch name {
		case "blksize":
			n, err := strconv.Atoi(value)
			if err != nil || n < 8 || n > maxBlockSize {
				return o, fmt.Errorf("%w: OACK blksize \"%s\" is not a number in 8..%d", errMalformed, printable(fields[i+1]), maxBlockSize)
			}
			o.blksize = n
		case "tsize":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < 0 {
				return o, fmt.Errorf("%w: OACK tsize \"%s\" is not a size", errMalformed, printable(fields[i+1]))
			}
			o.tsize = n
		case "windowsize":
			n, err := strconv.Atoi(value)
			if err != nil || n < 1 || n > maxWindowSize {
				return o, fmt.Errorf("%w: OACK windowsize \"%s\" is not a number in 1..%d", errMalformed, printable(fields[i+1]), maxWindowSize)
			}
			o.window = n
		}
	}
	return o, nil
}

// parseError decodes the body of an ERROR packet (after the opcode).
func parseError(body []byte) (*TFTPError, error) {
	if len(body) < 2 {
		return nil, fmt.Errorf("%w: ERROR packet of %d bytes", errMalformed, len(body)+2)
	}
	msg, _, _ := bytes.Cut(body[2:], []byte{0})
	return &TFTPError{Code: int(binary.BigEndian.Uint16(body)), Message: printable(msg)}, nil
}

// printable returns b for messages, with bytes outside printable ASCII
// escaped and at most 200 bytes of it.
func printable(b []byte) string {
	const limit = 200
	cut := len(b) > limit
	if cut {
		b = b[:limit]
	}
	var s strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			s.WriteByte(c)
		} else {
			fmt.Fprintf(&s, "\\x%02x", c)
		}
	}
	if cut {
		s.WriteString("...")
	}
	return s.String()
}
