#!/usr/bin/env bash
# coverage.sh [BINARY [OUT]]: regenerate docs/coverage.md, the coverage of trailwarden (built-in
# detections plus every rule of rules/sigma) over the Stratus Red Team detonation logs of
# ../shared/data/stratus-red-team-detonation-logs (issue 3, "Real attack logs").
#
#   BINARY  default build/asan/trailwarden (any build gives the same table)
#   OUT     default docs/coverage.md; '-' for stdout
#   STRATUS_DATA  overrides the data folder
#
# Each technique's file is replayed on its own (`replay -q -f compact -r rules/sigma FILE`), so
# no identity state crosses techniques. The findings column is what the run printed; the
# "expected", category and note columns come from the NOTES table below (our judgement). A data
# file without a note, or a note without a data file, is an error: a new technique must be
# judged before the document can be regenerated. tests/scripts/stratus_coverage.sh regenerates
# the document and fails if it differs from the committed one.
set -euo pipefail
cd "$(dirname "$0")/.."

TW=${1:-build/asan/trailwarden}
OUT=${2:-docs/coverage.md}
DATA=${STRATUS_DATA:-$(cd .. && pwd)/shared/data/stratus-red-team-detonation-logs}
[ -x "$TW" ] || { echo "coverage.sh: binary '$TW' is not executable (build first)" >&2; exit 2; }
[ -d "$DATA" ] || { echo "coverage.sh: no data folder $DATA" >&2; exit 2; }
command -v jq > /dev/null || { echo "coverage.sh: jq is needed" >&2; exit 2; }
export LC_ALL=C

