/* detect/detect_evidence: an event kept in 64 bytes (tw_kept_event) and given back as evidence:
 * UUID eventIDs as 16 bytes in either case, catalog actions as their index, common errorCodes
 * as an index, everything else as text cut at TW_KEPT_TEXT bytes in the order id, action,
 * error, resource (its end kept), on UTF-8 boundaries; over the real catalog. */
#include <stdio.h>
#include <string.h>

#include "tw_test.h"

#include "detect_evidence.h"
#include "schema_catalog.h"

#define T0 1767225600123LL /* 2026-01-01T00:00:00.123Z */

static tw_catalog *catalog(void)
{
    tw_catalog *cat = NULL;
    char errstr[256] = "";
    if (tw_catalog_new(&cat, errstr, sizeof errstr) != TW_OK)
        fail_msg("tw_catalog_new: %s", errstr);
    return cat;
}

/* An event with an action the catalog was not asked about (flags without ACTION_KNOWN). */
static tw_event event(const char *id, const char *action, const char *error)
{
    tw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.time_ms = T0;
    ev.action_id = TW_ACTION_UNKNOWN;
    ev.event_id = id ? tw_str_c(id) : TW_STR_NULL;
    ev.action = action ? tw_str_c(action) : TW_STR_NULL;
    ev.error_code = error ? tw_str_c(error) : TW_STR_NULL;
    return ev;
}

/* An event whose action is resolved as ingest_normalize does it. */
static tw_event resolved(const tw_catalog *cat, const char *source, const char *name,
                         const char *id, const char *error, char *name_buf, size_t name_buf_size)
{
    tw_event ev = event(id, NULL, error);
    tw_action act;
    tw_catalog_resolve(cat, tw_str_c(source), tw_str_c(name), name_buf, name_buf_size, &act);
    ev.action_id = act.id;
    ev.action = act.name;
    ev.flags = act.known ? TW_EV_ACTION_KNOWN : 0;
    return ev;
}

static void assert_text(tw_str s, const char *want)
{
    char got[128] = "";
    assert_true(s.len < sizeof got);
    if (s.len) {
        assert_non_null(s.p);
        memcpy(got, s.p, s.len);
    }
    got[s.len] = '\0';
    assert_string_equal(got, want);
}

/* Keeps an event with id beside an unknown action long enough that a UUID must be packed to
 * keep both whole (36 + 9 fit as text, 36 + 10 do not), and gives both back. */
static void assert_id_round_trips(const char *id, uint8_t form)
{
    static const char *const action = "svc:Act_9";  /* 9: everything fits as text */
    static const char *const longer = "svc:Act_10"; /* 10: a UUID is packed */
    for (int i = 0; i < 2; i++) {
        tw_kept_event k;
        memset(&k, 0, sizeof k);
        tw_event ev = event(id, i ? longer : action, NULL);
        tw_kept_event_set(&k, &ev, NULL);
        if (i == 0 && strlen(id) <= 36)
            assert_int_equal(k.id_form, TW_KEPT_ID_TEXT);
        if (i == 1)
            assert_int_equal(k.id_form, form);
        if (k.id_form == TW_KEPT_ID_TEXT && strlen(id) + strlen(ev.action.p) <= TW_KEPT_TEXT)
            assert_int_equal(k.id_len, strlen(id));
        char id_buf[TW_KEPT_ID_CHARS];
        tw_evidence e = tw_kept_event_evidence(&k, NULL, id_buf);
        if (strlen(id) + strlen(ev.action.p) <= TW_KEPT_TEXT || form != TW_KEPT_ID_TEXT) {
            assert_text(e.event_id, id);
            assert_text(e.action, ev.action.p);
        }
    }
}

static void lower_case_uuid_is_kept_as_16_bytes(void **state)
{
    (void)state;
    assert_id_round_trips("0123abcd-4567-89ef-abcd-ef0123456789", TW_KEPT_ID_UUID_LOWER);
    assert_id_round_trips("ffffffff-ffff-ffff-ffff-ffffffffffff", TW_KEPT_ID_UUID_LOWER);
    /* digits only: no case to keep, comes back as it was */
    assert_id_round_trips("00000000-1111-2222-3333-444455556666", TW_KEPT_ID_UUID_LOWER);
}

