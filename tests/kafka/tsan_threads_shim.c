/* C11 threads (<threads.h>) over the pthread functions, for the ThreadSanitizer build only
 * (tests/kafka/README.md, "ThreadSanitizer").
 *
 * glibc's thrd_create calls its internal pthread create directly, not through the PLT, so
 * TSan's pthread_create interceptor never sees a thread started with it: Debian's librdkafka
 * starts all its threads that way, and the first allocation such a thread makes crashes inside
 * the TSan runtime (no thread state). Linked into an executable, these definitions come first
 * in symbol resolution, so librdkafka's thrd_create@GLIBC_2.34 (and the rest) land here and
 * each call goes through the pthread function, which TSan intercepts: librdkafka's threads,
 * mutexes and condition variables become visible to it.
 *
 * glibc's types are the pthread ones underneath (thrd_t is pthread_t, mtx_t and cnd_t have the
 * sizes and alignment of pthread_mutex_t and pthread_cond_t, tss_t is pthread_key_t, once_flag
 * is pthread_once_t); glibc's own C11 functions are the same casts. Error codes follow glibc's
 * mapping (thrd_err_map): 0 thrd_success, ENOMEM thrd_nomem, ETIMEDOUT thrd_timedout, EBUSY
 * thrd_busy, anything else thrd_error. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>
#include <time.h>

_Static_assert(sizeof(thrd_t) == sizeof(pthread_t), "thrd_t is pthread_t");
_Static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t), "mtx_t is pthread_mutex_t");
_Static_assert(_Alignof(mtx_t) >= _Alignof(pthread_mutex_t), "mtx_t alignment");
_Static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t), "cnd_t is pthread_cond_t");
_Static_assert(_Alignof(cnd_t) >= _Alignof(pthread_cond_t), "cnd_t alignment");
_Static_assert(sizeof(tss_t) == sizeof(pthread_key_t), "tss_t is pthread_key_t");
_Static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "once_flag is pthread_once_t");

static int err_map(int err)
{
    switch (err) {
    case 0:
        return thrd_success;
    case ENOMEM:
        return thrd_nomem;
    case ETIMEDOUT:
        return thrd_timedout;
    case EBUSY:
        return thrd_busy;
    default:
        return thrd_error;
    }
}

struct start {
    thrd_start_t func;
    void *arg;
};

/* The int result travels in the void * like glibc's (thrd_exit and thrd_join agree). */
static void *trampoline(void *p)
{
    struct start s = *(struct start *)p;
    free(p);
    return (void *)(intptr_t)s.func(s.arg);
}

int thrd_create(thrd_t *thr, thrd_start_t func, void *arg)
{
    struct start *s = malloc(sizeof *s);
    if (!s)
        return thrd_nomem;
    s->func = func;
    s->arg = arg;
    int err = pthread_create((pthread_t *)thr, NULL, trampoline, s);
    if (err) {
        free(s);
        /* glibc's thrd_create maps EAGAIN (no resources) to thrd_error too; ENOMEM is nomem. */
        return err_map(err);
    }
    return thrd_success;
}

int thrd_join(thrd_t thr, int *res)
{
    void *ret;
    int err = pthread_join((pthread_t)thr, &ret);
    if (err == 0 && res)
        *res = (int)(intptr_t)ret;
    return err_map(err);
}

int thrd_detach(thrd_t thr)
{
    return err_map(pthread_detach((pthread_t)thr));
}

_Noreturn void thrd_exit(int res)
{
    pthread_exit((void *)(intptr_t)res);
}

thrd_t thrd_current(void)
{
    return (thrd_t)pthread_self();
}

int thrd_equal(thrd_t a, thrd_t b)
{
    return pthread_equal((pthread_t)a, (pthread_t)b);
}

/* 0 slept, -1 interrupted by a signal (remaining in *rem), other negative: error. */
int thrd_sleep(const struct timespec *dur, struct timespec *rem)
{
    if (nanosleep(dur, rem) == 0)
        return 0;
    return errno == EINTR ? -1 : -2;
}

void thrd_yield(void)
{
    sched_yield();
}

int mtx_init(mtx_t *m, int type)
{
    pthread_mutexattr_t attr;
    int err = pthread_mutexattr_init(&attr);
    if (err)
        return err_map(err);
    /* mtx_plain, mtx_timed, each with or without mtx_recursive: the default pthread mutex times
   * out as well. */
    if (type & mtx_recursive)
        err = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    if (!err)
        err = pthread_mutex_init((pthread_mutex_t *)m, &attr);
    pthread_mutexattr_destroy(&attr);
    return err_map(err);
}

int mtx_lock(mtx_t *m)
{
    return err_map(pthread_mutex_lock((pthread_mutex_t *)m));
}

int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict abs)
{
    return err_map(pthread_mutex_timedlock((pthread_mutex_t *)m, abs));
}

int mtx_trylock(mtx_t *m)
{
    return err_map(pthread_mutex_trylock((pthread_mutex_t *)m));
}

int mtx_unlock(mtx_t *m)
{
    return err_map(pthread_mutex_unlock((pthread_mutex_t *)m));
}

void mtx_destroy(mtx_t *m)
{
    pthread_mutex_destroy((pthread_mutex_t *)m);
}

int cnd_init(cnd_t *c)
{
    return err_map(pthread_cond_init((pthread_cond_t *)c, NULL));
}

int cnd_signal(cnd_t *c)
{
    return err_map(pthread_cond_signal((pthread_cond_t *)c));
}

int cnd_broadcast(cnd_t *c)
{
    return err_map(pthread_cond_broadcast((pthread_cond_t *)c));
}

int cnd_wait(cnd_t *c, mtx_t *m)
{
    return err_map(pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m));
}

/* TIME_UTC is CLOCK_REALTIME, the default clock of a pthread condition variable. */
int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict abs)
{
    return err_map(pthread_cond_timedwait((pthread_cond_t *)c, (pthread_mutex_t *)m, abs));
}

void cnd_destroy(cnd_t *c)
{
    pthread_cond_destroy((pthread_cond_t *)c);
}

int tss_create(tss_t *key, tss_dtor_t dtor)
{
    return err_map(pthread_key_create((pthread_key_t *)key, dtor));
}

void *tss_get(tss_t key)
{
    return pthread_getspecific((pthread_key_t)key);
}

int tss_set(tss_t key, void *val)
{
    return err_map(pthread_setspecific((pthread_key_t)key, val));
}

void tss_delete(tss_t key)
{
    pthread_key_delete((pthread_key_t)key);
}

void call_once(once_flag *flag, void (*func)(void))
{
    pthread_once((pthread_once_t *)flag, func);
}

/* ThreadSanitizer's built-in suppressions for the executables this file is linked into. Only
 * reports made entirely of librdkafka's (uninstrumented) code and TSan's interceptors belong
 * here, never one with a frame of ours.
 *
 * - pthread_rwlock_destroy: librdkafka destroys an object's rwlock (e.g. when the last
 *   reference to it goes) on one of its threads after another of its threads read-locked it.
 *   The two are ordered by librdkafka's reference counts, which are inline atomics in an
 *   uninstrumented library: TSan cannot see them and reports the destroy as a race with the
 *   earlier rdlock (both frames in librdkafka.so.1; our code has no rwlock). */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
    return "race:pthread_rwlock_destroy\n";
}
