package pxeclient

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/s390netboot/s390netboot/internal/modload"
	"github.com/s390netboot/s390netboot/internal/pid1"
	"github.com/s390netboot/s390netboot/internal/settings"
	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/localboot"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
)

// ErrNoDiskEntries is the disk step finding nothing to boot: no volume,
// or no config with an entry on any.
var ErrNoDiskEntries = errors.New("no boot entries on the disks")

// DiskMenu is the disk step: the volumes Disks gives (the machine's
// disks, mounted read-only), their configs read and merged (package
// localboot) for the client's architecture, under the signed-boot
// policy (when it is on, every entry is listed with the reason it cannot
// boot: see signedboot.Policy.LocalRefused), their warnings logged, and
// the disks stage line. Without Disks, or when no config gave an entry,
// the error matches ErrNoDiskEntries (and the menu holds the warnings,
// when there were any).
func (c *Client) DiskMenu(ctx context.Context) (*bootmenu.Menu, error) {
	c.init()
	start := time.Now()
	if c.Disks == nil {
		return nil, fmt.Errorf("%w: the client has no disk source", ErrNoDiskEntries)
	}
	vols, err := c.Disks(ctx)
	if err != nil && len(vols) == 0 {
		c.stages.mark("disks", "volumes", 0, "configs", 0, "entries", 0, "sec", fmt.Sprintf("%.3f", time.Since(start).Seconds()))
		return nil, fmt.Errorf("%w: %w", ErrNoDiskEntries, err)
	}
	if err != nil {
		c.Log.Warn(err.Error())
	}
	res := localboot.Read(ctx, vols, localboot.Options{Arch: c.Arch, Platform: c.firmware(), Refuse: c.Signed.LocalRefused(), Logger: c.Log})
	m := res.Menu
	if m != nil {
		c.logWarnings(m)
		m.Locked = c.Signed.Enabled()
	}
	c.stages.mark("disks", "volumes", res.Volumes, "configs", len(res.Used), "entries", res.Entries(),
		"sec", fmt.Sprintf("%.3f", time.Since(start).Seconds()))
	if res.Entries() == 0 {
		return m, fmt.Errorf("%w: %d volumes, %d configs found", ErrNoDiskEntries, res.Volumes, len(res.Configs))
	}
	return m, nil
}

// ScanDisks is the init's Disks: the machine's disks
// (localboot.Discover, waiting up to pxeinit.diskwait for late ones),
// each filesystem mounted read-only without journal replay below
// localboot.DefaultMountDir. What the previous pass mounted is unmounted
// first. Devices that could not be probed or mounted are logged as
// warnings and left out.
func (c *Client) ScanDisks(ctx context.Context) ([]*volume.Volume, error) {
	c.init()
	c.disksMu.Lock()
	defer c.disksMu.Unlock()
	if err := c.mounted.Release(); err != nil {
		c.Log.Warn("disks of the last pass: " + err.Error())
	}
	d, err := localboot.Discover(ctx, localboot.DiscoverOptions{
		SysRoot: filepath.Join(c.Root, "sys"), Wait: c.Settings.DiskWaitOr(), Logger: c.Log,
		// The ramdisk's filesystem modules load only when a disk has
		// that filesystem (on a running system there are none: the
		// kernel asks modprobe itself).
		LoadDriver: func(driver string) error { return modload.LoadFS(c.Root, driver, c.Log) },
	})
	c.mounted = d
	return d.Volumes, err
}

// firmware is GRUB's $grub_platform for this machine: "efi" when the
// kernel was started by UEFI firmware, else "pc".
func (c *Client) firmware() string {
	if _, err := os.Stat(filepath.Join(c.Root, "sys/firmware/efi")); err == nil {
		return "efi"
	}
	return "pc"
}

