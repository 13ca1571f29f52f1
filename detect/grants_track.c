/* grants_track: the tracker of grants.h: principals, groups and customer managed policies as
 * the IAM calls in the stream define them, each principal's grants with the time each was
 * received, the time it last used each privileged action, and a heap of the grants' deadlines.
 * Every string is copied: events and their batches come and go. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grants.h"
#include "detect_evidence.h"
#include "tw_buf.h"
#include "tw_hash.h"
#include "tw_time.h"

#define LIST_UNUSED 40   /* actions named in a finding's details (and 3 in its summary) */
#define LIST_USED 40
#define FRESH_MS (3600 * 1000LL) /* a first use this soon after the grant is "right after" */

/* ---- a string-keyed map of pointers (open addressing, never shrinks) ------------------- */

/* One slot holds what a probe compares (32 bits of the hash, the length) beside the key and
 * value pointers: a look-up touches one slot, then the key once (the router does one a routed
 * event). 24 bytes, filled up to 3/4: the principals map costs ~40 bytes an identity. */
typedef struct strslot {
    uint32_t hash;        /* the low 32 bits of tw_hash64(key, len, 0) */
    uint32_t len;
    char *key;            /* NULL: free */
    void *val;
} strslot;

typedef struct strmap {
    strslot *slots;
    size_t cap, n;
} strmap;

static size_t map_slot(const strmap *m, tw_str key, uint64_t h)
{
    uint32_t h32 = (uint32_t)h;
    size_t i = h32 & (m->cap - 1);
    while (m->slots[i].key && !(m->slots[i].hash == h32 && m->slots[i].len == key.len &&
                                !memcmp(m->slots[i].key, key.p, key.len)))
        i = (i + 1) & (m->cap - 1);
    return i;
}

/* hash: tw_hash64(key, len, 0), the identity hash the normalizer already computed */
static void *map_get_hashed(const strmap *m, tw_str key, uint64_t hash)
{
    if (!m->cap)
        return NULL;
    size_t i = map_slot(m, key, hash);
    return m->slots[i].key ? m->slots[i].val : NULL;
}

static void *map_get(const strmap *m, tw_str key)
{
    return map_get_hashed(m, key, tw_hash64(key.p, key.len, 0));
}

/* The map's own copy of a key it holds (NULL if it holds none). */
static const char *map_key(const strmap *m, tw_str key)
{
    if (!m->cap)
        return NULL;
    size_t i = map_slot(m, key, tw_hash64(key.p, key.len, 0));
    return m->slots[i].key;
}

static char *dup_str(tw_str s)
{
    char *p = malloc(s.len + 1);
    if (p) {
        memcpy(p, s.p, s.len);
        p[s.len] = '\0';
    }
    return p;
}

/* Inserts key -> val (key copied); false when out of memory. */
static bool map_put(strmap *m, tw_str key, void *val)
{
    if ((m->n + 1) * 4 > m->cap * 3) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        strslot *v = calloc(cap, sizeof *v);
        if (!v)
            return false;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->slots[i].key)
                continue;
            size_t j = m->slots[i].hash & (cap - 1);
            while (v[j].key)
                j = (j + 1) & (cap - 1);
            v[j] = m->slots[i];
        }
        free(m->slots);
        m->slots = v;
        m->cap = cap;
    }
    uint64_t h = tw_hash64(key.p, key.len, 0);
    size_t i = map_slot(m, key, h);
    if (!m->slots[i].key) {
        if (!(m->slots[i].key = dup_str(key)))
            return false;
        m->slots[i].hash = (uint32_t)h;
        m->slots[i].len = key.len;
        m->n++;
    }
    m->slots[i].val = val;
    return true;
}

static void map_free(strmap *m, void (*free_val)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key && free_val)
            free_val(m->slots[i].val);
        free(m->slots[i].key);
    }
    free(m->slots);
}

/* ---- the books --------------------------------------------------------------------------- */

/* What a grant made by a call in the stream has besides (an inventory's have none of it). */
typedef struct grant_call {
    tw_kept_event event;  /* the granting call (evidence) */
    char *event_id;       /* its whole id: the finding's uid */
    char *policy_name;    /* inline */
    char *via_group;      /* the group it comes through */
} grant_call;

/* One grant: small, as an inventory gives thousands of identities a few each. */
typedef struct grant {
    char *source;         /* what and how, for the finding (grant_source); for most inventory
                           * grants only its tail (inv_tail) */
    const char *policy_arn; /* managed (interned): resolved when looked at, its default
                               version may change */
    const uint64_t *own;  /* an inline policy's sets, interned in the tracker's set pool
                           * (shared, never freed here) in its compact form: own_sets */
    uint64_t *unused_at_report;
    grant_call *call;     /* NULL for the inventory's (its uid: "inventory:" + source) */
    int64_t granted_ms;   /* INT64_MIN: an inventory grant before the first event */
    uint32_t gen;         /* bumped when the grant is replaced: older deadlines are void */
    bool active : 1, reported : 1, dormant_raised : 1, fresh_raised : 1, unresolved : 1;
    bool inv_tail : 1;    /* source is what follows "inventory <type>/<name>" (the principal's
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
    const char *key;      /* the principals map's copy */
    tw_grant_target type;
    grant *g;
    uint32_t n, cap;
    uint32_t *used_idx;   /* table index -> the last time it was used */
    int64_t *used_ms;
    uint32_t n_used, cap_used;
    char **groups;        /* users: the groups they are in */
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
    uint64_t *sets;       /* HALVES x words: allowed, conditional, denied */
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
    uint64_t **v;         /* open addressing; NULL: free */
    uint64_t *hashes;
    size_t cap, n;
    uint64_t *block;      /* a candidate in compact form (1 + HALVES x words words at most) */
    uint64_t *expanded;   /* own_sets' answer (HALVES x words) */
} setpool;

struct tw_grants {
    tw_grants_conf conf;
    uint32_t words;
    setpool sets;
    uint64_t *mask_priv, *mask_observable, *mask_training, *mask_telemetry;
    strmap principals, groups, policies, managed_sets, arns;
    tw_json *js;
    deadline *heap;
    size_t n_heap, cap_heap;
    bool started;         /* the first event was seen: inventory grants count from it */
    bool restored;        /* loaded from a checkpoint */
    tw_grants_stats stats;
    uint64_t *scratch;    /* 5 x words */
    uint32_t *order;      /* table indices, the services a reader knows first (names listed) */
    tw_buf text;          /* a finding's details */
    char uid_buf[640];
};

static const tw_rule_meta training_telemetry_meta = {
    .id = "training-telemetry-granted",
    .title = "Model-training rights granted with telemetry access",
    .description = "An identity holds grants for both a model-training action (fine-tuning, "
                   "customization, import, training) and a deep telemetry read (logs, metrics, "
                   "traces, model invocation logging), whether or not it used them: training "
                   "rights should not travel with broad telemetry access.",
    .type = "grant",
    .severity = TW_SEV_MEDIUM,
    .types = (const char *const[]){ "Excessive Permissions", "Privilege Escalation", NULL },
};

/* ---- heap of deadlines ------------------------------------------------------------------- */

static bool heap_push(tw_grants *g, deadline d)
{
    if (g->n_heap == g->cap_heap) {
        size_t cap = g->cap_heap ? g->cap_heap * 2 : 64;
        deadline *v = realloc(g->heap, cap * sizeof *v);
        if (!v)
            return false;
        g->heap = v;
        g->cap_heap = cap;
    }
    size_t i = g->n_heap++;
    while (i && g->heap[(i - 1) / 2].at > d.at) {
        g->heap[i] = g->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    g->heap[i] = d;
    return true;
}

static deadline heap_pop(tw_grants *g)
{
    deadline top = g->heap[0], last = g->heap[--g->n_heap];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        int64_t best = last.at;
        if (l < g->n_heap && g->heap[l].at < best) {
            m = l;
            best = g->heap[l].at;
        }
        if (r < g->n_heap && g->heap[r].at < best)
            m = r;
        if (m == i)
            break;
        g->heap[i] = g->heap[m];
        i = m;
    }
    if (g->n_heap)
        g->heap[i] = last;
    return top;
}

/* ---- life cycle -------------------------------------------------------------------------- */

