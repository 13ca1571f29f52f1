/* grants_internal: what the grant tracker's files share (not for other modules: they read
 * grants.h). The books: principals, groups and customer managed policies as the IAM calls in
 * the stream define them, each principal's grants with the time each was received, the time it
 * last used each privileged action, and a heap of the grants' deadlines. Every string is
 * copied: events and their batches come and go.
 *   grants_book.c    the life cycle, the pool of policy sets, the lookups, the heap
 *   grants_apply.c   the IAM calls and the inventory applied to the books; uses marked
 *   grants_report.c  the findings (unused, dormant, training with telemetry)
 *   grants_save.c    checkpoints */
#ifndef GRANTS_INTERNAL_H
#define GRANTS_INTERNAL_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grants.h"
#include "detect_evidence.h"
#include "tw_buf.h"
#include "tw_hash.h"
#include "tw_strmap.h"
#include "tw_time.h"

#define LIST_UNUSED 40 /* actions named in a finding's details (and 3 in its summary) */
#define LIST_USED 40
#define FRESH_MS (3600 * 1000LL) /* a first use this soon after the grant is "right after" */

/* What a grant made by a call in the stream has besides (an inventory's have none of it). */
typedef struct grant_call {
    tw_kept_event event; /* the granting call (evidence) */
    char *event_id;      /* its whole id: the finding's uid */
    char *policy_name;   /* inline */
    char *via_group;     /* the group it comes through */
} grant_call;

/* One grant: small, as an inventory gives thousands of identities a few each. */
typedef struct grant {
    char *source;           /* what and how, for the finding (grant_source); for most inventory
                           * grants only its tail (inv_tail) */
    const char *policy_arn; /* managed (interned): resolved when looked at, its default
                               version may change */
    const uint64_t *own;    /* an inline policy's sets, interned in the tracker's set pool
                           * (shared, never freed here) in its compact form: own_sets */
    uint64_t *unused_at_report;
    grant_call *call;   /* NULL for the inventory's (its uid: "inventory:" + source) */
    int64_t granted_ms; /* INT64_MIN: an inventory grant before the first event */
    uint32_t gen;       /* bumped when the grant is replaced: older deadlines are void */
    bool active : 1, reported : 1, dormant_raised : 1, fresh_raised : 1, unresolved : 1;
    bool inv_tail : 1; /* source is what follows "inventory <type>/<name>" (the principal's
                           * key says that part), NULL for " " + policy_arn: an inventory
                           * names thousands of identities, their sources need not be stored */
} grant;
_Static_assert(sizeof(grant) <= 56, "a grant stays small");

static inline const char *grant_policy_name(const grant *gr)
{
    return gr->call ? gr->call->policy_name : NULL;
}

static inline const char *grant_via_group(const grant *gr)
{
    return gr->call ? gr->call->via_group : NULL;
}

typedef struct principal {
    const char *key; /* the principals map's copy */
    tw_grant_target type;
    grant *g;
    uint32_t n, cap;
    uint32_t *used_idx; /* table index -> the last time it was used */
    int64_t *used_ms;
    uint32_t n_used, cap_used;
    char **groups; /* users: the groups they are in */
    uint32_t n_groups;
    uint8_t kind;
    bool seen, training_telemetry_raised;
} principal;

typedef struct group_policy {
    char *policy_arn, *policy_name, *source, *uid;
    uint64_t *own;
    tw_kept_event event;
} group_policy;

typedef struct group {
    char *key;
    group_policy *p;
    uint32_t n, cap;
    char **members;
    uint32_t n_members;
} group;

typedef struct policy_version {
    char *id;
    uint64_t *sets; /* HALVES x words: allowed, conditional, denied */
} policy_version;

typedef struct customer_policy {
    policy_version *v;
    uint32_t n, cap, def;
    bool has_default;
} customer_policy;

typedef struct deadline {
    int64_t at;
    principal *p;
    uint32_t grant, gen;
} deadline;

