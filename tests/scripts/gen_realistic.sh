#!/usr/bin/env bash
# gen_realistic.sh BINARY BUILD_DIR: `trailwarden gen --profile realistic` (bench/gen_real_*.c)
# writes what CloudTrail writes, the same bytes every run, and a truth file that names
# identities of its trail; and the default profile's output has not moved (benches and tests
# depend on its bytes).
#
# A small estate (80 identities, 2 accounts, 4 days, every scenario: about 20,000 records) is
# generated twice and compared byte for byte (NDJSON and truth), replayed with --stats (every
# record an event, no action unknown to the catalog), and read record by record:
# - readOnly is AWS's: true for Get/List/Describe/Head, kms:Decrypt and GenerateDataKey,
#   sts:AssumeRole and GetSessionToken, Bedrock InvokeModel and Converse; false for writes;
# - the Decrypt and GenerateDataKey that S3 and Secrets Manager make for a caller carry the
#   caller's identity with invokedBy, the service (or "AWS Internal") as source and user agent,
#   no tlsDetails, and name in their encryption context the object of a GetObject/PutObject
#   (or a secret of a GetSecretValue) that the same identity made the same second;
# - AWSService AssumeRole records, console sessions of people, MFA sessions of IAM users and
#   CloudFormation acting for a deployer are there, shaped as CloudTrail writes them;
# - the truth file: an estate line, then one valid object a scenario identity, each naming an
#   identity (DESIGN §3 key) that occurs in the trail.
# The default profile is compared with digests of the output of 7809113 (before the realistic
# profile existed). Needs no ../shared; takes a few seconds.
source "$(dirname "$0")/lib.bash"

REAL=(gen -q --profile realistic --identities 80 --span 4d --accounts 2 --seed 5)
tw gen1 "${REAL[@]}" -o "$WORK/a.ndjson" --truth "$WORK/a.truth"
expect_eq "realistic gen: exit status" "$(rc_of gen1)" 0
tw gen2 "${REAL[@]}" -o "$WORK/b.ndjson" --truth "$WORK/b.truth"
same_output "realistic gen: two runs give the same trail" "$WORK/a.ndjson" "$WORK/b.ndjson"
same_output "realistic gen: two runs give the same truth file" "$WORK/a.truth" "$WORK/b.truth"
records=$(wc -l < "$WORK/a.ndjson")
check "realistic gen: a trail of some size ($records records)" test "$records" -gt 10000

# Options that do not apply to the realistic profile, or need it.
tw usage1 gen --profile realistic -n 1000 -o "$WORK/x"
expect_eq "realistic gen: -n is a usage error" "$(rc_of usage1)" 2
tw usage2 gen -n 1000 --truth "$WORK/x.truth" -o "$WORK/x"
expect_eq "default gen: --truth is a usage error" "$(rc_of usage2)" 2
tw usage3 gen -n 1000 --scenario llm-jacking -o "$WORK/x"
expect_eq "default gen: a realistic-only scenario is a usage error" "$(rc_of usage3)" 2

tw replay replay -f compact --stats --unused-after 7d -j 2 "$WORK/a.ndjson"
expect_eq "replay: exit status" "$(rc_of replay)" 0
expect_eq "replay: every record read" "$(stat_of replay ingest.records)" "$records"
expect_eq "replay: every record an event" "$(stat_of replay ingest.events)" "$records"
expect_eq "replay: nothing rejected" "$(stat_of replay ingest.rejected)" 0
expect_eq "replay: no action unknown to the catalog" "$(stat_of replay catalog.unknown_actions)" 0

# Record by record, and the truth file against the trail.
python3 - "$WORK/a.ndjson" "$WORK/a.truth" > "$WORK/checks.out" 2>&1 <<'EOF'
import json, re, sys, collections
trail, truth = sys.argv[1], sys.argv[2]
fails = []
def fail(msg):
    if len(fails) < 20:
        fails.append(msg)
    else:
        fails.append(None)
