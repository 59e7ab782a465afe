# usage.sh: sourced by the project's scripts for their command-line
# conventions, as Unix tools: --help or -h prints the script's header
# comment (its usage) on standard output and exits 0; a bad argument prints
# the problem and the usage on standard error and exits 2.
#
#   . "$(dirname "$0")/usage.sh"
#   case ${1:-} in -h|--help) usage; exit 0;; esac
#   [ $# -le 1 ] || usage_error "too many arguments"
#
# A script that takes no arguments says only: no_args "" "$@"

# The running script, by a path that still holds after it changes
# directory (source this file before any cd).
usage_script=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

# usage prints the comment block at the top of the running script (from
# its second line to the first line that is not a comment).
usage() {
	sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$usage_script"
}

# usage_error MESSAGE: the message, then the usage, on standard error;
# exits 2.
usage_error() {
	printf '%s: %s\n\n' "$(basename "$0")" "$*" >&2
	usage >&2
	exit 2
}

# no_args HINT "$@": for a script that takes no arguments: --help or -h
# prints the usage and exits 0; any other argument is a usage error, with
# HINT (when not empty) saying what to do instead.
no_args() {
	local hint=$1
	shift
	[ $# -gt 0 ] || return 0
	case $1 in -h|--help) usage; exit 0;; esac
	usage_error "takes no arguments${hint:+ ($hint)}"
}
