/* ingest_inputs: input discovery for the file source: files and directories expanded and
 * ordered as DESIGN §2 says (ingest_inputs.c). */
#ifndef INGEST_INPUTS_H
#define INGEST_INPUTS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct tw_input_list {
    char **paths;
    bool *stream; /* per input: not a regular file (stdin, a FIFO, a device): read once, in
                     * place, never whole (NULL: none is) */
    size_t n, cap;
} tw_input_list;

/* verbosity: -1 says nothing of directory loops and skipped special files. -1 when out of
 * memory (errstr says so). */
int tw_inputs_collect(const char *const *paths, size_t n_paths, int verbosity, tw_input_list *list,
                      char *errstr, size_t errstr_size);
void tw_inputs_free(tw_input_list *list);

#endif
