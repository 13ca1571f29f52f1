/* common/tw_ring: bounded SPSC queue between threads (run under TSan in CI). */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "tw_test.h"

#include "tw_ring.h"

#define ITEMS 100000

static void *producer(void *arg)
{
    tw_ring *ring = arg;
    for (uintptr_t i = 1; i <= ITEMS; i++)
        if (!tw_ring_push(ring, (void *)i))
            return NULL;
    tw_ring_close(ring);
    return NULL;
}

static void items_arrive_in_order_and_close_ends(void **state)
{
    (void)state;
    tw_notify nt;
    tw_notify_init(&nt);
    tw_ring *ring = tw_ring_new(4, &nt); /* tiny: the producer blocks often */
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, producer, ring), 0);
    uintptr_t expect = 1;
    void *item;
    while ((item = tw_ring_pop(ring)) != NULL) {
        assert_true((uintptr_t)item == expect);
        expect++;
    }
    assert_int_equal(expect, ITEMS + 1);
    assert_int_equal(tw_ring_try_pop(ring, &item), TW_ERR_EOF);
    pthread_join(th, NULL);
    assert_true(tw_notify_count(&nt) > 0);
    tw_ring_destroy(ring);
    tw_notify_destroy(&nt);
}

static void *blocked_pusher(void *arg)
{
    tw_ring *ring = arg;
    uintptr_t refused = 0;
    for (uintptr_t i = 1; i <= 10; i++)
        if (!tw_ring_push(ring, (void *)i))
            refused++;
    return (void *)refused;
}

static void abort_releases_a_blocked_producer(void **state)
{
    (void)state;
    tw_ring *ring = tw_ring_new(2, NULL);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, blocked_pusher, ring), 0);
    while (tw_ring_size(ring) < 2)
        ;
    tw_ring_abort(ring);
    void *refused;
    pthread_join(th, &refused);
    assert_true((uintptr_t)refused >= 1);
    assert_null(tw_ring_pop(ring));
    tw_ring_destroy(ring);
}

/* try_push and push_timed: taken when there is room, TW_ERR_AGAIN when full (push_timed only
 * after its wait), TW_ERR_EOF once aborted; push_timed takes the room a pop makes meanwhile. */
static void *pop_later(void *arg)
{
    tw_ring *ring = arg;
    struct timespec ts = { 0, 20 * 1000000L };
    nanosleep(&ts, NULL);
    return tw_ring_pop(ring);
}

static void timed_and_non_blocking_pushes(void **state)
{
    (void)state;
    tw_notify nt;
    tw_notify_init(&nt);
    tw_ring *ring = tw_ring_new(2, &nt);
    assert_int_equal(tw_ring_try_push(ring, (void *)1), TW_OK);
    assert_int_equal(tw_ring_push_timed(ring, (void *)2, 0), TW_OK);
    assert_int_equal(tw_notify_count(&nt), 2);
    assert_int_equal(tw_ring_try_push(ring, (void *)3), TW_ERR_AGAIN);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(tw_ring_push_timed(ring, (void *)3, 30), TW_ERR_AGAIN);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int64_t waited_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(waited_ms >= 25);
    assert_int_equal(tw_ring_size(ring), 2);
    /* a pop 20 ms later makes room within a 10 s wait */
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, pop_later, ring), 0);
    assert_int_equal(tw_ring_push_timed(ring, (void *)3, 10000), TW_OK);
    void *popped;
    pthread_join(th, &popped);
    assert_true((uintptr_t)popped == 1);
    void *item;
    assert_int_equal(tw_ring_try_pop(ring, &item), TW_OK);
    assert_true((uintptr_t)item == 2);
    assert_int_equal(tw_ring_try_pop(ring, &item), TW_OK);
    assert_true((uintptr_t)item == 3);
    tw_ring_abort(ring);
    assert_int_equal(tw_ring_try_push(ring, (void *)4), TW_ERR_EOF);
    assert_int_equal(tw_ring_push_timed(ring, (void *)4, 10), TW_ERR_EOF);
    tw_ring_destroy(ring);
    tw_notify_destroy(&nt);
}

static void *popper(void *arg)
{
    return tw_ring_pop(arg);
}

/* tw_ring_consumer_idle: true while the consumer waits in pop on an empty ring, false once it
 * has an item, and false with no consumer waiting at all. */
static void consumer_idle_while_waiting_in_pop(void **state)
{
    (void)state;
    tw_ring *ring = tw_ring_new(2, NULL);
    assert_non_null(ring);
    assert_false(tw_ring_consumer_idle(ring));
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, popper, ring), 0);
    bool idle = false;
    for (int i = 0; i < 2000 && !idle; i++) { /* up to 2 s for the thread to block */
        idle = tw_ring_consumer_idle(ring);
        if (!idle)
            nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    }
    assert_true(idle);
    int item = 7;
    assert_true(tw_ring_push(ring, &item));
    void *got = NULL;
    assert_int_equal(pthread_join(t, &got), 0);
    assert_ptr_equal(got, &item);
    assert_false(tw_ring_consumer_idle(ring));
    /* an item already there: pop takes it without waiting, never idle */
    assert_true(tw_ring_push(ring, &item));
    assert_ptr_equal(tw_ring_pop(ring), &item);
    assert_false(tw_ring_consumer_idle(ring));
    tw_ring_destroy(ring);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(items_arrive_in_order_and_close_ends),
        cmocka_unit_test(abort_releases_a_blocked_producer),
        cmocka_unit_test(timed_and_non_blocking_pushes),
        cmocka_unit_test(consumer_idle_while_waiting_in_pop),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
