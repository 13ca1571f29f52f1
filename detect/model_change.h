/* model_change: the provenance of a model-training call (DESIGN §5), what a model-change
 * record carries so that behaviour-changing permissions leave an audit trail: who started it,
 * the job, the base model, where the training data came from, the model it makes and the role
 * it passed. Read from the call's requestParameters text the way schema_resource reads names
 * (scanned by key, not parsed: a finding is rare, the keys are AWS's): Bedrock's
 * CreateModelCustomizationJob, CreateModelImportJob, CreateModelCopyJob, bedrock-mantle's
 * CreateFineTuningJob, SageMaker's CreateTrainingJob and the other services' training calls
 * by the same key names. Pure: any thread. */
#ifndef MODEL_CHANGE_H
#define MODEL_CHANGE_H

#include "tw_buf.h"
#include "tw_event.h"

/* Appends {"model_change":{"caller":...,"action":...,"job":...,"base_model":...,
 * "training_data":...,"output_model":...,"role_passed":...}} (null where the call does not
 * say) for an event of class model-training; appends nothing for any other. */
void tw_model_change_details(const tw_event *ev, tw_buf *out);

#endif