tw_grants *tw_grants_new(const tw_grants_conf *conf)
{
    tw_grants *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->conf = *conf;
    const tw_privtab *pt = conf->privtab;
    g->words = tw_privtab_words(pt) ? tw_privtab_words(pt) : 1;
    g->mask_priv = calloc(g->words * 9, sizeof(uint64_t));
    g->js = tw_json_new();
    tw_buf_init(&g->text);
    if (!g->mask_priv || !g->js) {
        tw_grants_destroy(g);
        return NULL;
    }
    g->mask_observable = g->mask_priv + g->words;
    g->mask_training = g->mask_priv + 2 * g->words;
    g->mask_telemetry = g->mask_priv + 3 * g->words;
    g->scratch = g->mask_priv + 4 * g->words;
    if (!(g->order = malloc((tw_privtab_count(pt) + 1) * sizeof *g->order))) {
        tw_grants_destroy(g);
        return NULL;
    }
    /* a finding lists a few of many actions: IAM's and the AI services' first */
    static const char *const first[] = { "iam:", "sts:", "organizations:", "bedrock:",
                                         "bedrock-mantle:", "bedrock-agentcore:", "sagemaker:",
                                         "cloudtrail:", "logs:", "kms:", "secretsmanager:",
                                         "guardduty:", "config:", "s3:", "ec2:", "lambda:", "" };
    uint32_t k = 0;
    for (size_t f = 0; f < sizeof first / sizeof first[0]; f++)
        for (uint32_t i = 0; i < tw_privtab_count(pt); i++) {
            tw_str name = tw_privtab_name(pt, i);
            bool listed_before = false;
            for (size_t e = 0; e < f && !listed_before; e++)
                listed_before = tw_str_starts(name, first[e]);
            if (!listed_before && tw_str_starts(name, first[f]))
                g->order[k++] = i;
        }
    for (uint32_t i = 0; i < tw_privtab_count(pt); i++) {
        uint32_t c = tw_privtab_classes(pt, i);
        if (c & TW_CLASS_PRIVILEGED)
            tw_bits_set(g->mask_priv, i);
        if (!tw_privtab_unobservable(pt, i))
            tw_bits_set(g->mask_observable, i);
        if (c & TW_CLASS_MODEL_TRAINING)
            tw_bits_set(g->mask_training, i);
        if (c & TW_CLASS_TELEMETRY)
            tw_bits_set(g->mask_telemetry, i);
    }
    return g;
}

/* The strings a call's record owns (not the record). */
static void free_call_strings(grant_call *c)
{
    free(c->event_id);
    free(c->policy_name);
    free(c->via_group);
}

static void free_grant(grant *gr)
{
    free(gr->source);
    if (gr->call) {
        free_call_strings(gr->call);
        free(gr->call);
    }
    free(gr->unused_at_report);
}

/* The compact form of a policy's sets (HALVES x words) into out: its length in words. */
static size_t compact_sets(const tw_grants *g, const uint64_t *sets, uint64_t *out)
{
    uint32_t w = g->words;
    size_t n = tw_bits_count(sets, HALVES * w);
    size_t list_words = (n * 2 + 7) / 8;
    if (w * 64 > SET_INDEX || list_words >= HALVES * (size_t)w) {
        out[0] = (uint64_t)SET_BITS << 32 | n;
        memcpy(out + 1, sets, HALVES * w * sizeof *sets);
        return 1 + HALVES * (size_t)w;
    }
    static const uint16_t flag[HALVES] = { 0, SET_COND, SET_DENY };
    memset(out + 1, 0, list_words * sizeof *out);
    uint16_t *list = (uint16_t *)(out + 1);
    size_t k = 0;
    for (uint32_t half = 0; half < HALVES; half++)
        for (uint32_t word = 0; word < w; word++)
            for (uint64_t x = sets[half * w + word]; x; x &= x - 1) /* each set bit, in order */
                list[k++] = (uint16_t)((word * 64 + (uint32_t)__builtin_ctzll(x)) | flag[half]);
    out[0] = (uint64_t)SET_LIST << 32 | n;
    return 1 + list_words;
}

/* The sets (HALVES x words) of a pooled block: the block itself, or expanded into the pool's
 * buffer (valid until the next call). */
static const uint64_t *own_sets(const tw_grants *g, const uint64_t *block)
{
    if (block[0] >> 32 == SET_BITS)
        return block + 1;
    uint32_t w = g->words;
    uint64_t *x = g->sets.expanded;
    memset(x, 0, HALVES * w * sizeof *x);
    const uint16_t *list = (const uint16_t *)(block + 1);
    for (uint32_t k = 0; k < (uint32_t)block[0]; k++) {
        uint32_t half = list[k] & SET_COND ? 1 : list[k] & SET_DENY ? 2 : 0;
        tw_bits_set(x + half * w, list[k] & SET_INDEX);
    }
    return x;
}

/* The pool's block for a policy's sets (HALVES x words), or NULL when out of memory. */
static const uint64_t *intern_sets(tw_grants *g, const uint64_t *sets)
{
    setpool *sp = &g->sets;
    if (!sp->block) {
        sp->block = malloc((1 + HALVES * (size_t)g->words) * sizeof *sp->block);
        sp->expanded = malloc(HALVES * (size_t)g->words * sizeof *sp->expanded);
        if (!sp->block || !sp->expanded)
            return NULL;
    }
    if ((sp->n + 1) * 2 > sp->cap) {
        size_t cap = sp->cap ? sp->cap * 2 : 64;
        uint64_t **v = calloc(cap, sizeof *v);
        uint64_t *hashes = calloc(cap, sizeof *hashes);
        if (!v || !hashes) {
            free(v);
            free(hashes);
            return NULL;
        }
        for (size_t i = 0; i < sp->cap; i++) {
            if (!sp->v[i])
                continue;
            size_t j = sp->hashes[i] & (cap - 1);
            while (v[j])
                j = (j + 1) & (cap - 1);
            v[j] = sp->v[i];
            hashes[j] = sp->hashes[i];
        }
        free(sp->v);
        free(sp->hashes);
        sp->v = v;
        sp->hashes = hashes;
        sp->cap = cap;
    }
    size_t bytes = compact_sets(g, sets, sp->block) * sizeof *sp->block;
    uint64_t h = tw_hash64(sp->block, bytes, 0);
    size_t i = h & (sp->cap - 1);
    while (sp->v[i] && !(sp->hashes[i] == h && !memcmp(sp->v[i], sp->block, bytes)))
        i = (i + 1) & (sp->cap - 1);
    if (!sp->v[i]) {
        if (!(sp->v[i] = malloc(bytes)))
            return NULL;
        memcpy(sp->v[i], sp->block, bytes);
        sp->hashes[i] = h;
        sp->n++;
    }
    return sp->v[i];
}

static void free_principal(void *v)
{
    principal *p = v;
    for (uint32_t i = 0; i < p->n; i++)
        free_grant(&p->g[i]);
    for (uint32_t i = 0; i < p->n_groups; i++)
        free(p->groups[i]);
    free(p->groups);
    free(p->g);
    free(p->used_idx);
    free(p->used_ms);
    free(p);
}

static void free_group(void *v)
{
    group *gr = v;
    for (uint32_t i = 0; i < gr->n; i++) {
        free(gr->p[i].policy_arn);
        free(gr->p[i].policy_name);
        free(gr->p[i].source);
        free(gr->p[i].uid);
        free(gr->p[i].own);
    }
    for (uint32_t i = 0; i < gr->n_members; i++)
        free(gr->members[i]);
    free(gr->members);
    free(gr->p);
    free(gr->key);
    free(gr);
}

static void free_policy(void *v)
{
    customer_policy *cp = v;
    for (uint32_t i = 0; i < cp->n; i++) {
        free(cp->v[i].id);
        free(cp->v[i].sets);
    }
    free(cp->v);
    free(cp);
}

void tw_grants_destroy(tw_grants *g)
{
    if (!g)
        return;
    map_free(&g->principals, free_principal);
    map_free(&g->groups, free_group);
    map_free(&g->policies, free_policy);
    map_free(&g->managed_sets, free);
    map_free(&g->arns, NULL);
    for (size_t i = 0; i < g->sets.cap; i++)
        free(g->sets.v[i]);
    free(g->sets.v);
    free(g->sets.hashes);
    free(g->sets.block);
    free(g->sets.expanded);
    tw_json_destroy(g->js);
    tw_buf_free(&g->text);
    free(g->heap);
    free(g->mask_priv);
    free(g->order);
    free(g);
}

