#!/usr/bin/env python3
"""precision_score.py: score trailwarden's findings against a realistic trail's truth file.

Used by bench/run_precision.sh (Python 3 standard library only).

  precision_score.py trail --label 14d --truth T.ndjson --findings F.ndjson --stats S.txt
  precision_score.py public --label stratus --findings F.ndjson --stats S.txt
  precision_score.py report --json SUMMARY.json PART.json...

`trail` and `public` print a readable report of one replay and write its summary as JSON
(--out FILE); `report` gathers the parts into one summary file.

Findings are trailwarden's compact format (one JSON object a line: time, rule, severity,
identity, kind, account, ...). The truth file is `trailwarden gen --profile realistic --truth`'s:
a first line {"estate": {...}} then one object a scenario identity (scenario, kind drift or
lookalike, identity, rules, expect fire/info/silent, optional severity, from, to, note).

Scoring:
- a finding belongs to a drift scenario when its identity is the scenario's and its time lies
  in [from, to]; those are not noise, whatever their rule;
- a drift scenario's rule is found when such a finding has that rule (and, when the truth
  names a severity, at least one has it);
- noise: findings of Medium or more outside the drift scenarios; per 1,000 identity-days with
  the estate's identities (estate, scenario and AWSService principals) times its days;
- a look-alike fired when a finding of Medium or more of one of its rules (any rule when it
  lists none) has its identity and a time in [from, to]; for expect "info", Low and
  Informational findings are what is wanted, Medium or more is a miss too.
An AWSService principal (a service host in the truth) matches a finding identity that names
the service, in the truth's account when the finding says its account.
"""
import argparse
import collections
import datetime as dt
import json
import sys

SEVERITIES = ["Informational", "Low", "Medium", "High", "Critical"]
RANK = {s: i for i, s in enumerate(SEVERITIES)}
RANK.update({"Info": 0, "Unknown": 0, "Other": 0})


def rank(sev):
    return RANK.get(sev or "", 0)


def medium_plus(f):
    return rank(f.get("severity")) >= RANK["Medium"]


def parse_time(s):
    s = s.replace("Z", "+00:00")
    return dt.datetime.fromisoformat(s)


