/* The C ABI against the emulator: appends, position and type errors, auth, progress, cancellation,
 * files, head/get/put/delete, STS and the credentials callback. */
#include "check.h"

#include <pthread.h>
#include <time.h>

static const char *bucket(void) { return check_env("OSS_TEST_BUCKET"); }

static void sleep_ms(long ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}

/* Reads a whole object into a fresh buffer (free it); sets *length. NULL on failure. */
static char *read_object(oss_append_client *client, const char *key, size_t capacity, size_t *length) {
  char *buffer = malloc(capacity + 1);
  oss_append_get_info got;
  oss_append_error *error = NULL;
  oss_append_result result = oss_append_get_object(client, bucket(), key, (uint8_t *)buffer, capacity, NULL, &got, &error);
  CHECK_RESULT(result, OSS_APPEND_RESULT_OK);
  check_print_and_free_error(error);
  if (result != OSS_APPEND_RESULT_OK) {
    free(buffer);
    return NULL;
  }
  buffer[got.bytes_written] = '\0';
  *length = (size_t)got.bytes_written;
  return buffer;
}

static void version_is_the_crate_version(void) {
  const char *version = oss_append_version();
  CHECK(version != NULL && strlen(version) >= 5);
  CHECK(strchr(version, '.') != NULL);
}

static void appends_track_position_and_crc(void) {
  char key[256];
  check_key(key, sizeof key, "two-appends.log");
  oss_append_client *client = check_client();
  oss_append_receipt first, second;
  oss_append_error *error = NULL;

  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"hello ", 6, NULL, &first, &error),
               OSS_APPEND_RESULT_OK);
  check_print_and_free_error(error);
  error = NULL;
  CHECK_U64(first.position, 0);
  CHECK_U64(first.next_position, 6);
  CHECK(strlen(first.request_id) > 0);
  CHECK(strlen(first.etag) > 0);
  CHECK(!first.reconciled);

  /* The next append carries position and CRC from the first: no HEAD request is needed. */
  oss_append_options *options = NULL;
  CHECK_RESULT(oss_append_options_new(&options), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_crc64(options, first.crc64), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_object(client, bucket(), key, first.next_position, (const uint8_t *)"world", 5, options,
                                 &second, &error),
               OSS_APPEND_RESULT_OK);
  check_print_and_free_error(error);
  CHECK_U64(second.position, 6);
  CHECK_U64(second.next_position, 11);
  CHECK(second.crc64 != first.crc64);
  oss_append_options_free(options);

  size_t length = 0;
  char *text = read_object(client, key, 64, &length);
  CHECK(text != NULL && length == 11 && memcmp(text, "hello world", 11) == 0);
  free(text);

  oss_append_object_meta *meta = NULL;
  CHECK_RESULT(oss_append_head_object(client, bucket(), key, &meta, NULL), OSS_APPEND_RESULT_OK);
  CHECK(oss_append_object_meta_is_appendable(meta));
  CHECK_STR(oss_append_object_meta_object_type(meta), "Appendable");
  CHECK_U64(oss_append_object_meta_content_length(meta), 11);
  CHECK_U64(oss_append_object_meta_next_append_position(meta), 11);
  uint64_t crc = 0;
  CHECK(oss_append_object_meta_crc64(meta, &crc));
  CHECK_U64(crc, second.crc64);
  CHECK(strlen(oss_append_object_meta_request_id(meta)) > 0);
  oss_append_object_meta_free(meta);
  oss_append_client_free(client);
}

static void unknown_position_appends_at_the_end(void) {
  char key[256];
  check_key(key, sizeof key, "unknown-position.log");
  oss_append_client *client = check_client();
  oss_append_receipt result;
  /* A missing object starts at 0; an existing one at its length, found by the library. */
  CHECK_RESULT(oss_append_object(client, bucket(), key, OSS_APPEND_POSITION_UNKNOWN, (const uint8_t *)"abc", 3, NULL,
                                 &result, NULL),
               OSS_APPEND_RESULT_OK);
  CHECK_U64(result.position, 0);
  CHECK_RESULT(oss_append_object(client, bucket(), key, OSS_APPEND_POSITION_UNKNOWN, (const uint8_t *)"defg", 4, NULL,
                                 &result, NULL),
               OSS_APPEND_RESULT_OK);
  CHECK_U64(result.position, 3);
  CHECK_U64(result.next_position, 7);
  /* (NULL, 0) is empty data: an empty append succeeds and moves nothing. */
  CHECK_RESULT(oss_append_object(client, bucket(), key, 7, NULL, 0, NULL, &result, NULL), OSS_APPEND_RESULT_OK);
  CHECK_U64(result.next_position, 7);
  oss_append_client_free(client);
}

