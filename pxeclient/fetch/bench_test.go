package fetch

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

const benchSize = 8 << 20

// BenchmarkTFTP fetches 8 MiB from a pin/tftp server on loopback at the
// block sizes that matter: 512 (no blksize option), 1468 (Ethernet),
// 8192, 65464 (largest). Each block is one round trip, so the block size
// decides the throughput.
func BenchmarkTFTP(b *testing.B) {
	data := testData(benchSize, 12)
	srv := startTFTP(b, map[string][]byte{"initrd": data}, serverConfig{})
	for _, bs := range []int{512, 1468, 8192, 65464} {
		b.Run(fmt.Sprint("blksize=", bs), func(b *testing.B) {
			f := New(Options{TFTPBlockSize: bs, TFTPStall: 5 * time.Second, MemCheck: func(int64) error { return nil }})
			url := TFTPURL(srv.addr, "initrd")
			b.SetBytes(benchSize)
			start := time.Now()
			for b.Loop() {
				if _, err := f.Fetch(context.Background(), url); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(benchSize)*float64(b.N)/(1<<20)/time.Since(start).Seconds(), "MiB/s")
		})
	}
}

// The HTTP benchmarks fetch from a server in another process (this test
// binary, run again as TestBenchServer), as at boot: an in-process server
// would share the client's Ps, which the client's reads hold while they
// wait for data (httpconn_linux.go), and the benchmark would measure
// that instead of the transfer.

// benchFiles are the files of a network boot: a 5 MB kernel, 26 MB and
// 1 MB initrds.
var benchFiles = []struct {
	name string
	size int
	seed uint64
}{{"vmlinuz", 5066752, 14}, {"initrd.img", 26275153, 15}, {"extra.img", 1048971, 16}}

// benchServerEnv makes TestBenchServer serve benchFiles.
const benchServerEnv = "FETCH_BENCH_SERVER"

// TestBenchServer is the benchmarks' HTTP server when run with
// FETCH_BENCH_SERVER=1: it serves benchFiles on 127.0.0.1, prints its
// address, and exits when its standard input closes. Otherwise it skips.
func TestBenchServer(t *testing.T) {
	if os.Getenv(benchServerEnv) != "1" {
		t.Skip("the benchmarks' server; runs only as their child process")
	}
	files := map[string][]byte{}
	for _, f := range benchFiles {
		files["/"+f.name] = testData(f.size, f.seed)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		serveBytes(data).ServeHTTP(w, r)
	}))
	defer srv.Close()
	fmt.Println(srv.URL)
	io.Copy(io.Discard, os.Stdin)
}

// startBenchServer runs TestBenchServer in a child process and returns
// its URL. Under user-mode emulation (qemu-user), which cannot execute a
// second s390x binary, the benchmark skips: measure in a guest instead
// (scripts/bench-netboot.sh --proto http).
func startBenchServer(b *testing.B) string {
	b.Helper()
	testenv.SkipEmulated(b, "execute a second s390x binary (the benchmarks' HTTP server)")
	cmd := testenv.Reexec(0, []string{benchServerEnv + "=1"}, "-test.run=^TestBenchServer$")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	url, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("benchmark server: %v", err)
	}
	return strings.TrimSpace(url)
}

// BenchmarkHTTP fetches the 26 MB initrd with this package's client and,
// as the baseline, with net/http's stock transport
// (http.DefaultTransport's settings) reading into the same buffer.
func BenchmarkHTTP(b *testing.B) {
	url := startBenchServer(b)
	for _, c := range []struct {
		name   string
		client *http.Client
	}{
		{"client=fetch", nil},
		{"client=net-http", &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}},
	} {
		b.Run(c.name, func(b *testing.B) {
			f := New(Options{HTTPClient: c.client, MemCheck: func(int64) error { return nil }})
			b.SetBytes(int64(benchFiles[1].size))
			for b.Loop() {
				if _, err := f.Fetch(context.Background(), url+"/"+benchFiles[1].name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFetchAllHTTP fetches the three benchFiles with FetchAll, with
// a new Fetcher each time (a new connection, as at boot), at
// GOMAXPROCS=1 as in a 1-CPU guest (one file after another) and at the
// machine's GOMAXPROCS.
func BenchmarkFetchAllHTTP(b *testing.B) {
	base := startBenchServer(b)
	var urls []string
	var total int64
	for _, f := range benchFiles {
		urls = append(urls, base+"/"+f.name)
		total += int64(f.size)
	}
	for _, procs := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprint("procs=", procs), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			b.SetBytes(total)
			for b.Loop() {
				f := New(Options{MemCheck: func(int64) error { return nil }})
				if _, err := f.FetchAll(context.Background(), urls); err != nil {
					b.Fatal(err)
				}
				f.client().CloseIdleConnections()
			}
		})
	}
}
