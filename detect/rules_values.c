/* rules_values: one `field|modifier|...: value(s)` of a selection, compiled: modifiers checked
 * (unknown, unsupported and conflicting ones refused), the field resolved, every value turned
 * into the cheapest test that expresses it (Sigma wildcards into equality, prefix, suffix,
 * substring or a glob; regular expressions compiled with PCRE2 once, JIT when available;
 * networks parsed; the virtual fields' names into bit masks). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules_internal.h"

struct tw_regex {
    pcre2_code *code;
};

enum {
    MOD_CONTAINS = 1u << 0,
    MOD_STARTSWITH = 1u << 1,
    MOD_ENDSWITH = 1u << 2,
    MOD_RE = 1u << 3,
    MOD_CIDR = 1u << 4,
    MOD_EXISTS = 1u << 5,
    MOD_FIELDREF = 1u << 6,
    MOD_ALL = 1u << 7,
    MOD_CASED = 1u << 8,
    MOD_RE_I = 1u << 9,
    MOD_RE_M = 1u << 10,
    MOD_RE_S = 1u << 11,
};
/* At most one of these says what a value is compared as. */
#define MOD_KIND \
    (MOD_CONTAINS | MOD_STARTSWITH | MOD_ENDSWITH | MOD_RE | MOD_CIDR | MOD_EXISTS | MOD_FIELDREF)
#define MOD_RE_FLAGS (MOD_RE_I | MOD_RE_M | MOD_RE_S)

static const char *const modifier_names[] = {
    "contains", "startswith", "endswith", "re", "cidr", "exists", "fieldref",
    "all",      "cased",      "i",        "m",  "s",    NULL,
};

/* Sigma modifiers trailwarden does not implement (Windows encodings, placeholders, numeric and
 * time comparisons): named as unsupported rather than unknown. */
static const char *const unsupported_modifiers[] = {
    "base64", "base64offset", "utf16le", "utf16be",    "utf16",     "wide",   "windash", "expand",
    "lt",     "lte",          "gt",      "gte",        "neq",       "minute", "hour",    "day",
    "week",   "month",        "year",    "ignorecase", "multiline", "dotall", NULL,
};

static const char *mod_name(unsigned bit)
{
    for (unsigned i = 0; modifier_names[i]; i++)
        if (bit == 1u << i)
            return modifier_names[i];
    return "?";
}

static unsigned lowest_bit(unsigned mods)
{
    return mods & -mods;
}

/* Parses the modifiers of key (after the field name); false after a diagnostic. */
static bool parse_modifiers(rules_ctx *ctx, const char *mods_text, uint32_t line, unsigned *out)
{
    unsigned mods = 0;
    bool ok = true;
    const char *p = mods_text;
    while (p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), p);
        p = bar ? bar + 1 : NULL;
        if (!len) {
            rules_diag(ctx, line, "an empty modifier ('||' or a trailing '|')");
            ok = false;
            continue;
        }
        unsigned bit = 0;
        for (unsigned i = 0; modifier_names[i]; i++)
            if (!strcmp(name, modifier_names[i]))
                bit = 1u << i;
        if (!bit) {
            bool unsupported = false;
            for (unsigned i = 0; unsupported_modifiers[i]; i++)
                unsupported |= !strcmp(name, unsupported_modifiers[i]);
            const char *hint = unsupported ? NULL : rules_suggest(name, modifier_names);
            if (unsupported)
                rules_diag(ctx, line, "unsupported modifier '%s'", name);
            else if (hint)
                rules_diag(ctx, line, "unknown modifier '%s' (did you mean '%s'?)", name, hint);
            else
                rules_diag(ctx, line, "unknown modifier '%s'", name);
            ok = false;
            continue;
        }
        if (mods & bit) {
            rules_diag(ctx, line, "modifier '%s' given twice", name);
            ok = false;
            continue;
        }
        if ((bit & MOD_RE_FLAGS) && !(mods & MOD_RE)) {
            rules_diag(ctx, line, "modifier '%s' only follows 're' (re|%s)", name, name);
            ok = false;
            continue;
        }
        mods |= bit;
    }
    if (!ok)
        return false;
    unsigned kind = mods & MOD_KIND;
    if (kind & (kind - 1)) {
        unsigned first = lowest_bit(kind);
        rules_diag(ctx, line, "modifier '%s' cannot be combined with '%s'", mod_name(first),
                   mod_name(lowest_bit(kind & ~first)));
        return false;
    }
    if ((mods & MOD_CASED) && (kind & (MOD_RE | MOD_CIDR | MOD_EXISTS | MOD_FIELDREF))) {
        rules_diag(ctx, line, "modifier 'cased' cannot be combined with '%s'%s", mod_name(kind),
                   kind == MOD_RE ? " (a regular expression is case-sensitive; re|i is not)" : "");
        return false;
    }
    if ((mods & MOD_ALL) && (kind & (MOD_EXISTS | MOD_CIDR))) {
        rules_diag(ctx, line, "modifier 'all' cannot be combined with '%s'", mod_name(kind));
        return false;
    }
    *out = mods;
    return true;
}