// sources is the flow's first step with the disks: the disk step runs
// beside the network and config steps (scanning and mounting disks while
// DHCP waits), and the menus of the sources in pxeinit.boot order are
// merged (SourcesMenu). A network that fails is only a warning when the
// disks have an entry that may boot; with none its error is the pass's,
// as without disks. When the disks come first and their menu boots
// something unattended, the network gets no longer than that entry's
// wait once the disks are read (none for one that boots at once): its
// entries come too late for the menu (a warning says so), as they would
// come too late for petitboot's countdown.
func (c *Client) sources(ctx context.Context, p *pass) (*bootmenu.Menu, error) {
	order := c.Settings.Sources()
	type diskResult struct {
		m   *bootmenu.Menu
		err error
	}
	disks := make(chan diskResult, 1)
	go func() {
		var r diskResult
		r.err = pid1.Recover(func() error {
			var err error
			r.m, err = c.DiskMenu(ctx)
			return err
		})
		disks <- r
	}()
	var netMenu *bootmenu.Menu
	var lease *Lease
	var netErr error
	netCtx, cancelNet := context.WithCancel(ctx)
	defer cancelNet()
	netDone := make(chan struct{})
	useNet := slices.Contains(order, settings.SourceNet)
	go func() {
		defer close(netDone)
		if !useNet {
			return
		}
		netErr = pid1.Recover(func() error {
			var err error
			if lease, err = c.Lease(netCtx); err == nil {
				netMenu, err = c.Config(netCtx, lease)
			}
			return err
		})
	}()
	d := <-disks
	if useNet && order[0] == settings.SourceDisk && d.err == nil && d.m.Auto.Entry != nil && d.m.Auto.Entry.Bootable() && !d.m.Auto.Forever {
		select {
		case <-netDone:
		case <-time.After(d.m.Auto.Wait):
			cancelNet()
			<-netDone
			c.Log.Warn("the network's entries are left out: the disks come first (pxeinit.boot) and their default's wait is over",
				"wait", d.m.Auto.Wait)
			netMenu, lease, netErr = nil, nil, nil
		}
	}
	<-netDone
	p.lease = lease
	if d.err == nil && netErr != nil && !bootable(d.m) {
		d.err = fmt.Errorf("%w that may boot (%s)", ErrNoDiskEntries, c.Signed)
	}
	switch {
	case d.err != nil && netMenu != nil:
		c.Log.Info("disks: " + d.err.Error())
		return netMenu, nil
	case d.err != nil && netErr != nil:
		c.Log.Info("disks: " + d.err.Error())
		return nil, netErr
	case d.err != nil:
		return nil, fmt.Errorf("pxeinit.boot=%s: %w", strings.Join(order, ","), d.err)
	case netErr != nil:
		c.Log.Warn(netErr.Error(), "next", "the disks' entries")
	}
	return c.SourcesMenu(p.lease, netMenu, d.m), nil
}

// SourcesMenu is the menu of the network (read with lease l) and the
// disks together, in pxeinit.boot= order: a group headed "network: CONFIG
// on SERVER" for the network's entries, then the disks' groups, one per
// config (or the other way round); the unattended choice is the first
// source's that has one (bootmenu.Merge). A nil menu is left out; one
// menu alone is given as it is.
func (c *Client) SourcesMenu(l *Lease, netMenu, diskMenu *bootmenu.Menu) *bootmenu.Menu {
	order := c.Settings.Sources()
	var parts []bootmenu.Part
	for _, s := range order {
		switch {
		case s == settings.SourceNet && netMenu != nil:
			parts = append(parts, bootmenu.Part{Title: fmt.Sprintf("network: %s on %s", netMenu.Source, l.Source.Server()), Menu: netMenu})
		case s == settings.SourceDisk && diskMenu != nil:
			parts = append(parts, bootmenu.Part{Menu: diskMenu})
		}
	}
	if len(parts) == 1 {
		return parts[0].Menu
	}
	return bootmenu.Merge(parts)
}

// bootable reports whether an entry of m can boot.
func bootable(m *bootmenu.Menu) bool {
	return m != nil && slices.ContainsFunc(m.Entries, (*bootmenu.Entry).Bootable)
}

// DirVolumes is a Disks source of folders that stand for volumes (`pxeboot
// plan --disk DIR`, tests): each its own disk, in order (DiskIndex),
// named by the folder's base name ("alpine"; "alpine-2" for a second of
// that name).
func DirVolumes(dirs ...string) func(context.Context) ([]*volume.Volume, error) {
	return func(context.Context) ([]*volume.Volume, error) {
		var vols []*volume.Volume
		taken := map[string]bool{}
		for i, d := range dirs {
			v, err := dirVolume(d, i)
			if err != nil {
				return vols, err
			}
			for n := 2; taken[v.Name]; n++ {
				v.Name = fmt.Sprintf("%s-%d", filepath.Base(v.Dir), n)
			}
			v.Disk = v.Name
			taken[v.Name] = true
			vols = append(vols, v)
		}
		return vols, nil
	}
}

// dirVolume is the folder dir as the volume of disk number index,
// named by the folder's base name.
func dirVolume(dir string, index int) (*volume.Volume, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	// An os.Root, as for mounted disks: links cannot lead out of the
	// folder. It stays open for the life of the (one-shot) plan.
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(abs)
	return &volume.Volume{Name: name, Disk: name, DiskIndex: index, FS: root.FS(), Dir: abs}, nil
}
