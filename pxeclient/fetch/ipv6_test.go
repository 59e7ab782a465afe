package fetch

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// TestIPv6Loopback fetches over TFTP and HTTP from servers on [::1], by
// the URLs a DHCPv6 boot file URL gives.
func TestIPv6Loopback(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	data := strings.Repeat("ipv6 ", 10000)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(data))
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	tftp := testenv.TFTPServer{Open: testenv.TFTPFiles(map[string][]byte{"s390x/k": []byte(data)}), Addr: "[::1]:0"}.Start(t)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f := New(Options{})
	for _, u := range []string{srv.URL + "/s390x/k", TFTPURL(tftp, "s390x/k")} {
		if !strings.Contains(u, "[::1]") {
			t.Fatalf("URL %s is not on [::1]", u)
		}
		got, err := f.Fetch(ctx, u)
		if err != nil {
			t.Fatalf("fetch %s: %v", u, err)
		}
		if string(got.Data) != data {
			t.Errorf("fetch %s: %d bytes, want %d", u, len(got.Data), len(data))
		}
	}
}