# technique | expected rule ids (comma list, or -) | category | expected (text) | why / gap
# category: hit     a shipped rule covers it;
#           partial a shipped rule flags a step of it, the core of the technique is not expressible;
#           planned a rule of issue 3 not built yet would cover it;
#           gap     no rule covers it (a real gap);
#           none    the logged calls deserve no finding (pinned in tests/scripts/stratus_coverage.sh).
NOTES=$(cat << 'EOF'
aws.credential-access.ec2-get-password-data|access-denied-burst|hit|`access-denied-burst` (medium)|30 GetPasswordData denied (Client.UnauthorizedOperation) to one assumed role within 11 s: at least 10 denials within 5 minutes.
aws.credential-access.ec2-steal-instance-credentials|ssm-shell-command|partial|`ssm-shell-command` (low); instance credentials used outside the instance (high) ideally|The SendCommand of AWS-RunShellScript that reads the credentials fires ssm-shell-command. The theft itself, the instance role's session calling GetCallerIdentity/DescribeInstances from outside the instance, is not expressible: it needs the instance's own address (an inventory, or AWS's IP ranges) to compare with the session's source, and the log gives no marker (same source IP and user agent as the IAM user, ec2RoleDelivery 1.0 as on the instance).
aws.credential-access.secretsmanager-batch-retrieve-secrets|secrets-bulk-read|hit|`secrets-bulk-read` (medium)|5 BatchGetSecretValue with a tag filter within 1 s: at least 5 secret reads within a minute (building block secret-read).
aws.credential-access.secretsmanager-retrieve-secrets|secrets-bulk-read|hit|`secrets-bulk-read` (medium)|ListSecrets then 20 GetSecretValue within 3 s: one finding (suppress 1h), at the fifth read.
aws.credential-access.ssm-retrieve-securestring-parameters|secrets-bulk-read|hit|`secrets-bulk-read` (medium)|5 GetParameters with withDecryption true, 10 names each: the DescribeParameters between them do not count.
aws.defense-evasion.cloudtrail-delete|logging-tampered|hit|`logging-tampered` (high)|
aws.defense-evasion.cloudtrail-event-selectors|logging-tampered|hit|`logging-tampered` (high)|
aws.defense-evasion.cloudtrail-stop|logging-tampered|hit|`logging-tampered` (high)|
aws.defense-evasion.dns-delete-logs|logging-tampered|hit|`logging-tampered` (high)|
aws.defense-evasion.organizations-leave|organization-leave|hit|`organization-leave` attempted (medium)|One denied LeaveOrganization by a fresh role session: reported as an attempt at the rule's denied_level.
aws.defense-evasion.vpc-remove-flow-logs|logging-tampered|hit|`logging-tampered` (high)|
aws.discovery.ec2-download-user-data|access-denied-burst|hit|`access-denied-burst` (medium)|15 DescribeInstanceAttribute (userData) denied within 7 s.
aws.execution.ec2-launch-unusual-instances|accelerated-instance-launch|hit|`accelerated-instance-launch` attempted (low)|One denied RunInstances of p2.xlarge (maxCount 10): a GPU family, reported as an attempt at denied_level.
aws.execution.ec2-user-data|instance-user-data-changed|hit|`instance-user-data-changed` (medium)|StopInstances, ModifyInstanceAttribute (userData), StartInstances: the ModifyInstanceAttribute fires; stopping and starting one instance do not.
aws.execution.ssm-send-command|ssm-shell-command|hit|`ssm-shell-command` (low)|SendCommand of AWS-RunShellScript after 51 DescribeInstanceInformation: a shell document run by an identity, not by an SSM association.
aws.execution.ssm-start-session|-|none|none|23 DescribeInstanceInformation, then StartSession/TerminateSession: routine interactive access; TerminateSession is class `write`, not destructive, so agent-read-to-destructive rightly stays silent. Pinned: must not fire.
aws.exfiltration.ec2-security-group-open-port-22-ingress|ingress-opened-to-world|hit|`ingress-opened-to-world` (medium)|AuthorizeSecurityGroupIngress tcp/22 from a /0 range (the anonymised `208.236.235.254/0`: the prefix length makes it the whole internet).
aws.exfiltration.ec2-share-ami|resource-shared-out|hit|`resource-shared-out` (high)|
aws.exfiltration.ec2-share-ebs-snapshot|resource-shared-out|hit|`resource-shared-out` (high)|
aws.exfiltration.rds-share-snapshot|resource-shared-out|hit|`resource-shared-out` (high)|
aws.impact.bedrock-invoke-model|llm-jacking|hit|`llm-jacking` (high)|Model-access enablement (PutUseCaseForModelAccess, CreateFoundationModelAgreement, PutFoundationModelEntitlement), 10 GetFoundationModelAvailability, then InvokeModel by an identity new to Bedrock.
aws.initial-access.console-login-without-mfa|console-login-without-mfa|hit|`console-login-without-mfa` (medium)|ConsoleLogin success with MFAUsed No by an IAM user.
aws.lateral-movement.ec2-instance-connect|instance-connect-fanout|hit|`instance-connect-fanout` (medium)|3 SendSSHPublicKey to 3 instances within a second: at least 3 distinct instances within 10 minutes (a single connection does not fire).
aws.lateral-movement.ec2-serial-console-send-ssh-public-key|serial-console-access,instance-connect-fanout|hit|`serial-console-access` (medium); `instance-connect-fanout` (medium)|EnableSerialConsoleAccess and each of the 3 SendSerialConsoleSSHPublicKey fire serial-console-access; the 3 distinct instances fire instance-connect-fanout once.
aws.persistence.iam-backdoor-role|role-trust-backdoor|hit|`role-trust-backdoor` (high)|
aws.persistence.iam-backdoor-user|credential-minted-for-other|hit|`credential-minted-for-other` (high)|
aws.persistence.iam-create-admin-user|admin-policy-attached,credential-minted-for-other|hit|`admin-policy-attached`, `credential-minted-for-other` (high)|
aws.persistence.iam-create-backdoor-role|admin-policy-attached,role-trust-backdoor|hit|`admin-policy-attached`, `role-trust-backdoor` (high)|The CreateRole trusts another account's root: role-trust-backdoor fires on a CreateRole trusting `*` or a whole account.
aws.persistence.iam-create-user-login-profile|credential-minted-for-other|hit|`credential-minted-for-other` (high)|
aws.persistence.lambda-backdoor-function|resource-shared-out|hit|`resource-shared-out` (high)|lambda AddPermission (`AddPermission20150331v2`) with principal `*` and no principalOrgID.
aws.persistence.lambda-layer-extension|lambda-code-changed|hit|`lambda-code-changed` (low)|UpdateFunctionConfiguration setting a layer, by an IAM user (pipeline role sessions are left out).
aws.persistence.lambda-overwrite-code|lambda-code-changed|hit|`lambda-code-changed` (low)|UpdateFunctionCode by an IAM user: low, as code changes are routine in deployments.
aws.persistence.rolesanywhere-create-trust-anchor|rolesanywhere-trust-anchor|hit|`rolesanywhere-trust-anchor` (high)|CreateTrustAnchor fires; the CreateProfile after it does not (it opens nothing without an anchor).
aws.persistence.sts-federation-token|federation-token-minted|hit|`federation-token-minted` (low)|GetFederationToken by an IAM user; the federated user's GetCallerIdentity does not fire.
aws.privilege-escalation.iam-update-user-login-profile|credential-minted-for-other|hit|`credential-minted-for-other` (high)|
pr672/aws.defense-evasion.bedrock-guardrail-delete|guardrail-tampered|hit|`guardrail-tampered` (high)|
pr672/aws.defense-evasion.bedrock-model-invocation-logging-delete|logging-tampered|hit|`logging-tampered` (high)|
EOF
)

work=$(mktemp -d "${TMPDIR:-/tmp}/tw-coverage.XXXXXX")
trap 'rm -rf "$work"' EXIT

# the techniques present: every *.json of the folder and of pr672/, in name order
(cd "$DATA" && { ls -1 -- *.json; ls -1 pr672/*.json 2> /dev/null || true; } | sed 's/\.json$//') > "$work/files"
cut -d'|' -f1 <<< "$NOTES" > "$work/noted"
if ! cmp -s <(sort "$work/files") <(sort "$work/noted"); then
    echo "coverage.sh: the techniques of $DATA and the NOTES table differ (< files, > notes):" >&2
    diff <(sort "$work/files") <(sort "$work/noted") >&2 || true
    exit 1
fi

rows=$work/rows
: > "$rows"
n=0 relevant=0 planned=0 gap=0 none=0 unexpected=0 silent=0 nofind=0 partial=0
partial_names=""
while IFS='|' read -r tech ids cat expected note; do
    file=$DATA/$tech.json
    set +e
    "$TW" replay -q -f compact -r rules/sigma "$file" > "$work/out" 2> "$work/err"
    rc=$?
    set -e
    if [ "$rc" -ne 0 ]; then
        echo "coverage.sh: replay of $tech exited $rc:" >&2
        head -20 "$work/err" >&2
        exit 1
    fi
    events=$(jq 'if type == "array" then length else 1 end' "$file")
    # rule ids in order of first appearance, with count and severities
    found=$(jq -r 'select(.rule and (.update | not)) | "\(.rule)\t\(.severity)"' "$work/out" | awk -F'\t' '
        !($1 in n) { order[++k] = $1 }
        { n[$1]++; s[$1 SUBSEP $2]++; if (!(($1, $2) in seen)) { seen[$1, $2] = 1; sev[$1] = sev[$1] (sev[$1] == "" ? "" : ",") $2 } }
        END {
            for (i = 1; i <= k; i++) {
                r = order[i]; split(sev[r], a, ",")
                t = ""
                for (j = 1; a[j] != ""; j++) t = t (t == "" ? "" : ", ") a[j] (length(a) > 1 || j > 1 ? " " s[r, a[j]] : "")
                printf "%s`%s` ×%d (%s)", (i > 1 ? "; " : ""), r, n[r], t
            }
        }')
    n=$((n + 1))
    rules_found=$(jq -r 'select(.rule and (.update | not)) | .rule' "$work/out" | sort -u)
    is_relevant=0
    for r in $rules_found; do
        if [[ ",$ids," == *",$r,"* ]]; then is_relevant=1; else unexpected=$((unexpected + 1)); fi
    done
    if [ -z "$rules_found" ]; then
        found="—"
        nofind=$((nofind + 1))
        case $cat in
        planned) planned=$((planned + 1)) ;;
        gap) gap=$((gap + 1)) ;;
        none) none=$((none + 1)) ;;
        hit | partial) silent=$((silent + 1)) ;;
        esac
    elif [ "$cat" == partial ]; then
        partial=$((partial + 1))
        partial_names="$partial_names${partial_names:+, }$tech"
    fi
    relevant=$((relevant + is_relevant))
    printf '| %s | %s | %s | %s | %s |\n' "$tech" "$events" "$found" "$expected" "${note:-}" >> "$rows"
done <<< "$NOTES"

stratus_commit=$(sed -n 's/^- Commit: `\([0-9a-f]*\)`.*/\1/p' "$DATA/README.md" | head -1)

{
    cat << EOF
# Coverage: the Stratus Red Team detonation logs

What trailwarden raises on the real CloudTrail of the Stratus Red Team detonation logs
(\`../shared/data/stratus-red-team-detonation-logs/\`, Stratus commit \`${stratus_commit:-unknown}\`,
plus the two Bedrock files of its pull request 672 under \`pr672/\`), issue 3 "Real attack logs".

**How it was produced.** \`scripts/coverage.sh\` (generated file: do not edit by hand; edit the
NOTES table of the script and rerun it). For each technique's file on its own:

    trailwarden replay -q -f compact -r rules/sigma FILE

that is, the two built-in detections plus every rule shipped in \`rules/sigma/\`, with the
trailwarden of the commit that last changed this file. The "findings" column is exactly what
that run printed (rule id, number of findings, severity); "expected" and the notes are our
judgement. \`tests/scripts/stratus_coverage.sh\` regenerates the table on every test run and
fails if it differs from this file, or if a technique pinned as "must not fire"
(\`aws.execution.ssm-start-session\`) gets any finding.

**Summary: $n techniques, $relevant with a relevant finding, $nofind with none** ($gap real gaps
that no rule covers, $planned waiting for a planned rule, $none deserving no finding).
Findings outside "expected": $unexpected. Techniques expected to be covered but silent: $silent.
Covered in part (a step is flagged, the core of the technique is not expressible): $partial
(${partial_names:-none}).

| technique | events | findings | expected | why / gap |
| --- | --- | --- | --- | --- |
EOF
    cat "$rows"
} > "$work/doc"

if [ "$OUT" == - ]; then cat "$work/doc"; else cp "$work/doc" "$OUT"; fi
