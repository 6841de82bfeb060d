/* The C API's second round against the emulator: one error variable for every call, the appender
 * handle, range reads of a growing object, every HEAD header, the configuration from the
 * environment, the version macros; and every bad input of each. */
#include "check.h"

static const char *bucket(void) { return check_env("OSS_TEST_BUCKET"); }

#define BAD_UTF8 "\xff\xfe"

static void the_version_macros_match_the_library(void) {
  CHECK_STR(oss_append_version(), OSS_APPEND_VERSION_STRING);
  char joined[64];
  snprintf(joined, sizeof joined, "%d.%d.%d", OSS_APPEND_VERSION_MAJOR, OSS_APPEND_VERSION_MINOR,
           OSS_APPEND_VERSION_PATCH);
  CHECK_STR(joined, OSS_APPEND_VERSION_STRING);
  CHECK(OSS_APPEND_VERSION_NUMBER ==
        OSS_APPEND_VERSION_MAJOR * 10000 + OSS_APPEND_VERSION_MINOR * 100 + OSS_APPEND_VERSION_PATCH);
}

/* The loop a C programmer writes first: one error variable, never freed inside the loop. Under
 * ASan and valgrind this leaks nothing and frees nothing twice. */
static void one_error_variable_serves_every_call(void) {
  char key[256];
  check_key(key, sizeof key, "missing-for-errors");
  oss_append_client *client = check_client();
  oss_append_error *error = NULL;
  oss_append_object_meta *meta = NULL;
  for (int i = 0; i < 50; i++) {
    CHECK_RESULT(oss_append_head_object(client, bucket(), key, &meta, &error), OSS_APPEND_RESULT_NO_SUCH_KEY);
    CHECK(error != NULL);
    CHECK_U64(oss_append_error_http_status(error), 404);
  }
  /* A success clears the variable (freeing the last error). */
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"x", 1, NULL, NULL, &error),
               OSS_APPEND_RESULT_OK);
  CHECK(error == NULL);
  /* An error freed by hand, twice: the second free does nothing. */
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"x", 1, NULL, NULL, &error),
               OSS_APPEND_RESULT_POSITION_NOT_EQUAL_TO_LENGTH);
  CHECK_U64(oss_append_error_next_position(error), 1);
  oss_append_error_free(error);
  oss_append_error_free(error);
  /* The freed pointer left in the variable is not freed again by the next call, nor read. */
  CHECK_RESULT(oss_append_error_result(error), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_head_object(client, bucket(), key, &meta, &error), OSS_APPEND_RESULT_OK);
  CHECK(error == NULL);
  oss_append_object_meta_free(meta);
  /* A failure before any request (a bad argument) also replaces the earlier error. */
  CHECK_RESULT(oss_append_head_object(client, bucket(), "/bad", &meta, &error), OSS_APPEND_RESULT_INVALID_KEY);
  CHECK_RESULT(oss_append_head_object(client, BAD_UTF8, key, &meta, &error), OSS_APPEND_RESULT_INVALID_UTF8);
  CHECK_RESULT(oss_append_error_result(error), OSS_APPEND_RESULT_INVALID_UTF8);
  oss_append_error_free(error);
  oss_append_client_free(client);
}

static void read_text(oss_append_client *client, const char *key, char *out, size_t capacity) {
  oss_append_get_info info;
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_get_object(client, bucket(), key, (uint8_t *)out, capacity - 1, NULL, &info, &error),
               OSS_APPEND_RESULT_OK);
  check_print_and_free_error(error);
  out[info.bytes_written] = '\0';
}

