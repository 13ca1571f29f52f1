#!/usr/bin/env python3
"""Sigma conformance of trailwarden on SigmaHQ's AWS CloudTrail rules (issue 17).

    sigma_conformance.py generate RULES_DIR OUT_DIR   build the labelled corpus
    sigma_conformance.py check TRAILWARDEN RULES_DIR DIR
                                                     regenerate and compare with DIR's files,
                                                     then run trailwarden and compare verdicts

The corpus is made of records we write from the rules (not the rules' text): for each rule,
records that satisfy its selections alone and together, with one selection left out, and
probes of each field it reads (case, blanks, JSON escapes in keys and values, '', null, absent,
booleans, numbers, arrays, objects), plus a few records of every other rule's shape. Every
record is labelled for every rule by the evaluator below, an independent reading of the Sigma
specification (github.com/SigmaHQ/sigma-specification, Sigma rules 2.0): values compare
case-insensitively (ASCII), `*` any run of characters (none included) and `?` one, `\\*`
`\\?` `\\\\` escape them; contains/startswith/endswith/all/re/cidr/exists/fieldref; `null`
is an absent field or a JSON null; `''` only the empty string; a list is any of its values;
`1 of`/`all of`/`them`/`not`/`and`/`or`. Where the specification leaves it to the backend,
trailwarden's documented choices (docs/rules.md) are taken: a path crosses arrays (any
element holds), an array at the end is its elements, and string tests on an object read its
compact JSON text (json.dumps(separators=(",", ":"), ensure_ascii=False)).

Files in DIR: corpus.ndjson (one record a line, eventID sigma-N), expected.tsv (event id,
rule id of every match; other pairs do not match), rules.tsv (rule file, id, loads or the
reason it is refused). The rules are read from RULES_DIR (third-party, DRL 1.1): never copied.
"""
import copy
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

# ---- YAML as the rules engine reads it: the YAML 1.2 core schema (yes/no/on/off are strings)


class CoreLoader(yaml.SafeLoader):
    pass


CoreLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

# CloudTrail record fields a rule may name (docs/rules.md); any_below: a path below them too.
CT_FIELDS = {
    "eventVersion", "userIdentity", "userIdentity.type", "userIdentity.principalId",
    "userIdentity.arn", "userIdentity.accountId", "userIdentity.accessKeyId",
    "userIdentity.userName", "userIdentity.invokedBy", "userIdentity.identityProvider",
    "userIdentity.credentialId", "userIdentity.sourceIdentity", "eventTime", "eventSource",
    "eventName", "awsRegion", "sourceIPAddress", "userAgent", "errorCode", "errorMessage",
    "requestID", "eventID", "readOnly", "resources", "resources.ARN", "resources.accountId",
    "resources.type", "eventType", "apiVersion", "managementEvent", "recipientAccountId",
    "sharedEventID", "vpcEndpointId", "vpcEndpointAccountId", "eventCategory",
    "sessionCredentialFromConsole",
}
CT_BELOW = {
    "userIdentity.onBehalfOf", "userIdentity.sessionContext", "userIdentity.attributes",
    "userIdentity.webIdFederationData", "requestParameters", "responseElements",
    "additionalEventData", "serviceEventDetails", "tlsDetails", "edgeDeviceDetails",
    "insightDetails",
}


def known_field(name):
    if name in CT_FIELDS or name in CT_BELOW:
        return True
    return any(name.startswith(b + ".") for b in CT_BELOW)


# ---- the evaluator ----------------------------------------------------------------------

ABSENT = object()


def lookup(record, path):
    """The values at a dotted path: arrays are crossed (each element), an array at the end is
    its elements; an empty result is an absent field."""
    out = []

    def walk(v, i):
        if isinstance(v, list):
            for e in v:
                walk(e, i)
            return
        if i == len(path):
            out.append(v)
            return
        if isinstance(v, dict) and path[i] in v:
            walk(v[path[i]], i + 1)

    walk(record, 0)
    return out


