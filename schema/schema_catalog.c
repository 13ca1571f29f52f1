/* schema_catalog: the action catalog (DESIGN §4). Owns the parsed forms of rules/actions.catalog
 * and rules/event_actions.tsv; the reader threads call tw_catalog_resolve once per event.
 *
 * Everything is built in tw_catalog_new and never written again, so any number of threads may
 * resolve at once without locks. Three open-addressing tables, all keyed case-insensitively
 * (IAM action names are case-insensitive, and CloudTrail's spelling of a name sometimes differs
 * from the catalog's in case only, e.g. PutBucketCors / s3:PutBucketCORS):
 *   by_name    "service:Action"                -> catalog entry
 *   by_event   "service:eventName"             -> exception row (service: eventSource minus
 *                                                 ".amazonaws.com", before any rename)
 *   by_source  "service"                       -> prefix rename and prefix rules of a source
 * Every known event costs one hash: the key "service:eventName" (API-version suffix cut) is
 * built lower-cased in a stack buffer and probed in by_event, then in by_name, where the actions
 * of renamed sources also sit under aliases (monitoring:GetMetricData). Only misses look at the
 * source's prefix rules. Nothing allocates. */
#include "schema_catalog.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_hash.h"

extern const char tw_catalog_text[], tw_catalog_text_end[];
extern const char tw_event_actions_text[], tw_event_actions_text_end[];

#define CAT_KEY_MAX 256 /* longest key looked up; longer names are unknown */
#define CAT_NONE UINT32_MAX
#define CAT_SEED 0x7477636174616c67ULL
#define AWS_SUFFIX ".amazonaws.com"

typedef struct cat_entry {
    tw_str name; /* "service:Action", into cat->text */
    uint32_t classes;
    uint16_t level;
} cat_entry;

/* What an exception row or a prefix rule resolves to. */
typedef struct cat_rule {
    tw_str key;  /* "service:eventName" for rows, the name prefix for prefix rules */
    uint32_t id; /* entry */
    uint32_t classes;
    uint32_t next; /* next prefix rule of the same source, in file order, or CAT_NONE */
} cat_rule;

typedef struct cat_source {
    tw_str source;         /* eventSource minus ".amazonaws.com" */
    tw_str service;        /* IAM prefix when renamed, else empty */
    uint32_t first_prefix; /* CAT_NONE when none */
    uint32_t last_prefix;
    unsigned line; /* of the rename, for errors */
} cat_source;

/* 16 bytes: the lower-cased key itself (a probe compares with memcmp and no second
 * indirection), a hash tag to skip most same-length mismatches, and the index of the object. */
typedef struct cat_slot {
    const char *key;
    uint16_t len;
    uint16_t tag;
    uint32_t ref;
} cat_slot;

typedef struct cat_index {
    cat_slot *slot;
    uint32_t mask;
} cat_index;

struct tw_catalog {
    char *text;  /* copies of both input texts: every name points in here */
    char *lower; /* the same, lower-cased: most index keys point in here */
    char *keys;  /* the rows' "service:eventName" keys, lower-cased */
    size_t keys_len;
    char *alias_keys; /* "source:action" of renamed sources, see apply_renames */
    cat_entry *entry;
    uint32_t n_entry, n_catalog; /* n_catalog: entries from actions.catalog, the rest are rows' */
    cat_rule *row;
    uint32_t n_row;
    cat_rule *prefix;
    uint32_t n_prefix;
    cat_source *source;
    uint32_t n_source;
    cat_index by_name, by_event, by_source;
};

/* ---- small helpers ---- */

/* The lower-cased twin of a pointer into cat->text. */
static inline const char *lower_at(const tw_catalog *cat, const char *p)
{
    return cat->lower + (p - cat->text);
}

static inline unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static inline bool eq_ci(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
    return true;
}

static inline bool starts_ci(tw_str s, tw_str prefix)
{
    return s.len >= prefix.len && eq_ci(s.p, prefix.p, prefix.len);
}

static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(p[i]))
            return false;
    return true;
}