static void position_mismatch_reports_the_next_position(void) {
  char key[256];
  check_key(key, sizeof key, "mismatch.log");
  oss_append_client *client = check_client();
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"0123456789", 10, NULL, NULL, NULL),
               OSS_APPEND_RESULT_OK);

  oss_append_receipt result;
  memset(&result, 0xAB, sizeof result);
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 4, (const uint8_t *)"x", 1, NULL, &result, &error),
               OSS_APPEND_RESULT_POSITION_NOT_EQUAL_TO_LENGTH);
  CHECK(error != NULL);
  CHECK_U64(oss_append_error_result(error), OSS_APPEND_RESULT_POSITION_NOT_EQUAL_TO_LENGTH);
  CHECK_U64(oss_append_error_http_status(error), 409);
  CHECK_STR(oss_append_error_code(error), "PositionNotEqualToLength");
  CHECK_STR(oss_append_error_ec(error), "0026-00000016");
  CHECK_U64(oss_append_error_next_position(error), 10);
  CHECK(strlen(oss_append_error_request_id(error)) > 0);
  CHECK(strlen(oss_append_error_service_message(error)) > 0);
  CHECK(strstr(oss_append_error_message(error), "PositionNotEqualToLength") != NULL);
  (void)oss_append_error_host_id(error);
  /* Outputs are written only on success. */
  CHECK(result.position == 0xABABABABABABABABULL && (unsigned char)result.request_id[0] == 0xAB);

  /* Retrying at the reported position works. */
  uint64_t next = oss_append_error_next_position(error);
  oss_append_error_free(error);
  CHECK_RESULT(oss_append_object(client, bucket(), key, next, (const uint8_t *)"x", 1, NULL, &result, NULL),
               OSS_APPEND_RESULT_OK);
  CHECK_U64(result.next_position, 11);
  oss_append_client_free(client);
}

static void a_put_object_is_not_appendable(void) {
  char key[256];
  check_key(key, sizeof key, "normal.txt");
  oss_append_client *client = check_client();
  oss_append_put_receipt put;
  CHECK_RESULT(oss_append_put_object(client, bucket(), key, (const uint8_t *)"normal", 6, NULL, &put, NULL), OSS_APPEND_RESULT_OK);
  CHECK(put.has_crc64);
  CHECK(strlen(put.request_id) > 0);

  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 6, (const uint8_t *)"more", 4, NULL, NULL, &error),
               OSS_APPEND_RESULT_OBJECT_NOT_APPENDABLE);
  CHECK_U64(oss_append_error_http_status(error), 409);
  CHECK_STR(oss_append_error_code(error), "ObjectNotAppendable");
  oss_append_error_free(error);

  oss_append_object_meta *meta = NULL;
  CHECK_RESULT(oss_append_head_object(client, bucket(), key, &meta, NULL), OSS_APPEND_RESULT_OK);
  CHECK(!oss_append_object_meta_is_appendable(meta));
  CHECK_STR(oss_append_object_meta_object_type(meta), "Normal");
  CHECK_U64(oss_append_object_meta_next_append_position(meta), OSS_APPEND_POSITION_UNKNOWN);
  oss_append_object_meta_free(meta);
  oss_append_client_free(client);
}

static void wrong_keys_fail_authentication(void) {
  char key[256];
  check_key(key, sizeof key, "auth.log");
  oss_append_client *client = check_client_with(NULL, "not-the-secret", NULL, 1);
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"x", 1, NULL, NULL, &error),
               OSS_APPEND_RESULT_SIGNATURE_DOES_NOT_MATCH);
  CHECK_U64(oss_append_error_http_status(error), 403);
  CHECK_STR(oss_append_error_code(error), "SignatureDoesNotMatch");
  oss_append_error_free(error);
  oss_append_client_free(client);

  client = check_client_with("NoSuchAccessKey", "secret", NULL, 1);
  error = NULL;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"x", 1, NULL, NULL, &error),
               OSS_APPEND_RESULT_INVALID_ACCESS_KEY_ID);
  CHECK_STR(oss_append_error_code(error), "InvalidAccessKeyId");
  oss_append_error_free(error);
  oss_append_client_free(client);

  /* STS keys without their token are refused too. */
  client = check_client_with(check_env("OSS_TEST_STS_ACCESS_KEY_ID"), check_env("OSS_TEST_STS_ACCESS_KEY_SECRET"),
                             "wrong-token", 1);
  error = NULL;
  oss_append_result result = oss_append_object(client, bucket(), key, 0, (const uint8_t *)"x", 1, NULL, NULL, &error);
  CHECK(result >= 205 && result <= 208);
  CHECK_U64(oss_append_error_http_status(error), 403);
  oss_append_error_free(error);
  oss_append_client_free(client);
}

static void sts_credentials_append(void) {
  char key[256];
  check_key(key, sizeof key, "sts.log");
  oss_append_client *client = check_client_with(check_env("OSS_TEST_STS_ACCESS_KEY_ID"),
                                         check_env("OSS_TEST_STS_ACCESS_KEY_SECRET"),
                                         check_env("OSS_TEST_STS_TOKEN"), 1);
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"sts", 3, NULL, NULL, &error),
               OSS_APPEND_RESULT_OK);
  check_print_and_free_error(error);
  oss_append_client_free(client);
}