def text_of(v):
    """The text string tests read: a string, a number as written, true/false, an object's
    compact JSON; None for null."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    if isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def fold(s):
    return s.translate(FOLD)


FOLD = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def glob_regex(pattern):
    """A Sigma value as a regular expression: * and ? are wildcards, \\* \\? \\\\ escapes."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*?\\":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
        i += 1
    return "".join(out)


def string_test(pattern, mods):
    """A function of a value's text for a Sigma string value with its modifiers."""
    rx = glob_regex(pattern)
    if "contains" in mods:
        rx = ".*" + rx + ".*"
    elif "startswith" in mods:
        rx = rx + ".*"
    elif "endswith" in mods:
        rx = ".*" + rx
    cased = "cased" in mods
    compiled = re.compile(rx if cased else fold(rx), re.S)
    return lambda t: compiled.fullmatch(t if cased else fold(t)) is not None


class Match:
    """`field|mods: values` of a selection."""

    def __init__(self, key, value):
        parts = key.split("|")
        self.field, self.mods = parts[0], parts[1:]
        self.path = self.field.split(".")
        self.all = "all" in self.mods
        self.values = value if isinstance(value, list) else [value]

    def value_holds(self, want, vals, record):
        mods = self.mods
        if "exists" in mods:
            return (len(vals) > 0) == bool(want)
        if "fieldref" in mods:
            refs = lookup(record, want.split("."))
            for a in vals:
                for b in refs:
                    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
                        continue
                    if a is None or b is None:
                        continue
                    if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
                            and not isinstance(a, bool) and not isinstance(b, bool):
                        if a == b:
                            return True
                    elif fold(text_of(a)) == fold(text_of(b)):
                        return True
            return False
        if want is None:
            return not vals or any(v is None for v in vals)
        if "re" in mods:
            rx = re.compile(want)
            return any(text_of(v) is not None and rx.search(text_of(v)) for v in vals)
        if "cidr" in mods:
            net = ipaddress.ip_network(want)
            for v in vals:
                if isinstance(v, str):
                    try:
                        if ipaddress.ip_address(v) in net:
                            return True
                    except ValueError:
                        pass
            return False
        if isinstance(want, bool):
            s = "true" if want else "false"
            return any((isinstance(v, bool) and v == want) or
                       (isinstance(v, str) and fold(v) == s) for v in vals)
        if isinstance(want, (int, float)):
            return any((isinstance(v, (int, float)) and not isinstance(v, bool) and v == want) or
                       (isinstance(v, str) and fold(v) == fold(str(want))) for v in vals)
        test = string_test(str(want), mods)
        return any(text_of(v) is not None and test(text_of(v)) for v in vals)

    def holds(self, record):
        vals = lookup(record, self.path)
        results = (self.value_holds(w, vals, record) for w in self.values)
        return all(results) if self.all else any(results)


class Rule:
    def __init__(self, path):
        self.file = os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            doc = yaml.load(f, Loader=CoreLoader)
        self.id = doc["id"]
        det = dict(doc["detection"])
        self.condition = det.pop("condition")
        self.selections = {}
        self.refused = None
        for name, body in det.items():
            groups = body if isinstance(body, list) else [body]
            self.selections[name] = [[Match(k, v) for k, v in g.items()] for g in groups]
        for groups in self.selections.values():
            for g in groups:
                for m in g:
                    if not known_field(m.field) and self.refused is None:
                        self.refused = "unknown field '%s' of CloudTrail" % m.field

    def fields(self):
        out = []
        for groups in self.selections.values():
            for g in groups:
                for m in g:
                    if m.field not in out:
                        out.append(m.field)
        return out

    def sel_holds(self, name, record):
        return any(all(m.holds(record) for m in g) for g in self.selections[name])

    def holds(self, record):
        return Cond(self, self.condition).eval(record)


