/* grants_report: the tracker's findings (grants_internal.h): a privileged grant unused past
 * its deadline, a dormant one used at last, training rights held with telemetry access. */
#include "grants_internal.h"

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

const tw_rule_meta *tw_grants_training_telemetry_meta(void)
{
    return &training_telemetry_meta;
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
    grants_grant_uid(p, gr, g->uid_buf, sizeof g->uid_buf);
    out->event_id = tw_str_c(g->uid_buf);
    out->action = ev->action;
    out->kind = p->kind;
    out->seq = ev->seq;
}

void grants_report_unused(tw_grants *g, principal *p, grant *gr, const tw_event *ev, int64_t at,
                          const tw_emit *emit)
{
    uint32_t w = g->words;
    uint64_t *granted = g->scratch, *used = granted + w, *unused = used + w, *unobs = unused + w,
             *denied = unobs + w;
    grants_principal_denied(g, p, denied); /* first: the sets below may live in a shared buffer */
    const uint64_t *sets = grants_grant_sets(g, gr);
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
        f.evidence[f.n_evidence++] = tw_kept_event_evidence(&gr->call->event, g->conf.catalog, id);
    f.first_seen_ms = gr->granted_ms;
    char names[160], srcbuf[1024];
    const char *source = grants_grant_source(p, gr, srcbuf, sizeof srcbuf);
    summary_names(g, unused, n_unused, names, sizeof names);
    int64_t days = (at - gr->granted_ms) / 86400000;
    int len = snprintf(f.summary, sizeof f.summary,
                       "%.120s: %u of %u privileged actions unused for %" PRId64 " days (%s); "
                       "%u used",
                       source, n_unused, n_granted, days, names, n_used);
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
    tw_buf_printf(t, ",\"unobservable_count\":%u,\"conditional_unused_count\":%u", n_unobs, n_cond);
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

void grants_report_dormant(tw_grants *g, principal *p, grant *gr, const tw_event *ev, uint32_t idx,
                           bool fresh, const tw_emit *emit)
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
    snprintf(g->uid_buf, sizeof g->uid_buf, "%s+%.*s", grants_grant_uid(p, gr, uid, sizeof uid),
             (int)ev->event_id.len, ev->event_id.p);
    fev.event_id = tw_str_c(g->uid_buf);
    f.rule = g->conf.dormant_meta;
    f.ev = &fev;
    f.kind = (tw_kind)p->kind;
    char id[TW_KEPT_ID_CHARS];
    if (gr->call)
        f.evidence[f.n_evidence++] = tw_kept_event_evidence(&gr->call->event, g->conf.catalog, id);
    char res_buf[TW_RESOURCE_MAX];
    f.evidence[f.n_evidence++] = tw_event_evidence(ev, res_buf);
    f.first_seen_ms = gr->granted_ms;
    tw_str name = tw_privtab_name(g->conf.privtab, idx);
    char srcbuf[1024];
    const char *source = grants_grant_source(p, gr, srcbuf, sizeof srcbuf);
    if (fresh)
        snprintf(f.summary, sizeof f.summary,
                 "%s: %.*s used %" PRId64 " minutes after it was granted (%.120s)",
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
void grants_check_training_telemetry(tw_grants *g, principal *p, const tw_event *ev,
                                     const tw_emit *emit)
{
    if (p->training_telemetry_raised)
        return;
    bool training = false, telemetry = false, everything = false;
    uint64_t *denied = g->scratch + 4 * g->words;
    grants_principal_denied(g, p, denied);
    for (uint32_t i = 0; i < p->n; i++) {
        if (!p->g[i].active)
            continue;
        const uint64_t *s = grants_grant_sets(g, &p->g[i]);
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
