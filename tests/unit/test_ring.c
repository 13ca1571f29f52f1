/* common/tw_ring: bounded SPSC queue between threads (run under TSan in CI). */
#include <pthread.h>
#include <stdint.h>

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

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(items_arrive_in_order_and_close_ends),
        cmocka_unit_test(abort_releases_a_blocked_producer),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