READ = re.compile(r"^(Get|List|Describe|Head|Lookup|BatchGet|Filter|Query|Scan)")
WRITE = re.compile(r"^(Put|Create|Delete|Update|Attach|Stop|Start|Terminate|Run|Register|Deregister|Execute|BatchWrite|BatchCreate)")
keys = set()
services = set()
objects = set()     # (identity arn, time, "bucket/key") of GetObject/PutObject
secrets = set()     # (identity arn, time, secret name) of GetSecretValue
onbehalf = []
seen = collections.Counter()
for n, line in enumerate(open(trail), 1):
    r = json.loads(line)
    ui = r["userIdentity"]
    name, src = r["eventName"], r["eventSource"]
    ro = r.get("readOnly")
    acct = r.get("recipientAccountId")
    if ui["type"] == "AWSService":
        services.add((ui["invokedBy"], acct))
        seen["awsservice"] += 1
        if name != "AssumeRole" or ro is not True or r["sourceIPAddress"] != ui["invokedBy"] \
                or r["userAgent"] != ui["invokedBy"] or not r["requestParameters"].get("roleArn"):
            fail(f"line {n}: AWSService record not shaped as AssumeRole: {line[:200]}")
        continue
    if ui["type"] == "AssumedRole":
        issuer = ui["sessionContext"]["sessionIssuer"]
        key = f"arn:aws:iam::{ui['accountId']}:role/{issuer['userName']}"
        if issuer["userName"].startswith("AWSReservedSSO_") and not issuer["arn"].split(":role")[1].startswith("/aws-reserved/sso.amazonaws.com/"):
            fail(f"line {n}: SSO role without its path")
    else:
        key = f"arn:aws:iam::{ui['accountId']}:user/{ui['userName']}"
    keys.add(key)
    if name == "Decrypt" or name == "GenerateDataKey":
        if ro is not True:
            fail(f"line {n}: {name} with readOnly {ro}")
    elif name in ("InvokeModel", "Converse", "ConverseStream", "InvokeModelWithResponseStream",
                  "GetSessionToken", "AssumeRole", "StartQuery") or READ.match(name):
        if ro is not True:
            fail(f"line {n}: {src} {name} with readOnly {ro}")
    elif WRITE.match(name) or name == "ConsoleLogin":
        if ro is not False:
            fail(f"line {n}: {src} {name} with readOnly {ro}")
    else:
        fail(f"line {n}: {name}: the test does not know its readOnly")
    inv = ui.get("invokedBy")
    if inv:
        if "tlsDetails" in r or r["userAgent"] != inv or r["sourceIPAddress"] not in (inv, "AWS Internal"):
            fail(f"line {n}: on-behalf record not shaped so: {line[:300]}")
        if src == "kms.amazonaws.com":
            onbehalf.append((n, key, r["eventTime"], inv, r["requestParameters"].get("encryptionContext", {}), r))
            seen["onbehalf-" + inv] += 1
        elif inv == "cloudformation.amazonaws.com":
            seen["cloudformation"] += 1
        elif "/aws-service-role/" in ui["sessionContext"]["sessionIssuer"]["arn"]:
            seen["service-linked"] += 1
        else:
            fail(f"line {n}: unexpected invokedBy {inv}")
    if name in ("GetObject", "PutObject") and "errorCode" not in r:
        for res in r.get("resources", []):
            if res["type"] == "AWS::S3::Object":
                objects.add((key, r["eventTime"], res["ARN"][len("arn:aws:s3:::"):]))
    if name == "GetSecretValue" and "errorCode" not in r:
        secrets.add((key, r["eventTime"], r["requestParameters"]["secretId"]))
    if r.get("sessionCredentialFromConsole") == "true":
        seen["console"] += 1
    attrs = ui.get("sessionContext", {}).get("attributes", {})
    if ui["type"] == "IAMUser" and attrs.get("mfaAuthenticated") == "true":
        seen["iam-user-mfa"] += 1
    if name == "ConsoleLogin":
        seen["console-login"] += 1
    if "errorCode" in r:
        seen["errors"] += 1
    seen["records"] += 1