static void credentials_from_the_token_server(void) {
  /* The emulator answers GET /-/emulator/sts as an app's token server does. */
  char key[256], url[512];
  check_key(key, sizeof key, "sts-url.log");
  snprintf(url, sizeof url, "%s/-/emulator/sts", check_env("OSS_TEST_ENDPOINT"));
  oss_append_config *config = NULL;
  oss_append_client *client = NULL;
  CHECK_RESULT(oss_append_config_new(&config), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_endpoint(config, check_env("OSS_TEST_ENDPOINT")), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_region(config, "cn-hangzhou"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_credentials_url(config, url), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_add_credentials_url_header(config, "Authorization", "Bearer app-token"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_client_new(config, &client, NULL), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"via url", 7, NULL, NULL, NULL),
               OSS_APPEND_RESULT_OK);
  oss_append_client_free(client);

  /* A token server that refuses: OSS_APPEND_RESULT_CREDENTIALS, saying what it answered. */
  snprintf(url, sizeof url, "%s/-/emulator/none", check_env("OSS_TEST_ENDPOINT"));
  CHECK_RESULT(oss_append_config_set_credentials_url(config, url), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_client_new(config, &client, NULL), OSS_APPEND_RESULT_OK);
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 7, (const uint8_t *)"x", 1, NULL, NULL, &error),
               OSS_APPEND_RESULT_CREDENTIALS);
  CHECK(strstr(oss_append_error_message(error), "answered HTTP 404") != NULL);
  oss_append_error_free(error);
  oss_append_client_free(client);
  oss_append_config_free(config);
}

struct provider_state {
  int calls;
  int fail;
  uint64_t expiration;
};

static bool provide_sts(void *user_data, oss_append_credentials_sink *sink) {
  struct provider_state *state = user_data;
  state->calls++;
  if (state->fail) {
    return false;
  }
  return oss_append_credentials_sink_set(sink, check_env("OSS_TEST_STS_ACCESS_KEY_ID"),
                                  check_env("OSS_TEST_STS_ACCESS_KEY_SECRET"), check_env("OSS_TEST_STS_TOKEN"),
                                  state->expiration) == OSS_APPEND_RESULT_OK;
}

static oss_append_client *provider_client(struct provider_state *state) {
  oss_append_config *config = NULL;
  oss_append_client *client = NULL;
  CHECK_RESULT(oss_append_config_new(&config), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_endpoint(config, check_env("OSS_TEST_ENDPOINT")), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_region(config, "cn-hangzhou"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_retries(config, 1, 0, 0), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_credentials_provider(config, provide_sts, state), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_client_new(config, &client, NULL), OSS_APPEND_RESULT_OK);
  oss_append_config_free(config);
  return client;
}

static void the_credentials_callback_is_asked_and_cached(void) {
  char key[256];
  check_key(key, sizeof key, "provider.log");

  /* Credentials that never expire are fetched once. */
  struct provider_state lasting = {0, 0, 0};
  oss_append_client *client = provider_client(&lasting);
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"a", 1, NULL, NULL, NULL), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_object(client, bucket(), key, 1, (const uint8_t *)"b", 1, NULL, NULL, NULL), OSS_APPEND_RESULT_OK);
  CHECK(lasting.calls == 1);
  oss_append_client_free(client);

  /* Credentials within 5 minutes of expiry are fetched again for each request: each of these appends
   * sends a HEAD (no CRC given) and the POST. */
  struct provider_state expiring = {0, 0, (uint64_t)time(NULL) + 60};
  client = provider_client(&expiring);
  CHECK_RESULT(oss_append_object(client, bucket(), key, 2, (const uint8_t *)"c", 1, NULL, NULL, NULL), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_object(client, bucket(), key, 3, (const uint8_t *)"d", 1, NULL, NULL, NULL), OSS_APPEND_RESULT_OK);
  CHECK(expiring.calls == 4);
  oss_append_client_free(client);

  /* A callback that fails gives OSS_APPEND_RESULT_CREDENTIALS. */
  struct provider_state failing = {0, 1, 0};
  client = provider_client(&failing);
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 4, (const uint8_t *)"e", 1, NULL, NULL, &error),
               OSS_APPEND_RESULT_CREDENTIALS);
  CHECK(strstr(oss_append_error_message(error), "callback") != NULL);
  oss_append_error_free(error);
  CHECK(failing.calls == 1);
  oss_append_client_free(client);
}

#define PROGRESS_MAX_CALLS 4096

struct progress_log {
  uint64_t sent[PROGRESS_MAX_CALLS];
  uint64_t total[PROGRESS_MAX_CALLS];
  int calls;
  int cancel_after; /* 0: never */
  long sleep_ms;
};

static bool record_progress(void *user_data, uint64_t sent, uint64_t total) {
  struct progress_log *log = user_data;
  if (log->calls < PROGRESS_MAX_CALLS) {
    log->sent[log->calls] = sent;
    log->total[log->calls] = total;
  }
  log->calls++;
  if (log->sleep_ms > 0) {
    sleep_ms(log->sleep_ms);
  }
  return log->cancel_after == 0 || log->calls < log->cancel_after;
}