void tw_grants_note_unparseable(tw_grants *g)
{
    g->stats.unparseable++;
}

void tw_grants_get_stats(const tw_grants *g, tw_grants_stats *out)
{
    *out = g->stats;
    out->principals = g->principals.n;
}

/* ---- lookups ------------------------------------------------------------------------------ */

static uint64_t *copy_sets(const tw_grants *g, const tw_policy_grant *set)
{
    uint64_t *s = calloc(HALVES * g->words, sizeof *s);
    if (!s)
        return NULL;
    memcpy(s, set->allowed, g->words * sizeof *s);
    memcpy(s + g->words, set->conditional, g->words * sizeof *s);
    if (set->denied)
        memcpy(s + 2 * g->words, set->denied, g->words * sizeof *s);
    return s;
}

static principal *principal_of(tw_grants *g, tw_str key, tw_grant_target type, bool create)
{
    principal *p = map_get(&g->principals, key);
    if (p || !create)
        return p;
    p = calloc(1, sizeof *p);
    if (!p || !map_put(&g->principals, key, p)) {
        free(p);
        return NULL;
    }
    /* the map's copy of the key is the principal's */
    p->key = map_key(&g->principals, key);
    p->type = type;
    return p;
}

/* One copy of each policy ARN, shared by every grant of it (the map owns the key). */
static const char *intern_arn(tw_grants *g, const char *arn)
{
    tw_str key = tw_str_c(arn);
    if (!map_get(&g->arns, key) && !map_put(&g->arns, key, (void *)1))
        return NULL;
    return map_key(&g->arns, key);
}

/* "role/NAME" or "user/NAME" of a principal's key (an ARN, whose last part is the name). */
static void principal_who(const principal *p, char *buf, size_t size)
{
    const char *name = strrchr(p->key, '/');
    snprintf(buf, size, "%s/%s", p->type == TW_GT_USER ? "user" : "role",
             name ? name + 1 : p->key);
}

/* The grant's source text, whole (in buf when it has to be put together). */
static const char *grant_source(const principal *p, const grant *gr, char *buf, size_t size)
{
    if (!gr->inv_tail)
        return gr->source;
    char who[400];
    principal_who(p, who, sizeof who);
    if (gr->source)
        snprintf(buf, size, "inventory %s%s", who, gr->source);
    else
        snprintf(buf, size, "inventory %s %s", who, gr->policy_arn);
    return buf;
}

/* The finding's uid base: the granting call's event id, or "inventory:" + source. */
static const char *grant_uid(const principal *p, const grant *gr, char *buf, size_t size)
{
    char src[1024];
    if (gr->call)
        snprintf(buf, size, "%s", gr->call->event_id);
    else
        snprintf(buf, size, "inventory:%s", grant_source(p, gr, src, sizeof src));
    return buf;
}

/* A managed policy's sets (HALVES x words) as of now: a customer policy's default version from
 * the stream, else AWS's (expanded once), else NULL (unknown). */
static const uint64_t *managed_sets(tw_grants *g, const char *arn)
{
    tw_str key = tw_str_c(arn);
    customer_policy *cp = map_get(&g->policies, key);
    if (cp)
        return cp->has_default ? cp->v[cp->def].sets : NULL;
    uint64_t *s = map_get(&g->managed_sets, key);
    if (s)
        return s;
    tw_str doc;
    if (!g->conf.managed || !tw_managed_find(g->conf.managed, key, &doc))
        return NULL;
    s = calloc(HALVES * g->words, sizeof *s);
    if (!s)
        return NULL;
    tw_policy_grant pg = { s, s + g->words, s + 2 * g->words };
    char err[160];
    if (tw_policy_expand_text(g->conf.privtab, g->js, doc, &pg, err, sizeof err) != TW_OK ||
        !map_put(&g->managed_sets, key, s)) {
        free(s);
        return NULL;
    }
    return s;
}

static const uint64_t *grant_sets(tw_grants *g, const grant *gr)
{
    return gr->own ? own_sets(g, gr->own) : gr->policy_arn ? managed_sets(g, gr->policy_arn) : NULL;
}

/* What the principal's active policies deny on every resource without condition, into out
 * (words): a Deny in any of an identity's policies takes the action from all of them (DESIGN
 * §5). A Deny under a condition or on some resources is not carried over (the grant it would
 * narrow stays as its own policy says). */
static void principal_denied(tw_grants *g, const principal *p, uint64_t *out)
{
    uint32_t w = g->words;
    memset(out, 0, w * sizeof *out);
    for (uint32_t i = 0; i < p->n; i++) {
        if (!p->g[i].active)
            continue;
        const uint64_t *s = grant_sets(g, &p->g[i]);
        for (uint32_t k = 0; s && k < w; k++)
            out[k] |= s[2 * w + k];
    }
}

/* ---- findings ---------------------------------------------------------------------------- */

static void put_name_list(tw_grants *g, const uint64_t *bits, uint32_t limit)
{
    tw_buf_putc(&g->text, '[');
    uint32_t n = 0;
    for (uint32_t o = 0; o < tw_privtab_count(g->conf.privtab) && n < limit; o++) {
        uint32_t i = g->order[o];
        if (!tw_bits_test(bits, i))
            continue;
        if (n++)
            tw_buf_putc(&g->text, ',');
        tw_str name = tw_privtab_name(g->conf.privtab, i);
        tw_buf_put_json_str(&g->text, name);
    }
    tw_buf_putc(&g->text, ']');
}

static size_t summary_names(const tw_grants *g, const uint64_t *bits, uint32_t total, char *buf,
                            size_t size)
{
    size_t len = 0;
    uint32_t n = 0;
    for (uint32_t o = 0; o < tw_privtab_count(g->conf.privtab) && n < 3 && len < size; o++) {
        uint32_t i = g->order[o];
        if (!tw_bits_test(bits, i))
            continue;
        tw_str name = tw_privtab_name(g->conf.privtab, i);
        len += (size_t)snprintf(buf + len, size - len, "%s%.*s", n++ ? ", " : "", (int)name.len,
                                name.p);
    }
    if (total > n && len < size)
        len += (size_t)snprintf(buf + len, size - len, " and %u more", total - n);
    return len;
}

/* The finding's event: the principal as the identity, the grant as the event (its uid and
 * evidence), at time t. */
static void finding_event(tw_grants *g, const principal *p, const grant *gr, const tw_event *ev,
                          int64_t t, tw_event *out)
{
    memset(out, 0, sizeof *out);
    out->time_ms = t;
    out->identity = tw_str_c(p->key);
    out->identity_hash = tw_hash64(p->key, strlen(p->key), 0);
    /* arn:aws:iam::ACCOUNT:... */
    const char *acct = strstr(p->key, "::");
    if (acct) {
        acct += 2;
        const char *end = strchr(acct, ':');
        out->account = (tw_str){ acct, end ? (size_t)(end - acct) : strlen(acct) };
    }
    grant_uid(p, gr, g->uid_buf, sizeof g->uid_buf);
    out->event_id = tw_str_c(g->uid_buf);
    out->action = ev->action;
    out->kind = p->kind;
    out->seq = ev->seq;
}