/* A policy's sets: allowed, conditional (of those, granted only under a condition or on some
 * resources) and denied (on every resource without condition: removed from what the
 * identity's other policies grant), HALVES x words. Inline policies' sets are stored once for
 * each distinct triple: identities often hold copies of the same inline policy. A triple is
 * stored as a header word and either the sorted list of its privileged-table indices, 16 bits
 * each (the conditional ones with SET_COND, the denied ones with SET_DENY), or, when that is
 * not smaller, the bitsets (HALVES x words x 8 bytes): an inline policy names a few privileged
 * actions, not hundreds, and rarely denies. */
#define HALVES 3u
#define SET_LIST 0u
#define SET_BITS 1u
#define SET_COND 0x8000u
#define SET_DENY 0x4000u
#define SET_INDEX (SET_DENY - 1u)
typedef struct setpool {
    uint64_t **v; /* open addressing; NULL: free */
    uint64_t *hashes;
    size_t cap, n;
    uint64_t *block;    /* a candidate in compact form (1 + HALVES x words words at most) */
    uint64_t *expanded; /* own_sets' answer (HALVES x words) */
} setpool;

struct tw_grants {
    tw_grants_conf conf;
    uint32_t words;
    setpool sets;
    uint64_t *mask_priv, *mask_observable, *mask_training, *mask_telemetry;
    tw_strmap principals, groups, policies, managed_sets, arns;
    tw_json *js;
    deadline *heap;
    size_t n_heap, cap_heap;
    bool started;  /* the first event was seen: inventory grants count from it */
    bool restored; /* loaded from a checkpoint */
    /* a partition's book (grants_parts.c): the principals it may hold; NULL: any */
    bool (*owns)(void *ud, tw_str key);
    void *owns_ud;
    uint64_t changes; /* bumped by whatever changes the books (a partition's book is saved then) */
    tw_grants_stats stats;
    uint64_t *scratch; /* 5 x words */
    uint32_t *order;   /* table indices, the services a reader knows first (names listed) */
    tw_buf text;       /* a finding's details */
    char uid_buf[640];
};

static inline char *grants_dup_str(tw_str s)
{
    char *p = malloc(s.len + 1);
    if (p) {
        memcpy(p, s.p, s.len);
        p[s.len] = '\0';
    }
    return p;
}

/* ---- shared between the tracker's files ---- */

uint64_t *grants_copy_sets(const tw_grants *g, const tw_policy_grant *set);
void grants_free_call_strings(grant_call *c);
void grants_free_grant(grant *gr);
const uint64_t *grants_grant_sets(tw_grants *g, const grant *gr);
const char *grants_grant_source(const principal *p, const grant *gr, char *buf, size_t size);
const char *grants_grant_uid(const principal *p, const grant *gr, char *buf, size_t size);
const char *grants_intern_arn(tw_grants *g, const char *arn);
const uint64_t *grants_intern_sets(tw_grants *g, const uint64_t *sets);
const uint64_t *grants_managed_sets(tw_grants *g, const char *arn);
const uint64_t *grants_own_sets(const tw_grants *g, const uint64_t *block);
void grants_principal_denied(tw_grants *g, const principal *p, uint64_t *out);
principal *grants_principal_of(tw_grants *g, tw_str key, tw_grant_target type, bool create);
void grants_principal_who(const principal *p, char *buf, size_t size);
deadline grants_heap_pop(tw_grants *g);
bool grants_heap_push(tw_grants *g, deadline d);
void grants_check_training_telemetry(tw_grants *g, principal *p, const tw_event *ev,
                                     const tw_emit *emit);
void grants_report_dormant(tw_grants *g, principal *p, grant *gr, const tw_event *ev, uint32_t idx,
                           bool fresh, const tw_emit *emit);
void grants_report_unused(tw_grants *g, principal *p, grant *gr, const tw_event *ev, int64_t at,
                          const tw_emit *emit);
grant *grants_add_grant(tw_grants *g, principal *p, int64_t t);
void grants_add_version(tw_grants *g, customer_policy *cp, tw_str id, const tw_grant_op *op,
                        bool make_default);
group *grants_group_of(tw_grants *g, tw_str key);
void grants_mark_use(tw_grants *g, principal *p, const tw_event *ev, uint32_t idx,
                     const tw_emit *emit);
customer_policy *grants_policy_of(tw_grants *g, tw_str arn);
void grants_schedule(tw_grants *g, principal *p, uint32_t i);
bool grants_str_add(char ***v, uint32_t *n, const char *s);

#endif
