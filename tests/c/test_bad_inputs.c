/* Every bad input the C ABI refuses: NULL pointers, invalid UTF-8, bad names, bad headers, bad
 * positions, bad settings. Each gives its own result code, never a crash, and leaves outputs alone.
 *
 * The client here points at a closed port: a refusal that came from the network would show as
 * OSS_APPEND_RESULT_NETWORK, so each expected code proves the input was refused before anything was sent. */
#include "check.h"

static const char BAD_UTF8[] = {(char)0xC3, (char)0x28, 0}; /* a lead byte followed by a non-continuation */
static const uint8_t DATA[] = "data";

static oss_append_client *offline_client(void) {
  oss_append_config *config = NULL;
  oss_append_client *client = NULL;
  CHECK_RESULT(oss_append_config_new(&config), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_endpoint(config, "http://127.0.0.1:1"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_region(config, "cn-hangzhou"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_credentials(config, "AK", "SK", NULL), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_retries(config, 1, 0, 0), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_client_new(config, &client, NULL), OSS_APPEND_RESULT_OK);
  oss_append_config_free(config);
  return client;
}

/* Runs an append with a fresh error handle; checks the code and that the handle says the same. */
static void expect_append(oss_append_client *client, const char *bucket, const char *key, uint64_t position,
                          const uint8_t *data, size_t len, const oss_append_options *options, oss_append_result expected,
                          int line) {
  oss_append_receipt result;
  memset(&result, 0x5A, sizeof result);
  oss_append_error *error = NULL;
  oss_append_result got = oss_append_object(client, bucket, key, position, data, len, options, &result, &error);
  if (got != expected) {
    fprintf(stderr, "    line %d: append gave %s, expected %s\n", line, oss_append_result_name(got),
            oss_append_result_name(expected));
    if (error != NULL) {
      fprintf(stderr, "      error: %s\n", oss_append_error_message(error));
    }
    check_failures_in_case++;
  }
  CHECK(error != NULL);
  CHECK_U64(oss_append_error_result(error), expected);
  CHECK(strlen(oss_append_error_message(error)) > 0);
  CHECK_U64(oss_append_error_http_status(error), 0);
  CHECK(result.next_position == 0x5A5A5A5A5A5A5A5AULL); /* untouched */
  oss_append_error_free(error);
}

#define EXPECT_APPEND(client, bucket, key, position, data, len, options, expected) \
  expect_append(client, bucket, key, position, data, len, options, expected, __LINE__)

static void free_null_does_nothing(void) {
  oss_append_config_free(NULL);
  oss_append_client_free(NULL);
  oss_append_options_free(NULL);
  oss_append_cancel_token_free(NULL);
  oss_append_error_free(NULL);
  oss_append_object_meta_free(NULL);
  CHECK(1);
}

static void result_names(void) {
  CHECK_STR(oss_append_result_name(OSS_APPEND_RESULT_OK), "OSS_APPEND_RESULT_OK");
  CHECK_STR(oss_append_result_name(OSS_APPEND_RESULT_POSITION_NOT_EQUAL_TO_LENGTH), "OSS_APPEND_RESULT_POSITION_NOT_EQUAL_TO_LENGTH");
  CHECK_STR(oss_append_result_name(OSS_APPEND_RESULT_PANIC), "OSS_APPEND_RESULT_PANIC");
  CHECK_STR(oss_append_result_name(12345), "OSS_APPEND_RESULT_UNKNOWN");
  CHECK_STR(oss_append_result_name(UINT32_MAX), "OSS_APPEND_RESULT_UNKNOWN");
  /* The numbering is part of the ABI. */
  CHECK_U64(OSS_APPEND_RESULT_NULL_POINTER, 100);
  CHECK_U64(OSS_APPEND_RESULT_POSITION_NOT_EQUAL_TO_LENGTH, 201);
  CHECK_U64(OSS_APPEND_RESULT_NETWORK, 300);
  CHECK_U64(OSS_APPEND_RESULT_CRC_MISMATCH, 400);
  CHECK_U64(OSS_APPEND_RESULT_PANIC, 900);
}

static void null_handles_in_accessors(void) {
  CHECK_U64(oss_append_error_result(NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_STR(oss_append_error_message(NULL), "");
  CHECK_STR(oss_append_error_code(NULL), "");
  CHECK_STR(oss_append_error_service_message(NULL), "");
  CHECK_STR(oss_append_error_request_id(NULL), "");
  CHECK_STR(oss_append_error_host_id(NULL), "");
  CHECK_STR(oss_append_error_ec(NULL), "");
  CHECK_U64(oss_append_error_http_status(NULL), 0);
  CHECK_U64(oss_append_error_next_position(NULL), OSS_APPEND_POSITION_UNKNOWN);
  uint64_t crc = 7;
  CHECK(!oss_append_error_crc64(NULL, &crc));
  CHECK_U64(crc, 7);

  CHECK_U64(oss_append_object_meta_content_length(NULL), 0);
  CHECK(!oss_append_object_meta_is_appendable(NULL));
  CHECK_U64(oss_append_object_meta_next_append_position(NULL), OSS_APPEND_POSITION_UNKNOWN);
  CHECK(!oss_append_object_meta_crc64(NULL, &crc));
  CHECK_STR(oss_append_object_meta_object_type(NULL), "");
  CHECK_STR(oss_append_object_meta_etag(NULL), "");
  CHECK_STR(oss_append_object_meta_content_type(NULL), "");
  CHECK_STR(oss_append_object_meta_last_modified(NULL), "");
  CHECK_STR(oss_append_object_meta_storage_class(NULL), "");
  CHECK_STR(oss_append_object_meta_request_id(NULL), "");
  CHECK_U64(oss_append_object_meta_metadata_count(NULL), 0);
  CHECK(oss_append_object_meta_metadata_name(NULL, 0) == NULL);
  CHECK(oss_append_object_meta_metadata_value(NULL, 0) == NULL);

  CHECK_RESULT(oss_append_cancel_token_cancel(NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK(!oss_append_cancel_token_is_cancelled(NULL));
  CHECK_RESULT(oss_append_credentials_sink_set(NULL, "AK", "SK", NULL, 0), OSS_APPEND_RESULT_NULL_POINTER);
}

static void null_out_parameters(void) {
  CHECK_RESULT(oss_append_config_new(NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_options_new(NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_cancel_token_new(NULL), OSS_APPEND_RESULT_NULL_POINTER);
  oss_append_config *config = NULL;
  CHECK_RESULT(oss_append_config_new(&config), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_endpoint(config, "http://127.0.0.1:1"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_region(config, "cn-hangzhou"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_credentials(config, "AK", "SK", NULL), OSS_APPEND_RESULT_OK);
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_client_new(config, NULL, &error), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK(strstr(oss_append_error_message(error), "client_out") != NULL);
  oss_append_error_free(error);
  oss_append_config_free(config);

  oss_append_client *client = offline_client();
  CHECK_RESULT(oss_append_head_object(client, "bucket", "key", NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  oss_append_client_free(client);
}

static void config_setters_refuse_bad_values(void) {
  oss_append_config *config = NULL;
  CHECK_RESULT(oss_append_config_new(&config), OSS_APPEND_RESULT_OK);
  /* NULL config */
  CHECK_RESULT(oss_append_config_set_endpoint(NULL, "http://x"), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_set_region(NULL, "cn-hangzhou"), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_set_credentials(NULL, "AK", "SK", NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_set_credentials_from_env(NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_set_signature_version(NULL, OSS_APPEND_SIGNATURE_VERSION_V4), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_set_path_style(NULL, true), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_set_timeouts(NULL, 1, 1, 1), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_set_retries(NULL, 1, 0, 0), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_set_user_agent(NULL, "ua"), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_set_credentials_provider(NULL, NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_set_credentials_url(NULL, "https://app/sts"), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_add_credentials_url_header(NULL, "A", "b"), OSS_APPEND_RESULT_NULL_POINTER);
  /* A header before the URL it goes to */
  CHECK_RESULT(oss_append_config_add_credentials_url_header(config, "Authorization", "Bearer t"), OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(oss_append_config_set_credentials_url(config, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_set_credentials_url(config, BAD_UTF8), OSS_APPEND_RESULT_INVALID_UTF8);
  CHECK_RESULT(oss_append_config_set_credentials_url(config, "https://app/sts"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_add_credentials_url_header(config, NULL, "b"), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_add_credentials_url_header(config, "A", NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_add_credentials_url_header(config, "A", BAD_UTF8), OSS_APPEND_RESULT_INVALID_UTF8);
  /* NULL and invalid values */
  CHECK_RESULT(oss_append_config_set_endpoint(config, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_set_endpoint(config, BAD_UTF8), OSS_APPEND_RESULT_INVALID_UTF8);
  CHECK_RESULT(oss_append_config_set_region(config, BAD_UTF8), OSS_APPEND_RESULT_INVALID_UTF8);
  CHECK_RESULT(oss_append_config_set_credentials(config, NULL, "SK", NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_set_credentials(config, "AK", NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_set_credentials(config, "", "SK", NULL), OSS_APPEND_RESULT_CREDENTIALS);
  CHECK_RESULT(oss_append_config_set_credentials(config, "AK", "", NULL), OSS_APPEND_RESULT_CREDENTIALS);
  CHECK_RESULT(oss_append_config_set_credentials(config, "AK\r\n", "SK", NULL), OSS_APPEND_RESULT_CREDENTIALS);
  CHECK_RESULT(oss_append_config_set_credentials(config, "AK", "SK", "token\nX: 1"), OSS_APPEND_RESULT_CREDENTIALS);
  CHECK_RESULT(oss_append_config_set_credentials(config, BAD_UTF8, "SK", NULL), OSS_APPEND_RESULT_INVALID_UTF8);
  CHECK_RESULT(oss_append_config_set_credentials(config, "AK", "SK", BAD_UTF8), OSS_APPEND_RESULT_INVALID_UTF8);
  CHECK_RESULT(oss_append_config_set_credentials_provider(config, NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_set_signature_version(config, 0), OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(oss_append_config_set_signature_version(config, 2), OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(oss_append_config_set_signature_version(config, UINT32_MAX), OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(oss_append_config_set_retries(config, 0, 10, 100), OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(oss_append_config_set_retries(config, 3, 1000, 10), OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(oss_append_config_set_user_agent(config, "agent\r\nX-Injected: 1"), OSS_APPEND_RESULT_INVALID_HEADER_VALUE);
  CHECK_RESULT(oss_append_config_set_user_agent(config, BAD_UTF8), OSS_APPEND_RESULT_INVALID_UTF8);
  CHECK_RESULT(oss_append_config_set_user_agent(config, NULL), OSS_APPEND_RESULT_OK); /* back to the default */
  oss_append_config_free(config);
}

/* Makes a client from a config built by `setup`, expecting `expected`; the out pointer stays as it was. */
static void expect_client(void (*setup)(oss_append_config *), oss_append_result expected, int line) {
  oss_append_config *config = NULL;
  CHECK_RESULT(oss_append_config_new(&config), OSS_APPEND_RESULT_OK);
  setup(config);
  oss_append_client *sentinel = (oss_append_client *)&line;
  oss_append_client *client = sentinel;
  oss_append_error *error = NULL;
  oss_append_result got = oss_append_client_new(config, &client, &error);
  if (got != expected) {
    fprintf(stderr, "    line %d: oss_append_client_new gave %s, expected %s\n", line, oss_append_result_name(got),
            oss_append_result_name(expected));
    check_failures_in_case++;
  }
  if (got == OSS_APPEND_RESULT_OK) {
    oss_append_client_free(client);
  } else {
    CHECK(client == sentinel);
    CHECK(error != NULL && strlen(oss_append_error_message(error)) > 0);
  }
  oss_append_error_free(error);
  oss_append_config_free(config);
}

static void with_url(oss_append_config *c, const char *url) {
  CHECK_RESULT(oss_append_config_set_endpoint(c, "http://127.0.0.1:9000"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_region(c, "cn-hangzhou"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_credentials_url(c, url), OSS_APPEND_RESULT_OK);
}
static void ftp_credentials_url(oss_append_config *c) { with_url(c, "ftp://app/sts"); }
static void credentials_url_with_password(oss_append_config *c) { with_url(c, "https://me:pw@app/sts"); }
static void credentials_url_header_with_newline(oss_append_config *c) {
  with_url(c, "https://app/sts");
  CHECK_RESULT(oss_append_config_add_credentials_url_header(c, "Authorization", "Bearer t\r\nX: 1"), OSS_APPEND_RESULT_OK);
}
static void good_credentials_url(oss_append_config *c) {
  with_url(c, "https://app/sts?session=1");
  CHECK_RESULT(oss_append_config_add_credentials_url_header(c, "Authorization", "Bearer t"), OSS_APPEND_RESULT_OK);
}
static void with_keys(oss_append_config *c) { CHECK_RESULT(oss_append_config_set_credentials(c, "AK", "SK", NULL), OSS_APPEND_RESULT_OK); }
static void no_endpoint(oss_append_config *c) { with_keys(c); }
static void ftp_endpoint(oss_append_config *c) {
  with_keys(c);
  CHECK_RESULT(oss_append_config_set_endpoint(c, "ftp://127.0.0.1"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_region(c, "cn-hangzhou"), OSS_APPEND_RESULT_OK);
}
static void endpoint_with_path(oss_append_config *c) {
  with_keys(c);
  CHECK_RESULT(oss_append_config_set_endpoint(c, "http://127.0.0.1:9000/bucket"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_region(c, "cn-hangzhou"), OSS_APPEND_RESULT_OK);
}
static void empty_endpoint(oss_append_config *c) {
  with_keys(c);
  CHECK_RESULT(oss_append_config_set_endpoint(c, ""), OSS_APPEND_RESULT_OK);
}
static void no_region_for_v4(oss_append_config *c) {
  with_keys(c);
  CHECK_RESULT(oss_append_config_set_endpoint(c, "http://127.0.0.1:9000"), OSS_APPEND_RESULT_OK);
}
static void bad_region(oss_append_config *c) {
  no_region_for_v4(c);
  CHECK_RESULT(oss_append_config_set_region(c, "cn hangzhou!"), OSS_APPEND_RESULT_OK);
}
static void no_credentials(oss_append_config *c) {
  CHECK_RESULT(oss_append_config_set_endpoint(c, "http://127.0.0.1:9000"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_region(c, "cn-hangzhou"), OSS_APPEND_RESULT_OK);
}
static void credentials_from_empty_env(oss_append_config *c) {
  unsetenv("OSS_ACCESS_KEY_ID");
  unsetenv("OSS_ACCESS_KEY_SECRET");
  no_credentials(c);
  CHECK_RESULT(oss_append_config_set_credentials_from_env(c), OSS_APPEND_RESULT_OK);
}
static void local(oss_append_config *c, const char *endpoint) {
  with_keys(c);
  CHECK_RESULT(oss_append_config_set_endpoint(c, endpoint), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_region(c, "cn-hangzhou"), OSS_APPEND_RESULT_OK);
}
static void port_out_of_range(oss_append_config *c) { local(c, "http://127.0.0.1:99999"); }
static void password_in_endpoint(oss_append_config *c) { local(c, "http://user:pw@127.0.0.1:9000"); }
static void zero_connect_timeout(oss_append_config *c) {
  local(c, "http://127.0.0.1:9000");
  CHECK_RESULT(oss_append_config_set_timeouts(c, 0, 1000, 0), OSS_APPEND_RESULT_OK);
}
static void zero_read_write_timeout(oss_append_config *c) {
  local(c, "http://127.0.0.1:9000");
  CHECK_RESULT(oss_append_config_set_timeouts(c, 1000, 0, 0), OSS_APPEND_RESULT_OK);
}
static void region_from_endpoint(oss_append_config *c) {
  with_keys(c);
  CHECK_RESULT(oss_append_config_set_endpoint(c, "oss-cn-beijing.aliyuncs.com"), OSS_APPEND_RESULT_OK);
}

static void client_new_refuses_bad_configs(void) {
  oss_append_client *client = NULL;
  CHECK_RESULT(oss_append_client_new(NULL, &client, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK(client == NULL);
  expect_client(no_endpoint, OSS_APPEND_RESULT_INVALID_ENDPOINT, __LINE__);
  expect_client(ftp_endpoint, OSS_APPEND_RESULT_INVALID_ENDPOINT, __LINE__);
  expect_client(ftp_credentials_url, OSS_APPEND_RESULT_INVALID_ARGUMENT, __LINE__);
  expect_client(credentials_url_with_password, OSS_APPEND_RESULT_INVALID_ARGUMENT, __LINE__);
  expect_client(credentials_url_header_with_newline, OSS_APPEND_RESULT_INVALID_ARGUMENT, __LINE__);
  expect_client(good_credentials_url, OSS_APPEND_RESULT_OK, __LINE__);
  expect_client(endpoint_with_path, OSS_APPEND_RESULT_INVALID_ENDPOINT, __LINE__);
  expect_client(empty_endpoint, OSS_APPEND_RESULT_INVALID_ENDPOINT, __LINE__);
  expect_client(no_region_for_v4, OSS_APPEND_RESULT_INVALID_REGION, __LINE__);
  expect_client(bad_region, OSS_APPEND_RESULT_INVALID_REGION, __LINE__);
  expect_client(no_credentials, OSS_APPEND_RESULT_CREDENTIALS, __LINE__);
  expect_client(credentials_from_empty_env, OSS_APPEND_RESULT_CREDENTIALS, __LINE__);
  expect_client(port_out_of_range, OSS_APPEND_RESULT_INVALID_ENDPOINT, __LINE__);
  expect_client(password_in_endpoint, OSS_APPEND_RESULT_INVALID_ENDPOINT, __LINE__);
  expect_client(zero_connect_timeout, OSS_APPEND_RESULT_INVALID_ARGUMENT, __LINE__);
  expect_client(zero_read_write_timeout, OSS_APPEND_RESULT_INVALID_ARGUMENT, __LINE__);
  expect_client(region_from_endpoint, OSS_APPEND_RESULT_OK, __LINE__);
}

static void settle_refuses_bad_arguments(void) {
  oss_append_client *client = check_client();
  oss_append_in_flight in_flight = {0, 3, 1, 0, false};
  oss_append_settlement settlement;
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_settle(NULL, "bucket", "key", &in_flight, &settlement, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_settle(client, NULL, "key", &in_flight, &settlement, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_settle(client, "bucket", NULL, &in_flight, &settlement, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_settle(client, "bucket", "key", NULL, &settlement, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_settle(client, "bucket", "key", &in_flight, NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_settle(client, BAD_UTF8, "key", &in_flight, &settlement, NULL), OSS_APPEND_RESULT_INVALID_UTF8);
  CHECK_RESULT(oss_append_settle(client, "Bad_Bucket", "key", &in_flight, &settlement, NULL), OSS_APPEND_RESULT_INVALID_BUCKET);
  CHECK_RESULT(oss_append_settle(client, "bucket", "/key", &in_flight, &settlement, NULL), OSS_APPEND_RESULT_INVALID_KEY);
  oss_append_in_flight empty = {0, 0, 0, 0, false};
  CHECK_RESULT(oss_append_settle(client, "bucket", "key", &empty, &settlement, &error), OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK(strstr(oss_append_error_message(error), "nothing to settle") != NULL);
  oss_append_error_free(error);
  oss_append_in_flight too_far = {OSS_APPEND_MAX_OBJECT_SIZE, 1, 0, 0, false};
  CHECK_RESULT(oss_append_settle(client, "bucket", "key", &too_far, &settlement, NULL), OSS_APPEND_RESULT_POSITION_TOO_LARGE);
  oss_append_in_flight out;
  CHECK(!oss_append_error_in_flight(NULL, &out));
  CHECK(!oss_append_error_is_retryable(NULL));
  oss_append_client_free(client);
}

static void append_refuses_bad_arguments(void) {
  oss_append_client *client = offline_client();
  char long_key[1100];
  memset(long_key, 'k', 1024);
  long_key[1024] = '\0';

  EXPECT_APPEND(NULL, "bucket", "key", 0, DATA, 4, NULL, OSS_APPEND_RESULT_NULL_POINTER);
  EXPECT_APPEND(client, NULL, "key", 0, DATA, 4, NULL, OSS_APPEND_RESULT_NULL_POINTER);
  EXPECT_APPEND(client, "bucket", NULL, 0, DATA, 4, NULL, OSS_APPEND_RESULT_NULL_POINTER);
  EXPECT_APPEND(client, "bucket", "key", 0, NULL, 4, NULL, OSS_APPEND_RESULT_NULL_POINTER);
  EXPECT_APPEND(client, BAD_UTF8, "key", 0, DATA, 4, NULL, OSS_APPEND_RESULT_INVALID_UTF8);
  EXPECT_APPEND(client, "bucket", BAD_UTF8, 0, DATA, 4, NULL, OSS_APPEND_RESULT_INVALID_UTF8);
  EXPECT_APPEND(client, "ab", "key", 0, DATA, 4, NULL, OSS_APPEND_RESULT_INVALID_BUCKET);
  EXPECT_APPEND(client, "My_Bucket", "key", 0, DATA, 4, NULL, OSS_APPEND_RESULT_INVALID_BUCKET);
  EXPECT_APPEND(client, "-bucket", "key", 0, DATA, 4, NULL, OSS_APPEND_RESULT_INVALID_BUCKET);
  EXPECT_APPEND(client, "", "key", 0, DATA, 4, NULL, OSS_APPEND_RESULT_INVALID_BUCKET);
  EXPECT_APPEND(client, "bucket", "", 0, DATA, 4, NULL, OSS_APPEND_RESULT_INVALID_KEY);
  EXPECT_APPEND(client, "bucket", "/absolute", 0, DATA, 4, NULL, OSS_APPEND_RESULT_INVALID_KEY);
  EXPECT_APPEND(client, "bucket", "\\windows", 0, DATA, 4, NULL, OSS_APPEND_RESULT_INVALID_KEY);
  EXPECT_APPEND(client, "bucket", long_key, 0, DATA, 4, NULL, OSS_APPEND_RESULT_INVALID_KEY);
  EXPECT_APPEND(client, "bucket", "key", OSS_APPEND_MAX_OBJECT_SIZE, DATA, 1, NULL, OSS_APPEND_RESULT_POSITION_TOO_LARGE);
  EXPECT_APPEND(client, "bucket", "key", OSS_APPEND_MAX_OBJECT_SIZE - 3, DATA, 4, NULL, OSS_APPEND_RESULT_POSITION_TOO_LARGE);
  EXPECT_APPEND(client, "bucket", "key", OSS_APPEND_POSITION_UNKNOWN - 1, DATA, 4, NULL, OSS_APPEND_RESULT_POSITION_TOO_LARGE);
  /* A length larger than any buffer is refused before the pointer is read. */
  EXPECT_APPEND(client, "bucket", "key", 0, DATA, SIZE_MAX, NULL, OSS_APPEND_RESULT_INVALID_ARGUMENT);
  oss_append_client_free(client);
}

static void options_refuse_bad_headers(void) {
  oss_append_client *client = offline_client();
  oss_append_options *options = NULL;
  CHECK_RESULT(oss_append_options_new(&options), OSS_APPEND_RESULT_OK);

  /* Setters refuse at once. */
  CHECK_RESULT(oss_append_options_set_content_type(NULL, "text/plain"), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_options_set_content_type(options, "text/plain\r\nX-Injected: 1"),
               OSS_APPEND_RESULT_INVALID_HEADER_VALUE);
  CHECK_RESULT(oss_append_options_set_cache_control(options, "no-cache\n"), OSS_APPEND_RESULT_INVALID_HEADER_VALUE);
  CHECK_RESULT(oss_append_options_set_content_disposition(options, "a\001b"), OSS_APPEND_RESULT_INVALID_HEADER_VALUE);
  CHECK_RESULT(oss_append_options_set_content_encoding(options, BAD_UTF8), OSS_APPEND_RESULT_INVALID_UTF8);
  CHECK_RESULT(oss_append_options_set_expires(options, "\r"), OSS_APPEND_RESULT_INVALID_HEADER_VALUE);
  CHECK_RESULT(oss_append_options_set_tagging(options, "a=1\nb=2"), OSS_APPEND_RESULT_INVALID_HEADER_VALUE);
  CHECK_RESULT(oss_append_options_set_content_md5(options, "abc\r\n"), OSS_APPEND_RESULT_INVALID_HEADER_VALUE);
  CHECK_RESULT(oss_append_options_set_content_md5(NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_options_compute_content_md5(NULL, true), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_options_add_metadata(options, NULL, "v"), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_options_add_metadata(options, "name", NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_options_add_metadata(options, "bad name", "v"), OSS_APPEND_RESULT_INVALID_HEADER_VALUE);
  CHECK_RESULT(oss_append_options_add_metadata(options, "", "v"), OSS_APPEND_RESULT_INVALID_HEADER_VALUE);
  CHECK_RESULT(oss_append_options_add_metadata(options, "name", "v\r\nX: 1"), OSS_APPEND_RESULT_INVALID_HEADER_VALUE);
  CHECK_RESULT(oss_append_options_add_metadata(options, BAD_UTF8, "v"), OSS_APPEND_RESULT_INVALID_UTF8);
  CHECK_RESULT(oss_append_options_clear_metadata(NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_options_set_traffic_limit(options, 1), OSS_APPEND_RESULT_INVALID_HEADER_VALUE);
  CHECK_RESULT(oss_append_options_set_traffic_limit(options, 838860801), OSS_APPEND_RESULT_INVALID_HEADER_VALUE);
  CHECK_RESULT(oss_append_options_set_traffic_limit(options, 0), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_traffic_limit(NULL, 0), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_options_set_forbid_overwrite(NULL, true), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_options_set_crc64(NULL, 1), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_options_clear_crc64(NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_options_set_progress(NULL, NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_options_set_cancel_token(NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_options_set_progress(options, NULL, NULL), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_cancel_token(options, NULL), OSS_APPEND_RESULT_OK);

  /* Values outside the allowed sets are refused by the call, before anything is sent. */
  CHECK_RESULT(oss_append_options_set_object_acl(options, "everyone"), OSS_APPEND_RESULT_OK);
  EXPECT_APPEND(client, "bucket", "key", 0, DATA, 4, options, OSS_APPEND_RESULT_INVALID_HEADER_VALUE);
  CHECK_RESULT(oss_append_options_set_object_acl(options, NULL), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_storage_class(options, "ColdArchive"), OSS_APPEND_RESULT_OK);
  EXPECT_APPEND(client, "bucket", "key", 0, DATA, 4, options, OSS_APPEND_RESULT_INVALID_HEADER_VALUE);
  CHECK_RESULT(oss_append_options_set_storage_class(options, NULL), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_server_side_encryption(options, "ROT13"), OSS_APPEND_RESULT_OK);
  EXPECT_APPEND(client, "bucket", "key", 0, DATA, 4, options, OSS_APPEND_RESULT_INVALID_HEADER_VALUE);
  CHECK_RESULT(oss_append_options_set_server_side_encryption(options, NULL), OSS_APPEND_RESULT_OK);

  /* With every bad value cleared, the call reaches the (closed) network. */
  oss_append_result offline = oss_append_object(client, "bucket", "key", 0, DATA, 4, options, NULL, NULL);
  CHECK(offline == OSS_APPEND_RESULT_NETWORK || offline == OSS_APPEND_RESULT_CONNECT_TIMEOUT);

  oss_append_options_free(options);
  oss_append_client_free(client);
}

static void file_and_object_calls_refuse_bad_arguments(void) {
  oss_append_client *client = offline_client();
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_file(client, "bucket", "key", 0, NULL, NULL, NULL, NULL),
               OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_file(client, "bucket", "key", 0, "", NULL, NULL, NULL),
               OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(oss_append_file(client, "bucket", "key", 0, "/no/such/dir/file.log", NULL, NULL, &error),
               OSS_APPEND_RESULT_IO);
  CHECK(strstr(oss_append_error_message(error), "/no/such/dir/file.log") != NULL);
  oss_append_error_free(error);
  CHECK_RESULT(oss_append_file(NULL, "bucket", "key", 0, "/tmp/x", NULL, NULL, NULL),
               OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_file(client, "BAD", "key", 0, "/tmp/x", NULL, NULL, NULL),
               OSS_APPEND_RESULT_INVALID_BUCKET);

  CHECK_RESULT(oss_append_put_object(client, "bucket", "key", NULL, 3, NULL, NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_put_object(client, "bucket", "", DATA, 4, NULL, NULL, NULL), OSS_APPEND_RESULT_INVALID_KEY);
  CHECK_RESULT(oss_append_put_object(client, BAD_UTF8, "key", DATA, 4, NULL, NULL, NULL), OSS_APPEND_RESULT_INVALID_UTF8);
  CHECK_RESULT(oss_append_delete_object(NULL, "bucket", "key", NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_delete_object(client, "bucket", NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_delete_object(client, "b", "key", NULL), OSS_APPEND_RESULT_INVALID_BUCKET);
  oss_append_object_meta *meta = NULL;
  CHECK_RESULT(oss_append_head_object(client, NULL, "key", &meta, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_head_object(client, "bucket", "/key", &meta, NULL), OSS_APPEND_RESULT_INVALID_KEY);
  CHECK(meta == NULL);

  uint8_t buffer[4];
  CHECK_RESULT(oss_append_get_object(client, "bucket", "key", NULL, 10, NULL, NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_get_object(NULL, "bucket", "key", buffer, sizeof buffer, NULL, NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_get_object(client, "bucket", BAD_UTF8, buffer, sizeof buffer, NULL, NULL, NULL),
               OSS_APPEND_RESULT_INVALID_UTF8);
  CHECK_RESULT(oss_append_get_object_to_file(client, "bucket", "key", NULL, NULL, NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_get_object_to_file(client, "bucket", "key", "", NULL, NULL, NULL), OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(oss_append_get_object_to_file(client, "bucket", "key", "/no/such/dir/out.bin", NULL, NULL, NULL),
               OSS_APPEND_RESULT_IO);
  oss_append_client_free(client);
}

static void a_null_error_out_still_returns_the_code(void) {
  oss_append_client *client = offline_client();
  CHECK_RESULT(oss_append_object(client, "bucket", NULL, 0, DATA, 4, NULL, NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  /* A cancelled token stops a call before anything is sent. */
  oss_append_cancel_token *token = NULL;
  oss_append_options *options = NULL;
  CHECK_RESULT(oss_append_cancel_token_new(&token), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_cancel_token_cancel(token), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_cancel_token_cancel(token), OSS_APPEND_RESULT_OK); /* twice is fine */
  CHECK_RESULT(oss_append_options_new(&options), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_cancel_token(options, token), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_crc64(options, 0), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_object(client, "bucket", "key", 0, DATA, 4, options, NULL, NULL), OSS_APPEND_RESULT_CANCELLED);
  oss_append_options_free(options);
  oss_append_cancel_token_free(token);
  oss_append_client_free(client);
}

int main(void) {
  RUN(free_null_does_nothing);
  RUN(result_names);
  RUN(null_handles_in_accessors);
  RUN(null_out_parameters);
  RUN(config_setters_refuse_bad_values);
  RUN(client_new_refuses_bad_configs);
  RUN(settle_refuses_bad_arguments);
  RUN(append_refuses_bad_arguments);
  RUN(options_refuse_bad_headers);
  RUN(file_and_object_calls_refuse_bad_arguments);
  RUN(a_null_error_out_still_returns_the_code);
  return check_summary("test_bad_inputs");
}
