// The C header used from C++17: a small RAII wrapper (handles in unique_ptr, errors as exceptions),
// lambdas as callbacks, std::thread sharing one client.
#include "oss_append.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace oss {

template <typename T, void (*Free)(T *)>
struct Deleter {
  void operator()(T *handle) const noexcept { Free(handle); }
};

using ClientPtr = std::unique_ptr<oss_append_client, Deleter<oss_append_client, oss_append_client_free>>;
using ConfigPtr = std::unique_ptr<oss_append_config, Deleter<oss_append_config, oss_append_config_free>>;
using OptionsPtr = std::unique_ptr<oss_append_options, Deleter<oss_append_options, oss_append_options_free>>;
using ErrorPtr = std::unique_ptr<oss_append_error, Deleter<oss_append_error, oss_append_error_free>>;
using MetaPtr = std::unique_ptr<oss_append_object_meta, Deleter<oss_append_object_meta, oss_append_object_meta_free>>;

// A failed call, with the details of its oss_append_error.
class Error : public std::runtime_error {
 public:
  explicit Error(oss_append_result code, oss_append_error *raw)
      : std::runtime_error(raw ? oss_append_error_message(raw) : oss_append_result_name(code)),
        code_(code),
        service_code_(raw ? oss_append_error_code(raw) : ""),
        http_status_(raw ? oss_append_error_http_status(raw) : 0),
        next_position_(raw ? oss_append_error_next_position(raw) : OSS_APPEND_POSITION_UNKNOWN) {
    ErrorPtr owned(raw);  // copied what we need; the handle is freed here
  }
  oss_append_result code() const { return code_; }
  const std::string &service_code() const { return service_code_; }
  uint16_t http_status() const { return http_status_; }
  uint64_t next_position() const { return next_position_; }

 private:
  oss_append_result code_;
  std::string service_code_;
  uint16_t http_status_;
  uint64_t next_position_;
};

// Call the C function first and pass its `error` afterwards: as two arguments of one call, the
// handle could be read before the function wrote it (argument order is unspecified).
inline void check(oss_append_result code, oss_append_error *error = nullptr) {
  if (code != OSS_APPEND_RESULT_OK) {
    throw Error(code, error);
  }
  ErrorPtr unused(error);
}

class Client {
 public:
  Client(const std::string &endpoint, const std::string &access_key_id, const std::string &secret) {
    oss_append_config *raw_config = nullptr;
    check(oss_append_config_new(&raw_config));
    ConfigPtr config(raw_config);
    check(oss_append_config_set_endpoint(config.get(), endpoint.c_str()));
    check(oss_append_config_set_region(config.get(), "cn-hangzhou"));
    check(oss_append_config_set_credentials(config.get(), access_key_id.c_str(), secret.c_str(), nullptr));
    oss_append_client *raw = nullptr;
    oss_append_error *error = nullptr;
    const oss_append_result code = oss_append_client_new(config.get(), &raw, &error);
    check(code, error);
    client_.reset(raw);
  }

  oss_append_receipt append(const std::string &bucket, const std::string &key, uint64_t position,
                           const std::string &data, const oss_append_options *options = nullptr) const {
    oss_append_receipt result{};
    oss_append_error *error = nullptr;
    const oss_append_result code =
        oss_append_object(client_.get(), bucket.c_str(), key.c_str(), position,
                          reinterpret_cast<const uint8_t *>(data.data()), data.size(), options, &result, &error);
    check(code, error);
    return result;
  }

  std::string get(const std::string &bucket, const std::string &key) const {
    oss_append_object_meta *raw_meta = nullptr;
    oss_append_error *error = nullptr;
    oss_append_result code = oss_append_head_object(client_.get(), bucket.c_str(), key.c_str(), &raw_meta, &error);
    check(code, error);
    MetaPtr meta(raw_meta);
    std::vector<uint8_t> buffer(oss_append_object_meta_content_length(meta.get()));
    oss_append_get_info got{};
    error = nullptr;
    code = oss_append_get_object(client_.get(), bucket.c_str(), key.c_str(), buffer.data(), buffer.size(), nullptr, &got,
                          &error);
    check(code, error);
    return std::string(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(got.bytes_written));
  }

 private:
  ClientPtr client_;
};

}  // namespace oss

static int failures = 0;
static int passed = 0;
static int failed = 0;

#define EXPECT(cond)                                                              \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "    %s:%d: EXPECT failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                                 \
    }                                                                             \
  } while (0)

static std::string env(const char *name) {
  const char *value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    std::fprintf(stderr, "%s is not set: run the C tests with scripts/test-c.sh\n", name);
    std::exit(2);
  }
  return value;
}