class Cond:
    """Sigma's condition grammar: not > and > or, parentheses, `1 of`/`all of` a pattern or
    `them` (leaving out names that start with _)."""

    def __init__(self, rule, text):
        self.rule = rule
        self.toks = re.findall(r"\(|\)|[^\s()]+", text)

    def names(self, pattern):
        if pattern == "them":
            return [n for n in self.rule.selections if not n.startswith("_")]
        rx = re.compile(glob_regex(pattern))
        return [n for n in self.rule.selections if rx.fullmatch(n)]

    def eval(self, record):
        self.i, self.rec = 0, record
        return self.p_or()

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def p_or(self):
        v = self.p_and()
        while self.peek() == "or":
            self.i += 1
            w = self.p_and()
            v = v or w
        return v

    def p_and(self):
        v = self.p_not()
        while self.peek() == "and":
            self.i += 1
            w = self.p_not()
            v = v and w
        return v

    def p_not(self):
        if self.peek() == "not":
            self.i += 1
            return not self.p_not()
        return self.p_atom()

    def p_atom(self):
        t = self.toks[self.i]
        self.i += 1
        if t == "(":
            v = self.p_or()
            self.i += 1  # ")"
            return v
        if t in ("1", "all") and self.peek() == "of":
            self.i += 1
            names = self.names(self.toks[self.i])
            self.i += 1
            results = [self.rule.sel_holds(n, self.rec) for n in names]
            return any(results) if t == "1" else all(results)
        return self.rule.sel_holds(t, self.rec)


# ---- the corpus ---------------------------------------------------------------------------

BASE_TIME = 1788220800  # 2026-09-01T00:00:00Z


def base_record():
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": "arn:aws:iam::111122223333:user/alice",
            "accountId": "111122223333",
            "userName": "alice",
        },
        "eventTime": "",
        "eventSource": "s3.amazonaws.com",
        "eventName": "ListObjects",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": {"bucketName": "b"},
        "responseElements": None,
        "eventID": "",
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333",
    }


# A regular expression's value cannot be made up in general: examples, the first that matches.
RE_SAMPLES = [
    "arn:aws:sts::111122223333:assumed-role/aws:ec2-instance/i-0abc",
    "arn:aws:sts::111122223333:assumed-role/aws:ec2-infrastructure/i-0abc",
]


def satisfying(m, want):
    """A JSON value for the field that satisfies one rule value, or ABSENT (the field left
    out), or None (JSON null)."""
    mods = m.mods
    if "exists" in mods:
        return "present" if want else ABSENT
    if want is None:
        return ABSENT
    if "re" in mods:
        for s in RE_SAMPLES:
            if re.search(want, s):
                return s
        return "no-sample"
    if "cidr" in mods:
        return str(next(ipaddress.ip_network(want).hosts()))
    if isinstance(want, bool) or isinstance(want, (int, float)):
        return want
    if "fieldref" in mods:
        return None  # set by fill() from the other field
    lit = str(want)
    concrete = re.sub(r"(?<!\\)\*", "", lit)
    concrete = re.sub(r"(?<!\\)\?", "q", concrete).replace("\\*", "*").replace("\\?", "?")
    concrete = concrete.replace("\\\\", "\\")
    if "contains" in mods:
        return "pre " + concrete + " post"
    if "startswith" in mods:
        return concrete + "Tail"
    if "endswith" in mods:
        return "Head" + concrete
    return concrete


def set_path(record, path, value):
    """Sets a dotted path (creating objects on the way); ABSENT removes it."""
    cur = record
    for k in path[:-1]:
        if not isinstance(cur.get(k), dict):
            cur[k] = {}
        cur = cur[k]
    if value is ABSENT:
        cur.pop(path[-1], None)
    else:
        cur[path[-1]] = value


