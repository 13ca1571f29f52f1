/* detect_evidence: keeping an event in 64 bytes, and giving it back as evidence. */
#include "detect_evidence.h"

#include <pthread.h>
#include <string.h>

#include "tw_hash.h"
#include "tw_str.h"

_Static_assert(sizeof(tw_kept_event) == 64, "a kept event is 64 bytes");

/* errorCodes common enough to keep as an index: the denials (DESIGN §4) first, then what
 * failed calls of the public trails and the services' API references say most. Append only:
 * the index is saved in checkpoints (the catalog fingerprint below covers this table too). */
/* clang-format off: a table in columns */
static const char *const common_errors[] = {
    "AccessDenied",
    "AccessDeniedException",
    "Client.UnauthorizedOperation",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "UnauthorizedException",
    "AuthorizationError",
    "AuthorizationErrorException",
    "Forbidden",
    "ForbiddenException",
    "VpceAccessDenied",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "OptInRequired",
    "NoSuchEntity",
    "NoSuchEntityException",
    "EntityAlreadyExists",
    "EntityAlreadyExistsException",
    "EntityNotFoundException",
    "ResourceNotFoundException",
    "ResourceInUseException",
    "NotFoundException",
    "NotFound",
    "ConflictException",
    "ValidationException",
    "ValidationError",
    "InvalidInput",
    "InvalidInputException",
    "InvalidParameterValue",
    "InvalidParameterValueException",
    "InvalidParameterException",
    "InvalidParameterCombination",
    "InvalidRequest",
    "InvalidRequestException",
    "MissingParameter",
    "UnknownParameter",
    "MalformedPolicyDocument",
    "MalformedPolicyDocumentException",
    "DeleteConflict",
    "DeleteConflictException",
    "LimitExceeded",
    "LimitExceededException",
    "ServiceQuotaExceededException",
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "InternalError",
    "InternalFailure",
    "InternalServerException",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ServiceFailure",
    "ClientException",
    "NoSuchBucket",
    "NoSuchKey",
    "NoSuchBucketPolicy",
    "NoSuchLifecycleConfiguration",
    "NoSuchCORSConfiguration",
    "NoSuchWebsiteConfiguration",
    "NoSuchTagSet",
    "NoSuchTagSetError",
    "NoSuchPublicAccessBlockConfiguration",
    "ServerSideEncryptionConfigurationNotFoundError",
    "ReplicationConfigurationNotFoundError",
    "ObjectLockConfigurationNotFoundError",
    "BucketAlreadyExists",
    "BucketAlreadyOwnedByYou",
    "BucketNotEmpty",
    "TrailNotFoundException",
    "InvalidTrailNameException",
    "NoSuchDeliveryChannelException",
    "Client.DryRunOperation",
    "Client.InvalidParameterValue",
    "Client.InvalidParameterCombination",
    "Client.InvalidRequest",
    "Client.MissingParameter",
    "Client.InvalidInstanceID.NotFound",
    "Client.InvalidInstanceID.Malformed",
    "Client.InvalidPermission.Duplicate",
    "Client.InvalidPermission.NotFound",
    "Client.InvalidGroup.NotFound",
    "Client.RequestLimitExceeded",
    "Client.IncorrectState",
    "Client.InvalidSnapshot.NotFound",
    "Client.InvalidVolume.NotFound",
    "Client.InvalidKeyPair.NotFound",
    "Client.InvalidAMIID.NotFound",
    "Server.InternalError",
    "Server.Unavailable",
    "DBInstanceNotFoundFault",
    "DBSnapshotNotFoundFault",
    "InvalidDBInstanceState",
    "InvalidDBSnapshotState",
    "KMSInvalidStateException",
    "AccountNotFoundException",
    "PasswordPolicyViolation",
};
/* clang-format on */
#define N_COMMON_ERRORS (sizeof common_errors / sizeof common_errors[0])
_Static_assert(N_COMMON_ERRORS < TW_KEPT_ERROR_TEXT, "error indices fit a byte");

static uint8_t error_index(tw_str code)
{
    if (!code.len)
        return 0;
    for (uint32_t i = 0; i < N_COMMON_ERRORS; i++)
        if (strlen(common_errors[i]) == code.len && !memcmp(common_errors[i], code.p, code.len))
            return (uint8_t)(i + 1);
    return TW_KEPT_ERROR_TEXT;
}

