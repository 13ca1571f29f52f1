/* model_change: see model_change.h. */
#include "model_change.h"

#include <stdio.h>
#include <string.h>

#include "schema_resource.h"

/* The value of the first of keys (NULL-terminated) in params; within the object that follows
 * the key `inside` when one is given (a nested s3Uri). */
static tw_str first_of(tw_str params, const char *inside, const char *const *keys, char *buf)
{
    uint32_t from = 0;
    if (!params.len)
        return (tw_str){ buf, 0 }; /* no requestParameters (its view may be NULL) */
    if (inside) {
        char quoted[64];
        int n = snprintf(quoted, sizeof quoted, "\"%s\"", inside);
        const char *hit = n > 0 ? memmem(params.p, params.len, quoted, (size_t)n) : NULL;
        if (!hit)
            return (tw_str){ buf, 0 };
        from = (uint32_t)(hit - params.p) + (uint32_t)n;
    }
    for (size_t i = 0; keys[i]; i++) {
        uint32_t at = from;
        tw_str v = tw_resource_key_next(params, keys[i], buf, &at);
        if (v.len)
            return v;
    }
    return (tw_str){ buf, 0 };
}

static void put_field(tw_buf *out, const char *name, tw_str v, bool comma)
{
    tw_buf_printf(out, "%s\"%s\":", comma ? "," : "", name);
    if (v.len)
        tw_buf_put_json_str(out, v);
    else
        tw_buf_puts(out, "null");
}

void tw_model_change_details(const tw_event *ev, tw_buf *out)
{
    if (!(ev->classes & TW_CLASS_MODEL_TRAINING))
        return;
    static const char *const job[] = { "jobName",
                                       "trainingJobName",
                                       "hyperParameterTuningJobName",
                                       "autoMLJobName",
                                       "JobName",
                                       "TrainingJobName",
                                       NULL };
    static const char *const base[] = {
        "baseModelIdentifier", "sourceModelArn", "model", "trainingImage",
        "TrainingImage",       "baseModelName",  NULL
    };
    static const char *const data[] = { "s3Uri", "S3Uri", NULL };
    static const char *const data_flat[] = { "training_file", "trainingDataUri", "TrainingDataUri",
                                             NULL };
    static const char *const output[] = { "customModelName", "importedModelName", "targetModelName",
                                          "suffix",          "modelName",         NULL };
    static const char *const output_path[] = { "s3OutputPath", "S3OutputPath", "s3Uri", NULL };
    static const char *const role[] = { "roleArn", "RoleArn", NULL };
    static const char *const containers[] = { "trainingDataConfig", "modelDataSource",
                                              "inputDataConfig", "InputDataConfig", NULL };
    tw_str p = ev->request_params;
    char b_job[TW_RESOURCE_MAX], b_base[TW_RESOURCE_MAX], b_data[TW_RESOURCE_MAX],
        b_out[TW_RESOURCE_MAX], b_role[TW_RESOURCE_MAX];
    tw_str v_data = { b_data, 0 };
    for (size_t i = 0; containers[i] && !v_data.len; i++)
        v_data = first_of(p, containers[i], data, b_data);
    if (!v_data.len)
        v_data = first_of(p, NULL, data_flat, b_data);
    tw_str v_out = first_of(p, NULL, output, b_out);
    if (!v_out.len)
        v_out = first_of(p, "outputDataConfig", output_path, b_out);
    if (!v_out.len)
        v_out = first_of(p, "OutputDataConfig", output_path, b_out);
    tw_buf_puts(out, "{\"model_change\":{");
    put_field(out, "caller", ev->identity, false);
    put_field(out, "action", ev->action, true);
    put_field(out, "job", first_of(p, NULL, job, b_job), true);
    put_field(out, "base_model", first_of(p, NULL, base, b_base), true);
    put_field(out, "training_data", v_data, true);
    put_field(out, "output_model", v_out, true);
    put_field(out, "role_passed", first_of(p, NULL, role, b_role), true);
    tw_buf_puts(out, "}}");
}
