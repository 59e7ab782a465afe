package bls

import (
	"slices"
	"strings"
)

// Compare orders two entries by the Boot Loader Specification's rules
// ("Sorting"), the order a menu shows them in and the first of which is
// the default when nothing else chooses:
//
//  1. entries with boot counting and no tries left ("bad") last;
//  2. when both have a sort-key: sort-key ascending, then machine-id
//     ascending, then version descending (CompareVersions), an empty
//     string sorting before any other;
//  3. an entry with a sort-key before one without;
//  4. then the ID (the file name without suffix and counter) in
//     descending version order.
//
// Ties after that (the same ID with different counters, from two
// directories) go to more tries left, then fewer tries done (as
// systemd-boot does), type #1 before type #2, then Path, so that the
// order never depends on the order files were read in. The result is
// negative when a sorts first.
func Compare(a, b *Entry) int {
	if c := cmpBool(a.Bad(), b.Bad()); c != 0 {
		return c
	}
	switch {
	case a.SortKey != "" && b.SortKey != "":
		if c := strings.Compare(a.SortKey, b.SortKey); c != 0 {
			return c
		}
		if c := strings.Compare(a.MachineID, b.MachineID); c != 0 {
			return c
		}
		if c := CompareVersions(b.Version, a.Version); c != 0 {
			return c
		}
	case a.SortKey != "" || b.SortKey != "":
		return cmpBool(b.SortKey != "", a.SortKey != "")
	}
	if c := CompareVersions(b.ID, a.ID); c != 0 {
		return c
	}
	if a.Counting && b.Counting {
		if a.TriesLeft != b.TriesLeft {
			return cmpBool(a.TriesLeft < b.TriesLeft, a.TriesLeft > b.TriesLeft)
		}
		if a.TriesDone != b.TriesDone {
			return cmpBool(a.TriesDone > b.TriesDone, a.TriesDone < b.TriesDone)
		}
	}
	if a.Type != b.Type {
		return cmpBool(a.Type > b.Type, a.Type < b.Type)
	}
	return strings.Compare(a.Path, b.Path)
}

// Less reports whether a sorts before b (Compare < 0).
func Less(a, b *Entry) bool { return Compare(a, b) < 0 }

// Sort puts entries in the spec's order (Compare).
func Sort(entries []*Entry) { slices.SortStableFunc(entries, Compare) }