static std::string key(const std::string &name) {
  return "cpp-abi/" + env("OSS_TEST_VARIANT") + "/" + std::to_string(std::rand()) + "/" + name;
}

template <typename F>
static void run(const char *name, F test) {
  int before = failures;
  try {
    test();
  } catch (const std::exception &e) {
    std::fprintf(stderr, "    unexpected exception: %s\n", e.what());
    failures++;
  }
  if (failures == before) {
    std::printf("ok - %s\n", name);
    passed++;
  } else {
    std::printf("not ok - %s\n", name);
    failed++;
  }
}

int main() {
  static_assert(std::is_same<std::underlying_type<oss_append_result>::type, uint32_t>::value,
                "oss_append_result is a uint32_t enum in C++");
  std::srand(static_cast<unsigned>(std::time(nullptr)) ^ static_cast<unsigned>(std::hash<std::thread::id>()(std::this_thread::get_id())));
  const std::string bucket = env("OSS_TEST_BUCKET");
  const oss::Client client(env("OSS_TEST_ENDPOINT"), env("OSS_TEST_ACCESS_KEY_ID"), env("OSS_TEST_ACCESS_KEY_SECRET"));

  run("appends_through_the_raii_wrapper", [&] {
    const std::string k = key("wrapper.log");
    auto first = client.append(bucket, k, 0, "hello ");
    auto second = client.append(bucket, k, first.next_position, "from C++\n");
    EXPECT(second.next_position == 15);
    EXPECT(std::strlen(second.request_id) > 0);
    EXPECT(client.get(bucket, k) == "hello from C++\n");
  });

  run("errors_become_exceptions_with_the_next_position", [&] {
    const std::string k = key("conflict.log");
    client.append(bucket, k, 0, "12345");
    try {
      client.append(bucket, k, 1, "x");
      EXPECT(false);
    } catch (const oss::Error &e) {
      EXPECT(e.code() == OSS_APPEND_RESULT_POSITION_NOT_EQUAL_TO_LENGTH);
      EXPECT(e.service_code() == "PositionNotEqualToLength");
      EXPECT(e.http_status() == 409);
      EXPECT(e.next_position() == 5);
    }
  });

  run("a_lambda_is_the_progress_callback", [&] {
    const std::string k = key("progress.bin");
    oss_append_options *raw = nullptr;
    oss::check(oss_append_options_new(&raw));
    oss::OptionsPtr options(raw);
    std::vector<std::pair<uint64_t, uint64_t>> calls;
    // A captureless lambda converts to the C function pointer; state goes through user_data.
    oss::check(oss_append_options_set_progress(
        options.get(),
        [](void *user_data, uint64_t sent, uint64_t total) noexcept -> bool {
          static_cast<std::vector<std::pair<uint64_t, uint64_t>> *>(user_data)->emplace_back(sent, total);
          return true;
        },
        &calls));
    const std::string data(512 * 1024, 'p');
    client.append(bucket, k, 0, data, options.get());
    EXPECT(!calls.empty());
    EXPECT(calls.back().first == data.size());
    for (std::size_t i = 1; i < calls.size(); i++) {
      EXPECT(calls[i].first > calls[i - 1].first);
    }
  });

  run("std_threads_share_one_client", [&] {
    std::vector<std::thread> threads;
    std::atomic<int> errors{0};
    for (int t = 0; t < 4; t++) {
      threads.emplace_back([&, t] {
        try {
          const std::string k = key("thread-" + std::to_string(t) + ".log");
          uint64_t position = 0;
          for (int i = 0; i < 10; i++) {
            position = client.append(bucket, k, position, "line " + std::to_string(i) + "\n").next_position;
          }
          if (client.get(bucket, k).size() != position) {
            errors++;
          }
        } catch (const std::exception &e) {
          std::fprintf(stderr, "    thread %d: %s\n", t, e.what());
          errors++;
        }
      });
    }
    for (auto &thread : threads) {
      thread.join();
    }
    EXPECT(errors == 0);
  });

  run("bad_input_from_cpp_is_a_code", [&] {
    try {
      client.append("Bad_Bucket", "key", 0, "x");
      EXPECT(false);
    } catch (const oss::Error &e) {
      EXPECT(e.code() == OSS_APPEND_RESULT_INVALID_BUCKET);
      EXPECT(std::string(e.what()).find("bucket") != std::string::npos);
    }
    EXPECT(oss_append_object(nullptr, nullptr, nullptr, 0, nullptr, 0, nullptr, nullptr, nullptr) ==
           OSS_APPEND_RESULT_NULL_POINTER);
    EXPECT(std::string(oss_append_result_name(OSS_APPEND_RESULT_CANCELLED)) == "OSS_APPEND_RESULT_CANCELLED");
  });

  std::printf("test_cpp: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