static uint8_t *pattern(size_t length) {
  uint8_t *data = malloc(length);
  for (size_t i = 0; i < length; i++) {
    data[i] = (uint8_t)(i * 31 + 7);
  }
  return data;
}

static void progress_is_reported_in_order(void) {
  char key[256];
  check_key(key, sizeof key, "progress.bin");
  oss_append_client *client = check_client();
  size_t length = 1024 * 1024;
  uint8_t *data = pattern(length);
  struct progress_log *log = calloc(1, sizeof *log);
  oss_append_options *options = NULL;
  CHECK_RESULT(oss_append_options_new(&options), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_progress(options, record_progress, log), OSS_APPEND_RESULT_OK);

  oss_append_receipt result;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, data, length, options, &result, NULL), OSS_APPEND_RESULT_OK);
  CHECK(log->calls >= 2);
  int calls = log->calls < PROGRESS_MAX_CALLS ? log->calls : PROGRESS_MAX_CALLS;
  for (int i = 0; i < calls; i++) {
    CHECK_U64(log->total[i], length);
    CHECK(i == 0 || log->sent[i] > log->sent[i - 1]);
  }
  CHECK_U64(log->sent[calls - 1], length);
  CHECK_U64(result.next_position, length);

  oss_append_options_free(options);
  free(log);
  free(data);
  oss_append_client_free(client);
}

static void progress_returning_false_cancels(void) {
  char key[256];
  check_key(key, sizeof key, "progress-cancel.bin");
  oss_append_client *client = check_client();
  size_t length = 1024 * 1024;
  uint8_t *data = pattern(length);
  struct progress_log *log = calloc(1, sizeof *log);
  log->cancel_after = 2;
  oss_append_options *options = NULL;
  CHECK_RESULT(oss_append_options_new(&options), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_progress(options, record_progress, log), OSS_APPEND_RESULT_OK);

  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, data, length, options, NULL, &error),
               OSS_APPEND_RESULT_CANCELLED);
  CHECK_U64(oss_append_error_result(error), OSS_APPEND_RESULT_CANCELLED);
  oss_append_error_free(error);
  /* Not retried: the callback was asked exactly until it said stop. */
  CHECK(log->calls == 2);

  /* Nothing was appended: the object does not exist. */
  oss_append_object_meta *meta = NULL;
  CHECK_RESULT(oss_append_head_object(client, bucket(), key, &meta, NULL), OSS_APPEND_RESULT_NO_SUCH_KEY);
  CHECK(meta == NULL);

  oss_append_options_free(options);
  free(log);
  free(data);
  oss_append_client_free(client);
}

struct canceller {
  oss_append_cancel_token *token;
  long after_ms;
};

static void *cancel_later(void *arg) {
  struct canceller *canceller = arg;
  sleep_ms(canceller->after_ms);
  CHECK_RESULT(oss_append_cancel_token_cancel(canceller->token), OSS_APPEND_RESULT_OK);
  return NULL;
}

static void a_cancel_token_stops_a_call_from_another_thread(void) {
  char key[256];
  check_key(key, sizeof key, "token-cancel.bin");
  oss_append_client *client = check_client();
  size_t length = 8 * 1024 * 1024;
  uint8_t *data = pattern(length);
  struct progress_log *log = calloc(1, sizeof *log);
  /* Slows the upload down so the other thread's cancel lands mid-way: progress is told for each
     part sent (256 KiB from memory), so this body takes 32 calls, 320 ms. */
  log->sleep_ms = 10;
  oss_append_cancel_token *token = NULL;
  CHECK_RESULT(oss_append_cancel_token_new(&token), OSS_APPEND_RESULT_OK);
  CHECK(!oss_append_cancel_token_is_cancelled(token));
  oss_append_options *options = NULL;
  CHECK_RESULT(oss_append_options_new(&options), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_progress(options, record_progress, log), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_cancel_token(options, token), OSS_APPEND_RESULT_OK);

  struct canceller canceller = {token, 100};
  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, cancel_later, &canceller) == 0);
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, data, length, options, NULL, NULL), OSS_APPEND_RESULT_CANCELLED);
  pthread_join(thread, NULL);
  CHECK(oss_append_cancel_token_is_cancelled(token));
  CHECK(log->calls > 0);
  CHECK(log->sent[(log->calls < PROGRESS_MAX_CALLS ? log->calls : PROGRESS_MAX_CALLS) - 1] < length);

  /* The options keep their own reference: freeing the handle first is fine, and the token stays
   * cancelled for later calls. */
  oss_append_cancel_token_free(token);
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, data, 10, options, NULL, NULL), OSS_APPEND_RESULT_CANCELLED);
  /* A get with a cancelled token stops too. */
  oss_append_cancel_token *cancelled = NULL;
  CHECK_RESULT(oss_append_cancel_token_new(&cancelled), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_cancel_token_cancel(cancelled), OSS_APPEND_RESULT_OK);
  uint8_t buffer[16];
  CHECK_RESULT(oss_append_get_object(client, bucket(), key, buffer, sizeof buffer, cancelled, NULL, NULL),
               OSS_APPEND_RESULT_CANCELLED);
  oss_append_cancel_token_free(cancelled);

  oss_append_options_free(options);
  free(log);
  free(data);
  oss_append_client_free(client);
}

