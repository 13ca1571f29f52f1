/* ingest_inventory: the grants side of "granted vs used" (--grants FILE). Reads the JSON of
 * `aws iam get-account-authorization-details` whole (through ingest_jdom) and lists every
 * grant: for each user its inline policies (UserPolicyList), its attached managed policies,
 * and both of each group in its GroupList; for each role its RolePolicyList and attached
 * managed policies. Attached policy ARNs are resolved against the file's "Policies" list, so
 * a grant carries its policy document when the file holds one. The caller (app/, when it
 * loads --grants) owns the inventory; it is read-only after load, so threads may share it.
 *
 * Lenient where AWS is lenient (unknown keys are ignored, a missing or null list is empty),
 * strict on shape: a value of the wrong type is an error naming the file, line and column. */
#ifndef INGEST_INVENTORY_H
#define INGEST_INVENTORY_H

#include <stddef.h>

#include "ingest_jdom.h"
#include "tw_arena.h"
#include "tw_err.h"
#include "tw_str.h"

/* Every view below (strings and document nodes) lives as long as the inventory. */
typedef struct tw_inv_grant {
    tw_str identity;   /* identity key per DESIGN §3: arn:PARTITION:iam::ACCOUNT:role/NAME or
                        * .../user/NAME, path dropped; partition and account from the entity's
                        * Arn, NAME from its RoleName/UserName */
    tw_str source;     /* human-readable origin: "inventory role/R inline P",
                        * "inventory user/U ARN", "inventory user/U via group/G inline P",
                        * "inventory user/U via group/G ARN" */
    tw_str policy_arn; /* the managed policy's ARN when attached, else empty */
    const tw_jnode *document; /* an inline policy's PolicyDocument, or the default version's
                        * Document (IsDefaultVersion true, else VersionId == DefaultVersionId)
                        * of a managed policy listed in "Policies"; an object, or a string
                        * (older CLIs URL-encode documents: decoding is the caller's); NULL when
                        * the file does not hold it (e.g. an AWS managed policy not listed) */
    tw_str via_group;  /* the group a user holds it through, else empty */
} tw_inv_grant;

typedef struct tw_inventory {
    tw_inv_grant *grants;                          /* users' first, in file order, then roles' */
    size_t n_grants;
    size_t n_users, n_roles, n_groups, n_policies; /* entries of the four lists */
    size_t n_unresolved_groups; /* GroupList names with no GroupDetailList entry (a filtered
                                 * export): what those groups grant is unknown */
    tw_arena arena; /* private: the document tree and the strings built here */
} tw_inventory;

/* Reads PATH whole. On failure *out is NULL and errstr gets "PATH:LINE:COL: message" (where
 * in the text the problem is) or "PATH: message" (unreadable, a directory, empty); returns
 * TW_ERR_IO (cannot read, a directory), TW_ERR_PARSE (empty, not JSON, invalid UTF-8 or
 * UTF-16, not an object, nested deeper than 64, a value of the wrong type, a required member
 * missing: UserName/RoleName/GroupName, a user's or role's Arn, PolicyName, PolicyArn, a
 * policy's Arn) or TW_ERR_NOMEM. A UTF-8 byte order mark is skipped. On success the caller
 * owns *out and frees it with tw_inventory_destroy. */
tw_err tw_inventory_load(const char *path, tw_inventory **out, char *errstr, size_t errstr_size);

/* The same from memory (tests); name stands for PATH in messages. text needs no padding
 * (it is copied). */
tw_err tw_inventory_load_text(const char *name, const char *text, size_t len, tw_inventory **out,
                              char *errstr, size_t errstr_size);

void tw_inventory_destroy(tw_inventory *inv); /* NULL-safe */

#endif