static void report_unused(tw_grants *g, principal *p, grant *gr, const tw_event *ev, int64_t at,
                          const tw_emit *emit)
{
    uint32_t w = g->words;
    uint64_t *granted = g->scratch, *used = granted + w, *unused = used + w,
             *unobs = unused + w, *denied = unobs + w;
    principal_denied(g, p, denied); /* first: the sets below may live in a shared buffer */
    const uint64_t *sets = grant_sets(g, gr);
    if (!sets) {
        gr->unresolved = true; /* a policy the tracker never learnt: nothing to say */
        g->stats.unresolved++;
        return;
    }
    memset(used, 0, w * sizeof *used);
    for (uint32_t k = 0; k < w; k++)
        granted[k] = sets[k] & g->mask_priv[k] & ~denied[k];
    for (uint32_t i = 0; i < p->n_used; i++)
        if (p->used_ms[i] >= gr->granted_ms && tw_bits_test(granted, p->used_idx[i]))
            tw_bits_set(used, p->used_idx[i]);
    for (uint32_t k = 0; k < w; k++) {
        unused[k] = granted[k] & ~used[k] & g->mask_observable[k];
        unobs[k] = granted[k] & ~used[k] & ~g->mask_observable[k];
    }
    uint32_t n_granted = tw_bits_count(granted, w), n_used = tw_bits_count(used, w),
             n_unused = tw_bits_count(unused, w), n_unobs = tw_bits_count(unobs, w);
    gr->reported = true;
    if (!n_unused)
        return; /* every observable privileged action of it was used */
    gr->unused_at_report = malloc(w * sizeof *gr->unused_at_report);
    if (gr->unused_at_report)
        memcpy(gr->unused_at_report, unused, w * sizeof *unused);
    uint32_t n_cond = 0;
    for (uint32_t k = 0; k < w; k++)
        n_cond += (uint32_t)__builtin_popcountll(unused[k] & sets[w + k]);

    tw_finding f = { 0 };
    tw_event fev;
    finding_event(g, p, gr, ev, at, &fev);
    f.rule = g->conf.unused_meta;
    f.ev = &fev;
    f.kind = (tw_kind)p->kind;
    char id[TW_KEPT_ID_CHARS];
    if (gr->call)
        f.evidence[f.n_evidence++] =
            tw_kept_event_evidence(&gr->call->event, g->conf.catalog, id);
    f.first_seen_ms = gr->granted_ms;
    char names[160], srcbuf[1024];
    const char *source = grant_source(p, gr, srcbuf, sizeof srcbuf);
    summary_names(g, unused, n_unused, names, sizeof names);
    int64_t days = (at - gr->granted_ms) / 86400000;
    int len = snprintf(f.summary, sizeof f.summary,
                       "%.120s: %u of %u privileged actions unused for %" PRId64 " days (%s); "
                       "%u used", source, n_unused, n_granted, days, names, n_used);
    if (len > 0 && (size_t)len < sizeof f.summary)
        snprintf(f.summary + len, sizeof f.summary - (size_t)len, "; %u unrecorded by CloudTrail%s",
                 n_unobs, n_cond ? "; some granted only conditionally" : "");
    tw_buf *t = &g->text;
    t->len = 0;
    char iso[40];
    tw_buf_puts(t, "{\"grant\":{\"source\":");
    tw_buf_put_json_cstr(t, source);
    if (gr->policy_arn) {
        tw_buf_puts(t, ",\"policy_arn\":");
        tw_buf_put_json_cstr(t, gr->policy_arn);
    }
    if (grant_policy_name(gr)) {
        tw_buf_puts(t, ",\"policy_name\":");
        tw_buf_put_json_cstr(t, grant_policy_name(gr));
    }
    if (grant_via_group(gr)) {
        tw_buf_puts(t, ",\"via_group\":");
        tw_buf_put_json_cstr(t, grant_via_group(gr));
    }
    tw_time_format_iso(gr->granted_ms, iso, sizeof iso);
    tw_buf_puts(t, ",\"granted\":");
    tw_buf_put_json_cstr(t, iso);
    tw_buf_printf(t, "},\"privileged_granted\":%u,\"unused_count\":%u,\"unused\":", n_granted,
                  n_unused);
    put_name_list(g, unused, LIST_UNUSED);
    tw_buf_printf(t, ",\"used_count\":%u,\"used\":", n_used);
    put_name_list(g, used, LIST_USED);
    tw_buf_printf(t, ",\"unobservable_count\":%u,\"conditional_unused_count\":%u", n_unobs,
                  n_cond);
    tw_buf_puts(t, ",\"observed_from\":");
    tw_buf_put_json_cstr(t, iso);
    tw_time_format_iso(at, iso, sizeof iso);
    tw_buf_puts(t, ",\"observed_to\":");
    tw_buf_put_json_cstr(t, iso);
    tw_buf_printf(t, ",\"unused_after_days\":%" PRId64 "}", g->conf.unused_after_ms / 86400000);
    if (t->failed)
        return;
    f.details = (tw_str){ t->p, t->len };
    g->stats.findings_unused++;
    emit->fn(emit->ud, &f, g->conf.unused_detector);
}

static void report_dormant(tw_grants *g, principal *p, grant *gr, const tw_event *ev,
                           uint32_t idx, bool fresh, const tw_emit *emit)
{
    if (fresh)
        gr->fresh_raised = true;
    else
        gr->dormant_raised = true;
    if (!g->conf.dormant_meta)
        return;
    tw_finding f = { 0 };
    tw_event fev;
    finding_event(g, p, gr, ev, ev->time_ms, &fev);
    /* the use is the event (its actor fields stay); the uid names the grant and the use, so
     * it differs from the rule's own dormant-privilege-used on the same event */
    fev = *ev;
    fev.identity = tw_str_c(p->key);
    char uid[300];
    snprintf(g->uid_buf, sizeof g->uid_buf, "%s+%.*s", grant_uid(p, gr, uid, sizeof uid),
             (int)ev->event_id.len, ev->event_id.p);
    fev.event_id = tw_str_c(g->uid_buf);
    f.rule = g->conf.dormant_meta;
    f.ev = &fev;
    f.kind = (tw_kind)p->kind;
    char id[TW_KEPT_ID_CHARS];
    if (gr->call)
        f.evidence[f.n_evidence++] =
            tw_kept_event_evidence(&gr->call->event, g->conf.catalog, id);
    char res_buf[TW_RESOURCE_MAX];
    f.evidence[f.n_evidence++] = tw_event_evidence(ev, res_buf);
    f.first_seen_ms = gr->granted_ms;
    tw_str name = tw_privtab_name(g->conf.privtab, idx);
    char srcbuf[1024];
    const char *source = grant_source(p, gr, srcbuf, sizeof srcbuf);
    if (fresh)
        snprintf(f.summary, sizeof f.summary, "%s: %.*s used %" PRId64 " minutes after it was granted (%.120s)",
                 g->conf.dormant_meta->title, (int)name.len, name.p,
                 (ev->time_ms - gr->granted_ms) / 60000, source);
    else
        snprintf(f.summary, sizeof f.summary,
                 "%s: %.*s used after the grant was reported unused (%.120s)",
                 g->conf.dormant_meta->title, (int)name.len, name.p, source);
    g->stats.findings_dormant++;
    emit->fn(emit->ud, &f, g->conf.dormant_detector);
}

/* Training and telemetry rights held together, across the principal's active grants. */
static void check_training_telemetry(tw_grants *g, principal *p, const tw_event *ev,
                                     const tw_emit *emit)
{
    if (p->training_telemetry_raised)
        return;
    bool training = false, telemetry = false, everything = false;
    uint64_t *denied = g->scratch + 4 * g->words;
    principal_denied(g, p, denied);
    for (uint32_t i = 0; i < p->n; i++) {
        if (!p->g[i].active)
            continue;
        const uint64_t *s = grant_sets(g, &p->g[i]);
        if (s && tw_bits_count(s, g->words) == tw_privtab_count(g->conf.privtab))
            everything = true;
        for (uint32_t k = 0; s && k < g->words; k++) {
            training |= (s[k] & ~denied[k] & g->mask_training[k]) != 0;
            telemetry |= (s[k] & ~denied[k] & g->mask_telemetry[k]) != 0;
        }
    }
    /* a grant of every action (AdministratorAccess, "*") is admin-policy-attached's: this is
     * about narrower grants that still bring the two together */
    if (!(training && telemetry) || everything)
        return;
    p->training_telemetry_raised = true;
    tw_finding f = { 0 };
    tw_event fev = *ev;
    fev.identity = tw_str_c(p->key);
    fev.identity_hash = tw_hash64(p->key, strlen(p->key), 0);
    f.rule = &training_telemetry_meta;
    f.ev = &fev;
    f.kind = (tw_kind)p->kind;
    char res_buf[TW_RESOURCE_MAX];
    f.evidence[f.n_evidence++] = tw_event_evidence(ev, res_buf);
    snprintf(f.summary, sizeof f.summary,
             "%s: granted model-training and telemetry actions (latest grant: %.*s)",
             training_telemetry_meta.title, (int)ev->action.len, ev->action.p);
    g->stats.findings_training_telemetry++;
    emit->fn(emit->ud, &f, g->conf.unused_detector + 2);
}

/* ---- applying grants --------------------------------------------------------------------- */