static void upper_case_uuid_comes_back_upper_case(void **state)
{
    (void)state;
    assert_id_round_trips("0123ABCD-4567-89EF-ABCD-EF0123456789", TW_KEPT_ID_UUID_UPPER);
    assert_id_round_trips("A0000000-0000-0000-0000-00000000000F", TW_KEPT_ID_UUID_UPPER);
}

static void mixed_case_and_near_uuids_are_kept_as_text(void **state)
{
    (void)state;
    static const char *const ids[] = {
        "0123abcd-4567-89EF-abcd-ef0123456789",  /* mixed case */
        "0123Abcd-4567-89ef-abcd-ef0123456789",  /* one upper-case letter among lower */
        "0123abcd-4567-89ef-abcd-ef012345678",   /* 35 characters */
        "0123abcd-4567-89ef-abcd-ef01234567890", /* 37 characters */
        "0123abc-d4567-89ef-abcd-ef0123456789",  /* a hyphen one place early */
        "0123abcd-4567-89ef-abcd-ef012345678g",  /* a 'g' */
        "0123abcd_4567_89ef_abcd_ef0123456789",  /* underscores for hyphens */
        "",                                      /* no eventID */
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        assert_id_round_trips(ids[i], TW_KEPT_ID_TEXT);
}

static void known_action_is_kept_by_index(void **state)
{
    (void)state;
    tw_catalog *cat = catalog();
    char name_buf[256];
    tw_event ev = resolved(cat, "iam.amazonaws.com", "AttachRolePolicy", "evt-1", NULL, name_buf,
                           sizeof name_buf);
    assert_true(ev.flags & TW_EV_ACTION_KNOWN);
    assert_int_not_equal(ev.action_id, TW_ACTION_UNKNOWN);
    assert_text(ev.action, "iam:AttachRolePolicy");

    tw_kept_event k;
    memset(&k, 0, sizeof k);
    tw_kept_event_set(&k, &ev, cat);
    assert_int_equal(k.action_id, ev.action_id);
    assert_int_equal(k.action_len, 0);
    char id_buf[TW_KEPT_ID_CHARS];
    tw_evidence e = tw_kept_event_evidence(&k, cat, id_buf);
    assert_text(e.event_id, "evt-1");
    assert_text(e.action, "iam:AttachRolePolicy");

    /* the same name in another buffer (not the catalog's pointer) is known too */
    char copy[] = "iam:AttachRolePolicy";
    ev.action = tw_str_c(copy);
    memset(&k, 0, sizeof k);
    tw_kept_event_set(&k, &ev, cat);
    assert_int_equal(k.action_id, ev.action_id);
    assert_int_equal(k.action_len, 0);
    assert_text(tw_kept_event_evidence(&k, cat, id_buf).action, "iam:AttachRolePolicy");
    tw_catalog_destroy(cat);
}

static void unknown_action_is_kept_as_text(void **state)
{
    (void)state;
    tw_catalog *cat = catalog();
    char id_buf[TW_KEPT_ID_CHARS];
    tw_kept_event k;

    /* resolved, but not in the catalog: the name lives in the caller's buffer */
    char name_buf[256];
    tw_event ev = resolved(cat, "iam.amazonaws.com", "NoSuchCallEverMade", "evt-2", NULL, name_buf,
                           sizeof name_buf);
    assert_false(ev.flags & TW_EV_ACTION_KNOWN);
    memset(&k, 0, sizeof k);
    tw_kept_event_set(&k, &ev, cat);
    memset(name_buf, 'x', sizeof name_buf); /* the kept event holds its own copy */
    assert_int_equal(k.action_id, TW_ACTION_UNKNOWN);
    assert_int_equal(k.action_len, strlen("iam:NoSuchCallEverMade"));
    assert_text(tw_kept_event_evidence(&k, cat, id_buf).action, "iam:NoSuchCallEverMade");

    /* a known action kept without a catalog: as text, and given back without one */
    char name_buf2[256];
    ev = resolved(cat, "iam.amazonaws.com", "AttachRolePolicy", "evt-3", NULL, name_buf2,
                  sizeof name_buf2);
    assert_true(ev.flags & TW_EV_ACTION_KNOWN);
    memset(&k, 0, sizeof k);
    tw_kept_event_set(&k, &ev, NULL);
    assert_int_equal(k.action_id, TW_ACTION_UNKNOWN);
    assert_int_equal(k.action_len, strlen("iam:AttachRolePolicy"));
    assert_text(tw_kept_event_evidence(&k, NULL, id_buf).action, "iam:AttachRolePolicy");
    assert_text(tw_kept_event_evidence(&k, cat, id_buf).action, "iam:AttachRolePolicy");

    /* a plain hand-made event without ACTION_KNOWN */
    ev = event("evt-4", "bedrock:InvokeModel", NULL);
    memset(&k, 0, sizeof k);
    tw_kept_event_set(&k, &ev, cat);
    assert_int_equal(k.action_id, TW_ACTION_UNKNOWN);
    assert_text(tw_kept_event_evidence(&k, cat, id_buf).action, "bedrock:InvokeModel");
    tw_catalog_destroy(cat);
}

static void known_flag_with_other_text_is_kept_as_text(void **state)
{
    (void)state;
    tw_catalog *cat = catalog();
    char name_buf[256];
    tw_event known = resolved(cat, "iam.amazonaws.com", "AttachRolePolicy", "evt-5", NULL, name_buf,
                              sizeof name_buf);
    char id_buf[TW_KEPT_ID_CHARS];
    static const char *const others[] = {
        "iam:DetachRolePolicy", /* another action */
        "iam:AttachRolePolicX", /* the same length, one byte off */
        "iam:attachrolepolicy", /* another case */
        "iam:AttachRolePolicyX",
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        tw_event ev = known;
        ev.action = tw_str_c(others[i]);
        tw_kept_event k;
        memset(&k, 0, sizeof k);
        tw_kept_event_set(&k, &ev, cat);
        assert_int_equal(k.action_id, TW_ACTION_UNKNOWN);
        assert_int_equal(k.action_len, strlen(others[i]));
        assert_text(tw_kept_event_evidence(&k, cat, id_buf).action, others[i]);
    }
    /* an action_id past the catalog's end, and TW_ACTION_UNKNOWN, with the flag set */
    const uint32_t ids[] = { tw_catalog_size(cat), TW_ACTION_UNKNOWN };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        tw_event ev = known;
        ev.action_id = ids[i];
        ev.action = tw_str_c("iam:AttachRolePolicy");
        tw_kept_event k;
        memset(&k, 0, sizeof k);
        tw_kept_event_set(&k, &ev, cat);
        assert_int_equal(k.action_id, TW_ACTION_UNKNOWN);
        assert_text(tw_kept_event_evidence(&k, cat, id_buf).action, "iam:AttachRolePolicy");
    }
    tw_catalog_destroy(cat);
}

