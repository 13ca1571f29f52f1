/* grants_parse: grant tracking's work on the parser's thread (grants.h). While the record's
 * JSON is in memory, an IAM call that grants or revokes is read into a tw_grant_op (its target,
 * policy, and the policy document expanded into privileged actions, so the router's thread only
 * keeps books), and a call that hands a role to a service is flagged TW_EV_PASSES_ROLE (it uses
 * iam:PassRole). */
#ifndef GRANTS_PARSE_H
#define GRANTS_PARSE_H

#include "grants.h"
#include "schema_json.h"
#include "tw_arena.h"
#include "tw_event.h"

typedef struct tw_grants_ctx tw_grants_ctx;
tw_grants_ctx *tw_grants_ctx_new(const tw_privtab *pt);
void tw_grants_ctx_destroy(tw_grants_ctx *cx); /* NULL-safe */

/* Whether ev is an IAM call that grants or revokes and did not fail (route writes a copy of it
 * to every partition: the grant books of consume --state-topic read them). */
bool tw_grants_is_grant_call(const tw_event *ev);

/* The parser's event hook (ud: the context); the op is allocated from arena. */
void tw_grants_hook(void *ud, tw_event *ev, const tw_raw_record *rec, tw_json *js, tw_arena *arena);

#endif