def fill(record, group, choice=0):
    """Makes the record satisfy each match of a selection's group (the choice-th value of a
    list, or every value with `all`)."""
    for m in group:
        if "fieldref" in m.mods:
            ref = lookup(record, m.values[0].split("."))
            set_path(record, m.path, ref[0] if ref else "ref")
            continue
        if m.all and "contains" in m.mods:
            parts = [satisfying(m, w) for w in m.values]
            if m.field in CT_BELOW:
                # a quoted literal is a string of the object's JSON text
                inner = [p[len("pre "):-len(" post")] for p in parts]
                elems = [t[1:-1] if len(t) > 1 and t[0] == t[-1] == '"' else t for t in inner]
                set_path(record, m.path, {"detail": elems})
            else:
                set_path(record, m.path, " ".join(parts))
            continue
        want = m.values[choice % len(m.values)]
        v = satisfying(m, want)
        if m.field in CT_BELOW and isinstance(v, str) and v != "present":
            v = {"detail": {"text": v}}  # CloudTrail writes it as an object: test its text
        if len(m.path) > 1 and m.path[0] == "requestParameters" and \
                m.path[1] == "containerDefinitions":
            # a list of containers, as ECS writes it
            set_path(record, m.path[:2], [{"name": "app", m.path[2]: [v] if len(m.path) == 3
                                           else v}])
            continue
        set_path(record, m.path, v)


def rule_records(rule):
    """Records shaped by one rule: its selections' groups alone, all together, all but one."""
    out = []
    names = list(rule.selections)
    for n in names:
        for gi, g in enumerate(rule.selections[n]):
            longest = max(len(m.values) for m in g)
            for choice in range(longest):
                r = base_record()
                fill(r, g, choice)
                out.append(r)
    everything = base_record()
    for n in names:
        fill(everything, rule.selections[n][0])
    out.append(everything)
    for leave in names:
        r = base_record()
        for n in names:
            if n != leave:
                fill(r, rule.selections[n][0])
        out.append(r)
    return out


# Fields a record must keep as non-empty strings to be an event (CloudTrail's own: every record
# has them); probes of them keep them strings.
REQUIRED = {"eventName", "eventSource", "eventTime"}


def swapcase_ascii(s):
    return "".join(c.lower() if "A" <= c <= "Z" else c.upper() if "a" <= c <= "z" else c
                   for c in s)


def probes(record, field):
    """Variants of the record around one field the rule reads."""
    path = field.split(".")
    vals = lookup(record, path)
    cur = vals[0] if vals else None
    out = []

    def variant(v):
        r = copy.deepcopy(record)
        set_path(r, path, v)
        out.append(r)

    if isinstance(cur, str):
        variant(cur.upper())
        variant(swapcase_ascii(cur))
        variant(" " + cur)
        variant(cur + " ")
        variant(cur[:-1] if len(cur) > 1 else cur + "x")
        variant(cur + "x")
    if isinstance(cur, dict):
        variant(json.loads(json.dumps(cur).upper()))
        variant(json.loads(json.dumps(cur).replace("pre ", "")))
    if field in REQUIRED:
        return out
    variant("")
    variant(None)
    variant(ABSENT)
    if field.startswith("userIdentity.") and len(path) <= 4:
        return out  # the caller's names: a record with another type there is no CloudTrail's
    variant(True)
    variant(False)
    variant(5)
    variant("true")
    if cur is not None:
        variant([cur])
        variant(["other", cur])
        variant({"v": cur})
    variant([])
    return out


def escaped_key(text, key):
    """The JSON text with every key `key` written with an escape (its first letter as \\u)."""
    esc = "\\u%04x" % ord(key[0]) + key[1:]
    return text.replace('"%s":' % key, '"%s":' % esc)


def escaped_value(text, value):
    """The JSON text with the string value written with escapes (every letter as \\u)."""
    esc = "".join("\\u%04x" % ord(c) if c.isalpha() else c for c in value)
    return text.replace('"%s"' % value, '"%s"' % esc)


def ecs_records():
    """The credential endpoint query in the 9th container, and after more than 64 values."""
    out = []
    for before, per in ((8, 1), (8, 8), (70, 1), (3, 30)):
        defs = [{"name": "c%d" % i, "command": ["sleep"] * per} for i in range(before)]
        defs.append({"name": "x", "command": ["sh", "-c",
                                              "curl 169.254.170.2$AWS_CONTAINER_CREDENTIALS_"
                                              "RELATIVE_URI"]})
        r = base_record()
        r.update(eventSource="ecs.amazonaws.com", eventName="RegisterTaskDefinition",
                 requestParameters={"family": "f", "containerDefinitions": defs})
        out.append(r)
    return out


