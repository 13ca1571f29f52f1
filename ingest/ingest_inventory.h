/* ingest_inventory: the grants side of "granted vs used" (--grants FILE). Reads the JSON of
 * `aws iam get-account-authorization-details` as a stream (schema_jstream), in one pass, and
 * hands every grant to a sink: for each user its inline policies (UserPolicyList), its
 * attached managed policies, and both of each group in its GroupList; for each role its
 * RolePolicyList and attached managed policies; and each managed policy the file's "Policies"
 * list defines, with its default version's document. Only policy documents are read into a
 * tree (schema_jdom), one at a time. The order of the four lists does not matter: a group
 * named before GroupDetailList is resolved when it comes, an ARN is the caller's to resolve.
 *
 * A group name, an inline policy's name or an attached policy's ARN listed more than once for
 * one user, role or group grants once, where it is first listed (AWS never repeats one).
 *
 * Lenient where AWS is lenient (unknown keys are ignored, a missing or null list is empty),
 * strict on shape: a value of the wrong type is an error naming the file, line and column. */
#ifndef INGEST_INVENTORY_H
#define INGEST_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#include "schema_jdom.h"
#include "tw_err.h"
#include "tw_str.h"

/* The largest policy document read, in bytes of its JSON text. AWS caps a managed policy at
 * 6,144 characters and a principal's inline policies at 2,048 (user) to 10,240 (role)
 * together, so no real document comes near it; a larger one is checked as JSON but not kept
 * or read (the grant holds nothing and is counted as unparseable), which bounds the memory a
 * hostile file can take to about this much. */
#define TW_INV_DOC_MAX ((size_t)1 << 20)

/* Every view below (strings and the document) is valid only during the callback that gets it. */
typedef struct tw_inv_grant {
    tw_str identity;   /* identity key per DESIGN §3: arn:PARTITION:iam::ACCOUNT:role/NAME or
                        * .../user/NAME, path dropped; partition and account from the entity's
                        * Arn, NAME from its RoleName/UserName */
    tw_str source;     /* human-readable origin: "inventory role/R inline P",
                        * "inventory user/U ARN", "inventory user/U via group/G inline P",
                        * "inventory user/U via group/G ARN" */
    tw_str policy_arn; /* the managed policy's ARN when attached, else empty */
    const tw_jnode *document;  /* an inline policy's PolicyDocument: an object, or a string
                        * (older CLIs URL-encode documents: decoding is the caller's); NULL when
                        * the file does not hold it, and always for an attached policy (the
                        * file's "Policies" go to the sink's policy callback, wherever they are
                        * in the file: resolving an ARN is the caller's) */
    uint64_t document_refused; /* the inline document's size in bytes when it is over
                        * TW_INV_DOC_MAX (document then NULL), else 0 */
    tw_str via_group;          /* the group a user holds it through, else empty */
} tw_inv_grant;

/* Where the inventory goes, as it is read. Either callback may be NULL. A callback that
 * returns other than TW_OK stops the read, which returns that error. */
typedef struct tw_inv_sink {
    void *ud;
    /* Each grant: a user's inline policies (UserPolicyList), then its attached managed
     * policies, then those of each group in its GroupList (as soon as GroupDetailList has
     * been read: users listed before it get theirs then, in file order); a role's
     * RolePolicyList, then its attached managed policies. */
    tw_err (*grant)(void *ud, const tw_inv_grant *grant);
    /* Each entry of "Policies" (customer managed policies, and AWS managed ones when the file
     * lists them), in file order: its Arn and the Document of its default version
     * (IsDefaultVersion true, else VersionId == DefaultVersionId): an object or a string;
     * NULL when the file does not hold one, or when it is over TW_INV_DOC_MAX (refused then
     * its size in bytes, else 0). */
    tw_err (*policy)(void *ud, tw_str arn, const tw_jnode *document, uint64_t refused);
} tw_inv_sink;

typedef struct tw_inv_counts {
    size_t n_users, n_roles, n_groups, n_policies; /* entries of the four lists */
    size_t n_unresolved_groups; /* GroupList names with no GroupDetailList entry (a filtered
                                 * export): what those groups grant is unknown */
    size_t n_grants;            /* handed to the sink */
} tw_inv_counts;

/* Reads PATH once, from start to end, through a fixed buffer: memory is that buffer, the
 * largest policy document, each group's policies and the group names of the users listed
 * before GroupDetailList, never a tree of the whole file. Grants and policies go to sink as
 * they are read; *counts (may be NULL) gets the counts. On failure errstr gets
 * "PATH:LINE:COL: message" (where in the text the problem is) or "PATH: message"
 * (unreadable, a directory, empty); returns TW_ERR_IO (cannot read, a directory),
 * TW_ERR_PARSE (empty, not JSON, invalid UTF-8 or UTF-16, not an object, nested deeper than
 * 64, trailing content, a value of the wrong type, a required member missing:
 * UserName/RoleName/GroupName, a user's or role's Arn, PolicyName, PolicyArn, a policy's Arn),
 * TW_ERR_NOMEM, or the error a callback returned. What the sink got before an error stays
 * given: a caller that fails on the error must drop it. A UTF-8 byte order mark is skipped. */
tw_err tw_inventory_stream(const char *path, const tw_inv_sink *sink, tw_inv_counts *counts,
                           char *errstr, size_t errstr_size);

/* The same from memory (tests); name stands for PATH in messages. */
tw_err tw_inventory_stream_text(const char *name, const char *text, size_t len,
                                const tw_inv_sink *sink, tw_inv_counts *counts, char *errstr,
                                size_t errstr_size);

#endif
