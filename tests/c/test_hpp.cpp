// include/oss_append.hpp against the emulator: RAII handles, exceptions with every field,
// std::function callbacks, the appender, range reads, the spool with a lambda listener.
#include "check.h"
#include "oss_append.hpp"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

namespace {

const char *bucket() { return check_env("OSS_TEST_BUCKET"); }

std::string key_for(const char *name) {
  char buffer[256];
  return check_key(buffer, sizeof buffer, name);
}

oss_append::Config test_config(uint32_t attempts = 3) {
  oss_append::Config config;
  config.endpoint(check_env("OSS_TEST_ENDPOINT"))
      .region("cn-hangzhou")
      .credentials(check_env("OSS_TEST_ACCESS_KEY_ID"), check_env("OSS_TEST_ACCESS_KEY_SECRET"))
      .retries(attempts, 10, 100)
      .timeouts(5000, 10000);
  return config;
}

// Runs `body`, which must throw an oss_append::Error; returns it (a failed check if nothing was thrown).
template <typename Body>
std::optional<oss_append::Error> thrown(Body body) {
  try {
    body();
  } catch (const oss_append::Error &e) {
    return e;
  }
  CHECK(!"an oss_append::Error was thrown");
  return std::nullopt;
}

void the_appender_carries_position_and_crc() {
  oss_append::Client client(test_config());
  std::string key = key_for("hpp-appender.log");
  oss_append::Options options;
  options.content_type("text/plain").metadata("owner", "cpp");
  oss_append::Appender log(client, bucket(), key, &options);
  CHECK(!log.next_position());
  oss_append::Receipt first = log.append("first,");
  std::vector<uint8_t> bytes = {'s', 'e', 'c', 'o', 'n', 'd'};
  oss_append::Receipt second = log.append(bytes);
  CHECK_U64(first.position, 0);
  CHECK_U64(second.position, 6);
  CHECK(log.next_position() == std::optional<uint64_t>(12));
  CHECK(log.crc64() == std::optional<uint64_t>(second.crc64));
  CHECK(!second.request_id.empty());
  CHECK(client.get(bucket(), key).text() == "first,second");
  oss_append::ObjectMeta meta = client.head(bucket(), key);
  CHECK(meta.content_type() == "text/plain");
  CHECK(meta.is_appendable());
  CHECK(meta.metadata().size() == 1 && meta.metadata()[0].second == "cpp");
}

void errors_carry_every_field() {
  oss_append::Client client(test_config());
  std::string key = key_for("hpp-errors.log");
  client.append(bucket(), key, "abc", 0);
  auto conflict = thrown([&] { client.append(bucket(), key, "x", 1); });
  CHECK(conflict && conflict->code() == OSS_APPEND_RESULT_POSITION_NOT_EQUAL_TO_LENGTH);
  CHECK(conflict && conflict->http_status() == 409);
  CHECK(conflict && conflict->service_code() == "PositionNotEqualToLength");
  CHECK(conflict && conflict->next_position() == std::optional<uint64_t>(3));
  CHECK(conflict && !conflict->retryable());
  CHECK(conflict && !conflict->request_id().empty() && !conflict->ec().empty());
  CHECK(conflict && std::string(conflict->what()).find("PositionNotEqualToLength") != std::string::npos);
  auto missing = thrown([&] { client.head(bucket(), key_for("hpp-missing")); });
  CHECK(missing && missing->code() == OSS_APPEND_RESULT_NO_SUCH_KEY);
  CHECK(missing && std::string(missing->code_name()) == "OSS_APPEND_RESULT_NO_SUCH_KEY");
  auto bad = thrown([&] { client.append("B!", key, "x"); });
  CHECK(bad && bad->code() == OSS_APPEND_RESULT_INVALID_BUCKET);
  auto no_config = thrown([] { oss_append::Client c{oss_append::Config()}; });
  CHECK(no_config && no_config->code() == OSS_APPEND_RESULT_INVALID_ENDPOINT);
}

void progress_is_a_std_function_and_an_exception_in_it_cancels() {
  oss_append::Client client(test_config());
  std::vector<uint8_t> body(300 * 1024, 'p');
  std::vector<uint64_t> seen;
  oss_append::Options options;
  options.progress([&](uint64_t sent, uint64_t total) {
    seen.push_back(sent);
    return total == body.size();
  });
  client.append(bucket(), key_for("hpp-progress.bin"), body, OSS_APPEND_POSITION_UNKNOWN, &options);
  CHECK(!seen.empty() && seen.back() == body.size());
  oss_append::Options throwing;
  throwing.progress([](uint64_t, uint64_t) -> bool { throw std::runtime_error("stop"); });
  std::string key = key_for("hpp-progress-throws.bin");
  auto cancelled = thrown([&] { client.append(bucket(), key, body, 0, &throwing); });
  CHECK(cancelled && cancelled->code() == OSS_APPEND_RESULT_CANCELLED);
  CHECK(thrown([&] { client.head(bucket(), key); }).has_value());
}

void reads_of_a_growing_object() {
  oss_append::Client client(test_config());
  std::string key = key_for("hpp-growing.log");
  std::string big(100 * 1024, 'g');  // larger than the first read buffer
  client.append(bucket(), key, big, 0);
  CHECK(client.get(bucket(), key).bytes.size() == big.size());
  client.append(bucket(), key, "tail", big.size());
  oss_append::Data last = client.get_last(bucket(), key, 4);
  CHECK(last.text() == "tail" && last.info.start == big.size());
  oss_append::Data from = client.get_range(bucket(), key, big.size() + 2);
  CHECK(from.text() == "il");
  oss_append::Data nothing = client.get_range(bucket(), key, big.size() + 4);
  CHECK(nothing.bytes.empty() && nothing.info.object_size == std::optional<uint64_t>(big.size() + 4));
  auto bad = thrown([&] { client.get_range(bucket(), key, 5, 2); });
  CHECK(bad && bad->code() == OSS_APPEND_RESULT_INVALID_ARGUMENT);
}

void an_unsettled_append_is_settled_by_the_appender() {
  oss_append::Client client(test_config(1));
  std::string key = key_for("hpp-unsettled.log");
  oss_append::Appender log(client, bucket(), key);
  log.append("one,");
  check_admin("POST", "faults?kind=drop-after-commit&count=1");
  check_admin("POST", "faults?kind=fail&method=HEAD&status=503&count=5");
  auto unsettled = thrown([&] { log.append("two,"); });
  CHECK(unsettled && unsettled->code() == OSS_APPEND_RESULT_UNSETTLED);
  CHECK(unsettled && unsettled->in_flight() && unsettled->in_flight()->position == 4);
  CHECK(log.in_flight().has_value());
  check_admin("DELETE", "faults");
  std::optional<oss_append::Settlement> settled = log.settle();
  CHECK(settled && settled->landed && settled->receipt.next_position == 8);
  CHECK(!log.settle());
  log.append("three");
  CHECK(client.get(bucket(), key).text() == "one,two,three");
}

void the_spool_tells_a_lambda() {
  oss_append::Client client(test_config());
  std::string key = key_for("hpp-spool.log");
  char dir[512];
  snprintf(dir, sizeof dir, "%s/hpp-spool-%ld", check_env("OSS_TEST_TMPDIR"), (long)getpid());
  std::mutex lock;
  std::vector<oss_append::SpoolEvent> events;
  oss_append::SpoolConfig config(bucket(), key);
  config.batch(64, 10).listener([&](const oss_append::SpoolEvent &event) {
    std::lock_guard<std::mutex> guard(lock);
    events.push_back(event);
  });
  {
    oss_append::Spool spool(client, dir, config);
    for (int i = 0; i < 20; i++) {
      std::string line = "line " + std::to_string(i) + "\n";
      spool.write_with_mark(line, std::string(1, static_cast<char>('a' + i)));
    }
    spool.flush(30000);
    CHECK(spool.last_mark() == std::vector<uint8_t>{static_cast<uint8_t>('a' + 19)});
    oss_append::SpoolStatus status = spool.status();
    CHECK_U64(status.pending_bytes, 0);
    spool.close();
    auto closed = thrown([&] { spool.write("late"); });
    CHECK(closed && closed->code() == OSS_APPEND_RESULT_SPOOL_CLOSED);
  }
  std::string expected;
  for (int i = 0; i < 20; i++) expected += "line " + std::to_string(i) + "\n";
  CHECK(client.get(bucket(), key).text() == expected);
  uint64_t next = 0;
  std::lock_guard<std::mutex> guard(lock);
  for (const auto &event : events) {
    if (event.kind == OSS_APPEND_SPOOL_EVENT_KIND_APPENDED) {
      CHECK_U64(event.position, next);
      CHECK(event.key == key);
      next += event.bytes;
    }
  }
  CHECK_U64(next, expected.size());
}

void the_configuration_from_the_environment() {
  setenv("OSS_ENDPOINT", check_env("OSS_TEST_ENDPOINT"), 1);
  setenv("OSS_REGION", "cn-hangzhou", 1);
  setenv("OSS_ACCESS_KEY_ID", check_env("OSS_TEST_ACCESS_KEY_ID"), 1);
  setenv("OSS_ACCESS_KEY_SECRET", check_env("OSS_TEST_ACCESS_KEY_SECRET"), 1);
  oss_append::Client client(oss_append::Config::from_env());
  client.append(bucket(), key_for("hpp-env.log"), "env");
  unsetenv("OSS_ENDPOINT");
  auto missing = thrown([] { oss_append::Config::from_env(); });
  CHECK(missing && missing->code() == OSS_APPEND_RESULT_INVALID_ENDPOINT);
  CHECK(oss_append::version() == OSS_APPEND_VERSION_STRING);
}

}  // namespace

