package platform

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/s390netboot/s390netboot/internal/logging"
)

// OSA devices in sysfs (Linux Documentation/arch/s390/driver-model.rst,
// drivers/s390/net/qeth_core_main.c).
const (
	// CCWDevicesDir lists every channel device by bus ID ("0.0.f500").
	CCWDevicesDir = "sys/bus/ccw/devices"
	// QethGroupFile takes "read,write,data" bus IDs and creates the
	// group device named after the read device.
	QethGroupFile = "sys/bus/ccwgroup/drivers/qeth/group"
	// CCWGroupDevicesDir holds the group devices; writing "1" to their
	// online file makes the interface appear.
	CCWGroupDevicesDir = "sys/bus/ccwgroup/devices"
	// OSAControlUnit is the cutype of an OSA-Express card in QDIO mode
	// (qeth_ids in qeth_core_main.c: 0x1731 model 0x01; model 0x05 is
	// HiperSockets, which a netboot over the LAN does not use).
	OSAControlUnit = "1731/01"
)

// ErrBadQeth is returned (wrapped) for a qeth group setting that is not
// three bus IDs.
var ErrBadQeth = errors.New("bad qeth group")

// QethGroup is the three channel devices of one OSA interface: read,
// write and data, as bus IDs "0.0.f500".
type QethGroup [3]string

func (g QethGroup) String() string { return strings.Join(g[:], ",") }

// ParseQethGroup parses "0.0.f500,0.0.f501,0.0.f502" (bus IDs, or bare
// device numbers "f500" meaning subchannel set 0.0).
func ParseQethGroup(s string) (QethGroup, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return QethGroup{}, fmt.Errorf("%w %q: want three bus IDs read,write,data", ErrBadQeth, s)
	}
	var g QethGroup
	for i, p := range parts {
		id, err := parseBusID(p)
		if err != nil {
			return QethGroup{}, fmt.Errorf("%w %q: %w", ErrBadQeth, s, err)
		}
		g[i] = id.String()
	}
	return g, nil
}

// busID is a channel device bus ID: channel subsystem, subchannel set,
// device number.
type busID struct {
	cssid, ssid uint8
	devno       uint16
}

func (b busID) String() string { return fmt.Sprintf("%x.%x.%04x", b.cssid, b.ssid, b.devno) }

func parseBusID(s string) (busID, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	f := strings.Split(s, ".")
	if len(f) == 1 {
		f = []string{"0", "0", f[0]}
	}
	if len(f) != 3 || len(f[2]) == 0 || len(f[2]) > 4 {
		return busID{}, fmt.Errorf("bus ID %q is not CSS.SSID.DEVNO", s)
	}
	c, err1 := strconv.ParseUint(f[0], 16, 8)
	ss, err2 := strconv.ParseUint(f[1], 16, 2)
	d, err3 := strconv.ParseUint(f[2], 16, 16)
	if err := errors.Join(err1, err2, err3); err != nil {
		return busID{}, fmt.Errorf("bus ID %q is not CSS.SSID.DEVNO", s)
	}
	return busID{uint8(c), uint8(ss), uint16(d)}, nil
}

// FindQethGroups looks below root for OSA channel devices that are not
// grouped yet and pairs them into groups of three consecutive device
// numbers (the usual read, write, data assignment). Devices that do not
// form a triple are left alone.
func FindQethGroups(root string) ([]QethGroup, error) {
	dir := filepath.Join(root, CCWDevicesDir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil // no channel subsystem: not an s390 machine
		}
		return nil, fmt.Errorf("qeth: %w", err)
	}
	var cand []busID
	for _, e := range ents {
		id, err := parseBusID(e.Name())
		if err != nil {
			continue
		}
		b, err := readFile(root, filepath.Join(CCWDevicesDir, e.Name(), "cutype"))
		if err != nil || strings.TrimSpace(string(b)) != OSAControlUnit {
			continue
		}
		if _, err := os.Lstat(filepath.Join(dir, e.Name(), "group_device")); err == nil {
			continue // already grouped
		}
		cand = append(cand, id)
	}
	slices.SortFunc(cand, func(a, b busID) int {
		return int(uint32(a.cssid)<<24|uint32(a.ssid)<<16|uint32(a.devno)) -
			int(uint32(b.cssid)<<24|uint32(b.ssid)<<16|uint32(b.devno))
	})
	var out []QethGroup
	for i := 0; i+2 < len(cand); {
		a, b, c := cand[i], cand[i+1], cand[i+2]
		same := a.cssid == b.cssid && b.cssid == c.cssid && a.ssid == b.ssid && b.ssid == c.ssid
		if same && uint32(b.devno) == uint32(a.devno)+1 && uint32(c.devno) == uint32(a.devno)+2 {
			out = append(out, QethGroup{a.String(), b.String(), c.String()})
			i += 3
			continue
		}
		i++
	}
	return out, nil
}

// SetupQeth groups the given OSA devices (or, when groups is empty, those
// FindQethGroups finds) and sets the group devices online, so that their
// network interfaces appear. A group that already exists is only set
// online. Each failure is logged and the rest still tried; the errors are
// returned joined.
func SetupQeth(root string, groups []QethGroup, log *slog.Logger) error {
	log = logging.Or(log)
	if len(groups) == 0 {
		found, err := FindQethGroups(root)
		if err != nil {
			return err
		}
		groups = found
	}
	var errs []error
	for _, g := range groups {
		if err := setupQeth(root, g); err != nil {
			log.Warn("platform: qeth setup failed", "group", g.String(), "err", err)
			errs = append(errs, err)
			continue
		}
		log.Info("platform: qeth online", "group", g.String())
	}
	return errors.Join(errs...)
}

func setupQeth(root string, g QethGroup) error {
	dev := filepath.Join(root, CCWGroupDevicesDir, g[0])
	if _, err := os.Stat(dev); err != nil {
		if err := writeSysfs(filepath.Join(root, QethGroupFile), g.String()); err != nil {
			return fmt.Errorf("qeth group %s: %w", g, err)
		}
	}
	if err := writeSysfs(filepath.Join(dev, "online"), "1"); err != nil {
		return fmt.Errorf("qeth group %s: set online: %w", g, err)
	}
	return nil
}

// writeSysfs writes an attribute in one write(2), as sysfs wants, without
// creating the file.
func writeSysfs(path, val string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(val)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %q to %s: %w", val, path, err)
	}
	return nil
}
