/* The spool through the C ABI: write, flush, status, listener events, close, reopen with the last
 * mark, an outage ridden out, and every bad input as a result code. */
#include "check.h"

#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

static const char *bucket(void) { return check_env("OSS_TEST_BUCKET"); }

/* A spool directory unique to this process and test. */
static const char *spool_dir(char *buffer, size_t size, const char *name) {
  snprintf(buffer, size, "%s/spool-%s-%s-%ld", check_env("OSS_TEST_TMPDIR"), check_env("OSS_TEST_VARIANT"), name,
           (long)getpid());
  return buffer;
}

/* What the listener saw, guarded: it is called on the spool's threads. */
struct seen {
  pthread_mutex_t lock;
  int appended;
  uint64_t next_position;
  int contiguous;
  int errors;
  int rolled_over;
};

static void on_event(void *user_data, const oss_append_spool_event *event) {
  struct seen *seen = user_data;
  pthread_mutex_lock(&seen->lock);
  switch (event->kind) {
    case OSS_APPEND_SPOOL_EVENT_KIND_APPENDED:
      if (event->position != seen->next_position || strlen(event->key) == 0) {
        seen->contiguous = 0;
      }
      seen->next_position = event->position + event->bytes;
      seen->appended++;
      break;
    case OSS_APPEND_SPOOL_EVENT_KIND_ERROR:
      if (strlen(event->message) > 0 && event->retry_at_unix_ms > 0) {
        seen->errors++;
      }
      break;
    case OSS_APPEND_SPOOL_EVENT_KIND_ROLLED_OVER:
      seen->rolled_over++;
      break;
    default:
      break;
  }
  pthread_mutex_unlock(&seen->lock);
}

static oss_append_spool_config *config_for(const char *key, struct seen *seen) {
  oss_append_spool_config *config = NULL;
  CHECK_RESULT(oss_append_spool_config_new(bucket(), key, &config), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_spool_config_set_sync(config, OSS_APPEND_SPOOL_SYNC_EVERY_WRITE, 0), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_spool_config_set_batch(config, 4096, 20), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_spool_config_set_var(config, "device", "c-test"), OSS_APPEND_RESULT_OK);
  if (seen != NULL) {
    CHECK_RESULT(oss_append_spool_config_set_listener(config, on_event, seen), OSS_APPEND_RESULT_OK);
  }
  return config;
}