static void error_codes_by_index_or_as_text(void **state)
{
    (void)state;
    char id_buf[TW_KEPT_ID_CHARS];
    tw_kept_event k;

    tw_event ev = event("evt-6", "svc:Act", NULL);
    memset(&k, 0, sizeof k);
    tw_kept_event_set(&k, &ev, NULL);
    assert_int_equal(k.error, 0);
    assert_int_equal(k.error_len, 0);
    tw_evidence e = tw_kept_event_evidence(&k, NULL, id_buf);
    assert_null(e.error_code.p);
    assert_int_equal(e.error_code.len, 0);

    static const char *const common[] = { "AccessDenied", "Client.UnauthorizedOperation",
                                          "PasswordPolicyViolation" /* the table's last */ };
    uint8_t index[sizeof common / sizeof common[0]];
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++) {
        ev = event("evt-7", "svc:Act", common[i]);
        memset(&k, 0, sizeof k);
        tw_kept_event_set(&k, &ev, NULL);
        assert_true(k.error > 0 && k.error != TW_KEPT_ERROR_TEXT);
        assert_int_equal(k.error_len, 0);
        index[i] = k.error;
        e = tw_kept_event_evidence(&k, NULL, id_buf);
        assert_text(e.error_code, common[i]);
        assert_text(e.event_id, "evt-7");
        assert_text(e.action, "svc:Act");
    }
    assert_int_not_equal(index[0], index[1]);
    assert_int_not_equal(index[1], index[2]);
    assert_int_not_equal(index[0], index[2]);

    /* a prefix or another case of a common code is no common code */
    static const char *const rare[] = { "SomeVeryRareErrorCodeXYZ", "AccessDenie", "accessdenied",
                                        "AccessDeniedX" };
    for (size_t i = 0; i < sizeof rare / sizeof rare[0]; i++) {
        ev = event("evt-8", "svc:Act", rare[i]);
        memset(&k, 0, sizeof k);
        tw_kept_event_set(&k, &ev, NULL);
        assert_int_equal(k.error, TW_KEPT_ERROR_TEXT);
        assert_int_equal(k.error_len, strlen(rare[i]));
        e = tw_kept_event_evidence(&k, NULL, id_buf);
        assert_text(e.error_code, rare[i]);
        assert_text(e.event_id, "evt-8");
        assert_text(e.action, "svc:Act");
    }
}

