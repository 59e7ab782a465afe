// Package fetch fetches the files of a network boot (configs, kernels,
// initrds) over TFTP, HTTP and HTTPS into memory, and the files of a
// local boot (a kernel on a mounted disk) from file:// URLs, with the same
// memory check, digests, progress and errors.
//
// Files are named by URL: tftp://server[:port]/name (RFC 3617; the name
// is what follows the first "/", so tftp://s//abs/path asks for
// "/abs/path"), http://..., https://... and file:///absolute/path (RFC
// 8089; no host but localhost). [TFTPURL] builds a TFTP URL from a server
// and a file name, escaping what needs it.
//
//	f := fetch.New(fetch.Options{Progress: fetch.NewLineProgress(os.Stdout, time.Second)})
//	files, err := f.FetchAll(ctx, []string{
//		fetch.TFTPURL("10.0.0.1", "s390x/vmlinuz"),
//		"https://boot.example.com/s390x/initrd.img",
//	})
//	if err != nil {
//		// err joins one *fetch.Error per failed file; files[i] is nil
//		// for those.
//	}
//	_, err = f.Fetch(ctx, fetch.TFTPURL("10.0.0.1", "pxelinux.cfg/01-52-54-00-12-34-56"))
//	if errors.Is(err, fetch.ErrNotFound) {
//		// try the next name
//	}
//
// # TFTP
//
// The TFTP client is this package's own (RFC 1350 with the blksize and
// tsize options of RFC 2347-2349 and windowsize of RFC 7440, octet mode,
// block numbers wrapping after 65535). It asks for a block size that
// fills the path MTU (1468 on Ethernet; QEMU's user network grants
// 1428), uses tsize so the buffer is allocated once, and asks for a
// window of 16 blocks per ACK (atftpd grants it; QEMU's server and
// dnsmasq 2.90 ignore it). When blocks stop coming for a short timeout (100
// ms, no random backoff), or a block past a lost one arrives, it
// acknowledges the last block it has in order, which makes the server
// send again from there at once, instead of after the server's own
// retransmission timer (seconds). It keeps trying long enough to wait
// out that timer's backoff when it is all that is left (60 s without
// progress, see [DefaultTFTPStall]). A server that refuses options (error 8) is asked
// again without them. Error packets become a [*TFTPError]; code 1
// matches [ErrNotFound], code 2 [ErrAccess]. Timeouts match
// [ErrNetwork].
//
// Why not github.com/pin/tftp/v3 (which the tests use as the server):
// TFTP is lock-step, one round trip per block, and on a slow CPU the
// client's cost per packet decides the speed. In a 1-CPU s390x guest
// under QEMU's TCG, pin/tftp's netpoller path cost about 70 µs of user
// time per block and moved a 26 MB file in 5.2-9.5 s; busybox's tftp
// took 4.1-4.7 s. On Linux this client waits in plain blocking system
// calls (see tftpconn_linux.go) and took 3.1-4.0 s in the same runs.
//
// # HTTP and HTTPS
//
// HTTPS servers are verified against Options.RootCAs, Options.CABundle
// or /etc/ssl/certs/ca-certificates.crt; a redirect from HTTPS to HTTP
// is refused. No timeout bounds a whole transfer; the connection is given
// up when nothing arrives for Options.IdleTimeout, so large files on slow
// links complete and stalled servers do not hang the boot.
//
// The client is net/http's, tuned for a slow CPU: on Linux its reads wait
// for data in a raw ppoll(2) for up to 5 ms before Go's netpoller
// (httpconn_linux.go); FetchAll fetches one file per P, in order, over
// one keep-alive connection per server; a buffer's pages are mapped in
// one madvise(2) (prefault_linux.go); the CA bundle is read on the first
// HTTPS connection, not for plain HTTP. In a 1-CPU s390x guest under
// QEMU's TCG, 31 MB (kernel, 26 MB and 1 MB initrds) from the host's
// loopback took as long as busybox wget fetching them one after another
// (scripts/bench-netboot.sh --proto http), and half the time of net/http
// with three files at once and its defaults.
//
// # Local files
//
// A file:// URL is read from this machine's file system: its size is
// known, so after the memory check the buffer is allocated once and
// filled; a missing file matches [ErrNotFound], one that may not be read
// [ErrAccess], and anything but a regular file is refused. It is read
// once, never tried again: a disk that fails to read will not do better
// a second later.
//
// # Retries, memory and progress
//
// A file whose transfer fails in a way another try may cure (a network
// failure after the transfer started, a truncated body, HTTP 5xx, a
// restarted TFTP server) is fetched again from the start, up to
// Options.Attempts times. Before a buffer is allocated, Options.MemCheck
// (by default [MemAvailable]) decides whether it fits in free memory;
// files that do not fit fail with [ErrNoMemory] naming the sizes. With
// Options.SHA256 the SHA-256 of each file is computed as it arrives. Progress goes to a
// [Progress]; [LineProgress] prints it in line mode for consoles without
// cursor control.
//
// # Security
//
// Servers are not trusted for sizes: an announced size is checked
// against free memory before anything is allocated, a file of unknown
// size grows its buffer only after the same check, and a server that
// sends more than it announced over HTTP is refused. TFTP and plain HTTP
// are unauthenticated: anyone on the path can change the files. Use
// HTTPS, or check the SHA-256 against a trusted list, where that matters.
package fetch
