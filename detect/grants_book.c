/* grants_book: the tracker's books (grants_internal.h): life cycle, the pool of policy sets,
 * the lookups, the heap of deadlines. */
#include "grants_internal.h"

/* ---- heap of deadlines ------------------------------------------------------------------- */

bool grants_heap_push(tw_grants *g, deadline d)
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

deadline grants_heap_pop(tw_grants *g)
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
    static const char *const first[] = { "iam:",
                                         "sts:",
                                         "organizations:",
                                         "bedrock:",
                                         "bedrock-mantle:",
                                         "bedrock-agentcore:",
                                         "sagemaker:",
                                         "cloudtrail:",
                                         "logs:",
                                         "kms:",
                                         "secretsmanager:",
                                         "guardduty:",
                                         "config:",
                                         "s3:",
                                         "ec2:",
                                         "lambda:",
                                         "" };
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
void grants_free_call_strings(grant_call *c)
{
    free(c->event_id);
    free(c->policy_name);
    free(c->via_group);
}

void grants_free_grant(grant *gr)
{
    free(gr->source);
    if (gr->call) {
        grants_free_call_strings(gr->call);
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
const uint64_t *grants_own_sets(const tw_grants *g, const uint64_t *block)
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
const uint64_t *grants_intern_sets(tw_grants *g, const uint64_t *sets)
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
        grants_free_grant(&p->g[i]);
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
    tw_strmap_free(&g->principals, free_principal);
    tw_strmap_free(&g->groups, free_group);
    tw_strmap_free(&g->policies, free_policy);
    tw_strmap_free(&g->managed_sets, free);
    tw_strmap_free(&g->arns, NULL);
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

uint64_t *grants_copy_sets(const tw_grants *g, const tw_policy_grant *set)
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

principal *grants_principal_of(tw_grants *g, tw_str key, tw_grant_target type, bool create)
{
    principal *p = tw_strmap_get(&g->principals, key);
    if (p || !create || (g->owns && !g->owns(g->owns_ud, key)))
        return p;
    p = calloc(1, sizeof *p);
    if (!p || !tw_strmap_put(&g->principals, key, p)) {
        free(p);
        return NULL;
    }
    /* the map's copy of the key is the principal's */
    p->key = tw_strmap_key(&g->principals, key);
    p->type = type;
    return p;
}

/* One copy of each policy ARN, shared by every grant of it (the map owns the key). */
const char *grants_intern_arn(tw_grants *g, const char *arn)
{
    tw_str key = tw_str_c(arn);
    if (!tw_strmap_get(&g->arns, key) && !tw_strmap_put(&g->arns, key, (void *)1))
        return NULL;
    return tw_strmap_key(&g->arns, key);
}

/* "role/NAME" or "user/NAME" of a principal's key (an ARN, whose last part is the name). */
void grants_principal_who(const principal *p, char *buf, size_t size)
{
    const char *name = strrchr(p->key, '/');
    snprintf(buf, size, "%s/%s", p->type == TW_GT_USER ? "user" : "role", name ? name + 1 : p->key);
}

/* The grant's source text, whole (in buf when it has to be put together). */
const char *grants_grant_source(const principal *p, const grant *gr, char *buf, size_t size)
{
    if (!gr->inv_tail)
        return gr->source;
    char who[400];
    grants_principal_who(p, who, sizeof who);
    if (gr->source)
        snprintf(buf, size, "inventory %s%s", who, gr->source);
    else
        snprintf(buf, size, "inventory %s %s", who, gr->policy_arn);
    return buf;
}

/* The finding's uid base: the granting call's event id, or "inventory:" + source. */
const char *grants_grant_uid(const principal *p, const grant *gr, char *buf, size_t size)
{
    char src[1024];
    if (gr->call)
        snprintf(buf, size, "%s", gr->call->event_id);
    else
        snprintf(buf, size, "inventory:%s", grants_grant_source(p, gr, src, sizeof src));
    return buf;
}

/* A managed policy's sets (HALVES x words) as of now: a customer policy's default version from
 * the stream, else AWS's (expanded once), else NULL (unknown). */
const uint64_t *grants_managed_sets(tw_grants *g, const char *arn)
{
    tw_str key = tw_str_c(arn);
    customer_policy *cp = tw_strmap_get(&g->policies, key);
    if (cp)
        return cp->has_default ? cp->v[cp->def].sets : NULL;
    uint64_t *s = tw_strmap_get(&g->managed_sets, key);
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
        !tw_strmap_put(&g->managed_sets, key, s)) {
        free(s);
        return NULL;
    }
    return s;
}

const uint64_t *grants_grant_sets(tw_grants *g, const grant *gr)
{
    return gr->own          ? grants_own_sets(g, gr->own)
           : gr->policy_arn ? grants_managed_sets(g, gr->policy_arn)
                            : NULL;
}

/* What the principal's active policies deny on every resource without condition, into out
 * (words): a Deny in any of an identity's policies takes the action from all of them (DESIGN
 * §5). A Deny under a condition or on some resources is not carried over (the grant it would
 * narrow stays as its own policy says). */
void grants_principal_denied(tw_grants *g, const principal *p, uint64_t *out)
{
    uint32_t w = g->words;
    memset(out, 0, w * sizeof *out);
    for (uint32_t i = 0; i < p->n; i++) {
        if (!p->g[i].active)
            continue;
        const uint64_t *s = grants_grant_sets(g, &p->g[i]);
        for (uint32_t k = 0; s && k < w; k++)
            out[k] |= s[2 * w + k];
    }
}