static void text_is_cut_at_45_in_order_id_action_error(void **state)
{
    (void)state;
    const char *id = "ID-0123456789-0123456789-0123456789-abcd"; /* 40 */
    const char *action = "svc:UnknownActionFor30Chars_ab";       /* 30 */
    assert_int_equal(strlen(id), 40);
    assert_int_equal(strlen(action), 30);
    tw_event ev = event(id, action, "SomeVeryRareErrorCodeXYZ");
    tw_kept_event k;
    memset(&k, 0, sizeof k);
    tw_kept_event_set(&k, &ev, NULL);
    /* the action and the error keep 12 bytes each, the id the rest */
    assert_int_equal(k.id_len, 21);
    assert_int_equal(k.action_len, 12);
    assert_int_equal(k.error_len, 12);
    assert_int_equal(k.error, TW_KEPT_ERROR_TEXT);
    char id_buf[TW_KEPT_ID_CHARS];
    tw_evidence e = tw_kept_event_evidence(&k, NULL, id_buf);
    assert_text(e.event_id, "ID-0123456789-0123456");
    assert_text(e.action, "svc:UnknownA");
    assert_text(e.error_code, "SomeVeryRare");

    /* a shorter id leaves the action more room; the error keeps its floor */
    ev = event("ID-0123456789", action, "SomeVeryRareErrorCodeXYZ"); /* 13 + 21 + 12 */
    memset(&k, 0, sizeof k);
    tw_kept_event_set(&k, &ev, NULL);
    e = tw_kept_event_evidence(&k, NULL, id_buf);
    assert_text(e.event_id, "ID-0123456789");
    assert_text(e.action, "svc:UnknownActionFor"); /* 45 - 13 - 12 */
    assert_text(e.error_code, "SomeVeryRare");

    /* short texts are never cut for the others' sake */
    ev = event(id, "svc:Short", "Rare"); /* 40 + 9 + 4: the id gives way */
    memset(&k, 0, sizeof k);
    tw_kept_event_set(&k, &ev, NULL);
    e = tw_kept_event_evidence(&k, NULL, id_buf);
    assert_text(e.event_id, "ID-0123456789-0123456789-0123456"); /* 45 - 9 - 4 */
    assert_text(e.action, "svc:Short");
    assert_text(e.error_code, "Rare");
}

