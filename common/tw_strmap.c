/* tw_strmap: see tw_strmap.h. */
#include "tw_strmap.h"

#include <stdlib.h>
#include <string.h>

#include "tw_hash.h"

static size_t slot_of(const tw_strmap *m, tw_str key, uint64_t h)
{
    uint32_t h32 = (uint32_t)h;
    size_t i = h32 & (m->cap - 1);
    while (m->slots[i].key && !(m->slots[i].hash == h32 && m->slots[i].len == key.len &&
                                !memcmp(m->slots[i].key, key.p, key.len)))
        i = (i + 1) & (m->cap - 1);
    return i;
}

void *tw_strmap_get_hashed(const tw_strmap *m, tw_str key, uint64_t hash)
{
    if (!m->cap)
        return NULL;
    size_t i = slot_of(m, key, hash);
    return m->slots[i].key ? m->slots[i].val : NULL;
}

void *tw_strmap_get(const tw_strmap *m, tw_str key)
{
    return tw_strmap_get_hashed(m, key, tw_hash64(key.p, key.len, 0));
}

const char *tw_strmap_key(const tw_strmap *m, tw_str key)
{
    if (!m->cap)
        return NULL;
    return m->slots[slot_of(m, key, tw_hash64(key.p, key.len, 0))].key;
}

static char *copy_key(tw_str s)
{
    char *p = malloc(s.len + 1);
    if (p) {
        memcpy(p, s.p, s.len);
        p[s.len] = '\0';
    }
    return p;
}

bool tw_strmap_put(tw_strmap *m, tw_str key, void *val)
{
    if ((m->n + 1) * 4 > m->cap * 3) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        tw_strslot *v = calloc(cap, sizeof *v);
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
    size_t i = slot_of(m, key, h);
    if (!m->slots[i].key) {
        if (!(m->slots[i].key = copy_key(key)))
            return false;
        m->slots[i].hash = (uint32_t)h;
        m->slots[i].len = key.len;
        m->n++;
    }
    m->slots[i].val = val;
    return true;
}

void tw_strmap_free(tw_strmap *m, void (*free_val)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key && free_val)
            free_val(m->slots[i].val);
        free(m->slots[i].key);
    }
    free(m->slots);
}
