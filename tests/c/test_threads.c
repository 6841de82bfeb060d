/* One client shared by many threads: each thread appends to its own object, tracking position and
 * CRC, and all of them race to append to one shared object at "unknown" positions. */
#include "check.h"

#include <pthread.h>

#define THREADS 8
#define APPENDS_PER_THREAD 12
#define LINE_LENGTH 32

static const char *bucket(void) { return check_env("OSS_TEST_BUCKET"); }

struct worker {
  oss_append_client *client; /* shared by every worker */
  int index;
  char own_key[256];
  const char *shared_key;
  int failures;
  int shared_appends;
  int conflicts;
};

/* A line of exactly LINE_LENGTH bytes naming the thread and the append. */
static void make_line(char *line, int thread, int append) {
  char text[LINE_LENGTH + 1];
  snprintf(text, sizeof text, "thread %02d append %03d ", thread, append);
  memset(line, '.', LINE_LENGTH);
  memcpy(line, text, strlen(text) < LINE_LENGTH ? strlen(text) : LINE_LENGTH);
  line[LINE_LENGTH - 1] = '\n';
}

static void *work(void *arg) {
  struct worker *worker = arg;
  oss_append_options *options = NULL;
  if (oss_append_options_new(&options) != OSS_APPEND_RESULT_OK) {
    worker->failures++;
    return NULL;
  }
  uint64_t position = 0;
  for (int i = 0; i < APPENDS_PER_THREAD; i++) {
    char line[LINE_LENGTH];
    make_line(line, worker->index, i);
    oss_append_receipt result;
    oss_append_error *error = NULL;
    /* Its own object: position and CRC carried from each result to the next append. */
    if (oss_append_object(worker->client, bucket(), worker->own_key, position, (const uint8_t *)line, LINE_LENGTH,
                          options, &result, &error) != OSS_APPEND_RESULT_OK) {
      fprintf(stderr, "    thread %d: %s\n", worker->index, oss_append_error_message(error));
      oss_append_error_free(error);
      worker->failures++;
      break;
    }
    position = result.next_position;
    oss_append_options_set_crc64(options, result.crc64);

    /* The shared object: a lost race gives PositionNotEqualToLength with the real length; retry there. */
    uint64_t shared_position = OSS_APPEND_POSITION_UNKNOWN;
    for (int attempt = 0; attempt < 200; attempt++) {
      error = NULL;
      oss_append_result code = oss_append_object(worker->client, bucket(), worker->shared_key, shared_position,
                                          (const uint8_t *)line, LINE_LENGTH, NULL, NULL, &error);
      if (code == OSS_APPEND_RESULT_OK) {
        worker->shared_appends++;
        break;
      }
      if (code == OSS_APPEND_RESULT_POSITION_NOT_EQUAL_TO_LENGTH) {
        worker->conflicts++;
        shared_position = oss_append_error_next_position(error);
        oss_append_error_free(error);
        continue;
      }
      fprintf(stderr, "    thread %d shared: %s\n", worker->index, oss_append_error_message(error));
      oss_append_error_free(error);
      worker->failures++;
      break;
    }
  }
  oss_append_options_free(options);
  return NULL;
}

static void threads_share_one_client(void) {
  oss_append_client *client = check_client();
  char shared_key[256];
  check_key(shared_key, sizeof shared_key, "shared.log");
  struct worker workers[THREADS];
  pthread_t threads[THREADS];
  for (int i = 0; i < THREADS; i++) {
    memset(&workers[i], 0, sizeof workers[i]);
    workers[i].client = client;
    workers[i].index = i;
    workers[i].shared_key = shared_key;
    char name[64];
    snprintf(name, sizeof name, "thread-%d.log", i);
    check_key(workers[i].own_key, sizeof workers[i].own_key, name);
    CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
  }
  int conflicts = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(threads[i], NULL);
    CHECK(workers[i].failures == 0);
    CHECK(workers[i].shared_appends == APPENDS_PER_THREAD);
    conflicts += workers[i].conflicts;
  }
  printf("    %d threads, %d appends each, %d lost races on the shared object\n", THREADS, APPENDS_PER_THREAD,
         conflicts);

  /* Every object holds exactly what was appended, in order. */
  size_t own_length = (size_t)APPENDS_PER_THREAD * LINE_LENGTH;
  size_t shared_length = own_length * THREADS;
  uint8_t *buffer = malloc(shared_length);
  for (int i = 0; i < THREADS; i++) {
    oss_append_get_info got;
    CHECK_RESULT(oss_append_get_object(client, bucket(), workers[i].own_key, buffer, own_length, NULL, &got, NULL),
                 OSS_APPEND_RESULT_OK);
    CHECK_U64(got.bytes_written, own_length);
    for (int a = 0; a < APPENDS_PER_THREAD; a++) {
      char line[LINE_LENGTH];
      make_line(line, i, a);
      CHECK(memcmp(buffer + (size_t)a * LINE_LENGTH, line, LINE_LENGTH) == 0);
    }
  }
  oss_append_get_info got;
  CHECK_RESULT(oss_append_get_object(client, bucket(), shared_key, buffer, shared_length, NULL, &got, NULL), OSS_APPEND_RESULT_OK);
  CHECK_U64(got.bytes_written, shared_length);
  /* Each thread's lines appear once each, in the thread's order. */
  for (int i = 0; i < THREADS; i++) {
    int next = 0;
    for (size_t offset = 0; offset < shared_length; offset += LINE_LENGTH) {
      char line[LINE_LENGTH];
      make_line(line, i, next);
      if (next < APPENDS_PER_THREAD && memcmp(buffer + offset, line, LINE_LENGTH) == 0) {
        next++;
      }
    }
    CHECK(next == APPENDS_PER_THREAD);
  }
  free(buffer);
  oss_append_client_free(client);
}

int main(void) {
  RUN(threads_share_one_client);
  return check_summary("test_threads");
}
