#!/usr/bin/env python3
"""gen_inventory.py: an IAM inventory (the JSON of `aws iam get-account-authorization-details`)
that gives grants to identities of a generated trail, for bench/run_grants.sh.

    gen_inventory.py [-n COUNT] [--seed S] [-o OUT] TRAIL

TRAIL is NDJSON, or zstd-compressed NDJSON when it ends in .zst (read through `zstd -dc`), or
'-' for stdin. Every role and IAM user the trail's records act as is collected under
trailwarden's identity key (README, "Identity key and kind": an assumed role by its
sessionContext.sessionIssuer role, IAM users by their ARN, paths dropped); AWSService and other
identities are left out, as they hold no IAM grants. COUNT of them (default 10000; all of them
when fewer, which the summary says) are picked at random with the seed, and each gets:

  - one AWS managed policy, attached by ARN only (trailwarden embeds AWS's managed policies,
    so the file does not list them in "Policies"): IAMFullAccess, AdministratorAccess,
    PowerUserAccess or AmazonBedrockFullAccess in turn;
  - one inline policy with three to five privileged actions (iam:PassRole,
    bedrock:CreateModelCustomizationJob, logs:DeleteLogGroup, ...), some on named resources,
    every fourth with a wildcard action.

Roles are listed with their real path (the key drops it, the entry keeps it, as AWS does).
The output is deterministic for a given trail, COUNT and seed. A summary goes to stderr.
"""
import argparse
import json
import random
import subprocess
import sys

MANAGED = ["IAMFullAccess", "AdministratorAccess", "PowerUserAccess", "AmazonBedrockFullAccess"]
PRIVILEGED = [
    "iam:PassRole",
    "bedrock:CreateModelCustomizationJob",
    "logs:DeleteLogGroup",
    "iam:CreateAccessKey",
    "iam:AttachRolePolicy",
    "s3:PutBucketPolicy",
    "kms:ScheduleKeyDeletion",
    "lambda:AddPermission",
    "sagemaker:CreateTrainingJob",
    "ec2:ModifySnapshotAttribute",
]
WILDCARDS = ["iam:Put*", "s3:PutBucket*", "logs:Delete*"]


def identity(ui):
    """(kind, account, path, name) of a userIdentity, or None when it holds no IAM grants."""
    t = ui.get("type")
    if t == "AssumedRole":
        arn = ((ui.get("sessionContext") or {}).get("sessionIssuer") or {}).get("arn", "")
        kind = "role"
    elif t == "IAMUser":
        arn = ui.get("arn", "")
        kind = "user"
    else:
        return None
    # arn:aws:iam::ACCOUNT:role/PATH/NAME
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith(kind + "/"):
        return None
    rest = parts[5][len(kind) + 1:]
    path, _, name = rest.rpartition("/")
    return kind, parts[1], parts[4], "/" + path + "/" if path else "/", name


def read_identities(path):
    if path == "-":
        src, proc = sys.stdin, None
    elif path.endswith(".zst"):
        proc = subprocess.Popen(["zstd", "-dc", path], stdout=subprocess.PIPE, text=True)
        src = proc.stdout
    else:
        src, proc = open(path), None
    seen = {}
    records = 0
    for line in src:
        if not line.strip():
            continue
        records += 1
        rec = json.loads(line)
        ident = identity(rec.get("userIdentity") or {})
        if ident is None:
            continue
        kind, partition, account, p, name = ident
        key = f"arn:{partition}:iam::{account}:{kind}/{name}"
        if key not in seen:
            seen[key] = ident
    if proc:
        proc.stdout.close()
        if proc.wait() != 0:
            sys.exit(f"gen_inventory: zstd -dc {path} failed")
    return records, seen


def statement(rng, i):
    actions = rng.sample(PRIVILEGED, rng.randint(3, 5))
    if i % 4 == 3:
        actions.append(WILDCARDS[i % len(WILDCARDS)])
    stmts = [{"Effect": "Allow", "Action": sorted(actions), "Resource": "*"}]
    if i % 3 == 0:
        stmts.append({"Effect": "Allow", "Action": "iam:PassRole",
                      "Resource": f"arn:aws:iam::*:role/bench-passed-{i}"})
    return {"Version": "2012-10-17", "Statement": stmts}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("trail")
    ap.add_argument("-n", "--count", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args()

    records, seen = read_identities(a.trail)
    keys = sorted(seen)
    rng = random.Random(a.seed)
    chosen = sorted(rng.sample(keys, min(a.count, len(keys))))

    users, roles = [], []
    n_actions = 0
    for i, key in enumerate(chosen):
        kind, partition, account, path, name = seen[key]
        arn = f"arn:{partition}:iam::{account}:{kind}{path}{name}"
        managed = MANAGED[i % len(MANAGED)]
        attached = [{"PolicyName": managed, "PolicyArn": f"arn:{partition}:iam::aws:policy/{managed}"}]
        doc = statement(rng, i)
        n_actions += sum(len(s["Action"]) if isinstance(s["Action"], list) else 1
                         for s in doc["Statement"])
        inline = [{"PolicyName": f"bench-inline-{i}", "PolicyDocument": doc}]
        uid = f"{i:017X}"
        if kind == "role":
            roles.append({
                "Path": path, "RoleName": name, "RoleId": "AROA" + uid, "Arn": arn,
                "CreateDate": "2026-01-01T00:00:00Z",
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                     "Action": "sts:AssumeRole"}]},
                "InstanceProfileList": [], "RolePolicyList": inline,
                "AttachedManagedPolicies": attached, "Tags": [],
            })
        else:
            users.append({
                "Path": path, "UserName": name, "UserId": "AIDA" + uid, "Arn": arn,
                "CreateDate": "2026-01-01T00:00:00Z", "UserPolicyList": inline,
                "GroupList": [], "AttachedManagedPolicies": attached, "Tags": [],
            })

    inv = {"UserDetailList": users, "GroupDetailList": [], "RoleDetailList": roles, "Policies": []}
    out = sys.stdout if a.output == "-" else open(a.output, "w")
    json.dump(inv, out, separators=(",", ":"))
    out.write("\n")
    if out is not sys.stdout:
        out.close()
    note = "" if len(chosen) >= a.count else f" (asked for {a.count}: the trail has no more)"
    print(f"gen_inventory: {records} records, {len(keys)} roles and IAM users; "
          f"{len(chosen)} given grants{note}: {len(roles)} roles, {len(users)} users, "
          f"{2 * len(chosen)} grants ({len(chosen)} AWS managed, {len(chosen)} inline with "
          f"{n_actions} actions)", file=sys.stderr)


if __name__ == "__main__":
    main()