/* A byte's hex value (0-15), or 16 for a byte that is no hex digit; and whether it is a
 * lower-case (1) or upper-case (2) letter digit. Built once; set runs on most events. */
static uint8_t hex_value[256], hex_case[256];

static void hex_tables(void)
{
    for (int c = 0; c < 256; c++) {
        int d = tw_hex_digit(c);
        hex_value[c] = (uint8_t)(d < 0 ? 16 : d);
        hex_case[c] = (uint8_t)(c >= 'a' && c <= 'f' ? 1 : c >= 'A' && c <= 'F' ? 2 : 0);
    }
}

/* 8-4-4-4-12 hex digits, all of one case: its 16 bytes and TW_KEPT_ID_UUID_*, else 0. */
static uint8_t uuid_pack(tw_str id, unsigned char out[16])
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    if (id.len != 36)
        return TW_KEPT_ID_TEXT;
    const unsigned char *p = (const unsigned char *)id.p;
    if (p[8] != '-' || p[13] != '-' || p[18] != '-' || p[23] != '-')
        return TW_KEPT_ID_TEXT;
    pthread_once(&once, hex_tables);
    static const uint8_t at[32] = {
        0,  1,  2,  3,  4,  5,  6,  7,  9,  10, 11, 12, 14, 15, 16, 17,
        19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35
    };
    unsigned bad = 0, cases = 0;
    for (uint32_t i = 0; i < 16; i++) {
        unsigned char hi = p[at[2 * i]], lo = p[at[2 * i + 1]];
        bad |= hex_value[hi] | hex_value[lo];
        cases |= hex_case[hi] | hex_case[lo];
        out[i] = (unsigned char)(hex_value[hi] << 4 | (hex_value[lo] & 15));
    }
    /* a non-digit sets bit 4; both cases at once would not come back as they were */
    if ((bad & 16) || cases == 3)
        return TW_KEPT_ID_TEXT;
    return cases == 2 ? TW_KEPT_ID_UUID_UPPER : TW_KEPT_ID_UUID_LOWER;
}

static void uuid_unpack(const unsigned char in[16], bool upper, char out[TW_KEPT_ID_CHARS])
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    uint32_t o = 0;
    for (uint32_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = digits[in[i] >> 4];
        out[o++] = digits[in[i] & 15];
    }
    out[o] = '\0';
}

/* Appends s to the text at *used, cut on a character boundary to `room` bytes (its end when
 * tail: a resource's name ends an ARN); its kept length. */
static uint8_t put_text(tw_kept_event *k, uint32_t *used, tw_str s, uint32_t room, bool tail)
{
    uint32_t n = s.len;
    const char *from = s.p;
    if (n > room) {
        if (tail) {
            uint32_t skip = n - room;
            while (skip < n && ((unsigned char)from[skip] & 0xc0) == 0x80)
                skip++; /* start on a character */
            from += skip;
            n -= skip;
        } else {
            n = tw_utf8_fit(s.p, s.len, room);
        }
    }
    if (n)
        memcpy(k->text + *used, from, n);
    *used += n;
    return (uint8_t)n;
}

#define KEPT_TEXT_FLOOR 12 /* bytes each kept text keeps at least, when it is that long */

static uint32_t floor_of(uint32_t len)
{
    return len < KEPT_TEXT_FLOOR ? len : KEPT_TEXT_FLOOR;
}

