#include <stdlib.h>

#include "detect.h"

#define MAX_DETECTORS 256

struct tw_engine {
    tw_detector det[MAX_DETECTORS];
    uint32_t n;
    uint32_t state_bytes;
    int64_t horizon_ms;
    bool compiled;
    /* candidates for an event: the detectors listening to everything, plus those whose
     * interest shares a class with the event (a bitmask over detectors per class) */
    uint64_t all_mask[MAX_DETECTORS / 64];
    bool any_release;
    uint64_t class_mask[TW_CLASS_COUNT_][MAX_DETECTORS / 64];
};

tw_engine *tw_engine_new(void)
{
    return calloc(1, sizeof(tw_engine));
}

void tw_engine_destroy(tw_engine *eng)
{
    free(eng);
}

tw_err tw_engine_add(tw_engine *eng, const tw_detector_ops *ops, const void *params)
{
    if (eng->compiled || eng->n == MAX_DETECTORS)
        return TW_ERR_INVALID;
    tw_detector *det = &eng->det[eng->n];
    det->ops = ops;
    det->index = eng->n;
    det->params = params;
    eng->n++;
    return TW_OK;
}

tw_err tw_engine_compile(tw_engine *eng)
{
    uint32_t off = 0;
    for (uint32_t i = 0; i < eng->n; i++) {
        tw_detector *det = &eng->det[i];
        det->offset = off;
        uint32_t bytes =
            det->ops->state_size ? det->ops->state_size(det->params) : det->ops->state_bytes;
        off += (bytes + 7) & ~7u;
        eng->any_release |= det->ops->release != NULL;
        int64_t horizon = det->ops->horizon ? det->ops->horizon(det->params) : det->ops->horizon_ms;
        if (horizon > eng->horizon_ms)
            eng->horizon_ms = horizon;
        uint32_t interest = det->ops->interest;
        if (!interest) {
            eng->all_mask[i / 64] |= 1ull << (i % 64);
            continue;
        }
        for (uint32_t c = 0; c < TW_CLASS_COUNT_; c++)
            if (interest & (1u << c))
                eng->class_mask[c][i / 64] |= 1ull << (i % 64);
    }
    eng->state_bytes = off;
    eng->compiled = true;
    return TW_OK;
}

void tw_engine_release(void *engine, tw_ident *ident)
{
    const tw_engine *eng = engine;
    if (!eng->any_release)
        return;
    for (uint32_t i = 0; i < eng->n; i++) {
        const tw_detector *det = &eng->det[i];
        if (det->ops->release)
            det->ops->release(det, tw_ident_slot(ident, det->offset));
    }
}

uint32_t tw_engine_state_bytes(const tw_engine *eng)
{
    return eng->state_bytes;
}

int64_t tw_engine_horizon(const tw_engine *eng)
{
    return eng->horizon_ms;
}

uint32_t tw_engine_count(const tw_engine *eng)
{
    return eng->n;
}

const tw_detector *tw_engine_detector(const tw_engine *eng, uint32_t index)
{
    return index < eng->n ? &eng->det[index] : NULL;
}

void tw_engine_run(const tw_engine *eng, tw_ident *ident, const tw_event *ev, const tw_emit *emit)
{
    uint32_t words = (eng->n + 63) / 64;
    for (uint32_t w = 0; w < words; w++) {
        uint64_t m = eng->all_mask[w];
        uint32_t classes = ev->classes;
        while (classes) {
            uint32_t c = (uint32_t)__builtin_ctz(classes);
            classes &= classes - 1;
            m |= eng->class_mask[c][w];
        }
        /* ascending detector order: findings of one event come out in engine order */
        while (m) {
            uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(m);
            m &= m - 1;
            const tw_detector *det = &eng->det[i];
            det->ops->on_event(det, tw_ident_slot(ident, det->offset), ident, ev, emit);
        }
    }
}

void tw_engine_run_group(const tw_engine *eng, uint32_t detector, tw_ident *group,
                         const tw_event *ev, uint32_t arg, const tw_emit *emit)
{
    if (detector >= eng->n || !eng->det[detector].ops->on_group_event)
        return;
    const tw_detector *det = &eng->det[detector];
    det->ops->on_group_event(det, tw_ident_slot(group, det->offset), ev, arg, emit);
}

void tw_engine_flush(const tw_engine *eng, tw_ident *ident, const tw_emit *emit)
{
    for (uint32_t i = 0; i < eng->n; i++) {
        const tw_detector *det = &eng->det[i];
        if (det->ops->flush)
            det->ops->flush(det, tw_ident_slot(ident, det->offset), ident, emit);
    }
}

void tw_engine_save(const tw_engine *eng, const tw_ident *ident, tw_buf *out)
{
    for (uint32_t i = 0; i < eng->n; i++) {
        const tw_detector *det = &eng->det[i];
        if (det->ops->save)
            det->ops->save(det, ident->slots + det->offset, out);
    }
}

bool tw_engine_load(const tw_engine *eng, tw_ident *ident, tw_wire_reader *in)
{
    for (uint32_t i = 0; i < eng->n; i++) {
        const tw_detector *det = &eng->det[i];
        if (det->ops->load && !det->ops->load(det, ident->slots + det->offset, in))
            return false;
    }
    return !in->failed;
}