static void long_id_alone_is_cut_to_45(void **state)
{
    (void)state;
    const char *id = "0123456789abcdefghij0123456789ABCDEFGHIJ0123456789abcdefghij"; /* 60 */
    assert_int_equal(strlen(id), 60);
    tw_event ev = event(id, NULL, NULL);
    tw_kept_event k;
    memset(&k, 0, sizeof k);
    tw_kept_event_set(&k, &ev, NULL);
    assert_int_equal(k.id_len, TW_KEPT_TEXT);
    char id_buf[TW_KEPT_ID_CHARS];
    tw_evidence e = tw_kept_event_evidence(&k, NULL, id_buf);
    assert_text(e.event_id, "0123456789abcdefghij0123456789ABCDEFGHIJ01234");
    assert_text(e.action, "");
    assert_null(e.error_code.p);
}

static void uuid_leaves_29_bytes_of_text(void **state)
{
    (void)state;
    const char *uuid = "0123abcd-4567-89ef-abcd-ef0123456789";
    const char *action = "svc:AnUnknownActionOf31Chars_xy"; /* 31 */
    tw_event ev = event(uuid, action, "SomeVeryRareErrorCodeXYZ");
    tw_kept_event k;
    memset(&k, 0, sizeof k);
    tw_kept_event_set(&k, &ev, NULL);
    assert_int_equal(k.id_form, TW_KEPT_ID_UUID_LOWER);
    assert_int_equal(k.action_len, 17); /* 29 - the error's 12 */
    assert_int_equal(k.error_len, 12);
    char id_buf[TW_KEPT_ID_CHARS];
    tw_evidence e = tw_kept_event_evidence(&k, NULL, id_buf);
    assert_text(e.event_id, uuid);
    assert_text(e.action, "svc:AnUnknownActi");
    assert_text(e.error_code, "SomeVeryRare");

    ev = event(uuid, action, NULL); /* no error: the action has all 29 */
    memset(&k, 0, sizeof k);
    tw_kept_event_set(&k, &ev, NULL);
    e = tw_kept_event_evidence(&k, NULL, id_buf);
    assert_text(e.action, "svc:AnUnknownActionOf31Chars_");
    assert_null(e.error_code.p);

    ev = event(uuid, "svc:Act", "SomeVeryRareErrorCodeXYZ"); /* 7 + 24: two bytes cut */
    memset(&k, 0, sizeof k);
    tw_kept_event_set(&k, &ev, NULL);
    e = tw_kept_event_evidence(&k, NULL, id_buf);
    assert_text(e.event_id, uuid);
    assert_text(e.action, "svc:Act");
    assert_text(e.error_code, "SomeVeryRareErrorCodeX");
}

/* The resource acted on (schema_resource.h) is kept after the rest, with its end when it must
 * be cut: the name that ends an ARN is what an analyst acts on. */