/* memcpy that accepts a NULL source when nothing is copied (empty tw_str views). */
static inline void copy_bytes(char *dst, const char *src, size_t n)
{
    if (n)
        memcpy(dst, src, n);
}

static inline void copy_lower(char *dst, const char *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (char)lower((unsigned char)src[i]);
}

static inline tw_str str_make(const char *p, size_t len)
{
    return (tw_str){ p, (uint32_t)len };
}

static void fail_line(char *errstr, size_t errstr_size, const char *file, unsigned line,
                      const char *fmt, ...)
{
    if (!errstr || errstr_size == 0)
        return;
    int n = snprintf(errstr, errstr_size, "%s:%u: ", file, line);
    if (n < 0 || (size_t)n >= errstr_size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr + n, errstr_size - (size_t)n, fmt, ap);
    va_end(ap);
}

/* ---- the hash index ---- */

static tw_err index_init(cat_index *ix, uint32_t n)
{
    uint32_t cap = 16;
    while (cap < 2 * n) /* load at most one half: short probe runs */
        cap <<= 1;
    ix->slot = malloc((size_t)cap * sizeof *ix->slot);
    if (!ix->slot)
        return TW_ERR_NOMEM;
    for (uint32_t i = 0; i < cap; i++)
        ix->slot[i] = (cat_slot){ NULL, 0, 0, CAT_NONE };
    ix->mask = cap - 1;
    return TW_OK;
}

/* Keys are stored and probed lower-cased, so a probe is a memcmp; the hash is tw_hash64 of the
 * lower-cased bytes, which equals tw_hash64_lower of the original (tw_hash.h). The resolver
 * lowers while it builds its key anyway, which is cheaper than hashing through
 * tw_hash64_lower. */
static inline uint32_t index_probe(const cat_index *ix, uint64_t h, const char *key_lower,
                                   size_t len)
{
    uint16_t tag = (uint16_t)(h >> 48);
    for (uint32_t i = (uint32_t)h & ix->mask;; i = (i + 1) & ix->mask) {
        const cat_slot *sl = &ix->slot[i];
        if (sl->ref == CAT_NONE)
            return CAT_NONE;
        if (sl->tag == tag && sl->len == len && memcmp(sl->key, key_lower, len) == 0)
            return sl->ref;
    }
}

/* Looks up a key in any case. */
static uint32_t index_find(const cat_index *ix, const char *key, size_t len)
{
    char buf[CAT_KEY_MAX];
    if (len > CAT_KEY_MAX)
        return CAT_NONE;
    copy_lower(buf, key, len);
    return index_probe(ix, tw_hash64(buf, len, CAT_SEED), buf, len);
}

/* key_lower stays valid as long as the index. The caller has checked that the key is not there
 * yet, and sized the index for all keys. */
static void index_add(cat_index *ix, const char *key_lower, size_t len, uint32_t ref)
{
    assert(len <= CAT_KEY_MAX);
    uint64_t h = tw_hash64(key_lower, len, CAT_SEED);
    uint32_t i = (uint32_t)h & ix->mask;
    while (ix->slot[i].ref != CAT_NONE)
        i = (i + 1) & ix->mask;
    ix->slot[i] = (cat_slot){ key_lower, (uint16_t)len, (uint16_t)(h >> 48), ref };
}

/* ---- parsing ---- */

typedef struct line_iter {
    const char *p, *end;
    unsigned no;
} line_iter;

/* Next line that is neither empty nor a comment, without its '\r\n'; false at the end. */
static bool line_next(line_iter *it, tw_str *line)
{
    while (it->p < it->end) {
        const char *s = it->p;
        const char *nl = memchr(s, '\n', (size_t)(it->end - s));
        const char *e = nl ? nl : it->end;
        it->p = nl ? nl + 1 : it->end;
        it->no++;
        if (e > s && e[-1] == '\r')
            e--;
        if (e == s || *s == '#')
            continue;
        *line = str_make(s, (size_t)(e - s));
        return true;
    }
    return false;
}