static void the_appender_carries_position_and_crc(void) {
  char key[256], path[512], text[128];
  check_key(key, sizeof key, "appender.log");
  oss_append_client *client = check_client();
  oss_append_options *options = NULL;
  CHECK_RESULT(oss_append_options_new(&options), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_content_type(options, "text/plain"), OSS_APPEND_RESULT_OK);
  oss_append_appender *appender = NULL;
  CHECK_RESULT(oss_append_appender_new(client, bucket(), key, options, &appender), OSS_APPEND_RESULT_OK);
  oss_append_options_free(options);
  uint64_t position = 7, crc = 7;
  CHECK(!oss_append_appender_next_position(appender, &position));
  CHECK(!oss_append_appender_crc64(appender, &crc));
  CHECK_U64(position, 7);

  oss_append_receipt receipt;
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_appender_append(appender, (const uint8_t *)"one,", 4, &receipt, &error), OSS_APPEND_RESULT_OK);
  CHECK_U64(receipt.position, 0);
  CHECK_RESULT(oss_append_appender_append(appender, (const uint8_t *)"two,", 4, &receipt, &error), OSS_APPEND_RESULT_OK);
  CHECK_U64(receipt.position, 4);
  CHECK(oss_append_appender_next_position(appender, &position));
  CHECK_U64(position, 8);
  CHECK(oss_append_appender_crc64(appender, &crc));
  CHECK_U64(crc, receipt.crc64);

  /* A file, streamed; then the client handle is freed and the appender goes on. */
  snprintf(path, sizeof path, "%s/appender-%ld.txt", check_env("OSS_TEST_TMPDIR"), (long)getpid());
  FILE *file = fopen(path, "wb");
  CHECK(file != NULL);
  if (file) {
    fputs("three,", file);
    fclose(file);
  }
  CHECK_RESULT(oss_append_appender_append_file(appender, path, &receipt, &error), OSS_APPEND_RESULT_OK);
  CHECK_U64(receipt.next_position, 14);
  oss_append_client_free(client);
  CHECK_RESULT(oss_append_appender_append(appender, (const uint8_t *)"four", 4, NULL, &error), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_appender_append(appender, NULL, 0, &receipt, &error), OSS_APPEND_RESULT_OK);
  CHECK_U64(receipt.next_position, 18);
  CHECK(error == NULL);
  oss_append_appender_free(appender);
  remove(path);

  client = check_client();
  read_text(client, key, text, sizeof text);
  CHECK_STR(text, "one,two,three,four");
  oss_append_object_meta *meta = NULL;
  CHECK_RESULT(oss_append_head_object(client, bucket(), key, &meta, NULL), OSS_APPEND_RESULT_OK);
  CHECK_STR(oss_append_object_meta_content_type(meta), "text/plain");
  oss_append_object_meta_free(meta);
  oss_append_client_free(client);
}

static void an_appender_resumes_at_a_known_position(void) {
  char key[256], text[64];
  check_key(key, sizeof key, "resumed.log");
  oss_append_client *client = check_client();
  oss_append_receipt first, receipt;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"start,", 6, NULL, &first, NULL),
               OSS_APPEND_RESULT_OK);
  oss_append_appender *appender = NULL;
  CHECK_RESULT(oss_append_appender_new(client, bucket(), key, NULL, &appender), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_appender_resume(appender, first.next_position, first.crc64), OSS_APPEND_RESULT_OK);
  uint64_t position = 0;
  CHECK(oss_append_appender_next_position(appender, &position));
  CHECK_U64(position, 6);
  CHECK_RESULT(oss_append_appender_append(appender, (const uint8_t *)"more", 4, &receipt, NULL), OSS_APPEND_RESULT_OK);
  CHECK_U64(receipt.position, 6);
  read_text(client, key, text, sizeof text);
  CHECK_STR(text, "start,more");

  /* A wrong CRC said at resume: the append lands, and says its CRC differs. */
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_appender_resume(appender, 10, 12345), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_appender_append(appender, (const uint8_t *)"!", 1, NULL, &error), OSS_APPEND_RESULT_CRC_MISMATCH);
  CHECK(!oss_append_error_is_retryable(error));
  /* Past 5 GiB: refused before anything is sent. */
  CHECK_RESULT(oss_append_appender_resume(appender, OSS_APPEND_MAX_OBJECT_SIZE + 1, 0),
               OSS_APPEND_RESULT_POSITION_TOO_LARGE);
  oss_append_error_free(error);
  oss_append_appender_free(appender);
  oss_append_client_free(client);
}

