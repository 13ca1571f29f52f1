/* policy_facts: who a policy document lets in, and whether a condition holds that in. Rules that
 * judge a resource policy (a bucket, key, queue, topic, secret or repository shared) or a role's
 * trust policy (a backdoor) read these facts instead of grepping the JSON (DESIGN §5: "Policies
 * are read, not grepped"). What a policy grants, action by action, is grants_policy's job; this
 * module reads Effect, Principal/NotPrincipal, Action/Resource only far enough to see a deny-all,
 * and Condition.
 *
 * Reading (IAM's grammar; element names and operator names are case-sensitive as in IAM):
 * - Statement: an object or a list of objects (an empty list: no facts). Effect "Allow" or
 *   "Deny", anything else TW_ERR_PARSE. Exactly one of Action/NotAction, each a string or a list
 *   of strings; at most one of Resource/NotResource (none: the resource the policy is attached
 *   to, as in trust policies); at most one of Principal/NotPrincipal. Other members (Sid,
 *   Version, Id, misspellings) are ignored. A member the reader uses given twice in one object
 *   (two Statement, two Principal, two "AWS", one operator it knows twice in a Condition, one
 *   key of the list below twice in an operator, in any case) is TW_ERR_PARSE: which copy IAM
 *   keeps is not documented, and a guess could be used to hide a principal or fake a
 *   restriction (duplicates of other operators and keys change nothing read here and pass, so
 *   that a large document is read in linear time). Rules should treat a refused document on a
 *   successful call as worth a look.
 * - Principal: "*" (a string other than "*" is TW_ERR_PARSE), or an object with keys AWS,
 *   Service, Federated, CanonicalUser (another key is TW_ERR_PARSE), each a string or a list of
 *   strings. No Principal in any statement (an identity policy): only allows / denies_all.
 * - AWS principals: "*" (anyone); a 12-digit account (whole_account);
 *   arn:PARTITION:iam::ACCOUNT:root (whole_account); other ARNs (role/, user/, assumed-role/,
 *   federated-user/...) name ACCOUNT when it is 12 digits. A value with a wildcard '*' or '?'
 *   in its account (arn:aws:iam::*:root, "1111*", a wildcard ARN too short to have an account)
 *   counts as "*": IAM refuses partial wildcards, so such a document meant everyone; a
 *   wildcard after a 12-digit account (role/team-*) names that account. Anything else (a unique id AROA.../AIDA..., a CloudFront
 *   origin access identity ARN, an unreadable string) is an AWS principal of unknown account:
 *   aws_principal only, never other_account.
 * - Principal facts (aws_principal, whole_account, other_account, service_principal,
 *   federated, canonical_user) come from Allow statements only and whatever their Condition: a
 *   condition (sts:ExternalId, aws:SourceIp...) does not un-name a principal. "*" sets
 *   aws_principal and anyone but not other_account (it names no account): a rule looking for
 *   "shared outside" checks other_account || anyone || anyone_restricted.
 * - NotPrincipal: an Allow with NotPrincipal lets in everyone but those: anyone (and
 *   aws_principal), unless NotPrincipal itself holds "*" (then nobody). A Deny with NotPrincipal
 *   denies everyone but those, so (without a condition, or with one that restricts, below) it
 *   restricts every Allow-to-anyone of the document to those.
 *
 * Restricting conditions. An Allow to anyone ("*", {"AWS":"*"}, a list holding "*", or
 * NotPrincipal) is held in (anyone_restricted, not anyone) when its Condition has one entry
 * (entries are ANDed, so one suffices) that is:
 * - a key of this list, compared case-insensitively: aws:PrincipalOrgID, aws:PrincipalOrgPaths,
 *   aws:PrincipalAccount, aws:PrincipalArn, aws:SourceOrgID, aws:SourceOrgPaths,
 *   aws:SourceAccount, aws:SourceArn, aws:SourceOwner, aws:SourceVpc, aws:SourceVpce,
 *   aws:SourceIp, aws:userid, aws:ResourceOrgID, aws:ResourceAccount,
 *   s3:DataAccessPointAccount, s3:DataAccessPointArn, kms:CallerAccount, kms:ViaService
 *   (lambda:FunctionUrlAuthType, sts:ExternalId, aws:SecureTransport... restrict nothing);
 * - under a positive operator: StringEquals, StringEqualsIgnoreCase, StringLike, ArnEquals,
 *   ArnLike for every key but aws:SourceIp, IpAddress for aws:SourceIp only; bare or with
 *   ForAnyValue:. Not with ...IfExists (an absent key passes), not with ForAllValues: (an
 *   absent key is an empty set, which passes), not a negated operator, not Null, not an
 *   operator IAM does not spell that way ("stringequals" is no operator);
 * - with fixed values, S3's definition of "public": every value (values are ORed) without a
 *   policy variable "${" and without a wildcard '*' or '?', whatever the operator (StringEquals
 *   "o-*" restricts to nothing real, but it is read as S3 reads it), with these exceptions:
 *   ARN keys (aws:PrincipalArn, aws:SourceArn, s3:DataAccessPointArn) may hold wildcards in
 *   the resource part when the account part is 12 digits (every role of 111122223333);
 *   org paths (aws:PrincipalOrgPaths, aws:SourceOrgPaths) may hold them after a fixed first
 *   segment (every path under o-a1b2c3d4e5); aws:userid may be "ID:*" (S3's exception); aws:SourceIp must be
 *   an address or a CIDR of at least /8 (IPv4) or /32 (IPv6): 0.0.0.0/0 or 0.0.0.0/1 let in
 *   the Internet (the thresholds are ours; AWS publishes none). An empty list restricts
 *   nothing. Values may be strings, numbers or booleans (their text is read).
 *
 * A Deny whose principal is everyone (Principal "*", {"AWS":"*"}, a list holding "*") or a
 * NotPrincipal without "*", whose Condition holds at least one entry on a key of the list with a
 * negated operator (StringNotEquals, StringNotEqualsIgnoreCase, StringNotLike, ArnNotEquals,
 * ArnNotLike; NotIpAddress for aws:SourceIp) and fixed values (as above), bare, with ...IfExists
 * or with ForAllValues: (an absent key makes all three true, so anonymous callers are denied;
 * ForAnyValue: on an absent key is false: not restricting), and whose other entries are only
 * such entries or the AWS-service carve-out Bool/BoolIfExists aws:PrincipalIsAWSService "false",
 * restricts every Allow-to-anyone of the document (the "deny unless from my organization"
 * clause). The Actions and Resources of the Deny and of the Allows are NOT compared: a Deny
 * unless-my-org on s3:PutObject also holds in an Allow * of s3:GetObject. A Deny with any other
 * entry (aws:SecureTransport "false": HTTPS still lets everyone in) or no condition restricts
 * nothing, except a deny-all of everyone (denies_all), which holds in every Allow.
 *
 * Input: text is JSON, a JSON string holding the document (one level; a document in a string in
 * a string is also read, deeper is refused), or URL-encoded JSON (when its first non-blank byte
 * is '%': "%7B%22Version..." with '+' for spaces, as get-account-authorization-details and older
 * CLIs give it). TW_ERR_PARSE with errstr naming the problem and the byte offset, counted in the
 * document as parsed (after URL-decoding or unescaping from a string), for: not JSON, invalid
 * UTF-8, nesting deeper than 32, a wrong type anywhere the reader looks, more than 1 MiB of text
 * (AWS caps policies at 10 KB, 20 KB for some resource policies). TW_ERR_NOMEM. On any error
 * *out is all false. */