static void writes_reach_oss_and_the_mark_survives_a_reopen(void) {
  char dir[512], key[256], template[300];
  spool_dir(dir, sizeof dir, "basic");
  check_key(key, sizeof key, "spool-{device}.log");
  snprintf(template, sizeof template, "%s", key);
  oss_append_client *client = check_client();
  struct seen seen = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 1, 0, 0};
  oss_append_spool_config *config = config_for(template, &seen);
  oss_append_options *headers = NULL;
  CHECK_RESULT(oss_append_options_new(&headers), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_options_set_content_type(headers, "text/plain"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_spool_config_set_headers(config, headers), OSS_APPEND_RESULT_OK);
  oss_append_options_free(headers);
  oss_append_spool *spool = NULL;
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_spool_open(client, dir, config, &spool, &error), OSS_APPEND_RESULT_OK);
  check_print_and_free_error(error);

  /* A second open of the same directory is refused while the first has it. */
  oss_append_spool *second = NULL;
  CHECK_RESULT(oss_append_spool_open(client, dir, config, &second, NULL), OSS_APPEND_RESULT_SPOOL_LOCKED);
  CHECK(second == NULL);

  char line[64];
  uint64_t total = 0;
  for (int i = 0; i < 100; i++) {
    int n = snprintf(line, sizeof line, "line %03d of the C spool test\n", i);
    uint64_t mark = (uint64_t)i;
    CHECK_RESULT(oss_append_spool_write_with_mark(spool, (const uint8_t *)line, (size_t)n, (const uint8_t *)&mark, sizeof mark, NULL),
                 OSS_APPEND_RESULT_OK);
    total += (uint64_t)n;
  }
  CHECK_RESULT(oss_append_spool_flush(spool, 30000, &error), OSS_APPEND_RESULT_OK);
  check_print_and_free_error(error);
  oss_append_spool_status status;
  CHECK_RESULT(oss_append_spool_get_status(spool, &status), OSS_APPEND_RESULT_OK);
  CHECK_U64(status.pending_bytes, 0);
  CHECK_U64(status.appended_bytes, total);
  CHECK_U64(status.position, total);
  CHECK(status.has_crc64);
  CHECK(!status.in_flight);
  CHECK(strstr(status.object, "spool-c-test.log") != NULL);
  CHECK_STR(status.last_error, "");
  pthread_mutex_lock(&seen.lock);
  CHECK(seen.appended > 0 && seen.contiguous && seen.next_position == total);
  pthread_mutex_unlock(&seen.lock);
  CHECK_RESULT(oss_append_spool_close(spool, NULL), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_spool_write(spool, (const uint8_t *)"x", 1, NULL), OSS_APPEND_RESULT_SPOOL_CLOSED);
  oss_append_spool_free(spool);

  /* Reopened, it knows the last mark and goes on. */
  CHECK_RESULT(oss_append_spool_open(client, dir, config, &spool, NULL), OSS_APPEND_RESULT_OK);
  uint64_t mark = 0;
  size_t length = 0;
  CHECK_RESULT(oss_append_spool_last_mark(spool, (uint8_t *)&mark, sizeof mark, &length), OSS_APPEND_RESULT_OK);
  CHECK(length == sizeof mark);
  CHECK_U64(mark, 99);
  uint8_t small[2];
  CHECK_RESULT(oss_append_spool_last_mark(spool, small, sizeof small, &length), OSS_APPEND_RESULT_BUFFER_TOO_SMALL);
  CHECK(length == sizeof mark);
  CHECK_RESULT(oss_append_spool_write(spool, (const uint8_t *)"after reopen\n", 13, NULL), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_spool_flush(spool, 30000, NULL), OSS_APPEND_RESULT_OK);
  oss_append_object_meta *meta = NULL;
  CHECK_RESULT(oss_append_head_object(client, bucket(), status.object, &meta, NULL), OSS_APPEND_RESULT_OK);
  CHECK_U64(oss_append_object_meta_content_length(meta), total + 13);
  CHECK_STR(oss_append_object_meta_content_type(meta), "text/plain");
  oss_append_object_meta_free(meta);
  oss_append_spool_free(spool); /* closes it */
  oss_append_spool_config_free(config);
  oss_append_client_free(client);
}

static void an_outage_is_ridden_out_and_reported(void) {
  char dir[512], key[256];
  spool_dir(dir, sizeof dir, "outage");
  check_key(key, sizeof key, "outage.log");
  oss_append_client *client = check_client_with(NULL, NULL, NULL, 1);
  struct seen seen = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 1, 0, 0};
  oss_append_spool_config *config = config_for(key, &seen);
  oss_append_spool *spool = NULL;
  check_admin("POST", "faults?kind=fail&method=POST&status=503&count=4");
  CHECK_RESULT(oss_append_spool_open(client, dir, config, &spool, NULL), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_spool_write(spool, (const uint8_t *)"during the outage\n", 18, NULL), OSS_APPEND_RESULT_OK);
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_spool_flush(spool, 60000, &error), OSS_APPEND_RESULT_OK);
  check_print_and_free_error(error);
  pthread_mutex_lock(&seen.lock);
  CHECK(seen.errors > 0);
  pthread_mutex_unlock(&seen.lock);
  oss_append_spool_status status;
  CHECK_RESULT(oss_append_spool_get_status(spool, &status), OSS_APPEND_RESULT_OK);
  CHECK_U64(status.appended_bytes, 18);
  CHECK_U64(status.next_try_unix_ms, 0);
  check_admin("DELETE", "faults");
  oss_append_spool_free(spool);
  oss_append_spool_config_free(config);
  oss_append_client_free(client);
}