static void an_appender_settles_what_a_lost_response_left(void) {
  char key[256], text[64];
  check_key(key, sizeof key, "appender-unsettled.log");
  oss_append_client *client = check_client_with(NULL, NULL, NULL, 1);
  oss_append_appender *appender = NULL;
  CHECK_RESULT(oss_append_appender_new(client, bucket(), key, NULL, &appender), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_appender_append(appender, (const uint8_t *)"first,", 6, NULL, NULL), OSS_APPEND_RESULT_OK);
  bool settled = true;
  oss_append_settlement settlement;
  CHECK_RESULT(oss_append_appender_settle(appender, &settled, &settlement, NULL), OSS_APPEND_RESULT_OK);
  CHECK(!settled);

  /* The append lands, its response is lost, and the HEAD that would settle it is refused. */
  check_admin("POST", "faults?kind=drop-after-commit&count=1");
  check_admin("POST", "faults?kind=fail&method=HEAD&status=503&count=5");
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_appender_append(appender, (const uint8_t *)"second,", 7, NULL, &error),
               OSS_APPEND_RESULT_UNSETTLED);
  oss_append_in_flight in_flight;
  CHECK(oss_append_appender_in_flight(appender, &in_flight));
  CHECK_U64(in_flight.position, 6);
  CHECK_U64(in_flight.length, 7);
  check_admin("DELETE", "faults");

  CHECK_RESULT(oss_append_appender_settle(appender, &settled, &settlement, &error), OSS_APPEND_RESULT_OK);
  CHECK(error == NULL);
  CHECK(settled);
  CHECK(settlement.landed);
  CHECK_U64(settlement.result.next_position, 13);
  CHECK(!oss_append_appender_in_flight(appender, &in_flight));
  CHECK_RESULT(oss_append_appender_append(appender, (const uint8_t *)"third", 5, NULL, NULL), OSS_APPEND_RESULT_OK);
  read_text(client, key, text, sizeof text);
  CHECK_STR(text, "first,second,third");
  oss_append_appender_free(appender);
  oss_append_client_free(client);
}

