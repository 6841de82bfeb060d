/* append_file: appends a file to an OSS object in chunks, with a progress line.
 *
 *   append_file FILE BUCKET KEY [CHUNK_BYTES]
 *
 * Settings come from the environment, as the emulator prints them:
 *   OSS_ENDPOINT       e.g. https://oss-cn-hangzhou.aliyuncs.com or http://127.0.0.1:9000
 *   OSS_REGION         e.g. cn-hangzhou (optional for oss-<region>.aliyuncs.com endpoints)
 *   OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET, and OSS_SESSION_TOKEN for STS keys
 *
 * The first chunk goes at the object's end (OSS_APPEND_POSITION_UNKNOWN: the library finds it, 0 for a new
 * object); each later chunk goes at the position and with the CRC-64 the previous append returned,
 * so no request is spent finding them and every append is verified. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oss_append.h"

struct progress {
  uint64_t done;       /* bytes of the file appended before this chunk */
  uint64_t file_size;  /* bytes in the file */
};

/* Called as each chunk goes out: prints how much of the whole file has been sent. */
static bool show_progress(void *user_data, uint64_t sent, uint64_t total) {
  const struct progress *progress = user_data;
  uint64_t so_far = progress->done + sent;
  double percent = progress->file_size ? 100.0 * (double)so_far / (double)progress->file_size : 100.0;
  fprintf(stderr, "\r%5.1f%%  %" PRIu64 " of %" PRIu64 " bytes (chunk %" PRIu64 "/%" PRIu64 ")", percent, so_far,
          progress->file_size, sent, total);
  return true; /* false would cancel the append */
}

/* Prints a failed call's details and frees the error. */
static void report(const char *what, oss_append_result result, oss_append_error *error) {
  fprintf(stderr, "\n%s failed: %s (%u)\n", what, oss_append_result_name(result), (unsigned)result);
  if (error != NULL) {
    fprintf(stderr, "  %s\n", oss_append_error_message(error));
    if (oss_append_error_next_position(error) != OSS_APPEND_POSITION_UNKNOWN) {
      fprintf(stderr, "  the object's length is %" PRIu64 "\n", oss_append_error_next_position(error));
    }
    oss_append_error_free(error);
  }
}

static oss_append_client *client_from_env(void) {
  const char *endpoint = getenv("OSS_ENDPOINT");
  if (endpoint == NULL) {
    fprintf(stderr, "set OSS_ENDPOINT (and OSS_REGION, OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET)\n");
    return NULL;
  }
  oss_append_config *config = NULL;
  oss_append_client *client = NULL;
  oss_append_error *error = NULL;
  if (oss_append_config_new(&config) != OSS_APPEND_RESULT_OK) {
    return NULL;
  }
  oss_append_config_set_endpoint(config, endpoint);
  oss_append_config_set_region(config, getenv("OSS_REGION")); /* NULL keeps the default */
  oss_append_config_set_credentials_from_env(config);
  oss_append_result result = oss_append_client_new(config, &client, &error);
  oss_append_config_free(config);
  if (result != OSS_APPEND_RESULT_OK) {
    report("creating the client", result, error);
    return NULL;
  }
  return client;
}

int main(int argc, char **argv) {
  if (argc < 4 || argc > 5) {
    fprintf(stderr, "usage: %s FILE BUCKET KEY [CHUNK_BYTES]   (oss-append %s)\n", argv[0], oss_append_version());
    return 2;
  }
  const char *path = argv[1], *bucket = argv[2], *key = argv[3];
  size_t chunk_size = argc == 5 ? (size_t)strtoull(argv[4], NULL, 10) : 1024 * 1024;
  if (chunk_size == 0) {
    fprintf(stderr, "CHUNK_BYTES must be a positive number\n");
    return 2;
  }

  FILE *file = fopen(path, "rb");
  if (file == NULL) {
    perror(path);
    return 1;
  }
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);

  oss_append_client *client = client_from_env();
  oss_append_options *options = NULL;
  uint8_t *chunk = malloc(chunk_size);
  if (client == NULL || chunk == NULL || oss_append_options_new(&options) != OSS_APPEND_RESULT_OK) {
    fclose(file);
    free(chunk);
    oss_append_client_free(client);
    return 1;
  }
  struct progress progress = {0, size > 0 ? (uint64_t)size : 0};
  oss_append_options_set_progress(options, show_progress, &progress);
  oss_append_options_set_content_type(options, "text/plain"); /* sent only if this creates the object */

  uint64_t position = OSS_APPEND_POSITION_UNKNOWN;
  oss_append_receipt result;
  memset(&result, 0, sizeof result);
  int status = 0;
  size_t length;
  while ((length = fread(chunk, 1, chunk_size, file)) > 0) {
    oss_append_error *error = NULL;
    oss_append_result code = oss_append_object(client, bucket, key, position, chunk, length, options, &result, &error);
    if (code != OSS_APPEND_RESULT_OK) {
      report("append", code, error);
      status = 1;
      break;
    }
    position = result.next_position;
    oss_append_options_set_crc64(options, result.crc64);
    progress.done += length;
  }
  if (status == 0) {
    fprintf(stderr, "\n");
    printf("appended %" PRIu64 " bytes to %s/%s: length %" PRIu64 ", crc64 %" PRIu64 ", request id %s\n",
           progress.done, bucket, key, result.next_position, result.crc64, result.request_id);
  }

  oss_append_options_free(options);
  oss_append_client_free(client);
  free(chunk);
  fclose(file);
  return status;
}
