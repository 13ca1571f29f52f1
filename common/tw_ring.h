/* tw_ring: a bounded single-producer single-consumer queue of pointers (batches).
 *
 * Traffic is per batch (about a thousand events), so a mutex and two condition variables
 * cost nothing measurable and keep the ring simple and race-free under TSan. A full ring
 * blocks the producer: that is the pipeline's backpressure. Closing wakes the consumer, who
 * drains what is left and then gets NULL. An optional shared tw_notify lets one consumer
 * wait on many rings (the output stage). */
#ifndef TW_RING_H
#define TW_RING_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tw_err.h"

typedef struct tw_notify {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    uint64_t count;
} tw_notify;

void tw_notify_init(tw_notify *nt);
void tw_notify_destroy(tw_notify *nt);
void tw_notify_bump(tw_notify *nt);
uint64_t tw_notify_count(tw_notify *nt);
/* The CLOCK_REALTIME time timeout_ms from now, for pthread_cond_timedwait. */
struct timespec tw_deadline_after_ms(int timeout_ms);
/* Waits until the count differs from seen, or timeout_ms passes (< 0: no timeout). */
void tw_notify_wait(tw_notify *nt, uint64_t seen, int timeout_ms);

typedef struct tw_ring tw_ring;

tw_ring *tw_ring_new(size_t capacity, tw_notify *consumer_notify);
void tw_ring_destroy(tw_ring *ring); /* NULL-safe; items still inside are not freed */

/* Blocks while full. Returns false if the ring was aborted (the item is not taken). */
bool tw_ring_push(tw_ring *ring, void *item);
/* Non-blocking: TW_OK (taken), TW_ERR_AGAIN if full, TW_ERR_EOF if aborted. */
tw_err tw_ring_try_push(tw_ring *ring, void *item);
/* The same, waiting up to timeout_ms for room. */
tw_err tw_ring_push_timed(tw_ring *ring, void *item, int timeout_ms);
/* Blocks while empty; NULL once closed and drained, or aborted. */
void *tw_ring_pop(tw_ring *ring);
/* Non-blocking: TW_OK with *item, TW_ERR_AGAIN if empty, TW_ERR_EOF if closed and drained. */
tw_err tw_ring_try_pop(tw_ring *ring, void **item);
/* Producer: no more items. */
void tw_ring_close(tw_ring *ring);
/* Either side: stop now; blocked pushes and pops return. */
void tw_ring_abort(tw_ring *ring);
size_t tw_ring_size(tw_ring *ring);
/* Whether the consumer is waiting in tw_ring_pop for an item (a hint, read without the lock:
 * a producer may hand over what it has rather than gather more). */
bool tw_ring_consumer_idle(tw_ring *ring);
/* Teardown, after every thread using the ring has stopped: destroys what is left inside. */
void tw_ring_drain(tw_ring *ring, void (*destroy)(void *item));

#endif
