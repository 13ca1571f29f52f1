/* ingest_inputs: turns the PATH arguments of replay and route into an ordered list of inputs.
 * Files are taken in time order: a CloudTrail object name carries its time
 * (ACCOUNT_CloudTrail_REGION_20260901T0815Z_xxxx.json.gz); any other file is placed by the time
 * of its first record; ties and undated files go by path, so the order never depends on how
 * the file system lists a directory.
 * Streams (stdin "-", a FIFO, a `<(...)` process substitution, a device) can be read only once:
 * they are never peeked at, and come first, in the order given.
 * Directories are walked once each, by device and inode: a link back to a directory being
 * walked (a loop) is named once and not followed, and a file reached through two paths is read
 * once. Called by the file source when it opens (ingest_source_file.c), before any thread
 * starts. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ingest_inputs.h"
#include "ingest_input.h"
#include "tw_hash.h"
#include "tw_time.h"
#include "tw_log.h"

typedef struct entry {
    char *path;
    int64_t time_ms;
    size_t order; /* position in the walk: streams keep the order they were given in */
    bool stream;  /* not a regular file: read once, in place, never peeked at */
} entry;

typedef struct entries {
    entry *v;
    size_t n, cap;
} entries;

/* A file or directory, whatever path reached it. */
typedef struct file_id {
    dev_t dev;
    ino_t ino;
} file_id;

/* An open-addressing set of file ids (power-of-two capacity, at most half full). */
typedef struct id_set {
    file_id *v;
    bool *used;
    size_t n, cap;
} id_set;

/* A directory being walked: a link to one of them is a loop. */
typedef struct walking {
    file_id id;
    const char *path;
} walking;

typedef struct lister {
    entries es;
    id_set dirs;  /* walked */
    id_set files; /* listed */
    walking *stack;
    size_t depth, stack_cap;
    int verbosity;
} lister;

static int add_entry(entries *es, const char *path, bool stream)
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
    es->v[es->n].order = es->n;
    es->v[es->n].stream = stream;
    es->n++;
    return 0;
}

static size_t id_slot(const id_set *set, file_id id)
{
    uint64_t h = tw_hash_mix((uint64_t)id.ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)id.dev);
    size_t i = (size_t)h & (set->cap - 1);
    while (set->used[i] && (set->v[i].dev != id.dev || set->v[i].ino != id.ino))
        i = (i + 1) & (set->cap - 1);
    return i;
}

static int id_set_grow(id_set *set)
{
    id_set bigger = { 0 };
    bigger.cap = set->cap ? set->cap * 2 : 256;
    bigger.v = malloc(bigger.cap * sizeof *bigger.v);
    bigger.used = calloc(bigger.cap, sizeof *bigger.used);
    if (!bigger.v || !bigger.used) {
        free(bigger.v);
        free(bigger.used);
        return -1;
    }
    for (size_t i = 0; i < set->cap; i++) {
        if (!set->used[i])
            continue;
        size_t j = id_slot(&bigger, set->v[i]);
        bigger.v[j] = set->v[i];
        bigger.used[j] = true;
    }
    bigger.n = set->n;
    free(set->v);
    free(set->used);
    *set = bigger;
    return 0;
}

/* 1 when id is new (now in the set), 0 when it was there, -1 when out of memory. */
static int id_set_add(id_set *set, file_id id)
{
    if (2 * (set->n + 1) > set->cap && id_set_grow(set))
        return -1;
    size_t i = id_slot(set, id);
    if (set->used[i])
        return 0;
    set->v[i] = id;
    set->used[i] = true;
    set->n++;
    return 1;
}

