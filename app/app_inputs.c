/* app_inputs: turns replay's PATH arguments into an ordered list of inputs.
 * Files are taken in time order: a CloudTrail object name carries its time
 * (ACCOUNT_CloudTrail_REGION_20260901T0815Z_xxxx.json.gz); any other file is placed by the time
 * of its first record; ties and undated files go by path, so the order never depends on how
 * the file system lists a directory. stdin ("-") comes first. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"
#include "ingest_input.h"
#include "tw_time.h"

typedef struct entry {
    char *path;
    int64_t time_ms;
} entry;

typedef struct entries {
    entry *v;
    size_t n, cap;
} entries;

static int add_entry(entries *es, const char *path)
{
    if (es->n == es->cap) {
        size_t cap = es->cap ? es->cap * 2 : 64;
        entry *v = realloc(es->v, cap * sizeof *v);
        if (!v)
            return -1;
        es->v = v;
        es->cap = cap;
    }
    es->v[es->n].path = strdup(path);
    if (!es->v[es->n].path)
        return -1;
    es->v[es->n].time_ms = 0;
    es->n++;
    return 0;
}

/* "..._CloudTrail_us-east-1_20260901T0815Z_..." -> ms; -1 when the name carries no time. */
static int64_t time_from_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *p = strstr(base, "_CloudTrail_");
    if (!p)
        return -1;
    p = strchr(p + 12, '_'); /* after the region */
    if (!p || strlen(p + 1) < 14)
        return -1;
    p++;
    char iso[32];
    /* YYYYMMDDTHHMMZ -> YYYY-MM-DDTHH:MM:00Z */
    if (p[8] != 'T' || p[13] != 'Z')
        return -1;
    snprintf(iso, sizeof iso, "%.4s-%.2s-%.2sT%.2s:%.2s:00Z", p, p + 4, p + 6, p + 9, p + 11);
    int64_t ms;
    return tw_time_parse_iso(iso, strlen(iso), &ms) == TW_OK ? ms : -1;
}

/* The eventTime of the first record, from the first 64 KiB; INT64_MAX when none is found. */
static int64_t time_from_content(const char *path)
{
    char errstr[128];
    tw_input *in = NULL;
    if (tw_input_open(path, &in, errstr, sizeof errstr) != TW_OK)
        return INT64_MAX;
    char buf[65536];
    size_t len = 0;
    while (len < sizeof buf - 1) {
        size_t got = 0;
        if (tw_input_read(in, buf + len, sizeof buf - 1 - len, &got, errstr, sizeof errstr) != TW_OK ||
            got == 0)
            break;
        len += got;
    }
    tw_input_close(in);
    buf[len] = '\0';
    const char *p = memmem(buf, len, "\"eventTime\"", 11);
    if (!p)
        return INT64_MAX;
    p += 11;
    while (*p == ' ' || *p == ':' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p != '"')
        return INT64_MAX;
    const char *end = strchr(p + 1, '"');
    int64_t ms;
    if (!end || tw_time_parse_iso(p + 1, (size_t)(end - p - 1), &ms) != TW_OK)
        return INT64_MAX;
    return ms;
}

static int walk(entries *es, const char *dir, int depth, char *errstr, size_t errstr_size)
{
    if (depth > 64)
        return 0;
    DIR *d = opendir(dir);
    if (!d) {
        /* an unreadable directory is an input problem, reported in order like any other */
        return add_entry(es, dir);
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        /* digest files sign the logs; they hold no events */
        if (strcmp(de->d_name, "CloudTrail-Digest") == 0)
            continue;
        size_t n = strlen(dir) + strlen(de->d_name) + 2;
        char *path = malloc(n);
        if (!path) {
            closedir(d);
            return -1;
        }
        snprintf(path, n, "%s/%s", dir, de->d_name);
        struct stat sb;
        int rc;
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            rc = walk(es, path, depth + 1, errstr, errstr_size);
        else
            rc = add_entry(es, path); /* files, and dangling links (reported when opened) */
        free(path);
        if (rc) {
            closedir(d);
            return rc;
        }
    }
    closedir(d);
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->time_ms != y->time_ms)
        return x->time_ms < y->time_ms ? -1 : 1;
    return strcmp(x->path, y->path);
}

int tw_inputs_collect(const char *const *paths, size_t n_paths, tw_input_list *list,
                      char *errstr, size_t errstr_size)
{
    entries es = { 0 };
    memset(list, 0, sizeof *list);
    for (size_t i = 0; i < n_paths; i++) {
        struct stat sb;
        int rc;
        if (strcmp(paths[i], "-") != 0 && stat(paths[i], &sb) == 0 && S_ISDIR(sb.st_mode))
            rc = walk(&es, paths[i], 0, errstr, errstr_size);
        else
            rc = add_entry(&es, paths[i]);
        if (rc) {
            snprintf(errstr, errstr_size, "out of memory while listing inputs");
            goto fail;
        }
    }
    for (size_t i = 0; i < es.n; i++) {
        if (strcmp(es.v[i].path, "-") == 0) {
            es.v[i].time_ms = INT64_MIN;
            continue;
        }
        int64_t t = time_from_name(es.v[i].path);
        es.v[i].time_ms = t >= 0 ? t : time_from_content(es.v[i].path);
    }
    qsort(es.v, es.n, sizeof *es.v, cmp_entry);
    list->paths = malloc((es.n ? es.n : 1) * sizeof *list->paths);
    if (!list->paths) {
        snprintf(errstr, errstr_size, "out of memory while listing inputs");
        goto fail;
    }
    for (size_t i = 0; i < es.n; i++)
        list->paths[i] = es.v[i].path;
    list->n = list->cap = es.n;
    free(es.v);
    return 0;
fail:
    for (size_t i = 0; i < es.n; i++)
        free(es.v[i].path);
    free(es.v);
    return -1;
}

void tw_inputs_free(tw_input_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++)
        free(list->paths[i]);
    free(list->paths);
    memset(list, 0, sizeof *list);
}
