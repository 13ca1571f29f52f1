#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for a bounded time over a
# small seed corpus (records from ../shared/data, the rule fixtures of tests/unit/rules, IAM
# inventories and policies). SECONDS_PER_TARGET (default 30) bounds each run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${SECONDS_PER_TARGET:-30}
cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Debug -DTW_FUZZ=ON \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build build/fuzz --target fuzz_record fuzz_split fuzz_rules fuzz_grants fuzz_policy_facts -j2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/record" "$work/split" "$work/rules" "$work/grants" "$work/policy_facts"
cp tests/unit/rules/good/*.yml "$work/rules/" 2>/dev/null || true
cp tests/e2e/exceptions-tuning/tuning.yml "$work/rules/" 2>/dev/null || true  # fuzz_rules reads --exceptions too
data=../shared/data/derived-fixtures
if [ -d "$data" ]; then
    head -n 200 "$data/all_cloudtrail_events.ndjson" | split -l 10 - "$work/record/seed"
    cp "$data"/s3-archive-form/stratus__aws.defense-evasion.cloudtrail-stop.json.gz "$work/split/"
    head -n 20 "$data/all_cloudtrail_events.ndjson" | zstd -q -c > "$work/split/seed.zst"
fi
printf '{"Records":[{"eventName":"A"}]}\n' > "$work/split/records.json"
for f in ../shared/data/cloudmapper-demo-iam/iam-get-account-authorization-details.json \
         ../shared/data/cloudsplaining-authz-details/example_authz_v2.json; do
    if [ -f "$f" ]; then cp "$f" "$work/grants/"; fi
done
printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}' > "$work/grants/policy.json"
printf '%%7B%%22Statement%%22%%3A%%5B%%7B%%22Effect%%22%%3A%%22Deny%%22%%2C%%22Action%%22%%3A%%22*%%22%%7D%%5D%%7D' > "$work/grants/encoded.txt"
# resource and trust policies: held to an organization, denied unless from it, trusts
printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}},{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"*","Resource":"*","Condition":{"ForAllValues:StringNotLike":{"aws:PrincipalOrgPaths":["o-a1b2c3d4e5/*"]},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}' > "$work/policy_facts/org.json"
printf '{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:root","111122223333","AROA3XFRBF535PLBIFPI4"],"Service":"lambda.amazonaws.com","Federated":"arn:aws:iam::111122223333:saml-provider/Okta","CanonicalUser":"79a5"},"Action":"sts:AssumeRole"},{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::*:root"},"Action":"s3:*"},{"Effect":"Deny","Action":"*:*"}]}' > "$work/policy_facts/trust.json"
printf '"{\\"Statement\\":[{\\"Effect\\":\\"Allow\\",\\"Principal\\":\\"*\\",\\"Action\\":\\"s3:*\\"}]}"' > "$work/policy_facts/in-string.json"
cp "$work/grants/encoded.txt" "$work/policy_facts/"
for target in fuzz_record fuzz_split fuzz_rules fuzz_grants fuzz_policy_facts; do
    echo "== $target for ${seconds}s"
    if ! build/fuzz/tests/fuzz/$target -max_total_time="$seconds" -max_len=16384 \
        -print_final_stats=1 -artifact_prefix="$work/" "$work/${target#fuzz_}" > "$work/log" 2>&1; then
        tail -n 60 "$work/log"
        for crash in "$work"/crash-* "$work"/oom-* "$work"/leak-* "$work"/timeout-*; do
            [ -e "$crash" ] && { echo "input $crash (base64):"; base64 "$crash"; }
        done
        echo "fuzz: $target failed" >&2
        exit 1
    fi
    tail -n 6 "$work/log"
done