void credentials_from_the_token_server() {
  // The emulator answers GET /-/emulator/sts as an app's token server does.
  std::string endpoint = check_env("OSS_TEST_ENDPOINT");
  oss_append::Config config;
  config.endpoint(endpoint).region("cn-hangzhou").credentials_url(endpoint + "/-/emulator/sts")
      .credentials_url_header("Authorization", "Bearer app-token");
  oss_append::Client client(config);
  std::string key = key_for("hpp-sts-url.log");
  oss_append::Appender log(client, bucket(), key);
  CHECK_U64(log.append("via url").position, 0);
  oss_append::Config refused;
  refused.endpoint(endpoint).region("cn-hangzhou").credentials_url(endpoint + "/-/emulator/none");
  oss_append::Client refusing(refused);
  std::optional<oss_append::Error> error = thrown([&] { refusing.head(bucket(), key); });
  CHECK(error && error->code() == OSS_APPEND_RESULT_CREDENTIALS);
  CHECK(error && std::string(error->what()).find("answered HTTP 404") != std::string::npos);
  oss_append::Config header_first;
  error = thrown([&] { header_first.credentials_url_header("Authorization", "Bearer t"); });
  CHECK(error && error->code() == OSS_APPEND_RESULT_INVALID_ARGUMENT);
}

int main() {
  RUN(the_appender_carries_position_and_crc);
  RUN(credentials_from_the_token_server);
  RUN(errors_carry_every_field);
  RUN(progress_is_a_std_function_and_an_exception_in_it_cancels);
  RUN(reads_of_a_growing_object);
  RUN(an_unsettled_append_is_settled_by_the_appender);
  RUN(the_spool_tells_a_lambda);
  RUN(the_configuration_from_the_environment);
  return check_summary("test_hpp");
}