static grant *add_grant(tw_grants *g, principal *p, int64_t t)
{
    if (p->n == p->cap) {
        uint32_t cap = p->cap ? p->cap * 2 : 2;
        grant *v = realloc(p->g, cap * sizeof *v);
        if (!v)
            return NULL;
        p->g = v;
        p->cap = cap;
    }
    grant *gr = &p->g[p->n++];
    memset(gr, 0, sizeof *gr);
    gr->granted_ms = t;
    gr->active = true;
    (void)g;
    return gr;
}

static void schedule(tw_grants *g, principal *p, uint32_t i)
{
    grant *gr = &p->g[i];
    if (gr->granted_ms == INT64_MIN)
        return; /* an inventory grant, before the first event */
    heap_push(g, (deadline){ gr->granted_ms + g->conf.unused_after_ms, p, i, gr->gen });
}

static void revoke(tw_grants *g, grant *gr)
{
    if (gr->active)
        g->stats.revoked++;
    gr->active = false;
    gr->gen++;
}

static char *source_text(const tw_event *ev, const char *what)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%.*s %s", (int)ev->action.len, ev->action.p, what);
    return dup_str(tw_str_c(buf));
}

/* A grant to principal p by event ev (the recipient of a policy, directly or via a group). */
static void grant_to(tw_grants *g, principal *p, const tw_event *ev, const char *policy_arn,
                     const char *policy_name, const uint64_t *own, const char *via_group,
                     const tw_emit *emit)
{
    /* the same policy granted again the same way: a fresh grant replaces the old */
    for (uint32_t i = 0; i < p->n; i++) {
        grant *o = &p->g[i];
        const char *o_name = grant_policy_name(o), *o_via = grant_via_group(o);
        bool same = o->active && !o->own == !own &&
                    ((policy_arn && o->policy_arn && !strcmp(o->policy_arn, policy_arn)) ||
                     (policy_name && o_name && !strcmp(o_name, policy_name))) &&
                    !o_via == !via_group && (!via_group || !strcmp(o_via, via_group));
        if (same)
            revoke(g, o);
    }
    grant *gr = add_grant(g, p, ev->time_ms);
    if (!gr)
        return;
    char what[400];
    snprintf(what, sizeof what, "%s%s%s%s", policy_arn ? policy_arn : "inline policy ",
             policy_arn ? "" : (policy_name ? policy_name : "?"), via_group ? " via " : "",
             via_group ? via_group : "");
    gr->source = source_text(ev, what);
    gr->policy_arn = policy_arn ? intern_arn(g, policy_arn) : NULL;
    if (own)
        gr->own = intern_sets(g, own);
    grant_call *c = gr->call = calloc(1, sizeof *gr->call);
    if (c) {
        tw_kept_event_set(&c->event, ev, g->conf.catalog);
        c->event_id = dup_str(ev->event_id);
        c->policy_name = policy_name ? dup_str(tw_str_c(policy_name)) : NULL;
        c->via_group = via_group ? dup_str(tw_str_c(via_group)) : NULL;
    }
    if (!gr->source || !c || !c->event_id || (policy_arn && !gr->policy_arn) ||
        (policy_name && !c->policy_name) || (via_group && !c->via_group) || (own && !gr->own)) {
        free_grant(gr);
        p->n--;
        return;
    }
    g->stats.grants_stream++;
    schedule(g, p, p->n - 1);
    check_training_telemetry(g, p, ev, emit);
}

static void revoke_matching(tw_grants *g, principal *p, const char *policy_arn,
                            const char *policy_name, const char *via_group)
{
    for (uint32_t i = 0; i < p->n; i++) {
        grant *o = &p->g[i];
        if (!o->active)
            continue;
        const char *o_name = grant_policy_name(o), *o_via = grant_via_group(o);
        if (via_group && (!o_via || strcmp(o_via, via_group)))
            continue;
        if (!via_group && o_via)
            continue;
        if (policy_arn && (!o->policy_arn || strcmp(o->policy_arn, policy_arn)))
            continue;
        if (policy_name && (!o_name || strcmp(o_name, policy_name)))
            continue;
        revoke(g, o);
    }
}

static group *group_of(tw_grants *g, tw_str key)
{
    group *gr = map_get(&g->groups, key);
    if (gr)
        return gr;
    gr = calloc(1, sizeof *gr);
    if (!gr || !(gr->key = dup_str(key)) || !map_put(&g->groups, key, gr)) {
        if (gr)
            free(gr->key);
        free(gr);
        return NULL;
    }
    return gr;
}

static bool str_in(char **v, uint32_t n, const char *s)
{
    for (uint32_t i = 0; i < n; i++)
        if (!strcmp(v[i], s))
            return true;
    return false;
}

static void str_remove(char **v, uint32_t *n, const char *s)
{
    for (uint32_t i = 0; i < *n; i++)
        if (!strcmp(v[i], s)) {
            free(v[i]);
            v[i] = v[--*n];
            return;
        }
}

static bool str_add(char ***v, uint32_t *n, const char *s)
{
    if (str_in(*v, *n, s))
        return true;
    char **g = realloc(*v, (*n + 1) * sizeof *g);
    if (!g)
        return false;
    *v = g;
    if (!(g[*n] = dup_str(tw_str_c(s))))
        return false;
    (*n)++;
    return true;
}

static void group_policy_to_member(tw_grants *g, group *grp, const group_policy *gp,
                                   principal *u, const tw_event *ev, const tw_emit *emit)
{
    grant_to(g, u, ev, gp->policy_arn, gp->policy_name, gp->own, grp->key, emit);
}

static customer_policy *policy_of(tw_grants *g, tw_str arn)
{
    customer_policy *cp = map_get(&g->policies, arn);
    if (cp)
        return cp;
    cp = calloc(1, sizeof *cp);
    if (!cp || !map_put(&g->policies, arn, cp)) {
        free(cp);
        return NULL;
    }
    return cp;
}

static void add_version(tw_grants *g, customer_policy *cp, tw_str id, const tw_grant_op *op,
                        bool make_default)
{
    if (cp->n == cp->cap) {
        uint32_t cap = cp->cap ? cp->cap * 2 : 2;
        policy_version *v = realloc(cp->v, cap * sizeof *v);
        if (!v)
            return;
        cp->v = v;
        cp->cap = cap;
    }
    char synth[16];
    if (!id.len) {
        snprintf(synth, sizeof synth, "v%u", cp->n + 1);
        id = tw_str_c(synth);
    }
    policy_version *v = &cp->v[cp->n];
    v->id = dup_str(id);
    v->sets = copy_sets(g, &op->set);
    if (!v->id || !v->sets) {
        free(v->id);
        free(v->sets);
        return;
    }
    if (make_default) {
        cp->def = cp->n;
        cp->has_default = true;
    }
    cp->n++;
}

static char *cstr(tw_str s, char *buf, size_t size)
{
    if (!s.len)
        return NULL;
    snprintf(buf, size, "%.*s", (int)s.len, s.p);
    return buf;
}