static int write_file(const char *path, const uint8_t *data, size_t length) {
  FILE *file = fopen(path, "wb");
  if (file == NULL) {
    return -1;
  }
  size_t written = fwrite(data, 1, length, file);
  fclose(file);
  return written == length ? 0 : -1;
}

static void files_append_and_download(void) {
  char key[256], path[512], download[512];
  check_key(key, sizeof key, "from-file.bin");
  const char *dir = check_env("OSS_TEST_TMPDIR");
  snprintf(path, sizeof path, "%s/upload-%ld.bin", dir, (long)getpid());
  snprintf(download, sizeof download, "%s/download-%ld.bin", dir, (long)getpid());
  size_t length = 300 * 1024 + 17;
  uint8_t *data = pattern(length);
  CHECK(write_file(path, data, length) == 0);

  oss_append_client *client = check_client();
  oss_append_receipt result;
  CHECK_RESULT(oss_append_file(client, bucket(), key, 0, path, NULL, &result, NULL), OSS_APPEND_RESULT_OK);
  CHECK_U64(result.next_position, length);
  CHECK_RESULT(oss_append_file(client, bucket(), key, OSS_APPEND_POSITION_UNKNOWN, path, NULL, &result, NULL),
               OSS_APPEND_RESULT_OK);
  CHECK_U64(result.next_position, 2 * length);

  oss_append_get_info got;
  CHECK_RESULT(oss_append_get_object_to_file(client, bucket(), key, download, NULL, &got, NULL), OSS_APPEND_RESULT_OK);
  CHECK_U64(got.bytes_written, 2 * length);
  CHECK(got.has_crc64 && got.crc64 == result.crc64);
  FILE *file = fopen(download, "rb");
  CHECK(file != NULL);
  if (file != NULL) {
    uint8_t *back = malloc(2 * length);
    CHECK(fread(back, 1, 2 * length, file) == 2 * length);
    CHECK(memcmp(back, data, length) == 0 && memcmp(back + length, data, length) == 0);
    free(back);
    fclose(file);
  }

  /* A failed download leaves an existing file as it was. */
  char missing[256];
  check_key(missing, sizeof missing, "no-such-object");
  CHECK_RESULT(oss_append_get_object_to_file(client, bucket(), missing, download, NULL, NULL, NULL), OSS_APPEND_RESULT_NO_SUCH_KEY);
  file = fopen(download, "rb");
  CHECK(file != NULL);
  if (file != NULL) {
    fseek(file, 0, SEEK_END);
    CHECK(ftell(file) == (long)(2 * length));
    fclose(file);
  }
  remove(path);
  remove(download);
  free(data);
  oss_append_client_free(client);
}

static void get_into_a_buffer_checks_its_size(void) {
  char key[256];
  check_key(key, sizeof key, "small.txt");
  oss_append_client *client = check_client();
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"0123456789", 10, NULL, NULL, NULL),
               OSS_APPEND_RESULT_OK);
  uint8_t buffer[8];
  memset(buffer, 'z', sizeof buffer);
  oss_append_get_info got;
  got.bytes_written = 999;
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_get_object(client, bucket(), key, buffer, sizeof buffer, NULL, &got, &error),
               OSS_APPEND_RESULT_BUFFER_TOO_SMALL);
  CHECK(strstr(oss_append_error_message(error), "buffer") != NULL);
  oss_append_error_free(error);
  CHECK(buffer[0] == 'z' && buffer[7] == 'z'); /* untouched */
  CHECK_U64(got.bytes_written, 999);

  uint8_t exact[10];
  CHECK_RESULT(oss_append_get_object(client, bucket(), key, exact, sizeof exact, NULL, &got, NULL), OSS_APPEND_RESULT_OK);
  CHECK_U64(got.bytes_written, 10);
  CHECK(memcmp(exact, "0123456789", 10) == 0);

  /* An empty object fits (NULL, 0). */
  char empty[256];
  check_key(empty, sizeof empty, "empty.txt");
  CHECK_RESULT(oss_append_put_object(client, bucket(), empty, NULL, 0, NULL, NULL, NULL), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_get_object(client, bucket(), empty, NULL, 0, NULL, &got, NULL), OSS_APPEND_RESULT_OK);
  CHECK_U64(got.bytes_written, 0);
  oss_append_client_free(client);
}

