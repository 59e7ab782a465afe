//go:build !linux

package netconf

// AddVLAN returns ErrUnsupported outside Linux.
func AddVLAN(parent string, id uint16) (l VLANLink, made bool, err error) {
	return VLANLink{}, false, errOS
}

// VLANLinks returns ErrUnsupported outside Linux.
func VLANLinks() ([]VLANLink, error) { return nil, errOS }

// VLANByName returns ErrUnsupported outside Linux.
func VLANByName(name string) (VLANLink, error) { return VLANLink{}, errOS }