static void bad_inputs_are_codes(void) {
  char dir[512];
  spool_dir(dir, sizeof dir, "bad");
  oss_append_client *client = check_client();
  oss_append_spool_config *config = NULL;
  CHECK_RESULT(oss_append_spool_config_new(NULL, "k", &config), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_spool_config_new(bucket(), NULL, &config), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_spool_config_new(bucket(), "k", NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_spool_config_new("\xff", "k", &config), OSS_APPEND_RESULT_INVALID_UTF8);
  CHECK_RESULT(oss_append_spool_config_new(bucket(), "k", &config), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_spool_config_set_sync(config, 9, 0), OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(oss_append_spool_config_set_limits(config, 1 << 20, 0, 0, 0), OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(oss_append_spool_config_set_sync(NULL, 1, 0), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_spool_config_set_var(config, NULL, "v"), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_spool_config_set_headers(config, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_spool_config_set_listener(NULL, NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  oss_append_spool *spool = NULL;
  CHECK_RESULT(oss_append_spool_open(NULL, dir, config, &spool, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_spool_open(client, NULL, config, &spool, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_spool_open(client, dir, NULL, &spool, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_spool_open(client, dir, config, NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_spool_open(client, "", config, &spool, NULL), OSS_APPEND_RESULT_INVALID_ARGUMENT);
  oss_append_spool_config *bad = NULL;
  CHECK_RESULT(oss_append_spool_config_new("Bad_Bucket", "k", &bad), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_spool_open(client, dir, bad, &spool, NULL), OSS_APPEND_RESULT_INVALID_BUCKET);
  oss_append_spool_config_free(bad);
  CHECK_RESULT(oss_append_spool_config_new(bucket(), "logs/{nope}", &bad), OSS_APPEND_RESULT_OK);
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_spool_open(client, dir, bad, &spool, &error), OSS_APPEND_RESULT_INVALID_ARGUMENT);
  CHECK(strstr(oss_append_error_message(error), "nope") != NULL);
  oss_append_error_free(error);
  oss_append_spool_config_free(bad);
  CHECK(spool == NULL);

  CHECK_RESULT(oss_append_spool_open(client, dir, config, &spool, NULL), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_spool_write(NULL, (const uint8_t *)"x", 1, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_spool_write(spool, NULL, 5, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_spool_write(spool, NULL, 0, NULL), OSS_APPEND_RESULT_OK);
  uint8_t big[70000] = {0};
  CHECK_RESULT(oss_append_spool_write_with_mark(spool, (const uint8_t *)"x", 1, big, sizeof big, NULL), OSS_APPEND_RESULT_INVALID_ARGUMENT);
  size_t length = 0;
  CHECK_RESULT(oss_append_spool_last_mark(spool, NULL, 0, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_spool_last_mark(spool, NULL, 0, &length), OSS_APPEND_RESULT_OK);
  CHECK(length == 0);
  CHECK_RESULT(oss_append_spool_get_status(spool, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_spool_get_status(NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_spool_flush(NULL, 1, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  CHECK_RESULT(oss_append_spool_close(NULL, NULL), OSS_APPEND_RESULT_NULL_POINTER);
  oss_append_spool_free(NULL);
  oss_append_spool_config_free(NULL);
  oss_append_spool_free(spool);
  oss_append_spool_config_free(config);
  oss_append_client_free(client);
}

int main(void) {
  RUN(writes_reach_oss_and_the_mark_survives_a_reopen);
  RUN(an_outage_is_ridden_out_and_reported);
  RUN(bad_inputs_are_codes);
  return check_summary("test_spool");
}