void tw_kept_event_set(tw_kept_event *k, const tw_event *ev, const tw_catalog *cat)
{
    k->time_ms = ev->time_ms;
    k->set = 1;
    /* known actions point into the catalog; a hand-made event may carry any action_id */
    tw_str name =
        cat && (ev->flags & TW_EV_ACTION_KNOWN) ? tw_catalog_name(cat, ev->action_id) : TW_STR_NULL;
    bool known = name.p && name.len == ev->action.len &&
                 (name.p == ev->action.p || !memcmp(name.p, ev->action.p, name.len));
    k->action_id = known ? ev->action_id : TW_ACTION_UNKNOWN;
    k->error = error_index(ev->error_code);
    char res_buf[TW_RESOURCE_MAX];
    tw_str resource = tw_resource_of(ev->event_source, ev->request_params, res_buf);
    /* what is kept as text, in order; when it does not all fit, each keeps its first
     * KEPT_TEXT_FLOOR bytes at least and the id the most of the rest, then the others */
    uint32_t action_len = known ? 0 : ev->action.len;
    uint32_t error_len = k->error == TW_KEPT_ERROR_TEXT ? ev->error_code.len : 0;
    uint32_t res_len = resource.len;
    uint32_t used = 0;
    /* the id as text when everything fits (a copy is cheaper than packing, and set runs on
     * most events); a UUID packed into 16 bytes when that makes room */
    k->id_form = ev->event_id.len + action_len + error_len + res_len <= TW_KEPT_TEXT
                     ? TW_KEPT_ID_TEXT
                     : uuid_pack(ev->event_id, (unsigned char *)k->text);
    if (k->id_form != TW_KEPT_ID_TEXT) {
        used = 16;
        k->id_len = 0;
    } else {
        k->id_len = put_text(
            k, &used, ev->event_id,
            TW_KEPT_TEXT - floor_of(action_len) - floor_of(error_len) - floor_of(res_len), false);
    }
    k->action_len =
        action_len ? put_text(k, &used, ev->action,
                              TW_KEPT_TEXT - used - floor_of(error_len) - floor_of(res_len), false)
                   : 0;
    k->error_len = error_len ? put_text(k, &used, ev->error_code,
                                        TW_KEPT_TEXT - used - floor_of(res_len), false)
                             : 0;
    k->resource_len = res_len ? put_text(k, &used, resource, TW_KEPT_TEXT - used, true) : 0;
}

tw_evidence tw_kept_event_evidence(const tw_kept_event *k, const tw_catalog *cat,
                                   char id_buf[TW_KEPT_ID_CHARS])
{
    tw_evidence e = { .time_ms = k->time_ms };
    /* restored state is bytes: lengths that overrun the text give nothing past it */
    uint32_t at = 0, sum = (k->id_form != TW_KEPT_ID_TEXT ? 16u : k->id_len) + k->action_len +
                           k->error_len + k->resource_len;
    if (sum > TW_KEPT_TEXT)
        return (tw_evidence){ .time_ms = k->time_ms, .event_id = TW_STR_LIT("(damaged)") };
    if (k->id_form != TW_KEPT_ID_TEXT) {
        uuid_unpack((const unsigned char *)k->text, k->id_form == TW_KEPT_ID_UUID_UPPER, id_buf);
        e.event_id = (tw_str){ id_buf, 36 };
        at = 16;
    } else {
        e.event_id = (tw_str){ k->text, k->id_len };
        at = k->id_len;
    }
    if (k->action_id != TW_ACTION_UNKNOWN && cat) {
        e.action = tw_catalog_name(cat, k->action_id);
    } else {
        e.action = (tw_str){ k->text + at, k->action_len };
        at += k->action_len;
    }
    if (k->error == TW_KEPT_ERROR_TEXT) {
        e.error_code = (tw_str){ k->text + at, k->error_len };
        at += k->error_len;
    } else if (k->error && k->error <= N_COMMON_ERRORS) {
        e.error_code = tw_str_c(common_errors[k->error - 1]);
    }
    e.resource = (tw_str){ k->text + at, k->resource_len };
    return e;
}

tw_evidence tw_event_evidence(const tw_event *ev, char res_buf[TW_RESOURCE_MAX])
{
    tw_evidence e = { ev->time_ms, ev->event_id, ev->action, ev->error_code,
                      tw_resource_of(ev->event_source, ev->request_params, res_buf) };
    return e;
}

uint64_t tw_kept_event_fingerprint(const tw_catalog *cat)
{
    uint64_t h = tw_hash64("kept", 4, N_COMMON_ERRORS);
    for (uint32_t i = 0; i < N_COMMON_ERRORS; i++)
        h = tw_hash_mix(h ^ tw_hash64(common_errors[i], strlen(common_errors[i]), i));
    uint32_t n = cat ? tw_catalog_size(cat) : 0;
    for (uint32_t i = 0; i < n; i++) {
        tw_str name = tw_catalog_name(cat, i);
        h = tw_hash_mix(h ^ tw_hash64(name.p, name.len, i));
    }
    return h;
}
