package netconf

import "testing"

// FuzzDecodeLink feeds arbitrary bytes to the RTM_NEWLINK decoder and the
// message splitter: they must return errors, never panic or read beyond
// the buffer.
func FuzzDecodeLink(f *testing.F) {
	var msg []byte
	msg = append(msg, make([]byte, 16)...)
	msg = appendAttr(msg, 3, []byte("eth0\x00"))
	msg = appendAttr(msg, 18, appendAttr(nil, 1, []byte("veth\x00")))
	f.Add(msg)
	f.Add([]byte{})
	f.Add(append(make([]byte, 16), 0xff, 0xff, 3, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeLink(b)
		splitMessages(b)
		parseAttrs(b)
	})
}

func TestDecodeLinkAttrs(t *testing.T) {
	var msg []byte
	msg = append(msg, make([]byte, 16)...)
	ne.PutUint16(msg[2:4], 1)
	ne.PutUint32(msg[4:8], 7)
	ne.PutUint32(msg[8:12], iffUp|iffLowerUp)
	msg = appendAttr(msg, 3, []byte("eth0\x00"))
	msg = appendAttr(msg, 1, []byte{2, 0, 0, 0, 0, 1})
	msg = appendAttrU32(msg, 4, 9000)
	msg = appendAttr(msg, 18|0x8000, appendAttr(nil, 1, []byte("vlan\x00")))
	l, err := decodeLink(msg)
	if err != nil {
		t.Fatal(err)
	}
	if l.Name != "eth0" || l.Index != 7 || l.Type != 1 || l.MTU != 9000 || l.Kind != "vlan" || l.MAC.String() != "02:00:00:00:00:01" || !l.Up() || !l.Carrier() {
		t.Errorf("decodeLink = %+v", l)
	}
	if _, err := decodeLink(msg[:10]); err == nil {
		t.Error("decodeLink(10 bytes) succeeded")
	}
	bad := append(append([]byte(nil), msg[:16]...), 200, 0, 3, 0)
	if _, err := decodeLink(bad); err == nil {
		t.Error("decodeLink(attribute longer than the message) succeeded")
	}
}