/* ---- strings with Sigma wildcards ---- */

typedef struct glob_builder {
    tw_glob_tok *tok;
    uint32_t n;
    char *lit; /* unescaped literal bytes, shared by the tokens */
    size_t lit_len;
} glob_builder;

static void glob_push(glob_builder *g, tw_glob_kind kind)
{
    if (kind == TW_GLOB_ANY && g->n && g->tok[g->n - 1].kind == TW_GLOB_ANY)
        return; /* '**' is '*' */
    g->tok[g->n++] = (tw_glob_tok){ kind, { NULL, 0 } };
}

/* '*' any run, '?' one character; '\*', '\?' and '\\' stand for the character itself, and any
 * other backslash is literal (Sigma's escaping). */
static bool glob_parse(rules_ctx *ctx, const char *s, size_t len, glob_builder *g)
{
    g->tok = rules_alloc(ctx, (len + 3) * sizeof *g->tok);
    g->lit = rules_alloc(ctx, len + 1);
    if (!g->tok || !g->lit)
        return false;
    g->n = 0;
    g->lit_len = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '*' || c == '?') {
            glob_push(g, c == '*' ? TW_GLOB_ANY : TW_GLOB_ONE);
            continue;
        }
        if (c == '\\' && i + 1 < len && (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\'))
            c = s[++i];
        if (!g->n || g->tok[g->n - 1].kind != TW_GLOB_LIT) {
            g->tok[g->n++] = (tw_glob_tok){ TW_GLOB_LIT, { g->lit + g->lit_len, 0 } };
        }
        g->lit[g->lit_len++] = c;
        g->tok[g->n - 1].lit.len++;
    }
    return true;
}

static void glob_wrap(glob_builder *g, bool before, bool after)
{
    if (before && !(g->n && g->tok[0].kind == TW_GLOB_ANY)) {
        memmove(g->tok + 1, g->tok, g->n * sizeof *g->tok);
        g->tok[0] = (tw_glob_tok){ TW_GLOB_ANY, { NULL, 0 } };
        g->n++;
    }
    if (after)
        glob_push(g, TW_GLOB_ANY);
}

static bool has_wildcard(const glob_builder *g)
{
    for (uint32_t i = 0; i < g->n; i++)
        if (g->tok[i].kind != TW_GLOB_LIT)
            return true;
    return false;
}

/* The simplest test for the token sequence. */
static void glob_compile(const glob_builder *g, tw_rule_value *v)
{
    const tw_glob_tok *t = g->tok;
    uint32_t n = g->n;
    if (n == 0) {
        v->op = TW_MATCH_EQ;
        v->text = (tw_str){ "", 0 };
    } else if (n == 1 && t[0].kind == TW_GLOB_LIT) {
        v->op = TW_MATCH_EQ;
        v->text = t[0].lit;
    } else if (n == 2 && t[0].kind == TW_GLOB_LIT && t[1].kind == TW_GLOB_ANY) {
        v->op = TW_MATCH_PREFIX;
        v->text = t[0].lit;
    } else if (n == 2 && t[0].kind == TW_GLOB_ANY && t[1].kind == TW_GLOB_LIT) {
        v->op = TW_MATCH_SUFFIX;
        v->text = t[1].lit;
    } else if (n == 3 && t[0].kind == TW_GLOB_ANY && t[1].kind == TW_GLOB_LIT &&
               t[2].kind == TW_GLOB_ANY) {
        v->op = TW_MATCH_CONTAINS;
        v->text = t[1].lit;
    } else {
        v->op = TW_MATCH_GLOB;
        v->glob = t;
        v->n_glob = n;
    }
}

/* ---- regular expressions ---- */

