package fetch

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"
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

// BenchmarkHTTP fetches 8 MiB from an httptest server on loopback.
func BenchmarkHTTP(b *testing.B) {
	data := testData(benchSize, 13)
	srv := httptest.NewServer(serveBytes(data))
	defer srv.Close()
	f := New(Options{MemCheck: func(int64) error { return nil }})
	b.SetBytes(benchSize)
	start := time.Now()
	for b.Loop() {
		if _, err := f.Fetch(context.Background(), srv.URL+"/initrd"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchSize)*float64(b.N)/(1<<20)/time.Since(start).Seconds(), "MiB/s")
}