static void resource_is_kept_with_its_end(void **state)
{
    (void)state;
    tw_catalog *cat = catalog();
    char name_buf[256], id_buf[TW_KEPT_ID_CHARS];
    const char *uuid = "0123abcd-4567-89ef-abcd-ef0123456789";
    tw_event ev =
        resolved(cat, "s3.amazonaws.com", "DeleteBucket", uuid, NULL, name_buf, sizeof name_buf);
    ev.event_source = tw_str_c("s3.amazonaws.com");
    ev.request_params = tw_str_c("{\"bucketName\":\"logs\",\"Host\":\"logs.s3.amazonaws.com\"}");
    tw_kept_event k;
    memset(&k, 0, sizeof k);
    tw_kept_event_set(&k, &ev, cat);
    assert_int_equal(k.id_form, TW_KEPT_ID_TEXT); /* 36 + 4 fit as text */
    tw_evidence e = tw_kept_event_evidence(&k, cat, id_buf);
    assert_text(e.event_id, uuid);
    assert_text(e.action, "s3:DeleteBucket");
    assert_text(e.resource, "logs");

    /* a trail's ARN: the UUID is packed, the ARN keeps its last 29 bytes */
    ev = resolved(cat, "cloudtrail.amazonaws.com", "StopLogging", uuid, "AccessDenied", name_buf,
                  sizeof name_buf);
    ev.event_source = tw_str_c("cloudtrail.amazonaws.com");
    ev.request_params =
        tw_str_c("{\"name\":\"arn:aws:cloudtrail:us-east-1:111122223333:trail/org-management\"}");
    memset(&k, 0, sizeof k);
    tw_kept_event_set(&k, &ev, cat);
    assert_int_equal(k.id_form, TW_KEPT_ID_UUID_LOWER);
    e = tw_kept_event_evidence(&k, cat, id_buf);
    assert_text(e.event_id, uuid);
    assert_text(e.error_code, "AccessDenied");
    assert_text(e.resource, "22223333:trail/org-management"); /* its last 29 bytes */

    /* no resource: nothing kept, an empty view */
    ev = event("evt-9", "svc:Act", NULL);
    memset(&k, 0, sizeof k);
    tw_kept_event_set(&k, &ev, NULL);
    assert_int_equal(k.resource_len, 0);
    assert_int_equal(tw_kept_event_evidence(&k, NULL, id_buf).resource.len, 0);

    /* the whole event gives the whole resource */
    char res_buf[TW_RESOURCE_MAX];
    ev.event_source = tw_str_c("kms.amazonaws.com");
    ev.request_params = tw_str_c("{\"keyId\": \"alias/payments\", \"pendingWindowInDays\": 7}");
    assert_text(tw_event_evidence(&ev, res_buf).resource, "alias/payments");
    tw_catalog_destroy(cat);
}

/* Texts cut to fit are cut between characters, never inside one (a cut that left half a
 * character ended in U+FFFD once encoded). */
static void cuts_fall_on_character_boundaries(void **state)
{
    (void)state;
    char id_buf[TW_KEPT_ID_CHARS];
    /* 20 two-byte characters (40 bytes) as an id, beside a 12-byte floor for the action: the
     * id's room (33) falls inside a character */
    char id[64] = "";
    for (int i = 0; i < 20; i++)
        strcat(id, "\xc3\xa9");
    tw_event ev = event(id, "svc:UnknownActionFor30Chars_ab", NULL);
    tw_kept_event k;
    memset(&k, 0, sizeof k);
    tw_kept_event_set(&k, &ev, NULL);
    tw_evidence e = tw_kept_event_evidence(&k, NULL, id_buf);
    assert_int_equal(e.event_id.len, 32); /* 33 rounded down to a whole character */
    assert_int_equal((unsigned char)e.event_id.p[31], 0xa9);
    /* a resource whose kept end starts inside a character starts at the next one */
    ev = event("0123abcd-4567-89ef-abcd-ef0123456789", NULL, NULL);
    ev.event_source = tw_str_c("s3.amazonaws.com");
    char params[128] = "{\"bucketName\":\"";
    for (int i = 0; i < 20; i++)
        strcat(params, "\xc3\xa9");
    strcat(params, "\"}");
    ev.request_params = tw_str_c(params);
    memset(&k, 0, sizeof k);
    tw_kept_event_set(&k, &ev, NULL);
    e = tw_kept_event_evidence(&k, NULL, id_buf);
    assert_int_equal(e.resource.len, 28); /* 29 bytes of room, a whole character first */
    assert_int_equal((unsigned char)e.resource.p[0], 0xc3);
}

