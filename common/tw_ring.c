#include "tw_ring.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

struct tw_ring {
    pthread_mutex_t mu;
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    tw_notify *notify;
    size_t cap, head, count;
    bool closed, aborted;
    atomic_bool waiting; /* the consumer is blocked in tw_ring_pop on an empty ring */
    void *items[];
};

void tw_notify_init(tw_notify *nt)
{
    pthread_mutex_init(&nt->mu, NULL);
    pthread_cond_init(&nt->cond, NULL);
    nt->count = 0;
}

void tw_notify_destroy(tw_notify *nt)
{
    pthread_mutex_destroy(&nt->mu);
    pthread_cond_destroy(&nt->cond);
}

void tw_notify_bump(tw_notify *nt)
{
    pthread_mutex_lock(&nt->mu);
    nt->count++;
    pthread_cond_broadcast(&nt->cond);
    pthread_mutex_unlock(&nt->mu);
}

uint64_t tw_notify_count(tw_notify *nt)
{
    pthread_mutex_lock(&nt->mu);
    uint64_t c = nt->count;
    pthread_mutex_unlock(&nt->mu);
    return c;
}

struct timespec tw_deadline_after_ms(int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

void tw_notify_wait(tw_notify *nt, uint64_t seen, int timeout_ms)
{
    pthread_mutex_lock(&nt->mu);
    if (timeout_ms < 0) {
        while (nt->count == seen)
            pthread_cond_wait(&nt->cond, &nt->mu);
    } else {
        struct timespec ts = tw_deadline_after_ms(timeout_ms);
        while (nt->count == seen)
            if (pthread_cond_timedwait(&nt->cond, &nt->mu, &ts) == ETIMEDOUT)
                break;
    }
    pthread_mutex_unlock(&nt->mu);
}

tw_ring *tw_ring_new(size_t capacity, tw_notify *consumer_notify)
{
    if (capacity == 0)
        return NULL;
    tw_ring *ring = calloc(1, sizeof *ring + capacity * sizeof(void *));
    if (!ring)
        return NULL;
    pthread_mutex_init(&ring->mu, NULL);
    pthread_cond_init(&ring->not_empty, NULL);
    pthread_cond_init(&ring->not_full, NULL);
    ring->cap = capacity;
    ring->notify = consumer_notify;
    return ring;
}

void tw_ring_destroy(tw_ring *ring)
{
    if (!ring)
        return;
    pthread_mutex_destroy(&ring->mu);
    pthread_cond_destroy(&ring->not_empty);
    pthread_cond_destroy(&ring->not_full);
    free(ring);
}

/* Takes the item (the ring's lock held, and room in it), then lets the lock go and wakes the
 * consumer. */
static void put_and_unlock(tw_ring *ring, void *item)
{
    ring->items[(ring->head + ring->count) % ring->cap] = item;
    ring->count++;
    pthread_cond_signal(&ring->not_empty);
    pthread_mutex_unlock(&ring->mu);
    if (ring->notify)
        tw_notify_bump(ring->notify);
}

bool tw_ring_push(tw_ring *ring, void *item)
{
    pthread_mutex_lock(&ring->mu);
    while (ring->count == ring->cap && !ring->aborted)
        pthread_cond_wait(&ring->not_full, &ring->mu);
    if (ring->aborted) {
        pthread_mutex_unlock(&ring->mu);
        return false;
    }
    put_and_unlock(ring, item);
    return true;
}

/* Waits up to timeout_ms for room (0: not at all), then takes the item or says why not. */
static tw_err push_within(tw_ring *ring, void *item, int timeout_ms)
{
    struct timespec until;
    if (timeout_ms > 0)
        until = tw_deadline_after_ms(timeout_ms);
    pthread_mutex_lock(&ring->mu);
    while (timeout_ms > 0 && ring->count == ring->cap && !ring->aborted)
        if (pthread_cond_timedwait(&ring->not_full, &ring->mu, &until))
            break;
    if (ring->aborted || ring->count == ring->cap) {
        tw_err err = ring->aborted ? TW_ERR_EOF : TW_ERR_AGAIN;
        pthread_mutex_unlock(&ring->mu);
        return err;
    }
    put_and_unlock(ring, item);
    return TW_OK;
}

tw_err tw_ring_push_timed(tw_ring *ring, void *item, int timeout_ms)
{
    return push_within(ring, item, timeout_ms);
}

tw_err tw_ring_try_push(tw_ring *ring, void *item)
{
    return push_within(ring, item, 0);
}

static void *take_locked(tw_ring *ring)
{
    void *item = ring->items[ring->head];
    ring->head = (ring->head + 1) % ring->cap;
    ring->count--;
    pthread_cond_signal(&ring->not_full);
    return item;
}

void *tw_ring_pop(tw_ring *ring)
{
    pthread_mutex_lock(&ring->mu);
    while (ring->count == 0 && !ring->closed && !ring->aborted) {
        atomic_store_explicit(&ring->waiting, true, memory_order_relaxed);
        pthread_cond_wait(&ring->not_empty, &ring->mu);
    }
    atomic_store_explicit(&ring->waiting, false, memory_order_relaxed);
    void *item = NULL;
    if (ring->count > 0 && !ring->aborted)
        item = take_locked(ring);
    pthread_mutex_unlock(&ring->mu);
    return item;
}

bool tw_ring_consumer_idle(tw_ring *ring)
{
    return atomic_load_explicit(&ring->waiting, memory_order_relaxed);
}

tw_err tw_ring_try_pop(tw_ring *ring, void **item)
{
    tw_err err;
    pthread_mutex_lock(&ring->mu);
    if (ring->count > 0 && !ring->aborted) {
        *item = take_locked(ring);
        err = TW_OK;
    } else if (ring->closed || ring->aborted) {
        err = TW_ERR_EOF;
    } else {
        err = TW_ERR_AGAIN;
    }
    pthread_mutex_unlock(&ring->mu);
    return err;
}

void tw_ring_close(tw_ring *ring)
{
    pthread_mutex_lock(&ring->mu);
    ring->closed = true;
    pthread_cond_broadcast(&ring->not_empty);
    pthread_mutex_unlock(&ring->mu);
    if (ring->notify)
        tw_notify_bump(ring->notify);
}

void tw_ring_abort(tw_ring *ring)
{
    pthread_mutex_lock(&ring->mu);
    ring->aborted = true;
    pthread_cond_broadcast(&ring->not_empty);
    pthread_cond_broadcast(&ring->not_full);
    pthread_mutex_unlock(&ring->mu);
    if (ring->notify)
        tw_notify_bump(ring->notify);
}

size_t tw_ring_size(tw_ring *ring)
{
    pthread_mutex_lock(&ring->mu);
    size_t n = ring->count;
    pthread_mutex_unlock(&ring->mu);
    return n;
}

void tw_ring_drain(tw_ring *ring, void (*destroy)(void *item))
{
    if (!ring)
        return;
    pthread_mutex_lock(&ring->mu);
    while (ring->count > 0)
        destroy(take_locked(ring));
    pthread_mutex_unlock(&ring->mu);
}