for n, key, t, inv, ctx, r in onbehalf:
    if r.get("readOnly") is not True or not r.get("resources"):
        fail(f"line {n}: on-behalf {r['eventName']} without readOnly true or its key")
    if inv == "s3.amazonaws.com":
        obj = ctx.get("aws:s3:arn", "")[len("arn:aws:s3:::"):]
        if (key, t, obj) not in objects:
            fail(f"line {n}: S3's {r['eventName']} names {obj}, which {key} did not read or write at {t}")
    elif inv == "secretsmanager.amazonaws.com":
        sec = ctx.get("SecretARN", "").split(":secret:")[-1].rsplit("-", 1)[0]
        if (key, t, sec) not in secrets:
            fail(f"line {n}: Secrets Manager's Decrypt names {sec}, not a secret {key} read at {t}")
    else:
        fail(f"line {n}: a Decrypt invoked by {inv}")

for what, least in (("onbehalf-s3.amazonaws.com", 100), ("onbehalf-secretsmanager.amazonaws.com", 1),
                    ("awsservice", 50), ("cloudformation", 1), ("service-linked", 1),
                    ("console", 1), ("console-login", 1), ("iam-user-mfa", 1), ("errors", 1)):
    if seen[what] < least:
        fail(f"fewer than {least} records of {what}: {seen[what]}")
if not 0.005 < seen["errors"] / max(seen["records"], 1) < 0.05:
    fail(f"failed calls are {seen['errors']} of {seen['records']}, not about 2%")

lines = [json.loads(l) for l in open(truth)]
estate = lines[0].get("estate")
if not estate or not all(k in estate for k in ("identities", "days", "accounts", "start")):
    fail(f"truth: first line is not the estate: {lines[0]}")
kinds = collections.Counter()
for i, t in enumerate(lines[1:], 2):
    for k in ("scenario", "kind", "identity", "rules", "expect", "from", "to", "note"):
        if k not in t:
            fail(f"truth line {i}: no {k}")
    if t.get("kind") not in ("drift", "lookalike") or t.get("expect") not in ("fire", "info", "silent"):
        fail(f"truth line {i}: kind {t.get('kind')}, expect {t.get('expect')}")
    if not t["from"] <= t["to"]:
        fail(f"truth line {i}: from after to")
    kinds[t["kind"]] += 1
    ident = t["identity"]
    if t.get("identity_kind") == "aws-service" and "@" in ident:
        # an AWSService principal's key: SERVICE@ACCOUNT (DESIGN section 3)
        host, acct = ident.split("@", 1)
        if acct != t.get("account") or (host, acct) not in services:
            fail(f"truth line {i}: AWSService {ident} is not in the trail")
    elif ident not in keys:
        fail(f"truth line {i}: {ident} is not in the trail")
if kinds["drift"] < 6 or kinds["lookalike"] < 10:
    fail(f"truth: {kinds['drift']} drift and {kinds['lookalike']} look-alike lines")
fails = [f for f in fails if f]
print("\n".join(fails) if fails else "ok")
print(json.dumps(dict(seen)), file=sys.stderr)
EOF
if [ "$(head -1 "$WORK/checks.out")" = ok ]; then
    pass "realistic records and truth file: $(tail -1 "$WORK/checks.out")"
else
    fail "realistic records and truth file:"
    sed 's/^/    /' "$WORK/checks.out" | head -25
fi

# The default profile: the same bytes as before the realistic profile (digests of 7809113).
digest() { sha256sum "$1" | cut -c1-64; }
tw def1 gen -q -n 5000 --span 30d --accounts 3 --scenario all -o "$WORK/d1.ndjson"
expect_eq "default profile: -n 5000 --span 30d --accounts 3 --scenario all unchanged" \
    "$(digest "$WORK/d1.ndjson")" 3682c2ff067841288229802f0b6eeb2d0f11c4aa3a3fd7406c837eab01fa5340
tw def2 gen -q -n 3000 --identities 200 --seed 7 -o "$WORK/d2.ndjson"
expect_eq "default profile: -n 3000 --identities 200 --seed 7 unchanged" \
    "$(digest "$WORK/d2.ndjson")" 8afd82917233415b509079c73db9644a62107db1aec895e5a5c808d8e64c7e64
tw def3 gen -q -n 1000 --scenario all -o "$WORK/d3.ndjson"
expect_eq "default profile: -n 1000 --scenario all unchanged" \
    "$(digest "$WORK/d3.ndjson")" 9747678f16458de9b6ecc0d364c1ecfe5f9efb19593345ce9611cdb5fbeebb1f

finish
