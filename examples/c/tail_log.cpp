// tail_log: the C++ wrapper (include/oss_append.hpp) appending lines to an object with an Appender
// while a reader follows it with range reads, as `tail -f` would a file.
//
//   tail_log BUCKET KEY [LINES]
//
// Settings come from the environment, as the emulator prints them: OSS_ENDPOINT, OSS_REGION,
// OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET (and OSS_SESSION_TOKEN for STS keys).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "oss_append.hpp"

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s BUCKET KEY [LINES]\n", argv[0]);
    return 2;
  }
  const std::string bucket = argv[1], key = argv[2];
  const int lines = argc > 3 ? std::atoi(argv[3]) : 5;
  try {
    oss_append::Client client(oss_append::Config::from_env());
    oss_append::Options options;
    options.content_type("text/plain");
    oss_append::Appender log(client, bucket, key, &options);
    uint64_t read_to = 0;  // how far the reader has read
    for (int i = 1; i <= lines; i++) {
      oss_append::Receipt receipt = log.append("line " + std::to_string(i) + " of " + std::to_string(lines) + "\n");
      if (i == 1) read_to = receipt.position;  // follow from where this run started
      // The reader asks for what is new since it last read: nothing yet is an empty read.
      oss_append::Data fresh = client.get_range(bucket, key, read_to);
      read_to += fresh.bytes.size();
      std::printf("appended at %llu, read %zu new bytes: %.*s", static_cast<unsigned long long>(receipt.position),
                  fresh.bytes.size(), static_cast<int>(fresh.text().size()), fresh.text().data());
    }
    oss_append::ObjectMeta meta = client.head(bucket, key);
    std::printf("object is %llu bytes, crc64 %llu, content type %s\n",
                static_cast<unsigned long long>(meta.content_length()),
                static_cast<unsigned long long>(meta.crc64().value_or(0)), meta.content_type().c_str());
  } catch (const oss_append::Error &e) {
    std::fprintf(stderr, "%s: %s\n", e.code_name(), e.what());
    if (e.code() == OSS_APPEND_RESULT_UNSETTLED) {
      std::fprintf(stderr, "the last line may be in the object: settle it before sending it again\n");
    }
    return 1;
  }
  return 0;
}