def special_records():
    """Records of shapes no rule suggests by itself: objects as text, roles, escaped keys."""
    out = ecs_records()
    r = base_record()
    r.update(eventName="PutBucketVersioning", requestParameters={
        "bucketName": "b", "VersioningConfiguration": {"Status": "Suspended"}})
    out.append(r)
    r = copy.deepcopy(r)
    r["requestParameters"]["VersioningConfiguration"]["Status"] = "Enabled"
    out.append(r)
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["s3:GetObject"],
        "Resource": "arn:aws:s3:::<YOUR-BUCKET-NAME>/*"}]}
    for doc in (policy, json.dumps(policy)):
        r = base_record()
        r.update(eventSource="iam.amazonaws.com", eventName="PutUserPolicy",
                 userAgent="S3 Browser 11.4.5",
                 requestParameters={"userName": "bob", "policyName": "p", "policyDocument": doc})
        out.append(r)
    r = base_record()
    r["userIdentity"] = {
        "type": "AssumedRole", "principalId": "AROAEX:s", "accountId": "111122223333",
        "arn": "arn:aws:sts::111122223333:assumed-role/aws:ec2-instance/i-0abc",
        "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "aws:ec2-instance",
                                             "arn": "arn:aws:iam::111122223333:role/x"}}}
    out.append(r)
    return out


