package compression

import "testing"

func TestDetect(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" for none
	}{
		{"\x1f\x8b\x08\x00", "gzip"},
		{"\xfd7zXZ\x00\x00\x01", "xz"},
		{"\x28\xb5\x2f\xfd\x24", "zstd"},
		{"BZh91AY&SY", "bzip2"},
		{"\x04\x22\x4d\x18\x64", "lz4"},
		{"\x02\x21\x4c\x18\x00", "lz4 (legacy)"},
		{"\x89LZO\x00\r\n\x1a\n\x10", "lzop"},
		{"\x89LZO\x00\x00", ""}, // not lzop's full magic
		{"\x5d\x00\x00\x80\x00", "lzma"},
		{"\x1f", ""},
		{"", ""},
		{"070701", ""},
	}
	for _, tt := range tests {
		f, ok := Detect([]byte(tt.in))
		if ok != (tt.want != "") || f.Name != tt.want {
			t.Errorf("Detect(%q) = %q, %v; want %q", tt.in, f.Name, ok, tt.want)
		}
	}
}

func TestFormatsTable(t *testing.T) {
	longest := 0
	for _, f := range Formats {
		longest = max(longest, len(f.Magic))
		if f.Initramfs != (f.Config != "") {
			t.Errorf("%s: Initramfs %v but Config %q", f.Name, f.Initramfs, f.Config)
		}
		// Every magic must be detected as its own format: no earlier
		// entry may be a prefix of a later one.
		if got, _ := Detect([]byte(f.Magic)); got != f {
			t.Errorf("Detect(%q magic) = %q", f.Name, got.Name)
		}
	}
	if longest != MaxMagic {
		t.Errorf("MaxMagic = %d, the longest magic is %d bytes", MaxMagic, longest)
	}
}
