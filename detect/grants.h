/* grants: granted versus used privileged actions, per identity, as the trail flows (DESIGN §5
 * unused-privileged-grant, issue 4).
 *
 * Grants are account-wide state: a grant names its recipient in another identity's event
 * (iam:AttachRolePolicy by an administrator), a group's policies reach every member, a
 * customer managed policy changes with its default version. So they live in one place, the
 * tracker, which sees every event in stream order (the router's thread, app_router.c): the
 * parser threads have already read each IAM grant call into a tw_grant_op (its target, its
 * policy and the policy's privileged actions: grants_parse.c), so the tracker only keeps
 * books. An event by an identity holding grants marks its privileged action used (denied or
 * failed attempts do not count). When event time passes a grant's time plus --unused-after and
 * observable privileged actions of it are still unused, the tracker reports the grant once
 * (unused-privileged-grant); a later use of one of them raises dormant-privilege-used. */
#ifndef GRANTS_H
#define GRANTS_H

#include <stdbool.h>
#include <stdint.h>

#include "detect.h"
#include "detect_stream.h"
#include "grants_managed.h"
#include "grants_policy.h"
#include "tw_event.h"
#include "tw_finding.h"
#include "tw_wire.h"

typedef enum tw_grant_opcode {
    TW_GOP_ATTACH = 1,       /* Attach{Role,User,Group}Policy: policy_arn to target */
    TW_GOP_DETACH,           /* Detach*Policy */
    TW_GOP_PUT_INLINE,       /* Put{Role,User,Group}Policy: policy_name + document */
    TW_GOP_DELETE_INLINE,    /* Delete{Role,User,Group}Policy */
    TW_GOP_ADD_MEMBER,       /* AddUserToGroup: user into target (a group) */
    TW_GOP_REMOVE_MEMBER,    /* RemoveUserFromGroup */
    TW_GOP_CREATE_POLICY,    /* CreatePolicy: policy_arn gets version v1 = document */
    TW_GOP_CREATE_VERSION,   /* CreatePolicyVersion: a version, the default if set_default */
    TW_GOP_SET_DEFAULT,      /* SetDefaultPolicyVersion */
    TW_GOP_DELETE_PRINCIPAL, /* DeleteRole, DeleteUser, DeleteGroup: every grant goes */
} tw_grant_opcode;

typedef enum tw_grant_target {
    TW_GT_ROLE = 1,
    TW_GT_USER,
    TW_GT_GROUP,
    TW_GT_POLICY
} tw_grant_target;

/* One IAM call that grants or revokes, as the parser read it (strings in the batch's arena). */
typedef struct tw_grant_op {
    tw_grant_opcode op;
    tw_grant_target target_type;
    tw_str target; /* arn:aws:iam::ACCOUNT:role/NAME, .../user/NAME, .../group/NAME */
    tw_str member; /* ADD/REMOVE_MEMBER: the user's key */
    tw_str policy_arn;
    tw_str policy_name; /* inline policies */
    tw_str version_id;
    bool set_default;
    bool has_document;   /* a document came with the call... */
    bool unparseable;    /* ...and it did not parse (counted; the grant holds nothing) */
    tw_policy_grant set; /* its privileged actions (tw_privtab_words words each) */
} tw_grant_op;

typedef struct tw_grants tw_grants;

typedef struct tw_grants_conf {
    const tw_privtab *privtab;
    const tw_catalog *catalog; /* events' actions (kept evidence names them by index) */
    const tw_managed *managed; /* AWS managed policies */
    int64_t unused_after_ms;
    const tw_rule_meta *unused_meta;            /* unused-privileged-grant */
    const tw_rule_meta *dormant_meta;           /* dormant-privilege-used (NULL: not raised) */
    uint32_t unused_detector, dormant_detector; /* their detector indices, for ordering */
} tw_grants_conf;

typedef struct tw_grants_stats {
    uint64_t grants_stream, grants_inventory, revoked, unparseable, principals;
    uint64_t unresolved; /* deadlines of grants of a customer policy never seen */
    uint64_t uses, findings_unused, findings_dormant, findings_training_telemetry;
} tw_grants_stats;

tw_grants *tw_grants_new(const tw_grants_conf *conf); /* NULL when out of memory */
/* The tracker's own training-telemetry-granted finding (`rules list` shows it). */
const tw_rule_meta *tw_grants_training_telemetry_meta(void);
void tw_grants_destroy(tw_grants *g); /* NULL-safe */

/* A grant from an inventory (--grants), added before the first event: it counts from the
 * first event the tracker sees. identity is a role's or user's key; source says where it
 * comes from; either set (an inline policy's, copied) or policy_arn (a managed policy the
 * tracker expands once and shares: tw_grants_knows_policy). */
