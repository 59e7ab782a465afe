// Command netinit is a minimal stand-in netboot init for testing ramdisks
// built by mkpxeramfs before cmd/pxeinit existed: it mounts /proc, /sys and
// /dev, loads the bundled modules with package modload, brings up the first
// Ethernet interface and prints the address DHCP offers. Then it powers off.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/s390netboot/s390netboot/internal/modload"
	"golang.org/x/sys/unix"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, nil))
	for _, m := range []struct{ src, dst, typ string }{{"proc", "/proc", "proc"}, {"sysfs", "/sys", "sysfs"}, {"devtmpfs", "/dev", "devtmpfs"}} {
		if err := unix.Mount(m.src, m.dst, m.typ, 0, ""); err != nil {
			logger.Warn("mount", "dst", m.dst, "err", err)
		}
	}
	if err := modload.LoadAll("/", logger); err != nil {
		logger.Error("modules", "err", err)
	}
	ifname := waitForEthernet(10 * time.Second)
	if ifname == "" {
		fmt.Println("netinit: no network interface")
		halt()
	}
	if err := linkUp(ifname); err != nil {
		fmt.Println("netinit: link up:", err)
		halt()
	}
	fmt.Println("netinit: DHCP on", ifname)
	c, err := nclient4.New(ifname, nclient4.WithTimeout(3*time.Second), nclient4.WithRetry(5))
	if err != nil {
		fmt.Println("netinit: dhcp:", err)
		halt()
	}
	lease, err := c.Request(context.Background())
	if err != nil {
		fmt.Println("netinit: dhcp:", err)
		halt()
	}
	fmt.Printf("netinit: %s got %s\n", ifname, lease.ACK.YourIPAddr)
	halt()
}

func waitForEthernet(d time.Duration) string {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		ifs, _ := net.Interfaces()
		for _, i := range ifs {
			if i.Flags&net.FlagLoopback == 0 && len(i.HardwareAddr) == 6 && !strings.HasPrefix(i.Name, "sit") {
				return i.Name
			}
		}
	}
	return ""
}

func linkUp(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

func halt() {
	unix.Sync()
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}