static bool compile_regex(rules_ctx *ctx, const yn *node, unsigned mods, tw_rule_value *v)
{
    if (node->len == 0) {
        rules_diag(ctx, node->line, "an empty regular expression (it matches everything)");
        return false;
    }
    uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
    if (mods & MOD_RE_I)
        options |= PCRE2_CASELESS;
    if (mods & MOD_RE_M)
        options |= PCRE2_MULTILINE;
    if (mods & MOD_RE_S)
        options |= PCRE2_DOTALL;
    int code_err;
    PCRE2_SIZE offset;
    pcre2_code *code =
        pcre2_compile((PCRE2_SPTR)node->text, node->len, options, &code_err, &offset, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(code_err, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", code_err);
        rules_diag(ctx, node->line, "invalid regular expression '%s': %s at character %zu",
                   node->text, (const char *)msg, (size_t)offset + 1);
        return false;
    }
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* the interpreter when no JIT */
    struct tw_regex *re = rules_alloc(ctx, sizeof *re);
    if (!re || !rules_keep_regex(ctx, code)) {
        pcre2_code_free(code);
        return false;
    }
    re->code = code;
    v->op = TW_MATCH_REGEX;
    v->re = re;
    return true;
}

struct tw_regex_scratch {
    pcre2_match_data *md;
    pcre2_match_context *mc;
    uint64_t limits; /* matches cut by the limits */
};

tw_regex_scratch *tw_regex_scratch_new(void)
{
    tw_regex_scratch *sc = calloc(1, sizeof *sc);
    if (!sc)
        return NULL;
    sc->md = pcre2_match_data_create(1, NULL);
    sc->mc = pcre2_match_context_create(NULL);
    if (!sc->md || !sc->mc) {
        tw_regex_scratch_destroy(sc);
        return NULL;
    }
    /* Bounded work per subject: a pathological pattern costs a miss, not a stall. */
    pcre2_set_match_limit(sc->mc, 1000000);
    pcre2_set_depth_limit(sc->mc, 10000);
    return sc;
}

void tw_regex_scratch_destroy(tw_regex_scratch *sc)
{
    if (!sc)
        return;
    pcre2_match_data_free(sc->md);
    pcre2_match_context_free(sc->mc);
    free(sc);
}

bool tw_regex_match(const tw_regex *re, tw_str subject, tw_regex_scratch *sc)
{
    const char *p = subject.p ? subject.p : "";
    int rc = pcre2_match(re->code, (PCRE2_SPTR)p, subject.len, 0, 0, sc->md, sc->mc);
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
        rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
        sc->limits++;
    return rc >= 0;
}

uint64_t tw_regex_scratch_limits(const tw_regex_scratch *sc)
{
    return sc->limits;
}

/* ---- networks ---- */

static bool parse_cidr(rules_ctx *ctx, const yn *node, tw_cidr *cidr)
{
    char addr[64];
    const char *slash = strchr(node->text, '/');
    size_t alen = slash ? (size_t)(slash - node->text) : node->len;
    if (alen == 0 || alen >= sizeof addr) {
        rules_diag(ctx, node->line, "'%s' is not an IPv4 or IPv6 network", node->text);
        return false;
    }
    memcpy(addr, node->text, alen);
    addr[alen] = '\0';
    memset(cidr, 0, sizeof *cidr);
    if (inet_pton(AF_INET, addr, cidr->addr) == 1) {
        cidr->family = 4;
    } else if (inet_pton(AF_INET6, addr, cidr->addr) == 1) {
        cidr->family = 6;
    } else {
        rules_diag(ctx, node->line, "'%s' is not an IPv4 or IPv6 network", node->text);
        return false;
    }
    unsigned max = cidr->family == 4 ? 32 : 128;
    unsigned prefix = max;
    if (slash) {
        const char *d = slash + 1;
        if (!*d || strlen(d) > 3 || strspn(d, "0123456789") != strlen(d) ||
            (prefix = (unsigned)atoi(d)) > max) {
            rules_diag(ctx, node->line, "'%s': the prefix length must be 0 to %u", node->text, max);
            return false;
        }
    }
    cidr->prefix = (uint8_t)prefix;
    bool host_bits = false;
    uint8_t net[16];
    memcpy(net, cidr->addr, sizeof net);
    for (unsigned bit = prefix; bit < max; bit++) {
        uint8_t mask = (uint8_t)(0x80u >> (bit % 8));
        if (net[bit / 8] & mask) {
            host_bits = true;
            net[bit / 8] &= (uint8_t)~mask;
        }
    }
    if (host_bits) {
        char shown[INET6_ADDRSTRLEN];
        inet_ntop(cidr->family == 4 ? AF_INET : AF_INET6, net, shown, sizeof shown);
        rules_diag(ctx, node->line, "'%s' has host bits set (the network is %s/%u)", node->text,
                   shown, prefix);
        return false;
    }
    return true;
}

/* ---- one value ---- */

static const char *kind_word(yn_kind kind)
{
    switch (kind) {
    case YS_NUMBER:
        return "a number";
    case YS_BOOL:
        return "a boolean";
    case YS_NULL:
        return "null";
    case YS_STRING:
        break;
    }
    return "a string";
}

/* The enumerated virtual fields: names into bits. */
static bool compile_bits(rules_ctx *ctx, const tw_field *field, const yn *node, tw_rule_value *v)
{
    const char *const *names;
    bool (*lookup)(const char *, uint32_t *);
    const char *what;
    switch (field->kind) {
    case TW_FIELD_ACTION_CLASS:
        names = rules_class_names, lookup = rules_class_lookup, what = "action class";
        break;
    case TW_FIELD_ACTION_LEVEL:
        names = rules_level_names, lookup = rules_level_lookup, what = "access level";
        break;
    default:
        names = rules_kind_names, lookup = rules_kind_lookup, what = "identity kind";
        break;
    }
    yn_kind kind = yn_resolve(node, NULL, NULL);
    if (kind != YS_STRING) {
        rules_diag(ctx, node->line, "%s takes %s names, not %s", field->name, what,
                   kind_word(kind));
        return false;
    }
    if (!lookup(node->text, &v->bits)) {
        const char *hint = rules_suggest(node->text, names);
        char list[256] = "";
        for (size_t i = 0; names[i]; i++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
        }
        if (hint)
            rules_diag(ctx, node->line, "unknown %s '%s' (did you mean '%s'?)", what, node->text,
                       hint);
        else
            rules_diag(ctx, node->line, "unknown %s '%s' (one of: %s)", what, node->text, list);
        return false;
    }
    v->op = TW_MATCH_BITS;
    return true;
}

static bool compile_value(rules_ctx *ctx, const tw_field *field, unsigned mods, unsigned sources,
                          const yn *node, tw_rule_value *v)
{
    v->line = node->line;
    if (node->type != YN_SCALAR) {
        rules_diag(ctx, node->line, "a value must be a string, number, boolean or null, not %s",
                   yn_describe(node));
        return false;
    }
    /* the tree goes when the file is done: the value keeps its own copy */
    v->text = (tw_str){ rules_strdup(ctx, node->text, node->len), node->len };
    double number = 0;
    bool boolean = false;
    yn_kind kind = yn_resolve(node, &number, &boolean);
    unsigned kmod = mods & MOD_KIND;

    if (kmod == MOD_EXISTS) {
        if (kind != YS_BOOL) {
            rules_diag(ctx, node->line, "'exists' takes true or false, not %s", kind_word(kind));
            return false;
        }
        v->op = TW_MATCH_EXISTS;
        v->boolean = boolean;
        return true;
    }
    if (kmod && kind != YS_STRING) {
        rules_diag(ctx, node->line, "'%s' needs a string value, not %s", mod_name(kmod),
                   kind_word(kind));
        return false;
    }
    if ((mods & MOD_CASED) && kind != YS_STRING) {
        rules_diag(ctx, node->line, "'cased' needs a string value, not %s", kind_word(kind));
        return false;
    }
    switch (field->kind) {
    case TW_FIELD_ACTION_CLASS:
    case TW_FIELD_ACTION_LEVEL:
    case TW_FIELD_IDENTITY_KIND:
        return compile_bits(ctx, field, node, v);
    default:
        if (tw_field_is_bool(field->kind) && kind != YS_BOOL) {
            rules_diag(ctx, node->line, "%s takes true or false, not %s", field->name,
                       kind_word(kind));
            return false;
        }
        break;
    }
    switch (kmod) {
    case MOD_RE:
        return compile_regex(ctx, node, mods, v);
    case MOD_CIDR:
        v->op = TW_MATCH_CIDR;
        return parse_cidr(ctx, node, &v->cidr);
    case MOD_FIELDREF: {
        const tw_field *ref = rules_field(ctx, node->text, node->line, sources);
        if (!ref)
            return false;
        if (ref == field) {
            rules_diag(ctx, node->line, "'fieldref' compares %s with itself", field->name);
            return false;
        }
        v->op = TW_MATCH_FIELDREF;
        v->ref = ref;
        return true;
    }
    default:
        break;
    }
    switch (kind) {
    case YS_NUMBER:
        v->op = TW_MATCH_NUMBER;
        v->number = number;
        return true;
    case YS_BOOL:
        v->op = TW_MATCH_BOOL;
        v->boolean = boolean;
        return true;
    case YS_NULL:
        v->op = TW_MATCH_NULL;
        return true;
    case YS_STRING:
        break;
    }
    if (kmod && node->len == 0) {
        rules_diag(ctx, node->line, "an empty value with '%s' matches everything", mod_name(kmod));
        return false;
    }
    glob_builder g;
    if (!glob_parse(ctx, node->text, node->len, &g))
        return false;
    if (field->kind == TW_FIELD_ACTION && !kmod && !has_wildcard(&g) &&
        !memchr(node->text, ':', node->len)) {
        rules_diag(ctx, node->line, "action '%s' is not of the form service:Name (s3:DeleteBucket)",
                   node->text);
        return false;
    }
    glob_wrap(&g, kmod & (MOD_CONTAINS | MOD_ENDSWITH), kmod & (MOD_CONTAINS | MOD_STARTSWITH));
    glob_compile(&g, v);
    v->cased = (mods & MOD_CASED) != 0;
    return true;
}

bool rules_match_compile(rules_ctx *ctx, const yn *key, const yn *value, unsigned sources,
                         tw_rule_match *m)
{
    memset(m, 0, sizeof *m);
    m->line = key->line;
    m->key = rules_strdup(ctx, key->text, key->len);
    const char *bar = strchr(key->text, '|');
    size_t flen = bar ? (size_t)(bar - key->text) : key->len;
    if (flen == 0) {
        rules_diag(ctx, key->line,
                   "'%s': a selection key needs a field name (keyword searches are not supported)",
                   key->text);
        return false;
    }
    char name[512];
    if (flen >= sizeof name) {
        rules_diag(ctx, key->line, "a field name longer than %zu characters", sizeof name - 1);
        return false;
    }
    memcpy(name, key->text, flen);
    name[flen] = '\0';
    unsigned mods = 0;
    bool ok = !bar || parse_modifiers(ctx, bar + 1, key->line, &mods);
    const tw_field *field = rules_field(ctx, name, key->line, sources);
    if (!ok || !field)
        return false;
    m->field = field;
    m->all = (mods & MOD_ALL) != 0;

    unsigned kmod = mods & MOD_KIND;
    switch (field->kind) {
    case TW_FIELD_ACTION_CLASS:
    case TW_FIELD_ACTION_LEVEL:
    case TW_FIELD_IDENTITY_KIND:
        if ((kmod && kmod != MOD_EXISTS) || (mods & MOD_CASED)) {
            rules_diag(ctx, key->line,
                       "'%s' cannot be used on %s: it takes names (modifiers: all, exists)",
                       mod_name(lowest_bit(mods & ~MOD_ALL)), field->name);
            return false;
        }
        break;
    default:
        if (tw_field_is_bool(field->kind) &&
            ((kmod && kmod != MOD_EXISTS) || (mods & (MOD_CASED | MOD_ALL)))) {
            rules_diag(ctx, key->line, "'%s' cannot be used on %s: it is true or false",
                       mod_name(lowest_bit(mods)), field->name);
            return false;
        }
        break;
    }

    const yn *const *items = (const yn *const *)&value;
    uint32_t n = 1;
    if (value->type == YN_SEQ) {
        if (kmod == MOD_EXISTS) {
            rules_diag(ctx, value->line, "'exists' takes true or false, not a list");
            return false;
        }
        if (value->n == 0) {
            rules_diag(ctx, value->line, "an empty list of values");
            return false;
        }
        items = (const yn *const *)value->kids;
        n = value->n;
    } else if (value->type == YN_MAP) {
        rules_diag(ctx, value->line,
                   "the value of '%s' must be a string, number, boolean, null or a list of them, "
                   "not a map",
                   key->text);
        return false;
    }
    tw_rule_value *values = rules_alloc(ctx, n * sizeof *values);
    if (!values)
        return false;
    for (uint32_t i = 0; i < n; i++)
        ok &= compile_value(ctx, field, mods, sources, items[i], &values[i]);
    m->values = values;
    m->n_values = n;
    return ok;
}
