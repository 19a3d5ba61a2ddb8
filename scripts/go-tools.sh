#!/bin/sh
# The Go tools of scripts/go-tools/go.mod (the only place their versions are written):
#   sh scripts/go-tools.sh build <package> <output file>   build one tool
#   sh scripts/go-tools.sh dir <module>                    print where its source is (downloaded if missing)
# All tools share that module's dependency graph, so the second tool only compiles what the first
# did not (Go's build cache): the server after the CLI is mostly a link.
set -eu
GO=$(command -v go || echo /usr/local/go/bin/go)
cd "$(dirname "$0")/go-tools"
case "$1" in
  dir)
    "$GO" mod download "$2"
    "$GO" list -m -f '{{.Dir}}' "$2" ;;
  build)
    pkg=$2 out=$3 ldflags="-s -w"
    case "$pkg" in
      github.com/temporalio/cli/*)
        # What the release build stamps, so `temporal --version` names the release.
        v=$("$GO" list -m -f '{{.Version}}' github.com/temporalio/cli)
        ldflags="$ldflags -X github.com/temporalio/cli/temporalcli.Version=${v#v}" ;;
    esac
    mkdir -p "$(dirname "$out")"
    "$GO" build -ldflags="$ldflags" -o "$out.tmp" "$pkg"
    mv "$out.tmp" "$out" ;;
  *) echo "usage: go-tools.sh build <package> <output> | dir <module>" >&2; exit 2 ;;
esac