static void missing_objects_and_deletes(void) {
  char key[256];
  check_key(key, sizeof key, "deleted.txt");
  oss_append_client *client = check_client();
  oss_append_object_meta *meta = NULL;
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_head_object(client, bucket(), key, &meta, &error), OSS_APPEND_RESULT_NO_SUCH_KEY);
  CHECK(meta == NULL);
  CHECK_U64(oss_append_error_http_status(error), 404);
  oss_append_error_free(error);

  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"x", 1, NULL, NULL, NULL), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_delete_object(client, bucket(), key, NULL), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_head_object(client, bucket(), key, &meta, NULL), OSS_APPEND_RESULT_NO_SUCH_KEY);
  /* Deleting a missing object succeeds, as the service does. */
  CHECK_RESULT(oss_append_delete_object(client, bucket(), key, NULL), OSS_APPEND_RESULT_OK);

  error = NULL;
  CHECK_RESULT(oss_append_object(client, "no-such-bucket-here", key, 0, (const uint8_t *)"x", 1, NULL, NULL, &error),
               OSS_APPEND_RESULT_NO_SUCH_BUCKET);
  CHECK_STR(oss_append_error_code(error), "NoSuchBucket");
  oss_append_error_free(error);
  oss_append_client_free(client);
}

static void create_time_headers_are_sent(void) {
  char key[256];
  check_key(key, sizeof key, "headers.log");
  oss_append_client *client = check_client();
  oss_append_options *options = NULL;
  CHECK_RESULT(oss_append_options_new(&options), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_content_type(options, "text/plain; charset=utf-8"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_cache_control(options, "no-cache"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_content_disposition(options, "attachment; filename=\"app.log\""), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_content_encoding(options, "identity"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_expires(options, "Wed, 21 Oct 2037 07:28:00 GMT"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_add_metadata(options, "Author", "c-test"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_add_metadata(options, "run_id", "42"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_object_acl(options, "private"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_storage_class(options, "Standard"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_server_side_encryption(options, "AES256"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_tagging(options, "team=storage&env=test"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_compute_content_md5(options, true), OSS_APPEND_RESULT_OK);
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"line\n", 5, options, NULL, &error),
               OSS_APPEND_RESULT_OK);
  check_print_and_free_error(error);
  /* A given Content-MD5 that does not match the body is refused by the service. */
  CHECK_RESULT(oss_append_options_set_content_md5(options, "1B2M2Y8AsgTpgAmY7PhCfg=="), OSS_APPEND_RESULT_OK);
  error = NULL;
  oss_append_result bad_md5 = oss_append_object(client, bucket(), key, 5, (const uint8_t *)"x", 1, options, NULL, &error);
  CHECK(bad_md5 != OSS_APPEND_RESULT_OK);
  CHECK_U64(oss_append_error_http_status(error), 400);
  oss_append_error_free(error);
  oss_append_options_free(options);

  oss_append_object_meta *meta = NULL;
  CHECK_RESULT(oss_append_head_object(client, bucket(), key, &meta, NULL), OSS_APPEND_RESULT_OK);
  CHECK_STR(oss_append_object_meta_content_type(meta), "text/plain; charset=utf-8");
  CHECK_U64(oss_append_object_meta_metadata_count(meta), 2);
  int found = 0;
  for (size_t i = 0; i < oss_append_object_meta_metadata_count(meta); i++) {
    const char *name = oss_append_object_meta_metadata_name(meta, i);
    const char *value = oss_append_object_meta_metadata_value(meta, i);
    CHECK(name != NULL && value != NULL);
    if (name != NULL && value != NULL && strcmp(name, "author") == 0 && strcmp(value, "c-test") == 0) {
      found++;
    }
  }
  CHECK(found == 1);
  CHECK(oss_append_object_meta_metadata_name(meta, 2) == NULL);
  CHECK(oss_append_object_meta_metadata_value(meta, 99) == NULL);
  CHECK(strlen(oss_append_object_meta_etag(meta)) > 0);
  CHECK(strlen(oss_append_object_meta_last_modified(meta)) > 0);
  oss_append_object_meta_free(meta);
  oss_append_client_free(client);
}

static void a_wrong_object_crc_is_a_crc_mismatch(void) {
  char key[256];
  check_key(key, sizeof key, "crc.log");
  oss_append_client *client = check_client();
  oss_append_receipt first;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"abc", 3, NULL, &first, NULL),
               OSS_APPEND_RESULT_OK);
  oss_append_options *options = NULL;
  CHECK_RESULT(oss_append_options_new(&options), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_crc64(options, first.crc64 ^ 1), OSS_APPEND_RESULT_OK);
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 3, (const uint8_t *)"def", 3, options, NULL, &error),
               OSS_APPEND_RESULT_CRC_MISMATCH);
  /* The data reached the server: the error says where the object ends now. */
  CHECK_U64(oss_append_error_next_position(error), 6);
  uint64_t server_crc = 0;
  CHECK(oss_append_error_crc64(error, &server_crc));
  oss_append_error_free(error);

  CHECK_RESULT(oss_append_options_clear_crc64(options), OSS_APPEND_RESULT_OK);
  oss_append_receipt next;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 6, (const uint8_t *)"g", 1, options, &next, NULL),
               OSS_APPEND_RESULT_OK);
  CHECK_U64(next.next_position, 7);
  oss_append_options_free(options);
  oss_append_client_free(client);
}

static void a_lost_response_is_settled_before_the_call_returns(void) {
  char key[256];
  check_key(key, sizeof key, "settled.log");
  oss_append_client *client = check_client_with(NULL, NULL, NULL, 1);
  oss_append_receipt first;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"first,", 6, NULL, &first, NULL),
               OSS_APPEND_RESULT_OK);
  /* The append lands and its response is lost: the call proves it landed and succeeds. */
  check_admin("POST", "faults?kind=drop-after-commit&count=1");
  oss_append_receipt second;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 6, (const uint8_t *)"second,", 7, NULL, &second, NULL),
               OSS_APPEND_RESULT_OK);
  CHECK(second.reconciled);
  CHECK_U64(second.next_position, 13);
  oss_append_client_free(client);
}