static void apply_op(tw_grants *g, const tw_event *ev, const tw_grant_op *op, const tw_emit *emit)
{
    char arn_buf[512], name_buf[256];
    const char *arn = cstr(op->policy_arn, arn_buf, sizeof arn_buf);
    const char *name = cstr(op->policy_name, name_buf, sizeof name_buf);
    if (op->unparseable)
        g->stats.unparseable++;
    if (op->target_type == TW_GT_GROUP && op->op != TW_GOP_ADD_MEMBER &&
        op->op != TW_GOP_REMOVE_MEMBER) {
        group *grp = group_of(g, op->target);
        if (!grp)
            return;
        switch (op->op) {
        case TW_GOP_ATTACH:
        case TW_GOP_PUT_INLINE: {
            if (op->op == TW_GOP_PUT_INLINE && (!name || op->unparseable || !op->has_document))
                return;
            if (op->op == TW_GOP_ATTACH && !arn)
                return;
            if (grp->n == grp->cap) {
                uint32_t cap = grp->cap ? grp->cap * 2 : 4;
                group_policy *v = realloc(grp->p, cap * sizeof *v);
                if (!v)
                    return;
                grp->p = v;
                grp->cap = cap;
            }
            group_policy *gp = &grp->p[grp->n];
            memset(gp, 0, sizeof *gp);
            gp->policy_arn = arn ? dup_str(tw_str_c(arn)) : NULL;
            gp->policy_name = op->op == TW_GOP_PUT_INLINE ? dup_str(tw_str_c(name)) : NULL;
            gp->own = op->op == TW_GOP_PUT_INLINE ? copy_sets(g, &op->set) : NULL;
            tw_kept_event_set(&gp->event, ev, g->conf.catalog);
            grp->n++;
            for (uint32_t m = 0; m < grp->n_members; m++) {
                principal *u = principal_of(g, tw_str_c(grp->members[m]), TW_GT_USER, true);
                if (u)
                    group_policy_to_member(g, grp, gp, u, ev, emit);
            }
            return;
        }
        case TW_GOP_DETACH:
        case TW_GOP_DELETE_INLINE:
            for (uint32_t i = 0; i < grp->n; i++) {
                group_policy *gp = &grp->p[i];
                bool match = op->op == TW_GOP_DETACH
                                 ? (arn && gp->policy_arn && !strcmp(gp->policy_arn, arn))
                                 : (name && gp->policy_name && !strcmp(gp->policy_name, name));
                if (!match)
                    continue;
                for (uint32_t m = 0; m < grp->n_members; m++) {
                    principal *u = principal_of(g, tw_str_c(grp->members[m]), TW_GT_USER, false);
                    if (u)
                        revoke_matching(g, u, gp->policy_arn, gp->policy_name, grp->key);
                }
                free(gp->policy_arn);
                free(gp->policy_name);
                free(gp->own);
                grp->p[i--] = grp->p[--grp->n];
            }
            return;
        case TW_GOP_DELETE_PRINCIPAL:
            /* the group goes: its members lose what it gave, a new group of the same name
             * starts empty */
            for (uint32_t m = 0; m < grp->n_members; m++) {
                principal *u = principal_of(g, tw_str_c(grp->members[m]), TW_GT_USER, false);
                if (u) {
                    revoke_matching(g, u, NULL, NULL, grp->key);
                    str_remove(u->groups, &u->n_groups, grp->key);
                }
                free(grp->members[m]);
            }
            grp->n_members = 0;
            for (uint32_t i = 0; i < grp->n; i++) {
                free(grp->p[i].policy_arn);
                free(grp->p[i].policy_name);
                free(grp->p[i].own);
            }
            grp->n = 0;
            return;
        default: return;
        }
    }
    switch (op->op) {
    case TW_GOP_ATTACH:
    case TW_GOP_PUT_INLINE: {
        if ((op->op == TW_GOP_ATTACH && !arn) ||
            (op->op == TW_GOP_PUT_INLINE && (!name || op->unparseable || !op->has_document)))
            return;
        principal *p = principal_of(g, op->target, op->target_type, true);
        if (!p)
            return;
        if (op->op == TW_GOP_ATTACH) {
            grant_to(g, p, ev, arn, NULL, NULL, NULL, emit);
        } else {
            uint64_t *own = copy_sets(g, &op->set);
            if (own)
                grant_to(g, p, ev, NULL, name, own, NULL, emit);
            free(own);
        }
        return;
    }
    case TW_GOP_DETACH:
    case TW_GOP_DELETE_INLINE: {
        principal *p = principal_of(g, op->target, op->target_type, false);
        if (p)
            revoke_matching(g, p, op->op == TW_GOP_DETACH ? arn : NULL,
                            op->op == TW_GOP_DELETE_INLINE ? name : NULL, NULL);
        return;
    }
    case TW_GOP_ADD_MEMBER:
    case TW_GOP_REMOVE_MEMBER: {
        group *grp = group_of(g, op->target);
        principal *u = principal_of(g, op->member, TW_GT_USER, op->op == TW_GOP_ADD_MEMBER);
        if (!grp || !u)
            return;
        char key[512];
        snprintf(key, sizeof key, "%.*s", (int)op->member.len, op->member.p);
        if (op->op == TW_GOP_REMOVE_MEMBER) {
            str_remove(grp->members, &grp->n_members, key);
            str_remove(u->groups, &u->n_groups, grp->key);
            revoke_matching(g, u, NULL, NULL, grp->key);
            return;
        }
        if (str_in(grp->members, grp->n_members, key))
            return;
        if (!str_add(&grp->members, &grp->n_members, key) ||
            !str_add(&u->groups, &u->n_groups, grp->key))
            return;
        for (uint32_t i = 0; i < grp->n; i++)
            group_policy_to_member(g, grp, &grp->p[i], u, ev, emit);
        return;
    }
    case TW_GOP_CREATE_POLICY:
    case TW_GOP_CREATE_VERSION:
    case TW_GOP_SET_DEFAULT: {
        if (!arn)
            return;
        customer_policy *cp = policy_of(g, op->policy_arn);
        if (!cp)
            return;
        if (op->op == TW_GOP_SET_DEFAULT) {
            for (uint32_t i = 0; i < cp->n; i++)
                if (tw_str_eq_c(op->version_id, cp->v[i].id)) {
                    cp->def = i;
                    cp->has_default = true;
                }
            return;
        }
        if (op->unparseable || !op->has_document)
            return;
        add_version(g, cp, op->version_id, op,
                    op->op == TW_GOP_CREATE_POLICY || op->set_default);
        return;
    }
    case TW_GOP_DELETE_PRINCIPAL: {
        principal *p = principal_of(g, op->target, op->target_type, false);
        for (uint32_t i = 0; p && i < p->n; i++)
            revoke(g, &p->g[i]);
        /* a deleted user leaves its groups: a policy attached to them later is not its */
        while (p && p->n_groups) {
            group *grp = map_get(&g->groups, tw_str_c(p->groups[0]));
            if (grp)
                str_remove(grp->members, &grp->n_members, p->key);
            str_remove(p->groups, &p->n_groups, p->groups[0]);
        }
        return;
    }
    }
}

tw_err tw_grants_add_inventory(tw_grants *g, tw_str identity, tw_str source,
                               const tw_policy_grant *set, tw_str policy_arn)
{
    tw_grant_target type = memmem(identity.p, identity.len, ":user/", 6) ? TW_GT_USER : TW_GT_ROLE;
    principal *p = principal_of(g, identity, type, true);
    if (!p)
        return TW_ERR_NOMEM;
    grant *gr = add_grant(g, p, INT64_MIN); /* its period starts at the first event */
    if (!gr)
        return TW_ERR_NOMEM;
    char arn[512];
    snprintf(arn, sizeof arn, "%.*s", (int)policy_arn.len, policy_arn.p);
    if (set) {
        memcpy(g->scratch, set->allowed, g->words * sizeof *g->scratch);
        memcpy(g->scratch + g->words, set->conditional, g->words * sizeof *g->scratch);
        if (set->denied)
            memcpy(g->scratch + 2 * g->words, set->denied, g->words * sizeof *g->scratch);
        else
            memset(g->scratch + 2 * g->words, 0, g->words * sizeof *g->scratch);
        gr->own = intern_sets(g, g->scratch);
    } else
        gr->policy_arn = intern_arn(g, arn);
    /* the source is kept whole only when the principal and policy cannot say it again */
    char who[400], head[512];
    principal_who(p, who, sizeof who);
    int n = snprintf(head, sizeof head, "inventory %s", who);
    if (n > 0 && (size_t)n < sizeof head && source.len >= (uint32_t)n &&
        !memcmp(source.p, head, (size_t)n)) {
        tw_str tail = { source.p + n, source.len - (uint32_t)n };
        gr->inv_tail = true;
        bool arn_only = gr->policy_arn && tail.len == policy_arn.len + 1 && tail.p[0] == ' ' &&
                        !memcmp(tail.p + 1, policy_arn.p, policy_arn.len);
        if (!arn_only && !(gr->source = dup_str(tail)))
            gr->inv_tail = false;
    } else {
        gr->source = dup_str(source);
    }
    if ((!gr->source && !gr->inv_tail) || (set && !gr->own) || (!set && !gr->policy_arn)) {
        free_grant(gr);
        p->n--;
        return TW_ERR_NOMEM;
    }
    g->stats.grants_inventory++;
    return TW_OK;
}

tw_err tw_grants_define_policy(tw_grants *g, tw_str arn, const tw_policy_grant *set)
{
    customer_policy *cp = map_get(&g->policies, arn);
    if (cp && cp->has_default)
        return TW_OK;
    if (!cp && !(cp = policy_of(g, arn)))
        return TW_ERR_NOMEM;
    tw_grant_op op = { .set = *set };
    add_version(g, cp, tw_str_c("inventory"), &op, true);
    return cp->has_default ? TW_OK : TW_ERR_NOMEM;
}