tw_err tw_grants_add_inventory(tw_grants *g, tw_str identity, tw_str source,
                               const tw_policy_grant *set, tw_str policy_arn);
/* A customer managed policy as an inventory defines it (its default version), unless the
 * tracker knows it already. */
tw_err tw_grants_define_policy(tw_grants *g, tw_str arn, const tw_policy_grant *set);
/* Whether the book came from a checkpoint (tw_grants_load): an inventory is in it already. */
bool tw_grants_restored(const tw_grants *g);
/* Whether the tracker can expand this managed policy (defined, or AWS managed). */
bool tw_grants_knows_policy(tw_grants *g, tw_str arn);

/* The inventory's grants start their period at ev, the first event (tw_grants_event does it
 * when it has not been done): its time, and its seq for the findings it raises (training rights
 * held with telemetry rights, one per such principal: thousands with a large inventory). A
 * caller may give it a seq of its own, before the first event's, so that those findings come
 * first. No-op once started (also when a checkpoint's book was restored). */
void tw_grants_start(tw_grants *g, const tw_event *ev, const tw_emit *emit);
bool tw_grants_started(const tw_grants *g);

/* Applies one event in stream order; findings go to emit (their detector index orders them
 * among the workers' findings of the same event). The event is a normalized one: its
 * identity_hash is tw_hash64(identity.p, identity.len, 0), as ingest_normalize sets it (the
 * tracker looks identities up by it), action_id the catalog's. */
void tw_grants_event(tw_grants *g, const tw_event *ev, const tw_emit *emit);

void tw_grants_get_stats(const tw_grants *g, tw_grants_stats *out);

/* tw_grants_event in two halves, for a partition's book (below): a copy of a grant call
 * (TW_EV_GRANT_COPY) is applied, it is no use by its caller; an ordinary event counts as a use
 * only, its grant call comes as a copy. */
void tw_grants_copy_event(tw_grants *g, const tw_event *ev, const tw_emit *emit);
void tw_grants_use_event(tw_grants *g, const tw_event *ev, const tw_emit *emit);
/* Only the principals owns says yes to get into the book (inventory, grant calls, groups'
 * members); NULL: any. Set before anything is added. */
void tw_grants_set_owner(tw_grants *g, bool (*owns)(void *ud, tw_str key), void *ud);
/* A new tracker with g's conf and books, the principals limited to those owns says yes to
 * (set as its owner). NULL when out of memory. */
tw_grants *tw_grants_clone_owned(const tw_grants *g, bool (*owns)(void *ud, tw_str key), void *ud);
/* Grows whenever the books change: a caller saves a book again only when it moved. */
uint64_t tw_grants_changes(const tw_grants *g);

/* ---- one book per partition (consume --state-topic) ----
 * A grant call and the uses of what it grants are two identities' records, most often in two
 * partitions, and "unused" is only true if no partition used it. So route writes a copy of
 * every grant call to every partition (TW_EV_GRANT_COPY), right after the call itself, and a
 * partition's book applies the copies in its partition's order, with the uses of the
 * identities route keys to that partition: it holds those principals only (owner: whether
 * route's partitioner gives a key the partition of a source), reports on them only, and follows its partition
 * through the changelog like the identities (changed_sources, save_source, merge_source,
 * drop_source). The inventory (--grants) is loaded once into the template and each partition's
 * book takes its own principals of it when its partition first shows up. */
typedef struct tw_grant_parts tw_grant_parts;
/* Whether key belongs to the partition of source (the router's number of it: partition + 1
 * in the order the partitions came, not the partition's own number). */
typedef bool (*tw_owner_fn)(void *ud, uint16_t source, tw_str key);
/* tmpl: the tracker the inventory is loaded into (borrowed; it sees no events). */
tw_grant_parts *tw_grant_parts_new(tw_grants *tmpl, tw_owner_fn owner, void *ud);
void tw_grant_parts_destroy(tw_grant_parts *gp); /* NULL-safe */
/* The books' counts summed (the inventory's from the template). */
void tw_grant_parts_get_stats(const tw_grant_parts *gp, tw_grants_stats *out);
/* As a stream detector named "grants": copies through on_copy, other events through
 * on_event, each to the book of its source; whole saves hold every book. */
tw_stream_detector tw_grant_parts_stream(tw_grant_parts *gp);

/* The tracker as a stream detector (detect_stream.h), named "grants". */
tw_stream_detector tw_grants_stream(tw_grants *g);

/* Checkpoints (consume --state-dir): the whole book, and back into a new tracker (before any
 * event). TW_ERR_CORRUPT for a damaged or foreign record. */
void tw_grants_save(const tw_grants *g, tw_buf *out);
tw_err tw_grants_load(tw_grants *g, tw_wire_reader *in);
/* An inventory policy that could not be read (counted on --stats). */
void tw_grants_note_unparseable(tw_grants *g);

#endif