static void an_unsettled_append_carries_its_in_flight_append_to_settle(void) {
  char key[256];
  check_key(key, sizeof key, "unsettled.log");
  oss_append_client *client = check_client_with(NULL, NULL, NULL, 1);
  oss_append_receipt first;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"first,", 6, NULL, &first, NULL),
               OSS_APPEND_RESULT_OK);
  oss_append_options *options = NULL;
  CHECK_RESULT(oss_append_options_new(&options), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_crc64(options, first.crc64), OSS_APPEND_RESULT_OK);
  /* The append lands, its response is lost, and the HEAD that would settle it is refused. */
  check_admin("POST", "faults?kind=drop-after-commit&count=1");
  check_admin("POST", "faults?kind=fail&method=HEAD&status=503&count=5");
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 6, (const uint8_t *)"second,", 7, options, NULL, &error),
               OSS_APPEND_RESULT_UNSETTLED);
  CHECK(!oss_append_result_is_retryable(OSS_APPEND_RESULT_UNSETTLED));
  CHECK(!oss_append_error_is_retryable(error));
  CHECK(strstr(oss_append_error_message(error), "may have landed") != NULL);
  oss_append_in_flight in_flight;
  CHECK(oss_append_error_in_flight(error, &in_flight));
  CHECK_U64(in_flight.position, 6);
  CHECK_U64(in_flight.length, 7);
  CHECK(in_flight.has_crc64_before);
  CHECK_U64(in_flight.crc64_before, first.crc64);
  oss_append_error_free(error);
  check_admin("DELETE", "faults");

  /* Kept as plain data, it is settled later: it landed, once. */
  oss_append_settlement settlement;
  CHECK_RESULT(oss_append_settle(client, bucket(), key, &in_flight, &settlement, NULL), OSS_APPEND_RESULT_OK);
  CHECK(settlement.landed);
  CHECK(settlement.reason == OSS_APPEND_NOT_LANDED_REASON_LANDED);
  CHECK_U64(settlement.result.next_position, 13);
  CHECK(settlement.result.reconciled);
  size_t length = 0;
  char *data = read_object(client, key, 64, &length);
  CHECK(data != NULL && length == 13 && memcmp(data, "first,second,", 13) == 0);
  free(data);

  /* An append that is not there: not landed, and where the object ends. */
  in_flight.position = 13;
  CHECK_RESULT(oss_append_settle(client, bucket(), key, &in_flight, &settlement, NULL), OSS_APPEND_RESULT_OK);
  CHECK(!settlement.landed);
  CHECK(settlement.reason == OSS_APPEND_NOT_LANDED_REASON_NOTHING_AT_POSITION);
  CHECK_U64(settlement.object_length, 13);
  oss_append_options_free(options);
  oss_append_client_free(client);
}

/* Settled as not landed, then the request still under way commits, and the bytes are sent again at the
 * same position with the same client: the refusal is settled, not believed — landed, once. */
static void a_late_commit_after_settle_said_not_landed_is_reported_landed(void) {
  char key[256];
  check_key(key, sizeof key, "late.log");
  oss_append_client *client = check_client_with(NULL, NULL, NULL, 1);
  oss_append_receipt first;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"0123456789", 10, NULL, &first, NULL),
               OSS_APPEND_RESULT_OK);
  oss_append_options *options = NULL;
  CHECK_RESULT(oss_append_options_new(&options), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_crc64(options, first.crc64), OSS_APPEND_RESULT_OK);
  check_admin("POST", "faults?kind=commit-late&count=1&millis=500");
  check_admin("POST", "faults?kind=fail&method=HEAD&status=503&count=1");
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 10, (const uint8_t *)"LATE;", 5, options, NULL, &error),
               OSS_APPEND_RESULT_UNSETTLED);
  oss_append_in_flight in_flight;
  CHECK(oss_append_error_in_flight(error, &in_flight));
  oss_append_error_free(error);
  oss_append_settlement settlement;
  CHECK_RESULT(oss_append_settle(client, bucket(), key, &in_flight, &settlement, NULL), OSS_APPEND_RESULT_OK);
  CHECK(!settlement.landed);
  CHECK(settlement.reason == OSS_APPEND_NOT_LANDED_REASON_NOTHING_AT_POSITION);
  sleep_ms(1000); /* the request under way commits */
  oss_append_receipt again;
  CHECK_RESULT(oss_append_object(client, bucket(), key, 10, (const uint8_t *)"LATE;", 5, options, &again, NULL),
               OSS_APPEND_RESULT_OK);
  CHECK(again.reconciled);
  CHECK_U64(again.next_position, 15);
  size_t length = 0;
  char *data = read_object(client, key, 64, &length);
  CHECK(data != NULL && length == 15 && memcmp(data, "0123456789LATE;", 15) == 0);
  free(data);
  oss_append_options_free(options);
  oss_append_client_free(client);
}

