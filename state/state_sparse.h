/* state_sparse: per-identity state that only some identities need, kept out of the fixed
 * record. Most identities never match most rules, so a rule's state lives in a small block
 * the identity record points at (one pointer in its slots, NULL while empty), created on the
 * first event that needs it. Entries are found by a key below 2^48 (a rule, a group) and hold
 * zeroed bytes when created; a block is capped at TW_SPARSE_MAX_BYTES. A block is exactly as
 * large as its entries (each an 8-byte header and its bytes rounded to 8): it grows by one
 * entry at a time, which is rare (an identity meets a rule for the first time), and memory is
 * what the identities' budget counts.
 *
 * Pointers into a block stay valid until the next get or resize on the same block. */
#ifndef STATE_SPARSE_H
#define STATE_SPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TW_SPARSE_MAX_BYTES (64u * 1024u)
#define TW_SPARSE_KEY_BITS 48

typedef struct tw_sparse tw_sparse;

/* The entry of key, or NULL when there is none. */
void *tw_sparse_find(tw_sparse *sp, uint64_t key, uint32_t *bytes);

/* The entry of key, created with `bytes` zeroed bytes when missing (*created set). NULL when
 * memory runs out or the block would exceed TW_SPARSE_MAX_BYTES. */
void *tw_sparse_get(tw_sparse **sp, uint64_t key, uint32_t bytes, bool *created);

/* Grows the entry of key to `bytes` (the new bytes zeroed); NULL as for get, the entry kept. */
void *tw_sparse_resize(tw_sparse **sp, uint64_t key, uint32_t bytes);

/* Visits every entry (checkpoints). */
void tw_sparse_foreach(const tw_sparse *sp,
                       void (*fn)(void *ud, uint64_t key, const void *data, uint32_t bytes),
                       void *ud);
/* Bytes the block holds (0 for NULL). */
size_t tw_sparse_bytes(const tw_sparse *sp);

void tw_sparse_free(tw_sparse **sp); /* sets *sp to NULL */

#endif