bool tw_grants_knows_policy(tw_grants *g, tw_str arn)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%.*s", (int)arn.len, arn.p);
    return arn.len < sizeof buf && managed_sets(g, buf) != NULL;
}

/* The first event: inventory grants start their period now. */
void tw_grants_start(tw_grants *g, const tw_event *ev, const tw_emit *emit)
{
    if (g->started)
        return;
    g->started = true;
    for (size_t s = 0; s < g->principals.cap; s++) {
        principal *p = g->principals.slots[s].key ? g->principals.slots[s].val : NULL;
        for (uint32_t i = 0; p && i < p->n; i++) {
            if (p->g[i].granted_ms != INT64_MIN)
                continue;
            p->g[i].granted_ms = ev->time_ms;
            schedule(g, p, i);
        }
        if (p)
            check_training_telemetry(g, p, ev, emit);
    }
}

/* An event by a principal: its privileged action (and iam:PassRole when it passes a role) is
 * used, and a use of an action reported unused raises dormant-privilege-used. */
static void mark_use(tw_grants *g, principal *p, const tw_event *ev, uint32_t idx,
                     const tw_emit *emit)
{
    g->stats.uses++;
    uint32_t i = 0;
    for (; i < p->n_used && p->used_idx[i] != idx; i++)
        ;
    int64_t prev_use = i < p->n_used ? p->used_ms[i] : INT64_MIN;
    if (i == p->n_used) {
        if (p->n_used == p->cap_used) {
            uint32_t cap = p->cap_used ? p->cap_used * 2 : 4;
            uint32_t *vi = realloc(p->used_idx, cap * sizeof *vi);
            if (!vi)
                return;
            p->used_idx = vi;
            int64_t *vm = realloc(p->used_ms, cap * sizeof *vm);
            if (!vm)
                return;
            p->used_ms = vm;
            p->cap_used = cap;
        }
        p->used_idx[p->n_used] = idx;
        p->used_ms[p->n_used++] = ev->time_ms;
    } else if (ev->time_ms > p->used_ms[i]) {
        p->used_ms[i] = ev->time_ms;
    }
    for (uint32_t k = 0; k < p->n; k++) {
        grant *gr = &p->g[k];
        if (gr->active && gr->reported && !gr->dormant_raised && gr->unused_at_report &&
            tw_bits_test(gr->unused_at_report, idx)) {
            report_dormant(g, p, gr, ev, idx, false, emit);
            continue;
        }
        /* right after receiving it: the first use of the action since a grant from the stream
         * made it, within the hour (escalate, then use) */
        if (!gr->active || gr->fresh_raised || !gr->call || prev_use >= gr->granted_ms ||
            ev->time_ms < gr->granted_ms || ev->time_ms - gr->granted_ms > FRESH_MS)
            continue;
        const uint64_t *sets = grant_sets(g, gr);
        if (sets && tw_bits_test(sets, idx))
            report_dormant(g, p, gr, ev, idx, true, emit);
    }
}

void tw_grants_event(tw_grants *g, const tw_event *ev, const tw_emit *emit)
{
    tw_grants_start(g, ev, emit);
    /* deadlines passed by this event's time: the grants' periods are over */
    while (g->n_heap && g->heap[0].at <= ev->time_ms) {
        deadline d = heap_pop(g);
        grant *gr = &d.p->g[d.grant];
        if (gr->gen != d.gen || !gr->active || gr->reported)
            continue;
        report_unused(g, d.p, gr, ev, d.at, emit);
    }
    if (ev->grant_op && !(ev->flags & TW_EV_FAILED))
        apply_op(g, ev, ev->grant_op, emit);
    if (!g->principals.n)
        return;
    principal *p = map_get_hashed(&g->principals, ev->identity, ev->identity_hash);
    if (!p)
        return;
    if (!p->seen || ev->kind > p->kind)
        p->kind = ev->kind;
    p->seen = true;
    if (ev->flags & TW_EV_FAILED)
        return; /* a denied or failed attempt is no use */
    uint32_t idx = tw_privtab_index(g->conf.privtab, ev->action_id);
    if (idx != TW_PRIV_NONE && tw_bits_test(g->mask_priv, idx))
        mark_use(g, p, ev, idx, emit);
    if ((ev->flags & TW_EV_PASSES_ROLE) && tw_privtab_passrole(g->conf.privtab) != TW_PRIV_NONE)
        mark_use(g, p, ev, tw_privtab_passrole(g->conf.privtab), emit);
}

/* ---- checkpoints (consume --state-dir) ---------------------------------------------------- */

static void put_cstr(tw_buf *b, const char *s)
{
    tw_wire_u32(b, s ? 1 : 0);
    if (s)
        tw_wire_str(b, tw_str_c(s));
}

static void put_sets(tw_buf *b, const uint64_t *sets, uint32_t words)
{
    tw_wire_u32(b, sets ? 1 : 0);
    if (sets)
        tw_wire_bytes(b, sets, words * (uint32_t)sizeof *sets);
}

static void put_kept(tw_buf *b, const tw_kept_event *k)
{
    tw_wire_u32(b, k ? 1 : 0);
    if (k)
        tw_wire_bytes(b, k, (uint32_t)sizeof *k);
}

void tw_grants_save(const tw_grants *g, tw_buf *out)
{
    tw_wire_u32(out, g->words);
    tw_wire_u32(out, g->started);
    tw_wire_u64(out, g->principals.n);
    for (size_t s = 0; s < g->principals.cap; s++) {
        const principal *p = g->principals.slots[s].key ? g->principals.slots[s].val : NULL;
        if (!p)
            continue;
        tw_wire_str(out, tw_str_c(p->key));
        tw_wire_u32(out, (uint32_t)p->type | (uint32_t)p->kind << 8 | (uint32_t)p->seen << 16 |
                             (uint32_t)p->training_telemetry_raised << 17);
        tw_wire_u32(out, p->n_used);
        for (uint32_t i = 0; i < p->n_used; i++) {
            tw_wire_u32(out, p->used_idx[i]);
            tw_wire_u64(out, (uint64_t)p->used_ms[i]);
        }
        tw_wire_u32(out, p->n_groups);
        for (uint32_t i = 0; i < p->n_groups; i++)
            tw_wire_str(out, tw_str_c(p->groups[i]));
        tw_wire_u32(out, p->n);
        for (uint32_t i = 0; i < p->n; i++) {
            const grant *gr = &p->g[i];
            tw_wire_u32(out, (uint32_t)gr->active | (uint32_t)gr->reported << 1 |
                                 (uint32_t)gr->dormant_raised << 2 |
                                 (uint32_t)gr->fresh_raised << 3 | (uint32_t)gr->unresolved << 4);
            tw_wire_u64(out, (uint64_t)gr->granted_ms);
            tw_wire_u32(out, gr->gen);
            char srcbuf[1024];
            put_cstr(out, grant_source(p, gr, srcbuf, sizeof srcbuf));
            put_cstr(out, gr->policy_arn);
            put_cstr(out, grant_policy_name(gr));
            put_cstr(out, grant_via_group(gr));
            put_cstr(out, gr->call ? gr->call->event_id : NULL);
            put_sets(out, gr->own ? own_sets(g, gr->own) : NULL, HALVES * g->words);
            put_sets(out, gr->unused_at_report, g->words);
            put_kept(out, gr->call ? &gr->call->event : NULL);
        }
    }
    tw_wire_u64(out, g->groups.n);
    for (size_t s = 0; s < g->groups.cap; s++) {
        const group *grp = g->groups.slots[s].key ? g->groups.slots[s].val : NULL;
        if (!grp)
            continue;
        tw_wire_str(out, tw_str_c(grp->key));
        tw_wire_u32(out, grp->n);
        for (uint32_t i = 0; i < grp->n; i++) {
            const group_policy *gp = &grp->p[i];
            put_cstr(out, gp->policy_arn);
            put_cstr(out, gp->policy_name);
            put_sets(out, gp->own, HALVES * g->words);
            put_kept(out, &gp->event);
        }
        tw_wire_u32(out, grp->n_members);
        for (uint32_t i = 0; i < grp->n_members; i++)
            tw_wire_str(out, tw_str_c(grp->members[i]));
    }
    tw_wire_u64(out, g->policies.n);
    for (size_t s = 0; s < g->policies.cap; s++) {
        const customer_policy *cp = g->policies.slots[s].key ? g->policies.slots[s].val : NULL;
        if (!cp)
            continue;
        tw_wire_str(out, tw_str_c(g->policies.slots[s].key));
        tw_wire_u32(out, cp->def | (uint32_t)cp->has_default << 31);
        tw_wire_u32(out, cp->n);
        for (uint32_t i = 0; i < cp->n; i++) {
            tw_wire_str(out, tw_str_c(cp->v[i].id));
            put_sets(out, cp->v[i].sets, HALVES * g->words);
        }
    }
}

