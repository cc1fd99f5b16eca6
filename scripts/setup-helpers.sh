#!/usr/bin/env bash
# Helpers the setup scripts share (sourced, not run): progress headings and logged Go builds.

# A bold progress heading on stderr.
step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Prints one progress line every 25 Go packages built, so a long build shows it is alive.
go_progress() { awk '{ n++; if (n % 25 == 0) { printf "    ... %d packages built\n", n > "/dev/stderr"; fflush() } }'; }

# Runs a `go build -v` / `go install -v` (the rest of the arguments) with progress lines, keeping its
# whole output in the log file $1; on failure prints the log's end and returns non-zero.
go_build_logged() {
  local log="$1"
  shift
  if ! ("$@" 2>&1 | tee "$log" | go_progress); then
    tail -n 30 "$log" >&2
    echo "the build failed; the full log is $log" >&2
    return 1
  fi
}