#ifndef POLICY_FACTS_H
#define POLICY_FACTS_H

#include <stdbool.h>
#include <stddef.h>

#include "schema_jdom.h"
#include "schema_json.h"
#include "tw_err.h"
#include "tw_str.h"

/* Documents longer than this (bytes of text, before decoding) are refused. */
#define TW_POLICY_FACTS_MAX_BYTES (1024u * 1024u)

typedef struct tw_policy_facts {
    bool allows;            /* at least one Allow statement */
    bool denies_all;        /* a Deny of Action "*" or "*:*" (NotAction does not count), on
                               Resource "*" or no Resource (NotResource does not count), without
                               Condition (an empty one counts as none), to no Principal (an
                               identity policy), Principal "*" or {"AWS":"*"}: a quarantine. A
                               Deny to named principals quarantines only them: not set */
    bool anyone;            /* an Allow to anyone: Principal "*", {"AWS":"*"}, a list holding "*",
                               a wildcard account, or NotPrincipal; not held in by its condition
                               nor by a Deny that restricts (see above), nor by denies_all */
    bool anyone_restricted; /* an Allow to anyone held in by its condition (organization, VPC,
                               account, ARN, IP...) or by a restricting Deny or denies_all. Both
                               anyone and anyone_restricted may be set (two Allow statements) */
    bool aws_principal;     /* an Allow naming an AWS principal (account, role, user, unique id,
                               or "*"), or an Allow with NotPrincipal */
    bool whole_account;     /* an Allow naming a whole account: a bare 12-digit id or
                               arn:PARTITION:iam::ID:root (own account or not) */
    bool other_account;     /* an Allow naming an AWS principal (or whole account) of a 12-digit
                               account other than own_account (any named account when own_account
                               is unknown); never for "*" or a principal of unknown account */
    bool service_principal; /* an Allow naming a Service principal */
    bool federated;      /* an Allow naming a Federated principal (SAML/OIDC provider, cognito) */
    bool canonical_user; /* an Allow naming a CanonicalUser (an S3 canonical id, e.g. a
                               CloudFront origin access identity): an account we cannot name, so
                               neither aws_principal nor other_account (added field) */
} tw_policy_facts;

/* From a document given as text (see above). own_account: the account of the resource, 12
 * digits; empty (or anything but 12 digits) when unknown: then other_account is set for any
 * named 12-digit account. */
tw_err tw_policy_facts_text(tw_json *js, tw_str text, tw_str own_account, tw_policy_facts *out,
                            char *errstr, size_t errstr_size);

/* From a parsed node: an object, or a string holding a document (read as the text above).
 * Offsets in errstr are those of the nodes (in the text the caller parsed). */
tw_err tw_policy_facts_node(tw_json *js, const tw_jnode *doc, tw_str own_account,
                            tw_policy_facts *out, char *errstr, size_t errstr_size);

#endif
