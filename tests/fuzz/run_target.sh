#!/usr/bin/env bash
# run_target.sh FUZZER NAME: one libFuzzer target (the CTest entry fuzz.NAME of a TW_FUZZ=ON
# build; scripts/fuzz.sh builds them and runs every one) for SECONDS_PER_TARGET seconds
# (default 30) over a small seed corpus: records from ../shared/data when it is there, the rule
# fixtures of tests/unit/rules, IAM inventories and policies. A crash, a leak, an
# out-of-memory or a timeout fails it, with the input printed in base64.
set -euo pipefail
fuzzer=$1 name=$2
seconds=${SECONDS_PER_TARGET:-30}
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus="$work/corpus"
mkdir -p "$corpus"
data=../shared/data/derived-fixtures
case "$name" in
record)
    if [ -d "$data" ]; then
        head -n 200 "$data/all_cloudtrail_events.ndjson" | split -l 10 - "$corpus/seed"
    fi
    printf '{"eventName":"GetObject","userIdentity":{"type":"AssumedRole"}}\n' > "$corpus/min.json"
    ;;
split)
    if [ -d "$data" ]; then
        cp "$data"/s3-archive-form/stratus__aws.defense-evasion.cloudtrail-stop.json.gz "$corpus/"
        head -n 20 "$data/all_cloudtrail_events.ndjson" | zstd -q -c > "$corpus/seed.zst"
    fi
    printf '{"Records":[{"eventName":"A"}]}\n' > "$corpus/records.json"
    ;;
rules)
    cp tests/unit/rules/good/*.yml "$corpus/"
    cp tests/e2e/exceptions-tuning/tuning.yml "$corpus/" # fuzz_rules reads --exceptions too
    ;;
grants | policy_facts)
    printf '%%7B%%22Statement%%22%%3A%%5B%%7B%%22Effect%%22%%3A%%22Deny%%22%%2C%%22Action%%22%%3A%%22*%%22%%7D%%5D%%7D' > "$corpus/encoded.txt"
    ;;&
grants)
    for f in ../shared/data/cloudmapper-demo-iam/iam-get-account-authorization-details.json \
             ../shared/data/cloudsplaining-authz-details/example_authz_v2.json; do
        if [ -f "$f" ]; then cp "$f" "$corpus/"; fi
    done
    printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}' > "$corpus/policy.json"
    ;;
policy_facts)
    # resource and trust policies: held to an organization, denied unless from it, trusts
    printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}},{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"*","Resource":"*","Condition":{"ForAllValues:StringNotLike":{"aws:PrincipalOrgPaths":["o-a1b2c3d4e5/*"]},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}' > "$corpus/org.json"
    printf '{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:root","111122223333","AROA3XFRBF535PLBIFPI4"],"Service":"lambda.amazonaws.com","Federated":"arn:aws:iam::111122223333:saml-provider/Okta","CanonicalUser":"79a5"},"Action":"sts:AssumeRole"},{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::*:root"},"Action":"s3:*"},{"Effect":"Deny","Action":"*:*"}]}' > "$corpus/trust.json"
    printf '"{\\"Statement\\":[{\\"Effect\\":\\"Allow\\",\\"Principal\\":\\"*\\",\\"Action\\":\\"s3:*\\"}]}"' > "$corpus/in-string.json"
    ;;
*)
    echo "run_target.sh: no seed corpus for '$name'" >&2
    exit 2
    ;;
esac
echo "== fuzz_$name for ${seconds}s ($(ls "$corpus" | wc -l) seeds)"
if ! "$fuzzer" -max_total_time="$seconds" -max_len=16384 -print_final_stats=1 \
    -artifact_prefix="$work/" "$corpus" > "$work/log" 2>&1; then
    tail -n 60 "$work/log"
    for crash in "$work"/crash-* "$work"/oom-* "$work"/leak-* "$work"/timeout-*; do
        [ -e "$crash" ] && { echo "input $crash (base64):"; base64 "$crash"; }
    done
    echo "fuzz: fuzz_$name failed" >&2
    exit 1
fi
tail -n 6 "$work/log"