/* Splits on TAB; returns the number of fields (at most max; more gives max + 1). */
static unsigned split_tabs(tw_str line, tw_str *field, unsigned max)
{
    unsigned n = 0;
    const char *s = line.p, *end = line.p + line.len;
    for (;;) {
        const char *t = memchr(s, '\t', (size_t)(end - s));
        const char *e = t ? t : end;
        if (n == max)
            return max + 1;
        field[n++] = str_make(s, (size_t)(e - s));
        if (!t)
            return n;
        s = t + 1;
    }
}

static bool has_space(tw_str s)
{
    for (uint32_t i = 0; i < s.len; i++)
        if (s.p[i] == ' ' || s.p[i] == '\t' || (unsigned char)s.p[i] < 0x20)
            return true;
    return false;
}

/* "service:Name" with both parts non-empty and no blanks. */
static bool action_name_ok(tw_str s)
{
    const char *colon = memchr(s.p, ':', s.len);
    return colon && colon > s.p && colon < s.p + s.len - 1 && !has_space(s) && s.len <= CAT_KEY_MAX;
}

/* "read,write,..." or "-" / "none" -> class bits; false on an unknown name. */
static bool parse_classes(tw_str s, uint32_t *classes, tw_str *bad)
{
    *classes = 0;
    if (tw_str_eq_c(s, "-") || tw_str_eq_c(s, "none"))
        return true;
    const char *p = s.p, *end = s.p + s.len;
    for (;;) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        tw_str item = str_make(p, (size_t)((c ? c : end) - p));
        uint32_t bit = 0;
        for (unsigned k = 0; k < TW_CLASS_COUNT_ && !bit; k++)
            if (tw_str_eq_c(item, tw_class_name(1u << k)))
                bit = 1u << k;
        if (!bit) {
            *bad = item;
            return false;
        }
        *classes |= bit;
        if (!c)
            return true;
        p = c + 1;
    }
}

static bool parse_levels(tw_str s, uint16_t *level)
{
    *level = 0;
    if (s.len == 0)
        return false;
    for (uint32_t i = 0; i < s.len; i++) {
        switch (s.p[i]) {
        case 'R':
            *level |= TW_LEVEL_READ;
            break;
        case 'L':
            *level |= TW_LEVEL_LIST;
            break;
        case 'W':
            *level |= TW_LEVEL_WRITE;
            break;
        case 'P':
            *level |= TW_LEVEL_PERMISSIONS;
            break;
        case 'T':
            *level |= TW_LEVEL_TAGGING;
            break;
        default:
            return false;
        }
    }
    return true;
}

