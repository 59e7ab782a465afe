package s390image

import "strings"

// ParseParmfile turns the text of an s390 parameter file into a command
// line. Parameter files, as zipl and the IBM Z load-from-media procedures
// use them, may spread the line over several lines: each line is trimmed
// of surrounding blanks (including a DOS "\r"), empty lines are dropped,
// and the rest are joined with single spaces. The result still has to
// pass CheckCmdline.
func ParseParmfile(text string) string {
	var parts []string
	for line := range strings.SplitSeq(text, "\n") {
		if line = strings.Trim(line, " \t\r\v\f"); line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, " ")
}
