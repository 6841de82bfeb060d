/* exactly_once: appends each line of standard input to oss://my-bucket/logs/app.log exactly once,
 * settling an append whose outcome is unknown before deciding to send it again.
 *
 *   printf 'one\ntwo\n' | exactly_once
 *
 * Settings come from the environment, as the emulator prints them (OSS_ENDPOINT, OSS_REGION,
 * OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET, and OSS_SESSION_TOKEN for STS keys).
 *
 * Everything below the README marker is README.md's C example ("Moving from the official C SDK"),
 * verbatim: scripts/test-c.sh checks that the two are the same text, builds this program with every
 * warning an error, and runs it against the emulator through a lost response and an append dropped
 * before its commit, each left unsettled by an outage, checking that the object holds each line once. */
/* README begin */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h> /* sleep */

#include "oss_append.h"

/* Appends `len` bytes once. An append whose outcome is unknown (OSS_APPEND_RESULT_UNSETTLED: its
 * response was lost and the service could not be asked) is settled before anything else is sent:
 * sending the bytes again after they landed would append them twice, and the appender refuses other
 * bytes after bytes that did not land (OSS_APPEND_RESULT_INVALID_ARGUMENT, "send those bytes again
 * first"). */
static oss_append_result append_once(oss_append_appender *log, const uint8_t *data, size_t len,
                                     oss_append_receipt *receipt, oss_append_error **error) {
  for (;;) {
    oss_append_result code = oss_append_appender_append(log, data, len, receipt, error);
    if (code == OSS_APPEND_RESULT_OK) {
      return code; /* landed (perhaps proven after a lost response) */
    }
    if (oss_append_result_is_retryable(code)) {
      sleep(1); /* nothing was written: send it again, after a pause */
      continue;
    }
    if (code != OSS_APPEND_RESULT_UNSETTLED) {
      return code; /* refused (auth, not appendable, ...), or landed with a CRC error */
    }
    fprintf(stderr, "%s; settling it\n", oss_append_error_message(*error));
    bool settled = false;
    oss_append_settlement settlement;
    while ((code = oss_append_appender_settle(log, &settled, &settlement, error)) == OSS_APPEND_RESULT_UNSETTLED) {
      sleep(1); /* the service cannot be asked yet: never send the bytes again before it answers */
    }
    if (code != OSS_APPEND_RESULT_OK) {
      return code;
    }
    if (settled && settlement.landed) {
      *receipt = settlement.result; /* in the object, once: go on */
      return code;
    }
    /* did not land: the loop sends the same bytes again, which appends them once */
  }
}

int main(void) {
  oss_append_config *config = NULL;
  oss_append_client *client = NULL;
  oss_append_appender *log = NULL;
  oss_append_error *error = NULL; /* one variable for every call: each call frees what it held */
  if (oss_append_config_from_env(&config, &error) != OSS_APPEND_RESULT_OK ||
      oss_append_client_new(config, &client, &error) != OSS_APPEND_RESULT_OK) {
    fprintf(stderr, "%s\n", oss_append_error_message(error));
    oss_append_config_free(config);
    oss_append_error_free(error);
    return 1;
  }
  oss_append_config_free(config);
  oss_append_appender_new(client, "my-bucket", "logs/app.log", NULL, &log);

  int status = 0;
  char line[4096];
  oss_append_receipt receipt;
  while (fgets(line, sizeof line, stdin) != NULL) { /* each line of standard input, once */
    oss_append_result code = append_once(log, (const uint8_t *)line, strlen(line), &receipt, &error);
    if (code != OSS_APPEND_RESULT_OK) {
      fprintf(stderr, "%s: %s\n", oss_append_result_name(code), oss_append_error_message(error));
      status = 1;
      break;
    }
    printf("appended %zu bytes at %" PRIu64 "%s\n", strlen(line), receipt.position,
           receipt.reconciled ? " (its response was lost: proven landed)" : "");
    fflush(stdout);
  }
  /* receipt.next_position and receipt.crc64: keep them to oss_append_appender_resume after a restart */
  oss_append_error_free(error);
  oss_append_appender_free(log);
  oss_append_client_free(client);
  return status;
}