/* A string written by put_cstr: a fresh copy, or NULL; *bad on a damaged record. */
static char *get_cstr(tw_wire_reader *in, bool *bad)
{
    if (!tw_wire_get_u32(in))
        return NULL;
    tw_str s = tw_wire_get_str(in);
    char *c = in->failed ? NULL : dup_str(s);
    if (!c)
        *bad = true;
    return c;
}

static uint64_t *get_sets(tw_wire_reader *in, uint32_t words, bool *bad)
{
    if (!tw_wire_get_u32(in))
        return NULL;
    tw_str s = tw_wire_get_str(in);
    uint64_t *v = NULL;
    if (!in->failed && s.len == words * sizeof *v && (v = malloc(s.len)))
        memcpy(v, s.p, s.len);
    else
        *bad = true;
    return v;
}

static bool get_kept(tw_wire_reader *in, tw_kept_event *out)
{
    if (!tw_wire_get_u32(in))
        return false;
    tw_str s = tw_wire_get_str(in);
    if (in->failed || s.len != sizeof *out) {
        in->failed = true;
        return false;
    }
    memcpy(out, s.p, sizeof *out);
    return true;
}

bool tw_grants_started(const tw_grants *g)
{
    return g->started;
}

bool tw_grants_restored(const tw_grants *g)
{
    return g->restored;
}

tw_err tw_grants_load(tw_grants *g, tw_wire_reader *in)
{
    if (tw_wire_get_u32(in) != g->words)
        return TW_ERR_CORRUPT; /* another catalog: the sets mean other actions */
    g->restored = true;
    g->started = tw_wire_get_u32(in) != 0;
    bool bad = false;
    uint64_t n = tw_wire_get_u64(in);
    for (uint64_t k = 0; k < n && !in->failed && !bad; k++) {
        tw_str key = tw_wire_get_str(in);
        uint32_t bits = tw_wire_get_u32(in);
        principal *p = in->failed ? NULL : principal_of(g, key, (tw_grant_target)(bits & 0xff), true);
        if (!p)
            return in->failed ? TW_ERR_CORRUPT : TW_ERR_NOMEM;
        p->kind = (uint8_t)(bits >> 8);
        p->seen = (bits >> 16) & 1;
        p->training_telemetry_raised = (bits >> 17) & 1;
        uint32_t n_used = tw_wire_get_u32(in);
        for (uint32_t i = 0; i < n_used && !in->failed; i++) {
            uint32_t idx = tw_wire_get_u32(in);
            int64_t ms = (int64_t)tw_wire_get_u64(in);
            if (idx >= tw_privtab_count(g->conf.privtab))
                return TW_ERR_CORRUPT;
            tw_event ev = { .time_ms = ms };
            uint64_t before = g->stats.uses;
            mark_use(g, p, &ev, idx, &(tw_emit){ .fn = NULL }); /* no grant is reported yet */
            g->stats.uses = before;
        }
        uint32_t n_groups = tw_wire_get_u32(in);
        for (uint32_t i = 0; i < n_groups && !in->failed; i++) {
            char buf[600];
            tw_str gk = tw_wire_get_str(in);
            snprintf(buf, sizeof buf, "%.*s", (int)gk.len, gk.p);
            if (!in->failed && !str_add(&p->groups, &p->n_groups, buf))
                return TW_ERR_NOMEM;
        }
        uint32_t n_grants = tw_wire_get_u32(in);
        for (uint32_t i = 0; i < n_grants && !in->failed && !bad; i++) {
            uint32_t f = tw_wire_get_u32(in);
            int64_t granted = (int64_t)tw_wire_get_u64(in);
            grant *gr = add_grant(g, p, granted);
            if (!gr)
                return TW_ERR_NOMEM;
            gr->active = f & 1;
            gr->reported = (f >> 1) & 1;
            gr->dormant_raised = (f >> 2) & 1;
            gr->fresh_raised = (f >> 3) & 1;
            gr->unresolved = (f >> 4) & 1;
            gr->gen = tw_wire_get_u32(in);
            gr->source = get_cstr(in, &bad);
            char *arn = get_cstr(in, &bad);
            gr->policy_arn = arn ? intern_arn(g, arn) : NULL;
            free(arn);
            grant_call call = { .policy_name = get_cstr(in, &bad) };
            call.via_group = get_cstr(in, &bad);
            call.event_id = get_cstr(in, &bad);
            uint64_t *own = get_sets(in, HALVES * g->words, &bad);
            if (own && !(gr->own = intern_sets(g, own)))
                bad = true;
            free(own);
            gr->unused_at_report = get_sets(in, g->words, &bad);
            bool has_event = get_kept(in, &call.event);
            /* a grant from the stream has its call's id and event; the inventory's neither */
            if (has_event != (call.event_id != NULL) || (!has_event && (call.policy_name ||
                                                                      call.via_group)))
                bad = true;
            if (has_event && !bad && (gr->call = malloc(sizeof *gr->call)))
                *gr->call = call;
            else {
                free_call_strings(&call);
                bad = bad || has_event; /* out of memory */
            }
            if (gr->active && !gr->reported)
                schedule(g, p, p->n - 1);
        }
    }
    n = tw_wire_get_u64(in);
    for (uint64_t k = 0; k < n && !in->failed && !bad; k++) {
        group *grp = group_of(g, tw_wire_get_str(in));
        if (!grp)
            return in->failed ? TW_ERR_CORRUPT : TW_ERR_NOMEM;
        uint32_t np = tw_wire_get_u32(in);
        for (uint32_t i = 0; i < np && !in->failed && !bad; i++) {
            if (grp->n == grp->cap) {
                uint32_t cap = grp->cap ? grp->cap * 2 : 4;
                group_policy *v = realloc(grp->p, cap * sizeof *v);
                if (!v)
                    return TW_ERR_NOMEM;
                grp->p = v;
                grp->cap = cap;
            }
            group_policy *gp = &grp->p[grp->n++];
            memset(gp, 0, sizeof *gp);
            gp->policy_arn = get_cstr(in, &bad);
            gp->policy_name = get_cstr(in, &bad);
            gp->own = get_sets(in, HALVES * g->words, &bad);
            get_kept(in, &gp->event);
        }
        uint32_t nm = tw_wire_get_u32(in);
        for (uint32_t i = 0; i < nm && !in->failed; i++) {
            char buf[600];
            tw_str m = tw_wire_get_str(in);
            snprintf(buf, sizeof buf, "%.*s", (int)m.len, m.p);
            if (!in->failed && !str_add(&grp->members, &grp->n_members, buf))
                return TW_ERR_NOMEM;
        }
    }
    n = tw_wire_get_u64(in);
    for (uint64_t k = 0; k < n && !in->failed && !bad; k++) {
        customer_policy *cp = policy_of(g, tw_wire_get_str(in));
        if (!cp)
            return in->failed ? TW_ERR_CORRUPT : TW_ERR_NOMEM;
        uint32_t d = tw_wire_get_u32(in);
        uint32_t nv = tw_wire_get_u32(in);
        for (uint32_t i = 0; i < nv && !in->failed && !bad; i++) {
            tw_str id = tw_wire_get_str(in);
            uint64_t *sets = get_sets(in, HALVES * g->words, &bad);
            tw_grant_op op = { .set = { sets, sets ? sets + g->words : NULL,
                                        sets ? sets + 2 * g->words : NULL } };
            if (sets && !in->failed)
                add_version(g, cp, id, &op, false);
            free(sets);
        }
        cp->def = d & 0x7fffffffu;
        cp->has_default = (d >> 31) && cp->def < cp->n;
    }
    if (in->failed)
        return TW_ERR_CORRUPT;
    return bad ? TW_ERR_NOMEM : TW_OK;
}
