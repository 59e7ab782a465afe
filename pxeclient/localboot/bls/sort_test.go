package bls

import (
	"slices"
	"testing"
)

// TestSort: the spec's order, one rule per pair of files.
func TestSort(t *testing.T) {
	entry := func(file, data string) *Entry {
		e, warns := ParseEntry(file, []byte(data+"linux /k\n"))
		if e == nil {
			t.Fatalf("%s: %v", file, warns)
		}
		return e
	}
	entries := []*Entry{
		entry("bad+0-3.conf", "sort-key a\n"),                                    // bad: last
		entry("nokey-6.1.conf", ""),                                              // no sort-key: after those with one
		entry("nokey-6.10.conf", ""),                                             // ... by ID, newest first
		entry("fedora-6.8.5.conf", "sort-key fedora\nversion 6.8.5\n"),           // sort-key, then version descending
		entry("fedora-6.8.11.conf", "sort-key fedora\nversion 6.8.11\n"),         //
		entry("arch.conf", "sort-key arch\n"),                                    // sort-key ascending: arch first
		entry("fedora-m1.conf", "sort-key fedora\nmachine-id 0000\nversion 1\n"), // machine-id ascending: "" < "0000"
		entry("same+1.conf", ""),                                                 // same ID: more tries left first
		entry("same+2-1.conf", ""),                                               //
		entry("same.conf", ""),                                                   // no counting after counting ones: by path
		entry("fedora-6.8.11~rc1.conf", "sort-key fedora\nversion 6.8.11~rc1\n"), // a pre-release sorts older
	}
	Sort(entries)
	var got []string
	for _, e := range entries {
		got = append(got, e.Path)
	}
	want := []string{"arch.conf", "fedora-6.8.11.conf", "fedora-6.8.11~rc1.conf", "fedora-6.8.5.conf", "fedora-m1.conf",
		"same+2-1.conf", "same+1.conf", "same.conf", "nokey-6.10.conf", "nokey-6.1.conf", "bad+0-3.conf"}
	if !slices.Equal(got, want) {
		t.Errorf("order\n%q\nwant\n%q", got, want)
	}
	for i := range entries {
		for j := range entries {
			if (Compare(entries[i], entries[j]) < 0) != (i < j) || Less(entries[i], entries[j]) != (i < j) {
				t.Errorf("Compare(%s, %s) = %d at %d, %d", entries[i].Path, entries[j].Path, Compare(entries[i], entries[j]), i, j)
			}
		}
	}
}