def read_ndjson(path):
    """The findings of a run (updates of earlier findings, `"update": true`, are no new ones)."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if line:
                f = json.loads(line)
                if not f.get("update"):
                    out.append(f)
    return out


def read_stats(path):
    stats = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    stats[parts[0]] = parts[1]
    except FileNotFoundError:
        pass
    return stats


def by_rule_severity(findings):
    table = collections.defaultdict(collections.Counter)
    for f in findings:
        table[f.get("rule", "?")][f.get("severity", "?")] += 1
    return {r: dict(c) for r, c in sorted(table.items())}


def print_rule_table(table, out, indent="  "):
    cols = [s for s in ["Critical", "High", "Medium", "Low", "Informational"]
            if any(s in c for c in table.values())]
    others = sorted({s for c in table.values() for s in c} - set(cols))
    cols += others
    if not table:
        print(indent + "(no findings)", file=out)
        return
    w = max(len(r) for r in table) + 2
    print(indent + "rule".ljust(w) + "".join(c[:6].rjust(9) for c in cols) + "    total", file=out)
    for r, c in table.items():
        print(indent + r.ljust(w) + "".join(str(c.get(s, 0)).rjust(9) for s in cols)
              + str(sum(c.values())).rjust(9), file=out)


class Matcher:
    """Does a finding name the identity of a truth entry?"""

    def __init__(self, entry):
        self.key = entry["identity"]
        self.account = entry.get("account")
        # an AWSService principal is SERVICE@ACCOUNT (DESIGN section 3); older truth files
        # named the service alone, with the account beside it
        self.service = entry.get("identity_kind") == "aws-service" and self.key.endswith(".amazonaws.com")
        self.t0 = parse_time(entry["from"])
        self.t1 = parse_time(entry["to"])

    def identity(self, f):
        ident = f.get("identity", "")
        if not self.service:
            return ident == self.key
        if self.key not in ident:
            return False
        acct = f.get("account")
        return not acct or not self.account or acct == self.account or self.account in ident

    def when(self, f):
        try:
            t = parse_time(f["time"])
        except (KeyError, ValueError):
            return False
        return self.t0 <= t <= self.t1

    def __call__(self, f):
        return self.identity(f) and self.when(f)


def score_trail(args):
    truth = read_ndjson(args.truth)
    estate = truth[0].get("estate", {}) if truth else {}
    entries = [e for e in truth[1:] if "scenario" in e]
    findings = read_ndjson(args.findings)
    stats = read_stats(args.stats)
    identities = int(estate.get("identities", 0))
    days = float(estate.get("days", 0))
    identity_days = identities * days
    drift = [(e, Matcher(e)) for e in entries if e.get("kind") == "drift"]
    likes = [(e, Matcher(e)) for e in entries if e.get("kind") != "drift"]

    in_scenario = [any(m(f) for _, m in drift) for f in findings]
    noise = [f for f, s in zip(findings, in_scenario) if not s and medium_plus(f)]
    noise_rules = collections.Counter(f["rule"] for f in noise)
    noise_idents = collections.Counter((f["identity"], f.get("kind", "?")) for f in noise)
    noise_ident_rules = collections.defaultdict(collections.Counter)
    for f in noise:
        noise_ident_rules[f["identity"]][f["rule"]] += 1

    scenarios = []
    for e, m in drift:
        mine = [f for f in findings if m(f)]
        rules = []
        for rule in e.get("rules", []):
            hits = sorted((f for f in mine if f.get("rule") == rule), key=lambda f: f["time"])
            want = e.get("severity") if rule == e["rules"][0] else None
            ok = bool(hits) and (not want or any(f.get("severity") == want for f in hits))
            best = max(hits, key=lambda f: rank(f.get("severity"))) if hits else None
            rules.append({"rule": rule, "found": ok, "findings": len(hits),
                          "severity": best.get("severity") if best else None,
                          "first": hits[0]["time"] if hits else None,
                          "wanted_severity": want})
        extra = collections.Counter(f["rule"] for f in mine if f.get("rule") not in e.get("rules", []))
        scenarios.append({"scenario": e["scenario"], "identity": e["identity"],
                          "from": e["from"], "to": e["to"], "rules": rules,
                          "found": all(r["found"] for r in rules), "other_rules": dict(extra)})

    lookalikes = []
    for e, m in likes:
        rules = set(e.get("rules") or [])
        mine = [f for f in findings if m(f) and (not rules or f.get("rule") in rules)]
        fired = [f for f in mine if medium_plus(f)]
        lookalikes.append({"scenario": e["scenario"], "identity": e["identity"],
                           "expect": e.get("expect"), "rules": sorted(rules),
                           "fired": len(fired), "ok": not fired,
                           "by_rule": dict(collections.Counter(f["rule"] + " " + f["severity"] for f in fired)),
                           "below_medium": len(mine) - len(fired),
                           "first": min((f["time"] for f in fired), default=None)})

    summary = {
        "label": args.label, "kind": "trail",
        "estate": estate,
        "identity_days": identity_days,
        "records": int(stats.get("ingest.records", 0) or 0),
        "rejected": int(stats.get("ingest.rejected", 0) or 0),
        "unknown_actions": int(stats.get("catalog.unknown_actions", 0) or 0),
        "wall_seconds": float(stats.get("wall_seconds", 0) or 0),
        "findings": len(findings),
        "by_rule": by_rule_severity(findings),
        "noise": {
            "medium_plus": len(noise),
            "per_1000_identity_days": round(1000.0 * len(noise) / identity_days, 2) if identity_days else None,
            "by_rule": dict(noise_rules.most_common()),
            "top_identities": [{"identity": i, "kind": k, "findings": n,
                                "rules": dict(noise_ident_rules[i].most_common(3))}
                               for (i, k), n in noise_idents.most_common(args.top)],
            "identities": len(noise_idents),
        },
        "scenarios": scenarios,
        "scenarios_found": sum(s["found"] for s in scenarios),
        "lookalikes": lookalikes,
        "lookalikes_fired": sum(not l["ok"] for l in lookalikes),
    }
    print_trail(summary, sys.stdout, args.top)
    return summary


def print_trail(s, out, top):
    e = s["estate"]
    print(f"== realistic trail {s['label']}: {e.get('identities')} identities "
          f"({e.get('estate_identities')} estate, {e.get('scenario_identities')} scenario, "
          f"{e.get('aws_service_principals')} AWSService principals), {e.get('days')} days, "
          f"{e.get('accounts')} accounts, {s['records']:,} records "
          f"(rejected {s['rejected']}, unknown actions {s['unknown_actions']}), "
          f"replay {s['wall_seconds']:.1f} s", file=out)
    print(f"findings: {s['findings']:,}", file=out)
    print_rule_table(s["by_rule"], out)
    n = s["noise"]
    print(f"Medium-or-higher findings outside the injected drift: {n['medium_plus']:,} "
          f"({n['per_1000_identity_days']} per 1,000 identity-days over "
          f"{s['identity_days']:,.0f}), on {n['identities']} identities", file=out)
    for r, c in list(n["by_rule"].items())[:8]:
        print(f"  {r:32} {c:>8,}", file=out)
    print(f"  top identities:", file=out)
    for t in n["top_identities"][:top]:
        rules = ", ".join(f"{r} {c}" for r, c in t["rules"].items())
        print(f"    {t['findings']:>7,}  {t['identity']} ({t['kind']}): {rules}", file=out)
    print(f"injected drift: {s['scenarios_found']} of {len(s['scenarios'])} found", file=out)
    for sc in s["scenarios"]:
        parts = []
        for r in sc["rules"]:
            if r["findings"]:
                sev = r["severity"] + (f", wanted {r['wanted_severity']}" if r["wanted_severity"] and not r["found"] else "")
                parts.append(f"{r['rule']} {'FOUND' if r['found'] else 'WRONG'} ({sev}) at {r['first']}")
            else:
                parts.append(f"{r['rule']} MISSED")
        print(f"  {'found ' if sc['found'] else 'MISSED'} {sc['scenario']}: " + "; ".join(parts), file=out)
        if sc["other_rules"]:
            print(f"         also: " + ", ".join(f"{k} {v}" for k, v in sc["other_rules"].items()), file=out)
    print(f"look-alikes: {s['lookalikes_fired']} of {len(s['lookalikes'])} fired (Medium or more)", file=out)
    for l in s["lookalikes"]:
        state = "silent" if l["ok"] else "FIRED "
        detail = ", ".join(f"{k} x{v}" for k, v in l["by_rule"].items())
        extra = f" (+{l['below_medium']} below Medium)" if l["below_medium"] else ""
        print(f"  {state} {l['scenario']} [{l['expect']}] {l['identity']}"
              + (f": {detail}" if detail else "") + extra, file=out)


def score_public(args):
    findings = read_ndjson(args.findings) if args.findings else []
    stats = read_stats(args.stats)
    summary = {
        "label": args.label, "kind": "public",
        "records": int(stats.get("ingest.records", 0) or 0),
        "events": int(stats.get("ingest.events", 0) or 0),
        "rejected": int(stats.get("ingest.rejected", 0) or 0),
        "findings": len(findings),
        "medium_plus": sum(medium_plus(f) for f in findings),
        "by_rule": by_rule_severity(findings),
        "identities": len({f["identity"] for f in findings}),
    }
    print(f"== {args.label}: {summary['events']:,} events of {summary['records']:,} records "
          f"(rejected {summary['rejected']}); {summary['findings']} findings, "
          f"{summary['medium_plus']} Medium or more, on {summary['identities']} identities")
    print_rule_table(summary["by_rule"], sys.stdout)
    return summary


def report(args):
    parts = []
    for p in args.parts:
        with open(p) as f:
            parts.append(json.load(f))
    out = {"parts": parts}
    with open(args.json, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    # One TSV of counts per rule and severity, every part side by side.
    tsv = args.json[:-5] + ".tsv" if args.json.endswith(".json") else args.json + ".tsv"
    with open(tsv, "w") as f:
        f.write("part\trule\tseverity\tfindings\n")
        for p in parts:
            for rule, sev in p["by_rule"].items():
                for s, n in sorted(sev.items()):
                    f.write(f"{p['label']}\t{rule}\t{s}\t{n}\n")
            if p["kind"] == "trail":
                f.write(f"{p['label']}\t(noise)\tMedium+\t{p['noise']['medium_plus']}\n")
                f.write(f"{p['label']}\t(noise per 1000 identity-days)\tMedium+\t{p['noise']['per_1000_identity_days']}\n")
                f.write(f"{p['label']}\t(drift found)\t-\t{p['scenarios_found']}/{len(p['scenarios'])}\n")
                f.write(f"{p['label']}\t(look-alikes fired)\t-\t{p['lookalikes_fired']}/{len(p['lookalikes'])}\n")
    print(f"summary: {args.json} and {tsv}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("trail")
    t.add_argument("--label", required=True)
    t.add_argument("--truth", required=True)
    t.add_argument("--findings", required=True)
    t.add_argument("--stats", default="")
    t.add_argument("--out")
    t.add_argument("--top", type=int, default=8)
    p = sub.add_parser("public")
    p.add_argument("--label", required=True)
    p.add_argument("--findings")
    p.add_argument("--stats", default="")
    p.add_argument("--out")
    r = sub.add_parser("report")
    r.add_argument("--json", required=True)
    r.add_argument("parts", nargs="*")
    args = ap.parse_args()
    if args.cmd == "report":
        report(args)
        return 0
    summary = score_trail(args) if args.cmd == "trail" else score_public(args)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(summary, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