def build(rules):
    """The corpus: (record text, record) pairs, in a fixed order."""
    items = []

    def add(rec, text=None):
        items.append((rec, text))

    for rule in rules:
        if rule.refused:
            continue
        shaped = rule_records(rule)
        for r in shaped:
            add(r)
        matching = [r for r in shaped if rule.holds(r)]
        seeds = matching[:2] if matching else shaped[:1]
        for seed in seeds:
            for field in rule.fields():
                for p in probes(seed, field):
                    add(p)
                # escapes: the field's last key, and its value
                add(seed, ("key", field.split(".")[-1]))
                vals = lookup(seed, field.split("."))
                if vals and isinstance(vals[0], str) and vals[0]:
                    add(seed, ("value", vals[0]))
    for r in special_records():
        add(r)
    corpus, seen = [], set()
    for rec, how in items:
        rec = copy.deepcopy(rec)
        n = len(corpus)
        rec["eventTime"] = "2026-09-01T%02d:%02d:%02dZ" % (n // 3600 % 24, n // 60 % 60, n % 60)
        rec["eventID"] = "sigma-%d" % n
        text = json.dumps(rec, separators=(",", ":"), ensure_ascii=False)
        if how and how[0] == "key":
            text = escaped_key(text, how[1])
        elif how and how[0] == "value":
            text = escaped_value(text, how[1])
        same = text.replace(rec["eventTime"], "").replace(rec["eventID"], "")
        if same in seen:
            continue  # the same record made twice (by two rules, or two probes)
        seen.add(same)
        corpus.append((text, json.loads(text)))
    return corpus


def load_rules(rules_dir):
    files = sorted(f for f in os.listdir(rules_dir) if f.endswith((".yml", ".yaml")))
    return [Rule(os.path.join(rules_dir, f)) for f in files]


def generate(rules_dir):
    """The three files' contents."""
    rules = load_rules(rules_dir)
    corpus = build(rules)
    lines, expected = [], []
    for text, rec in corpus:
        lines.append(text + "\n")
        for rule in rules:
            if not rule.refused and rule.holds(rec):
                expected.append("%s\t%s\n" % (rec["eventID"], rule.id))
    head = ("# expected.tsv: every (record, rule) pair that matches, by the evaluator of "
            "tests/sigma/sigma_conformance.py;\n# every other pair of corpus.ndjson and the "
            "rules of rules.tsv that load does not match\n")
    table = ["# rules.tsv: SigmaHQ rule file, id, and 'loads' or the reason it is refused\n"]
    for rule in rules:
        table.append("%s\t%s\t%s\n" % (rule.file, rule.id, rule.refused or "loads"))
    return {"corpus.ndjson": "".join(lines), "expected.tsv": head + "".join(expected),
            "rules.tsv": "".join(table)}


# ---- the check ----------------------------------------------------------------------------

def check(tw, rules_dir, here):
    fails = []
    files = generate(rules_dir)
    for name, text in files.items():
        with open(os.path.join(here, name), encoding="utf-8") as f:
            if f.read() != text:
                fails.append("%s differs from what the rules and the evaluator give now "
                             "(regenerate: sigma_conformance.py generate)" % name)
    rules = load_rules(rules_dir)
    loads = {r.id for r in rules if not r.refused}
    # every rule loads, or is refused with the reason the table gives
    for rule in rules:
        p = subprocess.run([tw, "rules", "check", "--no-default-rules",
                            os.path.join(rules_dir, rule.file)],
                           capture_output=True, text=True)
        if rule.refused:
            if p.returncode != 1 or rule.refused not in p.stderr:
                fails.append("%s: expected refused with \"%s\", got exit %d: %s" %
                             (rule.file, rule.refused, p.returncode, p.stderr.strip()))
        elif p.returncode != 0 or p.stderr:
            fails.append("%s: expected to load cleanly, got exit %d: %s" %
                         (rule.file, p.returncode, p.stderr.strip()))
    with tempfile.TemporaryDirectory() as tmp:
        for rule in rules:
            if not rule.refused:
                with open(os.path.join(rules_dir, rule.file), "rb") as src, \
                        open(os.path.join(tmp, rule.file), "wb") as dst:
                    dst.write(src.read())
        p = subprocess.run([tw, "replay", "-f", "compact", "--stats", "--no-default-rules",
                            "-j2", "-r", tmp, os.path.join(here, "corpus.ndjson")],
                           capture_output=True, text=True)
    if p.returncode != 0:
        fails.append("replay exit %d: %s" % (p.returncode, p.stderr[-2000:]))
    n_records = files["corpus.ndjson"].count("\n")
    events = re.search(r"^\s*ingest\.events\s+(\d+)$", p.stderr, re.M)
    if not events or int(events.group(1)) != n_records:
        fails.append("replay made %s events of %d records" %
                     (events.group(1) if events else "?", n_records))
    got = set()
    for line in p.stdout.splitlines():
        f = json.loads(line)
        for ev in f.get("evidence", []):
            got.add((ev["event_id"], f["rule"]))
    want = set()
    for line in files["expected.tsv"].splitlines():
        if line and not line.startswith("#"):
            e, r = line.split("\t")
            want.add((e, r))
    by_rule = {}
    for e, r in sorted(want - got):
        by_rule.setdefault(r, []).append("missed " + e)
    for e, r in sorted(got - want):
        by_rule.setdefault(r, []).append("extra " + e)
    names = {r.id: r.file for r in rules}
    for r, what in sorted(by_rule.items()):
        fails.append("%s: %d disagreements: %s" % (names.get(r, r), len(what),
                                                    ", ".join(what[:8])))
    agree = len(loads) - len(by_rule)
    print("sigma conformance: %d rules (%d load), %d records, %d matches expected; "
          "%d rules agree on every record" % (len(rules), len(loads), n_records, len(want),
                                              agree))
    for f in fails:
        print("FAIL: " + f)
    return 1 if fails else 0


def main(argv):
    if len(argv) == 4 and argv[1] == "generate":
        for name, text in generate(argv[2]).items():
            with open(os.path.join(argv[3], name), "w", encoding="utf-8") as f:
                f.write(text)
        return 0
    if len(argv) == 5 and argv[1] == "check":
        return check(argv[2], argv[3], argv[4])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
