#include "tw_kafka_conf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

tw_err tw_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *errstr,
                         size_t errstr_size)
{
    char rderr[512];
    if (rd_kafka_conf_set(conf, name, value, rderr, sizeof rderr) != RD_KAFKA_CONF_OK) {
        /* librdkafka's words; the value is left out, it may be a password */
        snprintf(errstr, errstr_size, "%s: %s", name, rderr);
        return TW_ERR_INVALID;
    }
    return TW_OK;
}

tw_err tw_kafka_conf_apply(rd_kafka_conf_t *conf, const char *const *props, size_t n_props,
                           char *errstr, size_t errstr_size)
{
    for (size_t i = 0; i < n_props; i++) {
        const char *prop = props[i];
        const char *eq = strchr(prop, '=');
        if (!eq || eq == prop) {
            snprintf(errstr, errstr_size, "-X %s: expected name=value", prop);
            return TW_ERR_INVALID;
        }
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(eq - prop), prop);
        if (tw_kafka_conf_set(conf, name, eq + 1, errstr, errstr_size) != TW_OK)
            return TW_ERR_INVALID;
    }
    return TW_OK;
}

tw_err tw_kafka_conf_guard(rd_kafka_conf_t *conf, const tw_kafka_guard *guards, size_t n,
                           char *errstr, size_t errstr_size)
{
    for (size_t g = 0; g < n; g++)
        if (tw_kafka_conf_set(conf, guards[g].name, guards[g].value, errstr, errstr_size))
            return TW_ERR_INVALID;
    return TW_OK;
}

tw_err tw_kafka_conf_check(const char *const *props, size_t n_props, const tw_kafka_guard *guards,
                           size_t n_guards, char *errstr, size_t errstr_size)
{
    char scratch[1024]; /* a property name (255) and librdkafka's reason (511) fit */
    /* what librdkafka makes of them: the values to compare with, in its own spelling */
    char(*want)[64] = calloc(n_guards ? n_guards : 1, sizeof *want);
    rd_kafka_conf_t *ref = want ? rd_kafka_conf_new() : NULL;
    if (!ref || tw_kafka_conf_guard(ref, guards, n_guards, scratch, sizeof scratch)) {
        if (ref)
            rd_kafka_conf_destroy(ref);
        free(want);
        snprintf(errstr, errstr_size, "kafka: %s", ref ? scratch : "out of memory");
        return TW_ERR_INVALID;
    }
    for (size_t g = 0; g < n_guards; g++) {
        size_t len = sizeof want[g];
        if (rd_kafka_conf_get(ref, guards[g].name, want[g], &len) != RD_KAFKA_CONF_OK)
            want[g][0] = '\0';
    }
    rd_kafka_conf_destroy(ref);
    tw_err err = TW_OK;
    for (size_t i = 0; i < n_props && !err; i++) {
        rd_kafka_conf_t *c = rd_kafka_conf_new();
        if (!c || tw_kafka_conf_guard(c, guards, n_guards, scratch, sizeof scratch)) {
            if (c)
                rd_kafka_conf_destroy(c);
            snprintf(errstr, errstr_size, "out of memory");
            err = TW_ERR_NOMEM;
            break;
        }
        /* one librdkafka refuses is said where the client is made, in librdkafka's words */
        if (tw_kafka_conf_apply(c, &props[i], 1, scratch, sizeof scratch)) {
            rd_kafka_conf_destroy(c);
            continue;
        }
        for (size_t g = 0; g < n_guards; g++) {
            char got[64];
            size_t len = sizeof got;
            if (rd_kafka_conf_get(c, guards[g].name, got, &len) != RD_KAFKA_CONF_OK ||
                !strcmp(got, want[g]))
                continue;
            const char *prop = props[i];
            int name_len = (int)(strchr(prop, '=') - prop); /* apply saw a '=' */
            const char *name = guards[g].name;
            bool same = strlen(name) == (size_t)name_len && !strncmp(prop, name, (size_t)name_len);
            /* the value is not echoed (-X values may be secrets; this one is not, but the
             * rule is simpler kept); the property it changes and what it must stay are */
            snprintf(errstr, errstr_size, "-X %.*s is refused: %s%s%s stays %s: %s", name_len, prop,
                     same ? "" : "it sets ", name, same ? "" : ", which", guards[g].value,
                     guards[g].why);
            err = TW_ERR_INVALID;
            break;
        }
        rd_kafka_conf_destroy(c);
    }
    free(want);
    return err;
}