static uint32_t count_lines(const char *p, size_t len)
{
    uint32_t n = 1;
    for (const char *e = p + len; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
        n++;
    return n;
}

static const char *const CAT_FILE = "actions.catalog";
static const char *const EXC_FILE = "event_actions.tsv";

static tw_err parse_catalog(tw_catalog *cat, const char *text, size_t len, char *errstr,
                            size_t errstr_size)
{
    line_iter it = { text, text + len, 0 };
    tw_str line, f[3];
    while (line_next(&it, &line)) {
        if (split_tabs(line, f, 3) != 3) {
            fail_line(errstr, errstr_size, CAT_FILE, it.no,
                      "want 'service:Action<TAB>LEVELS<TAB>CLASSES'");
            return TW_ERR_PARSE;
        }
        if (!action_name_ok(f[0])) {
            fail_line(errstr, errstr_size, CAT_FILE, it.no, "bad action name '%.*s'", (int)f[0].len,
                      f[0].p);
            return TW_ERR_PARSE;
        }
        cat_entry en = { .name = f[0] };
        if (!parse_levels(f[1], &en.level)) {
            fail_line(errstr, errstr_size, CAT_FILE, it.no,
                      "bad access levels '%.*s' (letters from RLWPT)", (int)f[1].len, f[1].p);
            return TW_ERR_PARSE;
        }
        tw_str bad;
        if (!parse_classes(f[2], &en.classes, &bad)) {
            fail_line(errstr, errstr_size, CAT_FILE, it.no, "unknown class '%.*s'", (int)bad.len,
                      bad.p);
            return TW_ERR_PARSE;
        }
        if (index_find(&cat->by_name, en.name.p, en.name.len) != CAT_NONE) {
            fail_line(errstr, errstr_size, CAT_FILE, it.no, "'%.*s' listed twice", (int)en.name.len,
                      en.name.p);
            return TW_ERR_PARSE;
        }
        index_add(&cat->by_name, lower_at(cat, en.name.p), en.name.len, cat->n_entry);
        cat->entry[cat->n_entry++] = en;
    }
    cat->n_catalog = cat->n_entry;
    return TW_OK;
}

static tw_str strip_aws_suffix(tw_str src)
{
    size_t n = sizeof(AWS_SUFFIX) - 1;
    if (src.len > n && (memcmp(src.p + src.len - n, AWS_SUFFIX, n) == 0 ||
                        eq_ci(src.p + src.len - n, AWS_SUFFIX, n)))
        return str_make(src.p, src.len - n);
    return src;
}

/* The source entry of a service (eventSource minus the suffix), made on first use. */
static cat_source *source_get(tw_catalog *cat, tw_str src)
{
    uint32_t ref = index_find(&cat->by_source, src.p, src.len);
    if (ref != CAT_NONE)
        return &cat->source[ref];
    cat_source *cs = &cat->source[cat->n_source];
    *cs = (cat_source){ .source = src, .first_prefix = CAT_NONE, .last_prefix = CAT_NONE };
    index_add(&cat->by_source, lower_at(cat, src.p), src.len, cat->n_source++);
    return cs;
}

/* The target of a row: a catalog action, or (with classes) a new entry of level 0. */
static tw_err row_target(tw_catalog *cat, const tw_str *f, unsigned nf, unsigned line_no,
                         cat_rule *rule, char *errstr, size_t errstr_size)
{
    if (!action_name_ok(f[2]) || f[2].p[f[2].len - 1] == '*') {
        fail_line(errstr, errstr_size, EXC_FILE, line_no, "bad action '%.*s'", (int)f[2].len,
                  f[2].p);
        return TW_ERR_PARSE;
    }
    uint32_t classes = 0;
    tw_str bad;
    if (nf == 4 && !parse_classes(f[3], &classes, &bad)) {
        fail_line(errstr, errstr_size, EXC_FILE, line_no, "unknown class '%.*s'", (int)bad.len,
                  bad.p);
        return TW_ERR_PARSE;
    }
    uint32_t id = index_find(&cat->by_name, f[2].p, f[2].len);
    if (id == CAT_NONE) {
        if (nf != 4) {
            fail_line(errstr, errstr_size, EXC_FILE, line_no,
                      "'%.*s' is not in the catalog (a typo? events that are no IAM action "
                      "need a classes column)",
                      (int)f[2].len, f[2].p);
            return TW_ERR_PARSE;
        }
        id = cat->n_entry++;
        cat->entry[id] = (cat_entry){ .name = f[2], .classes = classes, .level = 0 };
        index_add(&cat->by_name, lower_at(cat, f[2].p), f[2].len, id);
    }
    rule->id = id;
    rule->classes = nf == 4 ? classes : cat->entry[id].classes;
    rule->next = CAT_NONE;
    return TW_OK;
}

static bool has_prefix_ci(tw_str name, tw_str service)
{
    return name.len > service.len && name.p[service.len] == ':' &&
           eq_ci(name.p, service.p, service.len);
}

/* A renamed source's actions get aliases "source:Action" in by_name (monitoring:GetMetricData
 * -> cloudwatch:GetMetricData), so that they resolve in one probe like all others. A renamed
 * prefix may therefore not be an IAM prefix of its own. by_name is rebuilt with room for the
 * aliases. */
static tw_err apply_renames(tw_catalog *cat, char *errstr, size_t errstr_size)
{
    size_t n_alias = 0, bytes = 0;
    for (uint32_t s = 0; s < cat->n_source; s++) {
        const cat_source *cs = &cat->source[s];
        if (!cs->service.len)
            continue;
        for (uint32_t id = 0; id < cat->n_entry; id++) {
            tw_str name = cat->entry[id].name;
            if (id < cat->n_catalog && has_prefix_ci(name, cs->source)) {
                fail_line(errstr, errstr_size, EXC_FILE, cs->line,
                          "'%.*s' is an IAM prefix of its own (%.*s): it cannot be renamed",
                          (int)cs->source.len, cs->source.p, (int)name.len, name.p);
                return TW_ERR_PARSE;
            }
            if (has_prefix_ci(name, cs->service)) {
                n_alias++;
                bytes += cs->source.len + name.len - cs->service.len;
            }
        }
    }
    if (n_alias == 0)
        return TW_OK;
    cat_index ix;
    if (n_alias > UINT32_MAX / 4 || index_init(&ix, cat->n_entry + (uint32_t)n_alias) != TW_OK)
        return TW_ERR_NOMEM;
    cat->alias_keys = malloc(bytes);
    if (!cat->alias_keys) {
        free(ix.slot);
        return TW_ERR_NOMEM;
    }
    for (uint32_t id = 0; id < cat->n_entry; id++)
        index_add(&ix, lower_at(cat, cat->entry[id].name.p), cat->entry[id].name.len, id);
    char *k = cat->alias_keys;
    for (uint32_t s = 0; s < cat->n_source; s++) {
        const cat_source *cs = &cat->source[s];
        if (!cs->service.len)
            continue;
        for (uint32_t id = 0; id < cat->n_entry; id++) {
            tw_str name = cat->entry[id].name;
            if (!has_prefix_ci(name, cs->service))
                continue;
            size_t rest = name.len - cs->service.len; /* ":Action" */
            size_t len = cs->source.len + rest;
            if (len > CAT_KEY_MAX)
                continue;
            copy_lower(k, cs->source.p, cs->source.len);
            copy_lower(k + cs->source.len, name.p + cs->service.len, rest);
            if (index_find(&ix, k, len) == CAT_NONE) { /* a row's own entry may be there */
                index_add(&ix, k, len, id);
                k += len;
            }
        }
    }
    free(cat->by_name.slot);
    cat->by_name = ix;
    return TW_OK;
}

static tw_err parse_exceptions(tw_catalog *cat, const char *text, size_t len, char *errstr,
                               size_t errstr_size)
{
    line_iter it = { text, text + len, 0 };
    tw_str line, f[4];
    while (line_next(&it, &line)) {
        unsigned nf = split_tabs(line, f, 4);
        if (nf < 3 || nf > 4) {
            fail_line(errstr, errstr_size, EXC_FILE, it.no,
                      "want 'eventSource<TAB>eventName<TAB>action[<TAB>classes]'");
            return TW_ERR_PARSE;
        }
        for (unsigned k = 0; k < nf; k++) {
            if (f[k].len == 0 || has_space(f[k])) {
                fail_line(errstr, errstr_size, EXC_FILE, it.no, "field %u is empty or has blanks",
                          k + 1);
                return TW_ERR_PARSE;
            }
        }
        if (f[0].len + 1 + f[1].len > CAT_KEY_MAX) {
            fail_line(errstr, errstr_size, EXC_FILE, it.no, "eventSource and eventName too long");
            return TW_ERR_PARSE;
        }
        tw_err err;
        if (tw_str_eq_c(f[1], "*")) { /* src * service:* */
            if (nf != 3 || f[2].len < 3 || !tw_str_ends(f[2], ":*") ||
                memchr(f[2].p, ':', f[2].len) != f[2].p + f[2].len - 2) {
                fail_line(errstr, errstr_size, EXC_FILE, it.no,
                          "a '*' row renames a prefix: want 'service:*' and no classes");
                return TW_ERR_PARSE;
            }
            cat_source *cs = source_get(cat, strip_aws_suffix(f[0]));
            if (cs->service.len) {
                fail_line(errstr, errstr_size, EXC_FILE, it.no, "'%.*s' renamed twice",
                          (int)f[0].len, f[0].p);
                return TW_ERR_PARSE;
            }
            cs->service = str_make(f[2].p, f[2].len - 2);
            cs->line = it.no;
        } else if (f[1].p[f[1].len - 1] == '*') { /* src Verb* service:Action */
            cat_rule *rule = &cat->prefix[cat->n_prefix];
            if ((err = row_target(cat, f, nf, it.no, rule, errstr, errstr_size)) != TW_OK)
                return err;
            rule->key = str_make(f[1].p, f[1].len - 1);
            cat_source *cs = source_get(cat, strip_aws_suffix(f[0]));
            if (cs->last_prefix == CAT_NONE)
                cs->first_prefix = cat->n_prefix;
            else
                cat->prefix[cs->last_prefix].next = cat->n_prefix;
            cs->last_prefix = cat->n_prefix++;
        } else { /* src Name service:Action */
            tw_str svc = strip_aws_suffix(f[0]);
            char *k = cat->keys + cat->keys_len; /* "service:Name", sized by the text */
            copy_lower(k, svc.p, svc.len);
            k[svc.len] = ':';
            copy_lower(k + svc.len + 1, f[1].p, f[1].len);
            tw_str key = str_make(k, svc.len + 1 + f[1].len);
            if (index_find(&cat->by_event, key.p, key.len) != CAT_NONE) {
                fail_line(errstr, errstr_size, EXC_FILE, it.no, "'%.*s %.*s' listed twice",
                          (int)f[0].len, f[0].p, (int)f[1].len, f[1].p);
                return TW_ERR_PARSE;
            }
            cat_rule *rule = &cat->row[cat->n_row];
            if ((err = row_target(cat, f, nf, it.no, rule, errstr, errstr_size)) != TW_OK)
                return err;
            rule->key = key;
            cat->keys_len += key.len;
            index_add(&cat->by_event, key.p, key.len, cat->n_row++);
        }
    }
    return TW_OK;
}

/* ---- construction ---- */

tw_err tw_catalog_new_from_text(const char *catalog, size_t catalog_len, const char *exceptions,
                                size_t exceptions_len, tw_catalog **cat_out, char *errstr,
                                size_t errstr_size)
{
    assert(cat_out);
    assert(catalog || catalog_len == 0);
    assert(exceptions || exceptions_len == 0);
    *cat_out = NULL;
    if (errstr && errstr_size)
        errstr[0] = '\0';
    tw_err err = TW_ERR_NOMEM;
    tw_catalog *cat = calloc(1, sizeof *cat);
    if (!cat)
        goto out;
    cat->text = malloc(catalog_len + exceptions_len + 1);
    cat->lower = malloc(catalog_len + exceptions_len + 1);
    if (!cat->text || !cat->lower)
        goto out;
    if (catalog_len)
        memcpy(cat->text, catalog, catalog_len);
    if (exceptions_len)
        memcpy(cat->text + catalog_len, exceptions, exceptions_len);
    copy_lower(cat->lower, cat->text, catalog_len + exceptions_len);
    const char *cat_text = cat->text, *exc_text = cat->text + catalog_len;

    /* Line counts bound every array, so nothing grows while parsing. */
    uint32_t n_cat = count_lines(cat_text, catalog_len);
    uint32_t n_exc = count_lines(exc_text, exceptions_len);
    cat->entry = malloc((size_t)(n_cat + n_exc) * sizeof *cat->entry);
    cat->row = malloc((size_t)n_exc * sizeof *cat->row);
    cat->prefix = malloc((size_t)n_exc * sizeof *cat->prefix);
    cat->source = malloc((size_t)n_exc * sizeof *cat->source);
    cat->keys = malloc(exceptions_len + 1); /* keys are never longer than their lines */
    if (!cat->entry || !cat->row || !cat->prefix || !cat->source || !cat->keys)
        goto out;
    if (index_init(&cat->by_name, n_cat + n_exc) != TW_OK ||
        index_init(&cat->by_event, n_exc) != TW_OK || index_init(&cat->by_source, n_exc) != TW_OK)
        goto out;

    if ((err = parse_catalog(cat, cat_text, catalog_len, errstr, errstr_size)) != TW_OK)
        goto out;
    if ((err = parse_exceptions(cat, exc_text, exceptions_len, errstr, errstr_size)) != TW_OK)
        goto out;
    if ((err = apply_renames(cat, errstr, errstr_size)) != TW_OK)
        goto out;
    *cat_out = cat;
    return TW_OK;
out:
    if (err == TW_ERR_NOMEM && errstr && errstr_size)
        snprintf(errstr, errstr_size, "catalog: out of memory");
    tw_catalog_destroy(cat);
    return err;
}

tw_err tw_catalog_new(tw_catalog **cat, char *errstr, size_t errstr_size)
{
    return tw_catalog_new_from_text(
        tw_catalog_text, (size_t)(tw_catalog_text_end - tw_catalog_text), tw_event_actions_text,
        (size_t)(tw_event_actions_text_end - tw_event_actions_text), cat, errstr, errstr_size);
}

void tw_catalog_destroy(tw_catalog *cat)
{
    if (!cat)
        return;
    free(cat->by_name.slot);
    free(cat->by_event.slot);
    free(cat->by_source.slot);
    free(cat->source);
    free(cat->prefix);
    free(cat->row);
    free(cat->entry);
    free(cat->keys);
    free(cat->alias_keys);
    free(cat->lower);
    free(cat->text);
    free(cat);
}

/* ---- lookups ---- */

uint32_t tw_catalog_size(const tw_catalog *cat)
{
    return cat->n_entry;
}

tw_str tw_catalog_name(const tw_catalog *cat, uint32_t id)
{
    return id < cat->n_entry ? cat->entry[id].name : TW_STR_NULL;
}

static inline void action_fill(const tw_catalog *cat, uint32_t id, uint32_t classes, tw_action *out)
{
    const cat_entry *en = &cat->entry[id];
    out->id = id;
    out->classes = classes;
    out->level = en->level;
    out->known = true;
    out->name = en->name;
}

bool tw_catalog_find(const tw_catalog *cat, tw_str action, tw_action *out)
{
    uint32_t id = index_find(&cat->by_name, action.p, action.len);
    if (id == CAT_NONE) {
        *out = (tw_action){ .id = TW_ACTION_UNKNOWN, .name = action };
        return false;
    }
    action_fill(cat, id, cat->entry[id].classes, out);
    return true;
}

static bool has_verb(tw_str name, const char *verb, size_t n)
{
    /* A word: "Delete" in DeleteBucket, not in "Deleted"; "Get" not in "Getaway". */
    return name.len >= n && memcmp(name.p, verb, n) == 0 &&
           (name.len == n || !(name.p[n] >= 'a' && name.p[n] <= 'z'));
}

#define HAS_VERB(name, lit) has_verb((name), (lit), sizeof(lit) - 1)

uint32_t tw_catalog_classes_by_verb(tw_str event_name)
{
    if (HAS_VERB(event_name, "Get") || HAS_VERB(event_name, "List") ||
        HAS_VERB(event_name, "Describe") || HAS_VERB(event_name, "Head"))
        return TW_CLASS_READ;
    if (HAS_VERB(event_name, "Delete") || HAS_VERB(event_name, "Terminate") ||
        HAS_VERB(event_name, "Remove") || HAS_VERB(event_name, "Detach") ||
        HAS_VERB(event_name, "Disable") || HAS_VERB(event_name, "Stop") ||
        HAS_VERB(event_name, "Revoke") || HAS_VERB(event_name, "Purge"))
        return TW_CLASS_DESTRUCTIVE | TW_CLASS_WRITE;
    return TW_CLASS_WRITE;
}

/* Cuts an API-version suffix: a trailing date, 8 digits (Lambda: UpdateFunctionCode20150331v2)
 * or YYYY_MM_DD (CloudFront: CreateFunction2020_05_31), optionally followed by v and digits. */
static tw_str strip_version(tw_str name)
{
    const char *p = name.p;
    size_t end = name.len;
    if (end == 0 || !is_digit(p[end - 1]))
        return name;
    size_t i = end;
    while (i > 0 && is_digit(p[i - 1]))
        i--;
    if (i > 0 && p[i - 1] == 'v' && end - i <= 3) /* "v2": the date ends before the v */
        end = i - 1;
    if (end >= 9 && all_digits(p + end - 8, 8) && !is_digit(p[end - 9]))
        return str_make(p, end - 8);
    if (end >= 11 && all_digits(p + end - 10, 4) && p[end - 6] == '_' &&
        all_digits(p + end - 5, 2) && p[end - 3] == '_' && all_digits(p + end - 2, 2) &&
        !is_digit(p[end - 11]))
        return str_make(p, end - 10);
    return name;
}

/* Builds the lower-cased key "service:name" in key (CAT_KEY_MAX bytes) and hashes it; false
 * when it does not fit. */
static inline bool key_make(char *key, tw_str service, tw_str name, size_t *len, uint64_t *h)
{
    size_t n = (size_t)service.len + 1 + name.len;
    if (n > CAT_KEY_MAX)
        return false;
    copy_lower(key, service.p, service.len);
    key[service.len] = ':';
    copy_lower(key + service.len + 1, name.p, name.len);
    *len = n;
    *h = tw_hash64(key, n, CAT_SEED);
    return true;
}

void tw_catalog_resolve(const tw_catalog *cat, tw_str event_source, tw_str event_name,
                        char *name_buf, size_t name_buf_size, tw_action *out)
{
    char key[CAT_KEY_MAX];
    size_t len;
    uint64_t h;
    tw_str raw = strip_aws_suffix(event_source);
    tw_str name = strip_version(event_name);
    if (key_make(key, raw, name, &len, &h)) {
        uint32_t ref = cat->n_row ? index_probe(&cat->by_event, h, key, len) : CAT_NONE;
        if (ref != CAT_NONE) {
            action_fill(cat, cat->row[ref].id, cat->row[ref].classes, out);
            return;
        }
        ref = index_probe(&cat->by_name, h, key, len); /* renamed sources: by alias */
        if (ref != CAT_NONE) {
            action_fill(cat, ref, cat->entry[ref].classes, out);
            return;
        }
    }

    /* Missed: the source's prefix rules, else unknown. */
    const cat_source *cs = NULL;
    if (cat->n_source) {
        uint32_t ref = index_find(&cat->by_source, raw.p, raw.len);
        cs = ref == CAT_NONE ? NULL : &cat->source[ref];
    }
    if (cs) {
        for (uint32_t r = cs->first_prefix; r != CAT_NONE; r = cat->prefix[r].next) {
            if (starts_ci(name, cat->prefix[r].key)) {
                action_fill(cat, cat->prefix[r].id, cat->prefix[r].classes, out);
                return;
            }
        }
    }

    /* Unknown: classed by its verb, named "service:Name" (renamed prefix) in the caller's
     * buffer. */
    tw_str service = cs && cs->service.len ? cs->service : raw;
    size_t n = 0;
    if (name_buf && name_buf_size) {
        size_t room = name_buf_size - 1;
        size_t a = service.len < room ? service.len : room;
        copy_bytes(name_buf, service.p, a);
        n = a;
        if (n < room)
            name_buf[n++] = ':';
        size_t b = name.len < room - n ? name.len : room - n;
        copy_bytes(name_buf + n, name.p, b);
        n += b;
        name_buf[n] = '\0';
    }
    out->id = TW_ACTION_UNKNOWN;
    out->classes = tw_catalog_classes_by_verb(name);
    out->level = 0;
    out->known = false;
    out->name = str_make(name_buf, n);
}