static void ranges_of_a_growing_object(void) {
  char key[256], path[512];
  check_key(key, sizeof key, "ranges.log");
  oss_append_client *client = check_client();
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"hello world", 11, NULL, NULL, NULL),
               OSS_APPEND_RESULT_OK);
  uint8_t buffer[64];
  oss_append_get_info info;
  oss_append_error *error = NULL;

  CHECK_RESULT(oss_append_get_range(client, bucket(), key, 0, 4, buffer, sizeof buffer, NULL, &info, &error),
               OSS_APPEND_RESULT_OK);
  CHECK(info.bytes_written == 5 && memcmp(buffer, "hello", 5) == 0);
  CHECK_U64(info.start, 0);
  CHECK(info.has_object_size && info.object_size == 11);
  CHECK_RESULT(oss_append_get_range(client, bucket(), key, 6, OSS_APPEND_RANGE_END, buffer, sizeof buffer, NULL, &info,
                                    &error),
               OSS_APPEND_RESULT_OK);
  CHECK(info.bytes_written == 5 && memcmp(buffer, "world", 5) == 0);
  CHECK_RESULT(oss_append_get_last(client, bucket(), key, 3, buffer, sizeof buffer, NULL, &info, &error),
               OSS_APPEND_RESULT_OK);
  CHECK(info.bytes_written == 3 && memcmp(buffer, "rld", 3) == 0);
  CHECK_U64(info.start, 8);
  /* Past the end: nothing new yet, not an error. */
  CHECK_RESULT(oss_append_get_range(client, bucket(), key, 11, OSS_APPEND_RANGE_END, buffer, sizeof buffer, NULL,
                                    &info, &error),
               OSS_APPEND_RESULT_OK);
  CHECK_U64(info.bytes_written, 0);
  CHECK_U64(info.start, 11);
  /* The log grows; the reader asks from where it stopped. */
  CHECK_RESULT(oss_append_object(client, bucket(), key, 11, (const uint8_t *)"!!", 2, NULL, NULL, NULL),
               OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_get_range(client, bucket(), key, 11, OSS_APPEND_RANGE_END, buffer, sizeof buffer, NULL,
                                    &info, &error),
               OSS_APPEND_RESULT_OK);
  CHECK(info.bytes_written == 2 && memcmp(buffer, "!!", 2) == 0);

  /* Too small: the size needed is told, the buffer is untouched. */
  uint8_t small[4] = {0xAA, 0xAA, 0xAA, 0xAA};
  CHECK_RESULT(oss_append_get_object(client, bucket(), key, small, sizeof small, NULL, &info, &error),
               OSS_APPEND_RESULT_BUFFER_TOO_SMALL);
  CHECK_U64(oss_append_error_size_needed(error), 13);
  CHECK(small[0] == 0xAA && small[3] == 0xAA);
  CHECK_RESULT(oss_append_get_range(client, bucket(), key, 2, 8, small, sizeof small, NULL, &info, &error),
               OSS_APPEND_RESULT_BUFFER_TOO_SMALL);
  CHECK_U64(oss_append_error_size_needed(error), 7);
  CHECK_RESULT(oss_append_get_last(client, bucket(), key, 4, small, sizeof small, NULL, &info, &error),
               OSS_APPEND_RESULT_OK);
  CHECK(memcmp(small, "ld!!", 4) == 0);
  CHECK(error == NULL);

  /* Into files. */
  snprintf(path, sizeof path, "%s/range-%ld.bin", check_env("OSS_TEST_TMPDIR"), (long)getpid());
  CHECK_RESULT(oss_append_get_range_to_file(client, bucket(), key, 6, 10, path, NULL, &info, &error),
               OSS_APPEND_RESULT_OK);
  char text[32] = {0};
  FILE *file = fopen(path, "rb");
  CHECK(file != NULL && fread(text, 1, sizeof text - 1, file) == 5);
  if (file) fclose(file);
  CHECK_STR(text, "world");
  CHECK_RESULT(oss_append_get_last_to_file(client, bucket(), key, 2, path, NULL, &info, &error), OSS_APPEND_RESULT_OK);
  memset(text, 0, sizeof text);
  file = fopen(path, "rb");
  CHECK(file != NULL && fread(text, 1, sizeof text - 1, file) == 2);
  if (file) fclose(file);
  CHECK_STR(text, "!!");
  remove(path);

  /* Ranges that are no range. */
  CHECK_RESULT(oss_append_get_range(client, bucket(), key, 5, 2, buffer, sizeof buffer, NULL, &info, &error),
               OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(oss_append_get_last(client, bucket(), key, 0, buffer, sizeof buffer, NULL, &info, &error),
               OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(oss_append_get_last_to_file(client, bucket(), key, 0, path, NULL, &info, &error),
               OSS_APPEND_RESULT_INVALID_ARGUMENT);
  oss_append_error_free(error);
  oss_append_client_free(client);
}

static void head_gives_every_header(void) {
  char key[256];
  check_key(key, sizeof key, "headers.log");
  oss_append_client *client = check_client();
  oss_append_options *options = NULL;
  CHECK_RESULT(oss_append_options_new(&options), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_cache_control(options, "no-cache"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_content_disposition(options, "attachment; filename=a.log"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_content_encoding(options, "identity"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_expires(options, "Wed, 21 Oct 2026 07:28:00 GMT"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_server_side_encryption(options, "AES256"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_tagging(options, "a=1&b=2&c=3"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_add_metadata(options, "owner", "ops"), OSS_APPEND_RESULT_OK);
  oss_append_receipt receipt;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"abc", 3, options, &receipt, NULL),
               OSS_APPEND_RESULT_OK);
  oss_append_options_free(options);
  oss_append_object_meta *meta = NULL;
  CHECK_RESULT(oss_append_head_object(client, bucket(), key, &meta, NULL), OSS_APPEND_RESULT_OK);
  CHECK_STR(oss_append_object_meta_cache_control(meta), "no-cache");
  CHECK_STR(oss_append_object_meta_content_disposition(meta), "attachment; filename=a.log");
  CHECK_STR(oss_append_object_meta_content_encoding(meta), "identity");
  CHECK_STR(oss_append_object_meta_expires(meta), "Wed, 21 Oct 2026 07:28:00 GMT");
  CHECK_STR(oss_append_object_meta_server_side_encryption(meta), "AES256");
  CHECK_STR(oss_append_object_meta_server_side_encryption_key_id(meta), "");
  CHECK_STR(oss_append_object_meta_version_id(meta), "");
  CHECK_U64(oss_append_object_meta_tagging_count(meta), 3);
  CHECK_U64(oss_append_object_meta_next_append_position(meta), 3);
  uint64_t crc = 0;
  CHECK(oss_append_object_meta_crc64(meta, &crc));
  CHECK_U64(crc, receipt.crc64);
  CHECK_U64(oss_append_object_meta_metadata_count(meta), 1);
  CHECK_STR(oss_append_object_meta_metadata_value(meta, 0), "ops");
  oss_append_object_meta_free(meta);
  oss_append_client_free(client);
}

static void the_configuration_comes_from_the_environment(void) {
  char key[256];
  check_key(key, sizeof key, "from-env.log");
  setenv("OSS_ENDPOINT", check_env("OSS_TEST_ENDPOINT"), 1);
  setenv("OSS_REGION", "cn-hangzhou", 1);
  setenv("OSS_ACCESS_KEY_ID", check_env("OSS_TEST_ACCESS_KEY_ID"), 1);
  setenv("OSS_ACCESS_KEY_SECRET", check_env("OSS_TEST_ACCESS_KEY_SECRET"), 1);
  unsetenv("OSS_SESSION_TOKEN");
  oss_append_config *config = NULL;
  oss_append_client *client = NULL;
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_config_from_env(&config, &error), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_client_new(config, &client, &error), OSS_APPEND_RESULT_OK);
  oss_append_config_free(config);
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"env", 3, NULL, NULL, &error),
               OSS_APPEND_RESULT_OK);
  oss_append_client_free(client);

  /* What is missing is said. */
  config = NULL;
  unsetenv("OSS_ACCESS_KEY_SECRET");
  CHECK_RESULT(oss_append_config_from_env(&config, &error), OSS_APPEND_RESULT_CREDENTIALS);
  CHECK(config == NULL);
  CHECK(strstr(oss_append_error_message(error), "OSS_ACCESS_KEY_SECRET") != NULL);
  unsetenv("OSS_ENDPOINT");
  CHECK_RESULT(oss_append_config_from_env(&config, &error), OSS_APPEND_RESULT_INVALID_ENDPOINT);
  CHECK(strstr(oss_append_error_message(error), "OSS_ENDPOINT") != NULL);
  CHECK_RESULT(oss_append_config_from_env(NULL, &error), OSS_APPEND_RESULT_NULL_POINTER);
  oss_append_error_free(error);
  unsetenv("OSS_REGION");
  unsetenv("OSS_ACCESS_KEY_ID");
}

static void bad_inputs_of_the_new_functions(void) {
  oss_append_client *client = check_client();
  oss_append_appender *appender = NULL;
  oss_append_error *error = NULL;
  uint8_t buffer[8];
  oss_append_get_info info;

  CHECK_RESULT(oss_append_appender_new(NULL, "bucket", "key", NULL, &appender), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_appender_new(client, NULL, "key", NULL, &appender), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_appender_new(client, "bucket", NULL, NULL, &appender), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_appender_new(client, "bucket", "key", NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_appender_new(client, BAD_UTF8, "key", NULL, &appender), OSS_APPEND_RESULT_INVALID_UTF8);
  CHECK_RESULT(oss_append_appender_new(client, "B!", "key", NULL, &appender), OSS_APPEND_RESULT_INVALID_BUCKET);
  CHECK_RESULT(oss_append_appender_new(client, "bucket", "/key", NULL, &appender), OSS_APPEND_RESULT_INVALID_KEY);
  CHECK(appender == NULL);

  CHECK_RESULT(oss_append_appender_append(NULL, (const uint8_t *)"x", 1, NULL, &error), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_appender_append_file(NULL, "/tmp/x", NULL, &error), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_appender_resume(NULL, 0, 0), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_appender_settle(NULL, NULL, NULL, &error), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK(!oss_append_appender_next_position(NULL, NULL));
  CHECK(!oss_append_appender_crc64(NULL, NULL));
  CHECK(!oss_append_appender_in_flight(NULL, NULL));
  oss_append_appender_free(NULL);

  char key[256];
  check_key(key, sizeof key, "bad-inputs.log");
  CHECK_RESULT(oss_append_appender_new(client, bucket(), key, NULL, &appender), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_appender_append(appender, NULL, 3, NULL, &error), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_appender_append_file(appender, NULL, NULL, &error), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_appender_append_file(appender, "", NULL, &error), OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(oss_append_appender_append_file(appender, "/no/such/file", NULL, &error), OSS_APPEND_RESULT_IO);
  uint64_t position = 0;
  CHECK(!oss_append_appender_next_position(appender, NULL));
  CHECK(!oss_append_appender_next_position(appender, &position));
  oss_append_appender_free(appender);

  CHECK_RESULT(oss_append_get_range(NULL, "bucket", "key", 0, 1, buffer, sizeof buffer, NULL, &info, &error),
               OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_get_range(client, "bucket", "key", 0, 1, NULL, 8, NULL, &info, &error),
               OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_get_last(client, BAD_UTF8, "key", 1, buffer, sizeof buffer, NULL, &info, &error),
               OSS_APPEND_RESULT_INVALID_UTF8);
  CHECK_RESULT(oss_append_get_last(client, "bucket", "", 1, buffer, sizeof buffer, NULL, &info, &error),
               OSS_APPEND_RESULT_INVALID_KEY);
  CHECK_RESULT(oss_append_get_range_to_file(client, "bucket", "key", 0, 1, NULL, NULL, &info, &error),
               OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_get_last_to_file(client, "bucket", "key", 1, "", NULL, &info, &error),
               OSS_APPEND_RESULT_INVALID_ARGUMENT);
  oss_append_error_free(error);

  CHECK_STR(oss_append_object_meta_cache_control(NULL), "");
  CHECK_STR(oss_append_object_meta_version_id(NULL), "");
  CHECK_U64(oss_append_object_meta_tagging_count(NULL), 0);
  CHECK_U64(oss_append_error_size_needed(NULL), 0);
  oss_append_client_free(client);
}

/* A client of `endpoint` with the test keys, no retries; `ca` (a file) trusted when not NULL. */
static oss_append_client *tls_client(const char *endpoint, const char *ca, bool only, oss_append_result expected) {
  oss_append_config *config = NULL;
  oss_append_client *client = NULL;
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_config_new(&config), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_endpoint(config, endpoint), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_region(config, "cn-hangzhou"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_credentials(config, check_env("OSS_TEST_ACCESS_KEY_ID"),
                                                 check_env("OSS_TEST_ACCESS_KEY_SECRET"), NULL),
               OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_retries(config, 1, 10, 100), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_proxy(config, ""), OSS_APPEND_RESULT_OK);
  if (ca != NULL) CHECK_RESULT(oss_append_config_set_ca_bundle_file(config, ca, only), expected);
  CHECK_RESULT(oss_append_client_new(config, &client, &error), OSS_APPEND_RESULT_OK);
  check_print_and_free_error(error);
  oss_append_config_free(config);
  return client;
}

static void https_with_a_ca_bundle(void) {
  char key[256];
  check_key(key, sizeof key, "https.log");
  const char *endpoint = check_env("OSS_TEST_TLS_ENDPOINT");
  CHECK(strncmp(endpoint, "https://", 8) == 0);
  oss_append_client *client = tls_client(endpoint, check_env("OSS_TEST_CA_BUNDLE"), false, OSS_APPEND_RESULT_OK);
  oss_append_receipt receipt;
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"over tls", 8, NULL, &receipt, &error),
               OSS_APPEND_RESULT_OK);
  check_print_and_free_error(error);
  CHECK_U64(receipt.next_position, 8);
  oss_append_client_free(client);

  /* The bundle as bytes, trusted alone. */
  FILE *file = fopen(check_env("OSS_TEST_CA_BUNDLE"), "rb");
  char pem[8192];
  size_t len = file ? fread(pem, 1, sizeof pem, file) : 0;
  if (file) fclose(file);
  CHECK(len > 0);
  oss_append_config *config = NULL;
  CHECK_RESULT(oss_append_config_new(&config), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_endpoint(config, endpoint), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_region(config, "cn-hangzhou"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_credentials(config, check_env("OSS_TEST_ACCESS_KEY_ID"),
                                                 check_env("OSS_TEST_ACCESS_KEY_SECRET"), NULL),
               OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_ca_bundle_pem(config, (const uint8_t *)pem, len, true), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_client_new(config, &client, NULL), OSS_APPEND_RESULT_OK);
  oss_append_config_free(config);
  CHECK_RESULT(oss_append_object(client, bucket(), key, 8, (const uint8_t *)"!", 1, NULL, NULL, NULL),
               OSS_APPEND_RESULT_OK);
  oss_append_client_free(client);
}

static void tls_failures_have_their_kind_and_are_not_retryable(void) {
  char key[256];
  check_key(key, sizeof key, "tls-failure.log");
  oss_append_error *error = NULL;
  /* No CA bundle: the emulator's authority is unknown. */
  oss_append_client *client = tls_client(check_env("OSS_TEST_TLS_ENDPOINT"), NULL, false, OSS_APPEND_RESULT_OK);
  oss_append_result code = oss_append_object(client, bucket(), key, 0, (const uint8_t *)"x", 1, NULL, NULL, &error);
  CHECK_RESULT(code, OSS_APPEND_RESULT_TLS);
  CHECK(oss_append_error_tls_kind(error) == OSS_APPEND_TLS_KIND_UNKNOWN_ISSUER);
  CHECK(!oss_append_result_is_retryable(code) && !oss_append_error_is_retryable(error));
  CHECK(strstr(oss_append_error_message(error), "CA bundle") != NULL);
  oss_append_client_free(client);
  /* https:// to the plain-HTTP emulator. */
  char https[256];
  snprintf(https, sizeof https, "https://%s", check_env("OSS_TEST_ENDPOINT") + strlen("http://"));
  client = tls_client(https, NULL, false, OSS_APPEND_RESULT_OK);
  code = oss_append_object(client, bucket(), key, 0, (const uint8_t *)"x", 1, NULL, NULL, &error);
  CHECK_RESULT(code, OSS_APPEND_RESULT_TLS);
  CHECK(oss_append_error_tls_kind(error) == OSS_APPEND_TLS_KIND_PLAIN_HTTP);
  CHECK(strstr(oss_append_error_message(error), "http://") != NULL);
  CHECK(oss_append_error_tls_kind(NULL) == OSS_APPEND_TLS_KIND_NONE);
  oss_append_error_free(error);
  oss_append_client_free(client);
}

static void bad_ca_bundles_and_proxies(void) {
  oss_append_config *config = NULL;
  oss_append_client *client = NULL;
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_config_set_ca_bundle_file(NULL, "/x", false), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_set_ca_bundle_pem(NULL, NULL, 0, false), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_set_proxy(NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_new(&config), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_ca_bundle_file(config, "/no/such/ca.pem", false), OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(oss_append_config_set_ca_bundle_file(config, BAD_UTF8, false), OSS_APPEND_RESULT_INVALID_UTF8);
  CHECK_RESULT(oss_append_config_set_ca_bundle_pem(config, NULL, 5, false), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_config_set_ca_bundle_pem(config, (const uint8_t *)"junk", 4, true), OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(oss_append_config_set_ca_bundle_pem(config, NULL, 0, false), OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(oss_append_config_set_ca_bundle_file(config, NULL, false), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_proxy(config, BAD_UTF8), OSS_APPEND_RESULT_INVALID_UTF8);
  CHECK_RESULT(oss_append_config_set_endpoint(config, "https://127.0.0.1:1"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_region(config, "cn-hangzhou"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_credentials(config, "AK", "SK", NULL), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_proxy(config, "not a url"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_client_new(config, &client, &error), OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK(client == NULL && strstr(oss_append_error_message(error), "proxy") != NULL);
  oss_append_error_free(error);
  oss_append_config_free(config);
}

int main(void) {
  RUN(the_version_macros_match_the_library);
  RUN(one_error_variable_serves_every_call);
  RUN(the_appender_carries_position_and_crc);
  RUN(an_appender_resumes_at_a_known_position);
  RUN(an_appender_settles_what_a_lost_response_left);
  RUN(ranges_of_a_growing_object);
  RUN(head_gives_every_header);
  RUN(the_configuration_comes_from_the_environment);
  RUN(bad_inputs_of_the_new_functions);
  RUN(https_with_a_ca_bundle);
  RUN(tls_failures_have_their_kind_and_are_not_retryable);
  RUN(bad_ca_bundles_and_proxies);
  return check_summary("test_api2");
}
