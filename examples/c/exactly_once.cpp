// exactly_once (C++): appends each line of standard input to oss://my-bucket/logs/app.log exactly
// once with the C++ wrapper (include/oss_append.hpp), settling an append whose outcome is unknown
// before deciding to send it again.
//
//   printf 'one\ntwo\n' | exactly_once_cpp
//
// Settings come from the environment, as the emulator prints them (OSS_ENDPOINT, OSS_REGION,
// OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET, and OSS_SESSION_TOKEN for STS keys).
//
// Everything below the README marker is README.md's C++ example (section "C++"), verbatim:
// scripts/test-c.sh checks that the two are the same text, builds this program with every warning an
// error, and runs it against the emulator through a lost response and an append dropped before its
// commit, each left unsettled by an outage, checking that the object holds each line once.
// README begin
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include "oss_append.hpp"

// Appends `data` once. An append whose outcome is unknown (OSS_APPEND_RESULT_UNSETTLED: its response
// was lost and the service could not be asked) is settled before anything else is sent: sending the
// bytes again after they landed would append them twice, and the appender refuses other bytes after
// bytes that did not land (OSS_APPEND_RESULT_INVALID_ARGUMENT, "send those bytes again first").
oss_append::Receipt append_once(oss_append::Appender &log, std::string_view data) {
  for (;;) {
    try {
      return log.append(data);  // landed (perhaps proven after a lost response)
    } catch (const oss_append::Error &e) {
      if (e.retryable()) {  // nothing was written: send it again, after a pause
        std::this_thread::sleep_for(std::chrono::seconds(1));
        continue;
      }
      if (e.code() != OSS_APPEND_RESULT_UNSETTLED) throw;  // refused, or landed with a CRC error
      std::fprintf(stderr, "%s; settling it\n", e.what());
    }
    for (;;) {
      try {
        std::optional<oss_append::Settlement> settled = log.settle();
        if (settled && settled->landed) return settled->receipt;  // in the object, once: go on
        break;  // did not land: send the same bytes again, which appends them once
      } catch (const oss_append::Error &e) {
        if (e.code() != OSS_APPEND_RESULT_UNSETTLED) throw;
        // The service cannot be asked yet: never send the bytes again before it answers.
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    }
  }
}

int main() {
  try {
    oss_append::Client client(oss_append::Config::from_env());
    oss_append::Appender log(client, "my-bucket", "logs/app.log");
    for (std::string line; std::getline(std::cin, line);) {  // each line of standard input, once
      line += '\n';
      oss_append::Receipt r = append_once(log, line);
      std::printf("appended %zu bytes at %llu%s\n", line.size(), static_cast<unsigned long long>(r.position),
                  r.reconciled ? " (its response was lost: proven landed)" : "");
      std::fflush(stdout);
    }
  } catch (const oss_append::Error &e) {  // every field of the C error: code, HTTP status, request id, ...
    std::fprintf(stderr, "%s: %s\n", e.code_name(), e.what());
    return 1;
  }
  return 0;
}