static void id_set_free(id_set *set)
{
    free(set->v);
    free(set->used);
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

/* The eventTime of the first record, from the first 64 KiB; INT64_MAX when none is found.
 * Regular files only: what it reads of a stream would be lost to the replay. */
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
        if (tw_input_read(in, buf + len, sizeof buf - 1 - len, &got, errstr, sizeof errstr) !=
                TW_OK ||
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

static int visit(lister *ls, const char *path, bool argument);

/* The names a directory lists, hidden ones and digests left out, sorted: which of two paths to
 * one file is kept must not depend on the order the file system lists them in. 0, or 1 when
 * the directory cannot be read, -1 when out of memory. */
static int list_dir(const char *dir, char ***names_out, size_t *n_out)
{
    *names_out = NULL;
    *n_out = 0;
    DIR *d = opendir(dir);
    if (!d)
        return 1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        /* digest files sign the logs; they hold no events */
        if (de->d_name[0] == '.' || strcmp(de->d_name, "CloudTrail-Digest") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **v = realloc(names, cap * sizeof *v);
            if (!v)
                goto nomem;
            names = v;
        }
        if (!(names[n] = strdup(de->d_name)))
            goto nomem;
        n++;
    }
    closedir(d);
    *names_out = names;
    *n_out = n;
    return 0;
nomem:
    closedir(d);
    while (n)
        free(names[--n]);
    free(names);
    return -1;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Visits the entries of a directory: first what is not a link, then the links, so that a file
 * or folder reached both ways keeps its own path, not the link's. */
static int walk_entries(lister *ls, const char *dir, char **names, size_t n)
{
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_name);
    int rc = 0;
    for (int links = 0; links <= 1 && !rc; links++) {
        for (size_t i = 0; i < n && !rc; i++) {
            size_t len = strlen(dir) + strlen(names[i]) + 2;
            char *path = malloc(len);
            if (!path)
                return -1;
            snprintf(path, len, "%s/%s", dir, names[i]);
            struct stat lsb;
            /* an entry gone since the listing is visited with the files: named when opened */
            bool is_link = lstat(path, &lsb) == 0 && S_ISLNK(lsb.st_mode);
            if (is_link == (links == 1))
                rc = visit(ls, path, false);
            free(path);
        }
    }
    return rc;
}

/* Walks a directory not walked before (marked by the caller). */
static int walk(lister *ls, const char *dir, file_id id)
{
    char **names;
    size_t n;
    int rc = list_dir(dir, &names, &n);
    if (rc)
        /* an unreadable directory is an input problem, reported in order like any other */
        return rc > 0 ? add_entry(&ls->es, dir, false) : -1;
    if (ls->depth == ls->stack_cap) {
        size_t cap = ls->stack_cap ? ls->stack_cap * 2 : 16;
        walking *v = realloc(ls->stack, cap * sizeof *v);
        rc = v ? 0 : -1;
        if (v) {
            ls->stack = v;
            ls->stack_cap = cap;
        }
    }
    if (!rc) {
        ls->stack[ls->depth++] = (walking){ id, dir };
        rc = walk_entries(ls, dir, names, n);
        ls->depth--;
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* The directory being walked that id is, or NULL. */
static const walking *walking_at(const lister *ls, file_id id)
{
    for (size_t i = ls->depth; i > 0; i--)
        if (ls->stack[i - 1].id.dev == id.dev && ls->stack[i - 1].id.ino == id.ino)
            return &ls->stack[i - 1];
    return NULL;
}

static int visit_dir(lister *ls, const char *path, file_id id)
{
    const walking *loop = walking_at(ls, id);
    if (loop) {
        /* every file under it is read anyway: said once, and the run goes on (exit 0) */
        if (ls->verbosity >= 0)
            tw_log("%s: a link back to %s (a directory loop): not followed", path, loop->path);
        return 0;
    }
    int added = id_set_add(&ls->dirs, id);
    if (added <= 0)
        return added; /* walked already, through another path */
    return walk(ls, path, id);
}

/* One path, given (argument) or found in a directory. */
static int visit(lister *ls, const char *path, bool argument)
{
    struct stat sb;
    if (argument && strcmp(path, "-") == 0)
        return add_entry(&ls->es, path, true);
    if (stat(path, &sb) != 0)
        return add_entry(&ls->es, path, false); /* missing, dangling link: named when opened */
    file_id id = { sb.st_dev, sb.st_ino };
    if (S_ISDIR(sb.st_mode))
        return visit_dir(ls, path, id);
    if (S_ISREG(sb.st_mode)) {
        int added = id_set_add(&ls->files, id);
        return added <= 0 ? added : add_entry(&ls->es, path, false);
    }
    if (argument)
        return add_entry(&ls->es, path, true);
    /* a FIFO, socket or device inside a directory: nothing may ever write to it, and reading
     * it would wait forever (grep -r skips them too) */
    if (ls->verbosity >= 0)
        tw_log("%s: not a regular file: skipped (name it on the command line "
               "to read it)",
               path);
    return 0;
}

/* Streams first, in the order given; then files by time, then path. */
static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->stream != y->stream)
        return x->stream ? -1 : 1;
    if (x->stream)
        return x->order < y->order ? -1 : x->order > y->order;
    if (x->time_ms != y->time_ms)
        return x->time_ms < y->time_ms ? -1 : 1;
    return strcmp(x->path, y->path);
}

static void place_by_time(entries *es)
{
    for (size_t i = 0; i < es->n; i++) {
        if (es->v[i].stream)
            continue;
        int64_t t = time_from_name(es->v[i].path);
        es->v[i].time_ms = t >= 0 ? t : time_from_content(es->v[i].path);
    }
    if (es->n > 1)
        qsort(es->v, es->n, sizeof *es->v, cmp_entry);
}

static int fill_list(entries *es, tw_input_list *list)
{
    list->paths = malloc((es->n ? es->n : 1) * sizeof *list->paths);
    list->stream = malloc((es->n ? es->n : 1) * sizeof *list->stream);
    if (!list->paths || !list->stream) {
        free(list->paths);
        free(list->stream);
        memset(list, 0, sizeof *list);
        return -1;
    }
    for (size_t i = 0; i < es->n; i++) {
        list->paths[i] = es->v[i].path;
        list->stream[i] = es->v[i].stream;
    }
    list->n = list->cap = es->n;
    return 0;
}

int tw_inputs_collect(const char *const *paths, size_t n_paths, int verbosity, tw_input_list *list,
                      char *errstr, size_t errstr_size)
{
    lister ls = { .verbosity = verbosity };
    memset(list, 0, sizeof *list);
    int rc = 0;
    for (size_t i = 0; i < n_paths && !rc; i++)
        rc = visit(&ls, paths[i], true);
    if (!rc) {
        place_by_time(&ls.es);
        rc = fill_list(&ls.es, list);
    }
    if (rc) {
        snprintf(errstr, errstr_size, "out of memory while listing inputs");
        for (size_t i = 0; i < ls.es.n; i++)
            free(ls.es.v[i].path);
    }
    free(ls.es.v);
    id_set_free(&ls.dirs);
    id_set_free(&ls.files);
    free(ls.stack);
    return rc;
}

void tw_inputs_free(tw_input_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++)
        free(list->paths[i]);
    free(list->paths);
    free(list->stream);
    memset(list, 0, sizeof *list);
}
