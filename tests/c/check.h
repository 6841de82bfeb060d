/* A tiny test harness for the C ABI tests: CHECK macros, named test cases, a summary line. */
#ifndef OSS_APPEND_TEST_CHECK_H
#define OSS_APPEND_TEST_CHECK_H

/* POSIX (getpid, pthreads, nanosleep) under -std=c11 -pedantic. Include this header first. */
#if !defined(_POSIX_C_SOURCE) && !defined(__cplusplus)
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oss_append.h"

static int check_failures_in_case = 0;
static int check_cases_passed = 0;
static int check_cases_failed = 0;

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      fprintf(stderr, "    %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
      check_failures_in_case++;                                                      \
    }                                                                                \
  } while (0)

/* Checks a call's result code, printing both names when they differ. */
#define CHECK_RESULT(expr, expected)                                                         \
  do {                                                                                       \
    oss_append_result check_got_ = (expr);                                                          \
    if (check_got_ != (expected)) {                                                          \
      fprintf(stderr, "    %s:%d: %s\n      gave %s, expected %s\n", __FILE__, __LINE__, #expr, \
              oss_append_result_name(check_got_), oss_append_result_name(expected));                       \
      check_failures_in_case++;                                                              \
    }                                                                                        \
  } while (0)

#define CHECK_STR(actual, expected)                                                                  \
  do {                                                                                               \
    const char *check_a_ = (actual);                                                                 \
    const char *check_e_ = (expected);                                                               \
    if (check_a_ == NULL || strcmp(check_a_, check_e_) != 0) {                                       \
      fprintf(stderr, "    %s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #actual,     \
              check_a_ ? check_a_ : "(NULL)", check_e_);                                             \
      check_failures_in_case++;                                                                      \
    }                                                                                                \
  } while (0)

#define CHECK_U64(actual, expected)                                                                 \
  do {                                                                                              \
    uint64_t check_a_ = (uint64_t)(actual);                                                         \
    uint64_t check_e_ = (uint64_t)(expected);                                                       \
    if (check_a_ != check_e_) {                                                                     \
      fprintf(stderr, "    %s:%d: %s is %" PRIu64 ", expected %" PRIu64 "\n", __FILE__, __LINE__,   \
              #actual, check_a_, check_e_);                                                         \
      check_failures_in_case++;                                                                     \
    }                                                                                               \
  } while (0)

/* Prints an error handle's details (for a failing check's context), then frees it. */
static inline void check_print_and_free_error(oss_append_error *error) {
  if (error != NULL) {
    fprintf(stderr, "      error: %s\n", oss_append_error_message(error));
    oss_append_error_free(error);
  }
}

static inline void check_run(const char *name, void (*test)(void)) {
  check_failures_in_case = 0;
  test();
  if (check_failures_in_case == 0) {
    printf("ok - %s\n", name);
    check_cases_passed++;
  } else {
    printf("not ok - %s (%d failed checks)\n", name, check_failures_in_case);
    check_cases_failed++;
  }
  fflush(stdout);
}

#define RUN(test) check_run(#test, test)

/* Prints the closing line and gives the exit status. */
static inline int check_summary(const char *program) {
  printf("%s: %d passed, %d failed\n", program, check_cases_passed, check_cases_failed);
  return check_cases_failed == 0 ? 0 : 1;
}

/* The emulator the tests run against, from the environment scripts/test-c.sh sets. */
static inline const char *check_env(const char *name) {
  const char *value = getenv(name);
  if (value == NULL || value[0] == '\0') {
    fprintf(stderr, "%s is not set: run the C tests with scripts/test-c.sh\n", name);
    exit(2);
  }
  return value;
}

/* A client of the test emulator with the given keys (NULL: the emulator's own), no retries unless
 * asked. Returns NULL (and counts a failed check) when it cannot be made. */
static inline oss_append_client *check_client_with(const char *access_key_id, const char *access_key_secret,
                                            const char *security_token, uint32_t max_attempts) {
  oss_append_config *config = NULL;
  oss_append_client *client = NULL;
  oss_append_error *error = NULL;
  CHECK_RESULT(oss_append_config_new(&config), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_endpoint(config, check_env("OSS_TEST_ENDPOINT")), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_region(config, "cn-hangzhou"), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_credentials(
                   config, access_key_id ? access_key_id : check_env("OSS_TEST_ACCESS_KEY_ID"),
                   access_key_secret ? access_key_secret : check_env("OSS_TEST_ACCESS_KEY_SECRET"), security_token),
               OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_retries(config, max_attempts, 10, 100), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_config_set_timeouts(config, 5000, 10000, 0), OSS_APPEND_RESULT_OK);
  CHECK_RESULT(oss_append_client_new(config, &client, &error), OSS_APPEND_RESULT_OK);
  check_print_and_free_error(error);
  oss_append_config_free(config);
  return client;
}

static inline oss_append_client *check_client(void) { return check_client_with(NULL, NULL, NULL, 3); }

/* Sends `method` to the test emulator's admin endpoint, e.g. ("POST", "faults?kind=drop-after-commit")
 * or ("DELETE", "faults"), over a plain socket; counts a failed check unless it answers 200. */
static inline void check_admin(const char *method, const char *path_and_query) {
  const char *endpoint = check_env("OSS_TEST_ENDPOINT"); /* http://127.0.0.1:PORT */
  const char *colon = strrchr(endpoint, ':');
  int port = colon ? atoi(colon + 1) : 0;
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_port = htons((uint16_t)port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  char request[512];
  char response[512] = {0};
  int sent = snprintf(request, sizeof request,
                      "%s /-/emulator/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                      "Connection: close\r\n\r\n",
                      method, path_and_query);
  if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0 ||
      write(fd, request, (size_t)sent) != sent || read(fd, response, sizeof response - 1) <= 0 ||
      strncmp(response, "HTTP/1.1 200", 12) != 0) {
    fprintf(stderr, "    admin %s %s failed: %.80s\n", method, path_and_query, response);
    check_failures_in_case++;
  }
  if (fd >= 0) {
    close(fd);
  }
}

/* A key unique to this process, so runs of the tests never meet each other's objects. */
static inline const char *check_key(char *buffer, size_t size, const char *name) {
  snprintf(buffer, size, "c-abi/%s/%ld/%s", check_env("OSS_TEST_VARIANT"), (long)getpid(), name);
  return buffer;
}

#endif /* OSS_APPEND_TEST_CHECK_H */