static void retryable_codes_come_from_the_core(void) {
  CHECK(oss_append_result_is_retryable(OSS_APPEND_RESULT_NETWORK));
  CHECK(oss_append_result_is_retryable(OSS_APPEND_RESULT_READ_WRITE_TIMEOUT));
  CHECK(oss_append_result_is_retryable(OSS_APPEND_RESULT_SERVICE_UNAVAILABLE));
  CHECK(oss_append_result_is_retryable(OSS_APPEND_RESULT_TOO_MANY_REQUESTS));
  CHECK(!oss_append_result_is_retryable(OSS_APPEND_RESULT_OK));
  CHECK(!oss_append_result_is_retryable(OSS_APPEND_RESULT_POSITION_NOT_EQUAL_TO_LENGTH));
  CHECK(!oss_append_result_is_retryable(OSS_APPEND_RESULT_CRC_MISMATCH));
  CHECK(!oss_append_result_is_retryable(OSS_APPEND_RESULT_UNVERIFIED));
  CHECK(!oss_append_result_is_retryable(OSS_APPEND_RESULT_PROTOCOL));
  CHECK(!oss_append_result_is_retryable(123456));
}

static void signature_v1_works(void) {
  char key[256];
  check_key(key, sizeof key, "v1.log");
  oss_append_config *config = NULL;
  oss_append_client *client = NULL;
  CHECK_RESULT(oss_append_config_new(&config), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_endpoint(config, check_env("OSS_TEST_ENDPOINT")), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_signature_version(config, OSS_APPEND_SIGNATURE_VERSION_V1), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_path_style(config, true), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_user_agent(config, "oss-append-c-test/1"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_credentials(config, check_env("OSS_TEST_ACCESS_KEY_ID"),
                                                 check_env("OSS_TEST_ACCESS_KEY_SECRET"), NULL),
               OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_client_new(config, &client, NULL), OSS_APPEND_RESULT_OK);
  oss_append_config_free(config);
  CHECK_RESULT(oss_append_object(client, bucket(), key, 0, (const uint8_t *)"v1", 2, NULL, NULL, NULL), OSS_APPEND_RESULT_OK);
  oss_append_client_free(client);
}

static void network_failure_is_a_network_error(void) {
  oss_append_config *config = NULL;
  oss_append_client *client = NULL;
  CHECK_RESULT(oss_append_config_new(&config), OSS_APPEND_RESULT_OK);
  /* Port 1 on the loopback: nothing listens there, so the connection is refused. */
  CHECK_RESULT(oss_append_config_set_endpoint(config, "http://127.0.0.1:1"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_region(config, "cn-hangzhou"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_credentials(config, "AK", "SK", NULL), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_retries(config, 2, 1, 5), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_client_new(config, &client, NULL), OSS_APPEND_RESULT_OK);
  oss_append_config_free(config);
  oss_append_error *error = NULL;
  oss_append_result result = oss_append_object(client, "bucket", "key", 0, (const uint8_t *)"x", 1, NULL, NULL, &error);
  CHECK(result == OSS_APPEND_RESULT_NETWORK || result == OSS_APPEND_RESULT_CONNECT_TIMEOUT);
  CHECK_U64(oss_append_error_http_status(error), 0);
  CHECK_STR(oss_append_error_code(error), "");
  CHECK(strlen(oss_append_error_message(error)) > 0);
  oss_append_error_free(error);
  oss_append_client_free(client);
}

int main(void) {
  RUN(version_is_the_crate_version);
  RUN(appends_track_position_and_crc);
  RUN(unknown_position_appends_at_the_end);
  RUN(position_mismatch_reports_the_next_position);
  RUN(a_put_object_is_not_appendable);
  RUN(wrong_keys_fail_authentication);
  RUN(sts_credentials_append);
  RUN(credentials_from_the_token_server);
  RUN(the_credentials_callback_is_asked_and_cached);
  RUN(progress_is_reported_in_order);
  RUN(progress_returning_false_cancels);
  RUN(a_cancel_token_stops_a_call_from_another_thread);
  RUN(files_append_and_download);
  RUN(get_into_a_buffer_checks_its_size);
  RUN(missing_objects_and_deletes);
  RUN(create_time_headers_are_sent);
  RUN(a_wrong_object_crc_is_a_crc_mismatch);
  RUN(a_lost_response_is_settled_before_the_call_returns);
  RUN(an_unsettled_append_carries_its_in_flight_append_to_settle);
  RUN(a_late_commit_after_settle_said_not_landed_is_reported_landed);
  RUN(retryable_codes_come_from_the_core);
  RUN(signature_v1_works);
  RUN(network_failure_is_a_network_error);
  return check_summary("test_append");
}