static void second_set_replaces_the_first(void **state)
{
    (void)state;
    tw_catalog *cat = catalog();
    char name_buf[256];
    char id_buf[TW_KEPT_ID_CHARS];
    tw_kept_event k;
    memset(&k, 0, sizeof k);

    tw_event first =
        event("first-event-id-that-is-text", "svc:FirstUnknownAction", "SomeVeryRareErrorCodeXYZ");
    first.time_ms = T0;
    tw_kept_event_set(&k, &first, cat);
    tw_event second =
        resolved(cat, "iam.amazonaws.com", "AttachRolePolicy",
                 "0123ABCD-4567-89EF-ABCD-EF0123456789", NULL, name_buf, sizeof name_buf);
    second.time_ms = T0 + 5;
    tw_kept_event_set(&k, &second, cat);
    assert_int_equal(k.id_form, TW_KEPT_ID_TEXT); /* it fits as text: nothing packed */
    assert_int_equal(k.id_len, 36);
    assert_int_equal(k.action_len, 0);
    assert_int_equal(k.error, 0);
    assert_int_equal(k.error_len, 0);
    tw_evidence e = tw_kept_event_evidence(&k, cat, id_buf);
    assert_int_equal(e.time_ms, T0 + 5);
    assert_text(e.event_id, "0123ABCD-4567-89EF-ABCD-EF0123456789");
    assert_text(e.action, "iam:AttachRolePolicy");
    assert_null(e.error_code.p);
    assert_int_equal(e.error_code.len, 0);

    /* and back: text over a UUID and an index */
    tw_event third = event("t3", "svc:Third", "AccessDenied");
    third.time_ms = T0 - 1;
    tw_kept_event_set(&k, &third, cat);
    assert_int_equal(k.id_form, TW_KEPT_ID_TEXT);
    assert_int_equal(k.action_id, TW_ACTION_UNKNOWN);
    e = tw_kept_event_evidence(&k, cat, id_buf);
    assert_int_equal(e.time_ms, T0 - 1);
    assert_text(e.event_id, "t3");
    assert_text(e.action, "svc:Third");
    assert_text(e.error_code, "AccessDenied");
    tw_catalog_destroy(cat);
}

static void time_and_set_flag(void **state)
{
    (void)state;
    tw_kept_event k;
    memset(&k, 0, sizeof k);
    assert_int_equal(k.set, 0);
    const int64_t times[] = { T0, 0, -1, INT64_MAX, INT64_MIN };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        tw_event ev = event("evt", "svc:Act", NULL);
        ev.time_ms = times[i];
        tw_kept_event_set(&k, &ev, NULL);
        assert_int_equal(k.set, 1);
        char id_buf[TW_KEPT_ID_CHARS];
        assert_true(tw_kept_event_evidence(&k, NULL, id_buf).time_ms == times[i]);
    }
}

static void fingerprint_is_stable_and_names_the_catalog(void **state)
{
    (void)state;
    tw_catalog *cat = catalog();
    uint64_t with = tw_kept_event_fingerprint(cat);
    assert_true(tw_kept_event_fingerprint(cat) == with);
    uint64_t without = tw_kept_event_fingerprint(NULL);
    assert_true(tw_kept_event_fingerprint(NULL) == without);
    assert_true(with != without);
    /* another build of the same catalog means the same indices */
    tw_catalog *again = catalog();
    assert_true(tw_kept_event_fingerprint(again) == with);
    tw_catalog_destroy(again);
    tw_catalog_destroy(cat);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lower_case_uuid_is_kept_as_16_bytes),
        cmocka_unit_test(upper_case_uuid_comes_back_upper_case),
        cmocka_unit_test(mixed_case_and_near_uuids_are_kept_as_text),
        cmocka_unit_test(known_action_is_kept_by_index),
        cmocka_unit_test(unknown_action_is_kept_as_text),
        cmocka_unit_test(known_flag_with_other_text_is_kept_as_text),
        cmocka_unit_test(error_codes_by_index_or_as_text),
        cmocka_unit_test(text_is_cut_at_45_in_order_id_action_error),
        cmocka_unit_test(long_id_alone_is_cut_to_45),
        cmocka_unit_test(uuid_leaves_29_bytes_of_text),
        cmocka_unit_test(resource_is_kept_with_its_end),
        cmocka_unit_test(cuts_fall_on_character_boundaries),
        cmocka_unit_test(second_set_replaces_the_first),
        cmocka_unit_test(time_and_set_flag),
        cmocka_unit_test(fingerprint_is_stable_and_names_the_catalog),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
