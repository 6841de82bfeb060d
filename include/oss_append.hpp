/*
 * oss_append.hpp: a C++17 header-only wrapper of oss_append.h.
 *
 * Handles are RAII objects (movable, not copyable); a failed call throws oss_append::Error, which
 * carries every field of the C error; strings are std::string_view in, std::string out; bytes are
 * oss_append::Bytes (any contiguous container of bytes, a string, or a pointer and a length);
 * callbacks are std::function. Everything the C API guarantees holds: the logic (retries, settling,
 * validation) is the library's; this header only translates.
 *
 *   oss_append::Client client(oss_append::Config::from_env());
 *   oss_append::Appender log(client, "my-bucket", "logs/app.log");
 *   log.append("first line\n");
 *   try {
 *     log.append(std::string("second line\n"));
 *   } catch (const oss_append::Error &e) {
 *     if (e.code() == OSS_APPEND_RESULT_UNSETTLED) { ... e.in_flight() ... }
 *   }
 */
#ifndef OSS_APPEND_HPP
#define OSS_APPEND_HPP

#include "oss_append.h"

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace oss_append {

/* ----------------------------------------------------------------------------------------------- */
/* Errors                                                                                          */

/** A failed call: its result code and every detail the library gave. */
class Error : public std::runtime_error {
 public:
  /** Takes the details of `raw` (which may be NULL) and frees it. */
  Error(oss_append_result code, oss_append_error *raw)
      : std::runtime_error(raw != nullptr ? oss_append_error_message(raw) : oss_append_result_name(code)),
        code_(code) {
    if (raw != nullptr) {
      http_status_ = oss_append_error_http_status(raw);
      service_code_ = oss_append_error_code(raw);
      service_message_ = oss_append_error_service_message(raw);
      request_id_ = oss_append_error_request_id(raw);
      host_id_ = oss_append_error_host_id(raw);
      ec_ = oss_append_error_ec(raw);
      uint64_t next = oss_append_error_next_position(raw);
      if (next != OSS_APPEND_POSITION_UNKNOWN) next_position_ = next;
      uint64_t crc = 0;
      if (oss_append_error_crc64(raw, &crc)) crc64_ = crc;
      oss_append_in_flight in_flight;
      if (oss_append_error_in_flight(raw, &in_flight)) in_flight_ = in_flight;
      retryable_ = oss_append_error_is_retryable(raw);
      size_needed_ = oss_append_error_size_needed(raw);
      oss_append_error_free(raw);
    } else {
      retryable_ = oss_append_result_is_retryable(code);
    }
  }

  /** The result code, e.g. OSS_APPEND_RESULT_POSITION_NOT_EQUAL_TO_LENGTH. */
  oss_append_result code() const noexcept { return code_; }
  /** The code's name, e.g. "OSS_APPEND_RESULT_NO_SUCH_KEY". */
  const char *code_name() const noexcept { return oss_append_result_name(code_); }
  /** HTTP status of a service error; 0 otherwise. */
  uint16_t http_status() const noexcept { return http_status_; }
  /** The service's Code, Message, RequestId, HostId and EC ("" when none). */
  const std::string &service_code() const noexcept { return service_code_; }
  const std::string &service_message() const noexcept { return service_message_; }
  const std::string &request_id() const noexcept { return request_id_; }
  const std::string &host_id() const noexcept { return host_id_; }
  const std::string &ec() const noexcept { return ec_; }
  /** The object's length (PositionNotEqualToLength, CRC mismatch), when known. */
  std::optional<uint64_t> next_position() const noexcept { return next_position_; }
  /** The object's CRC-64 as the service reported it with the error, when it did. */
  std::optional<uint64_t> crc64() const noexcept { return crc64_; }
  /** Whether nothing was written: the same call may simply be made again. */
  bool retryable() const noexcept { return retryable_; }
  /** For OSS_APPEND_RESULT_UNSETTLED: the append whose outcome is unknown, to settle. */
  std::optional<oss_append_in_flight> in_flight() const noexcept { return in_flight_; }
  /** For OSS_APPEND_RESULT_BUFFER_TOO_SMALL: the size needed; 0 otherwise. */
  uint64_t size_needed() const noexcept { return size_needed_; }

 private:
  oss_append_result code_;
  uint16_t http_status_ = 0;
  std::string service_code_, service_message_, request_id_, host_id_, ec_;
  std::optional<uint64_t> next_position_, crc64_;
  bool retryable_ = false;
  std::optional<oss_append_in_flight> in_flight_;
  uint64_t size_needed_ = 0;
};

namespace detail {

/** Throws for a failed code. The C call runs first, then its error is passed: as two arguments of
 *  one call, the error could be read before the function wrote it. */
inline void check(oss_append_result code, oss_append_error *error = nullptr) {
  if (code != OSS_APPEND_RESULT_OK) throw Error(code, error);
  oss_append_error_free(error);
}

template <typename T, void (*Free)(T *)>
struct Deleter {
  void operator()(T *handle) const noexcept { Free(handle); }
};
template <typename T, void (*Free)(T *)>
using Handle = std::unique_ptr<T, Deleter<T, Free>>;

/** A NUL-terminated copy of a string_view (the C API reads C strings). */
inline std::string c_str(std::string_view text) { return std::string(text); }

inline std::string text(const char *value) { return value != nullptr ? std::string(value) : std::string(); }

}  // namespace detail

/* ----------------------------------------------------------------------------------------------- */
/* Inputs and results                                                                              */

/** Bytes to send: a view of any contiguous container of bytes, a string, or a pointer and length. */
class Bytes {
 public:
  Bytes() = default;
  Bytes(const void *data, size_t size) : data_(static_cast<const uint8_t *>(data)), size_(size) {}
  Bytes(std::string_view text) : data_(reinterpret_cast<const uint8_t *>(text.data())), size_(text.size()) {}
  Bytes(const char *text) : Bytes(std::string_view(text)) {}
  /** std::vector<uint8_t>, std::array<char, N>, std::string, ...: anything with data() and size()
   *  of one-byte elements. */
  template <typename C, typename = decltype(std::declval<const C &>().data()),
            typename = std::enable_if_t<sizeof(*std::declval<const C &>().data()) == 1>>
  Bytes(const C &container) : data_(reinterpret_cast<const uint8_t *>(container.data())), size_(container.size()) {}

  const uint8_t *data() const noexcept { return data_; }
  size_t size() const noexcept { return size_; }

 private:
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
};

/** A successful append. */
struct Receipt {
  uint64_t position = 0;       /**< where the data went */
  uint64_t next_position = 0;  /**< the object's length now: where the next append goes */
  uint64_t crc64 = 0;          /**< the object's CRC-64, verified against the service's */
  bool reconciled = false;     /**< a lost response was proven landed */
  std::string request_id, etag;

  static Receipt from(const oss_append_receipt &r) {
    return Receipt{r.position, r.next_position, r.crc64, r.reconciled, r.request_id, r.etag};
  }
};

/** A successful read. */
struct ReadInfo {
  uint64_t bytes = 0;  /**< bytes read */
  uint64_t start = 0;  /**< where in the object they start */
  std::optional<uint64_t> object_size, crc64;
  std::string request_id, etag;

  static ReadInfo from(const oss_append_get_info &i) {
    ReadInfo out{i.bytes_written, i.start, std::nullopt, std::nullopt, i.request_id, i.etag};
    if (i.has_object_size) out.object_size = i.object_size;
    if (i.has_crc64) out.crc64 = i.crc64;
    return out;
  }
};

/** A read into memory: the bytes and what the service said of them. */
struct Data {
  std::vector<uint8_t> bytes;
  ReadInfo info;
  std::string_view text() const noexcept {
    return std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  }
};

/** What settling an append proved. */
struct Settlement {
  bool landed = false;
  oss_append_not_landed_reason reason = OSS_APPEND_NOT_LANDED_REASON_LANDED;
  std::optional<uint64_t> object_length, object_crc64;  /**< when not landed */
  Receipt receipt;                                      /**< when landed */

  static Settlement from(const oss_append_settlement &s) {
    Settlement out;
    out.landed = s.landed;
    out.reason = s.reason;
    if (!s.landed && s.object_length != OSS_APPEND_POSITION_UNKNOWN) out.object_length = s.object_length;
    if (!s.landed && s.has_object_crc64) out.object_crc64 = s.object_crc64;
    if (s.landed) out.receipt = Receipt::from(s.result);
    return out;
  }
};

/** Progress of a transfer: (bytes sent, total). Return false to cancel. */
using Progress = std::function<bool(uint64_t sent, uint64_t total)>;

/* ----------------------------------------------------------------------------------------------- */
/* Cancel token, options                                                                           */

/** Cancels the calls that carry it, from any thread. Shared: copies are the same token. */
class CancelToken {
 public:
  CancelToken() {
    oss_append_cancel_token *raw = nullptr;
    detail::check(oss_append_cancel_token_new(&raw));
    token_.reset(raw, oss_append_cancel_token_free);
  }
  void cancel() const { detail::check(oss_append_cancel_token_cancel(token_.get())); }
  bool is_cancelled() const noexcept { return oss_append_cancel_token_is_cancelled(token_.get()); }
  const oss_append_cancel_token *get() const noexcept { return token_.get(); }

 private:
  std::shared_ptr<oss_append_cancel_token> token_;
};

/** Headers of the append that creates an object, the object's CRC so far, progress and cancel. */
class Options {
 public:
  Options() {
    oss_append_options *raw = nullptr;
    detail::check(oss_append_options_new(&raw));
    options_.reset(raw);
  }

  Options &content_type(std::string_view v) { return set(oss_append_options_set_content_type, v); }
  Options &cache_control(std::string_view v) { return set(oss_append_options_set_cache_control, v); }
  Options &content_disposition(std::string_view v) { return set(oss_append_options_set_content_disposition, v); }
  Options &content_encoding(std::string_view v) { return set(oss_append_options_set_content_encoding, v); }
  Options &expires(std::string_view v) { return set(oss_append_options_set_expires, v); }
  Options &object_acl(std::string_view v) { return set(oss_append_options_set_object_acl, v); }
  Options &storage_class(std::string_view v) { return set(oss_append_options_set_storage_class, v); }
  Options &server_side_encryption(std::string_view v) {
    return set(oss_append_options_set_server_side_encryption, v);
  }
  Options &tagging(std::string_view v) { return set(oss_append_options_set_tagging, v); }
  Options &metadata(std::string_view name, std::string_view value) {
    detail::check(oss_append_options_add_metadata(options_.get(), detail::c_str(name).c_str(),
                                                  detail::c_str(value).c_str()));
    return *this;
  }
  Options &compute_content_md5(bool compute = true) {
    detail::check(oss_append_options_compute_content_md5(options_.get(), compute));
    return *this;
  }
  Options &forbid_overwrite(bool forbid = true) {
    detail::check(oss_append_options_set_forbid_overwrite(options_.get(), forbid));
    return *this;
  }
  Options &traffic_limit(uint64_t bits_per_second) {
    detail::check(oss_append_options_set_traffic_limit(options_.get(), bits_per_second));
    return *this;
  }
  /** The object's CRC-64 before the append (a receipt's crc64): verified with no request first. */
  Options &crc64(uint64_t crc) {
    detail::check(oss_append_options_set_crc64(options_.get(), crc));
    return *this;
  }
  /** Called on the library's thread during each transfer; an exception thrown from it cancels. */
  Options &progress(Progress callback) {
    progress_ = std::make_shared<Progress>(std::move(callback));
    detail::check(oss_append_options_set_progress(options_.get(), &Options::on_progress, progress_.get()));
    return *this;
  }
  Options &cancel(const CancelToken &token) {
    detail::check(oss_append_options_set_cancel_token(options_.get(), token.get()));
    return *this;
  }

  const oss_append_options *get() const noexcept { return options_.get(); }
  /** Keeps the progress callback alive for as long as a copy of the C options (an appender) lives. */
  std::shared_ptr<Progress> progress_keeper() const noexcept { return progress_; }

 private:
  Options &set(oss_append_result (*setter)(oss_append_options *, const char *), std::string_view value) {
    detail::check(setter(options_.get(), detail::c_str(value).c_str()));
    return *this;
  }
  static bool on_progress(void *user_data, uint64_t sent, uint64_t total) noexcept {
    try {
      return (*static_cast<Progress *>(user_data))(sent, total);
    } catch (...) {
      return false;  // an exception must not cross into the library: cancel instead
    }
  }

  detail::Handle<oss_append_options, oss_append_options_free> options_;
  std::shared_ptr<Progress> progress_;
};

/* ----------------------------------------------------------------------------------------------- */
/* Configuration and client                                                                        */

/** A client's settings. */
class Config {
 public:
  Config() {
    oss_append_config *raw = nullptr;
    detail::check(oss_append_config_new(&raw));
    config_.reset(raw);
  }
  /** OSS_ENDPOINT, OSS_REGION, OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET, OSS_SESSION_TOKEN. */
  static Config from_env() {
    oss_append_config *raw = nullptr;
    oss_append_error *error = nullptr;
    oss_append_result code = oss_append_config_from_env(&raw, &error);
    detail::check(code, error);
    return Config(raw);
  }

  Config &endpoint(std::string_view v) {
    detail::check(oss_append_config_set_endpoint(config_.get(), detail::c_str(v).c_str()));
    return *this;
  }
  Config &region(std::string_view v) {
    detail::check(oss_append_config_set_region(config_.get(), detail::c_str(v).c_str()));
    return *this;
  }
  Config &credentials(std::string_view id, std::string_view secret, std::optional<std::string_view> token = {}) {
    std::string t = token ? std::string(*token) : std::string();
    detail::check(oss_append_config_set_credentials(config_.get(), detail::c_str(id).c_str(),
                                                    detail::c_str(secret).c_str(), token ? t.c_str() : nullptr));
    return *this;
  }
  // STS credentials from the app's token server (see oss_append_config_set_credentials_url).
  Config &credentials_url(std::string_view url) {
    detail::check(oss_append_config_set_credentials_url(config_.get(), detail::c_str(url).c_str()));
    return *this;
  }
  // A header sent to the token server with each GET, such as the app's own Authorization.
  Config &credentials_url_header(std::string_view name, std::string_view value) {
    detail::check(oss_append_config_add_credentials_url_header(config_.get(), detail::c_str(name).c_str(),
                                                                detail::c_str(value).c_str()));
    return *this;
  }
  Config &signature_version(oss_append_signature_version version) {
    detail::check(oss_append_config_set_signature_version(config_.get(), version));
    return *this;
  }
  Config &path_style(bool on = true) {
    detail::check(oss_append_config_set_path_style(config_.get(), on));
    return *this;
  }
  Config &timeouts(uint64_t connect_ms, uint64_t read_write_ms, uint64_t request_ms = 0) {
    detail::check(oss_append_config_set_timeouts(config_.get(), connect_ms, read_write_ms, request_ms));
    return *this;
  }
  Config &retries(uint32_t max_attempts, uint64_t base_delay_ms, uint64_t max_delay_ms) {
    detail::check(oss_append_config_set_retries(config_.get(), max_attempts, base_delay_ms, max_delay_ms));
    return *this;
  }
  Config &user_agent(std::string_view v) {
    detail::check(oss_append_config_set_user_agent(config_.get(), detail::c_str(v).c_str()));
    return *this;
  }
  const oss_append_config *get() const noexcept { return config_.get(); }

 private:
  explicit Config(oss_append_config *raw) : config_(raw) {}
  detail::Handle<oss_append_config, oss_append_config_free> config_;
};

/** An object's metadata, from Client::head. */
class ObjectMeta {
 public:
  explicit ObjectMeta(oss_append_object_meta *raw) : meta_(raw) {}
  uint64_t content_length() const noexcept { return oss_append_object_meta_content_length(meta_.get()); }
  bool is_appendable() const noexcept { return oss_append_object_meta_is_appendable(meta_.get()); }
  std::optional<uint64_t> next_append_position() const noexcept {
    uint64_t p = oss_append_object_meta_next_append_position(meta_.get());
    return p == OSS_APPEND_POSITION_UNKNOWN ? std::nullopt : std::optional<uint64_t>(p);
  }
  std::optional<uint64_t> crc64() const noexcept {
    uint64_t crc = 0;
    return oss_append_object_meta_crc64(meta_.get(), &crc) ? std::optional<uint64_t>(crc) : std::nullopt;
  }
  std::string object_type() const { return detail::text(oss_append_object_meta_object_type(meta_.get())); }
  std::string etag() const { return detail::text(oss_append_object_meta_etag(meta_.get())); }
  std::string content_type() const { return detail::text(oss_append_object_meta_content_type(meta_.get())); }
  std::string last_modified() const { return detail::text(oss_append_object_meta_last_modified(meta_.get())); }
  std::string storage_class() const { return detail::text(oss_append_object_meta_storage_class(meta_.get())); }
  std::string cache_control() const { return detail::text(oss_append_object_meta_cache_control(meta_.get())); }
  std::string content_disposition() const {
    return detail::text(oss_append_object_meta_content_disposition(meta_.get()));
  }
  std::string content_encoding() const { return detail::text(oss_append_object_meta_content_encoding(meta_.get())); }
  std::string expires() const { return detail::text(oss_append_object_meta_expires(meta_.get())); }
  std::string server_side_encryption() const {
    return detail::text(oss_append_object_meta_server_side_encryption(meta_.get()));
  }
  std::string version_id() const { return detail::text(oss_append_object_meta_version_id(meta_.get())); }
  uint64_t tagging_count() const noexcept { return oss_append_object_meta_tagging_count(meta_.get()); }
  std::string request_id() const { return detail::text(oss_append_object_meta_request_id(meta_.get())); }
  /** User metadata (names without x-oss-meta-, lower case), in the order the service sent them. */
  std::vector<std::pair<std::string, std::string>> metadata() const {
    std::vector<std::pair<std::string, std::string>> out;
    size_t count = oss_append_object_meta_metadata_count(meta_.get());
    for (size_t i = 0; i < count; i++) {
      out.emplace_back(detail::text(oss_append_object_meta_metadata_name(meta_.get(), i)),
                       detail::text(oss_append_object_meta_metadata_value(meta_.get(), i)));
    }
    return out;
  }

 private:
  detail::Handle<oss_append_object_meta, oss_append_object_meta_free> meta_;
};

/** An OSS client: connections, credentials and settings. Thread-safe; copies share one client. */
class Client {
 public:
  explicit Client(const Config &config) {
    oss_append_client *raw = nullptr;
    oss_append_error *error = nullptr;
    oss_append_result code = oss_append_client_new(config.get(), &raw, &error);
    detail::check(code, error);
    client_.reset(raw, oss_append_client_free);
  }

  /** Appends at `position` (OSS_APPEND_POSITION_UNKNOWN: the object's end, found for you). */
  Receipt append(std::string_view bucket, std::string_view key, Bytes data,
                 uint64_t position = OSS_APPEND_POSITION_UNKNOWN, const Options *options = nullptr) const {
    oss_append_receipt receipt;
    oss_append_error *error = nullptr;
    oss_append_result code =
        oss_append_object(get(), detail::c_str(bucket).c_str(), detail::c_str(key).c_str(), position, data.data(),
                          data.size(), options != nullptr ? options->get() : nullptr, &receipt, &error);
    detail::check(code, error);
    return Receipt::from(receipt);
  }
  /** Appends a file, streamed. */
  Receipt append_file(std::string_view bucket, std::string_view key, std::string_view path,
                      uint64_t position = OSS_APPEND_POSITION_UNKNOWN, const Options *options = nullptr) const {
    oss_append_receipt receipt;
    oss_append_error *error = nullptr;
    oss_append_result code =
        oss_append_file(get(), detail::c_str(bucket).c_str(), detail::c_str(key).c_str(), position,
                        detail::c_str(path).c_str(), options != nullptr ? options->get() : nullptr, &receipt, &error);
    detail::check(code, error);
    return Receipt::from(receipt);
  }
  /** Proves whether an unsettled append (Error::in_flight) landed. */
  Settlement settle(std::string_view bucket, std::string_view key, const oss_append_in_flight &in_flight) const {
    oss_append_settlement settlement;
    oss_append_error *error = nullptr;
    oss_append_result code = oss_append_settle(get(), detail::c_str(bucket).c_str(), detail::c_str(key).c_str(),
                                               &in_flight, &settlement, &error);
    detail::check(code, error);
    return Settlement::from(settlement);
  }
  ObjectMeta head(std::string_view bucket, std::string_view key) const {
    oss_append_object_meta *raw = nullptr;
    oss_append_error *error = nullptr;
    oss_append_result code =
        oss_append_head_object(get(), detail::c_str(bucket).c_str(), detail::c_str(key).c_str(), &raw, &error);
    detail::check(code, error);
    return ObjectMeta(raw);
  }
  /** The whole object, CRC-checked. */
  Data get(std::string_view bucket, std::string_view key, const CancelToken *cancel = nullptr) const {
    return read(bucket, key, cancel, [&](uint8_t *buffer, size_t capacity, oss_append_get_info *info,
                                         oss_append_error **error) {
      return oss_append_get_object(get(), detail::c_str(bucket).c_str(), detail::c_str(key).c_str(), buffer,
                                   capacity, cancel_ptr(cancel), info, error);
    });
  }
  /** Bytes first..last (OSS_APPEND_RANGE_END: to the end); a range past the end reads nothing. */
  Data get_range(std::string_view bucket, std::string_view key, uint64_t first, uint64_t last = OSS_APPEND_RANGE_END,
                 const CancelToken *cancel = nullptr) const {
    return read(bucket, key, cancel, [&](uint8_t *buffer, size_t capacity, oss_append_get_info *info,
                                         oss_append_error **error) {
      return oss_append_get_range(get(), detail::c_str(bucket).c_str(), detail::c_str(key).c_str(), first, last,
                                  buffer, capacity, cancel_ptr(cancel), info, error);
    });
  }
  /** The last `length` bytes. */
  Data get_last(std::string_view bucket, std::string_view key, uint64_t length,
                const CancelToken *cancel = nullptr) const {
    return read(bucket, key, cancel, [&](uint8_t *buffer, size_t capacity, oss_append_get_info *info,
                                         oss_append_error **error) {
      return oss_append_get_last(get(), detail::c_str(bucket).c_str(), detail::c_str(key).c_str(), length, buffer,
                                 capacity, cancel_ptr(cancel), info, error);
    });
  }
  /** The whole object into a file (replaced only on success). */
  ReadInfo get_to_file(std::string_view bucket, std::string_view key, std::string_view path,
                       const CancelToken *cancel = nullptr) const {
    oss_append_get_info info;
    oss_append_error *error = nullptr;
    oss_append_result code =
        oss_append_get_object_to_file(get(), detail::c_str(bucket).c_str(), detail::c_str(key).c_str(),
                                      detail::c_str(path).c_str(), cancel_ptr(cancel), &info, &error);
    detail::check(code, error);
    return ReadInfo::from(info);
  }
  /** Writes a Normal (not appendable) object. */
  void put(std::string_view bucket, std::string_view key, Bytes data, const Options *options = nullptr) const {
    oss_append_error *error = nullptr;
    oss_append_result code =
        oss_append_put_object(get(), detail::c_str(bucket).c_str(), detail::c_str(key).c_str(), data.data(),
                              data.size(), options != nullptr ? options->get() : nullptr, nullptr, &error);
    detail::check(code, error);
  }
  void remove(std::string_view bucket, std::string_view key) const {
    oss_append_error *error = nullptr;
    oss_append_result code =
        oss_append_delete_object(get(), detail::c_str(bucket).c_str(), detail::c_str(key).c_str(), &error);
    detail::check(code, error);
  }

  const oss_append_client *get() const noexcept { return client_.get(); }

 private:
  static const oss_append_cancel_token *cancel_ptr(const CancelToken *cancel) noexcept {
    return cancel != nullptr ? cancel->get() : nullptr;
  }
  /** Reads into a buffer sized by the library: a first try, and one more with the size it needs
   *  when the object grew in between. */
  template <typename Call>
  static Data read(std::string_view, std::string_view, const CancelToken *, Call call) {
    Data data;
    data.bytes.resize(64 * 1024);
    for (int attempt = 0;; attempt++) {
      oss_append_get_info info;
      oss_append_error *error = nullptr;
      oss_append_result code = call(data.bytes.data(), data.bytes.size(), &info, &error);
      if (code == OSS_APPEND_RESULT_BUFFER_TOO_SMALL && attempt < 8) {
        uint64_t needed = oss_append_error_size_needed(error);
        oss_append_error_free(error);
        data.bytes.resize(static_cast<size_t>(needed));
        continue;
      }
      detail::check(code, error);
      data.bytes.resize(static_cast<size_t>(info.bytes_written));
      data.info = ReadInfo::from(info);
      return data;
    }
  }

  std::shared_ptr<oss_append_client> client_;
};

/* ----------------------------------------------------------------------------------------------- */
/* Appender                                                                                        */

/** One object's appends, position and CRC-64 carried from each to the next. Thread-safe. */
class Appender {
 public:
  Appender(const Client &client, std::string_view bucket, std::string_view key, const Options *options = nullptr) {
    oss_append_appender *raw = nullptr;
    detail::check(oss_append_appender_new(client.get(), detail::c_str(bucket).c_str(), detail::c_str(key).c_str(),
                                          options != nullptr ? options->get() : nullptr, &raw));
    appender_.reset(raw);
    if (options != nullptr) progress_ = options->progress_keeper();
  }
  /** Where the object ends and its CRC-64 there: no HEAD before the next append. */
  Appender &resume(uint64_t position, uint64_t crc64) {
    detail::check(oss_append_appender_resume(appender_.get(), position, crc64));
    return *this;
  }
  /** Appends where the object ends. Throws Error; with OSS_APPEND_RESULT_UNSETTLED the bytes may have
   *  landed: settle() before anything else, then send them again only if they did not land (sending
   *  them unsettled would append them twice if they had). README.md's C++ example does this. */
  Receipt append(Bytes data) {
    oss_append_receipt receipt;
    oss_append_error *error = nullptr;
    oss_append_result code = oss_append_appender_append(appender_.get(), data.data(), data.size(), &receipt, &error);
    detail::check(code, error);
    return Receipt::from(receipt);
  }
  Receipt append_file(std::string_view path) {
    oss_append_receipt receipt;
    oss_append_error *error = nullptr;
    oss_append_result code =
        oss_append_appender_append_file(appender_.get(), detail::c_str(path).c_str(), &receipt, &error);
    detail::check(code, error);
    return Receipt::from(receipt);
  }
  std::optional<uint64_t> next_position() const noexcept {
    uint64_t p = 0;
    return oss_append_appender_next_position(appender_.get(), &p) ? std::optional<uint64_t>(p) : std::nullopt;
  }
  std::optional<uint64_t> crc64() const noexcept {
    uint64_t crc = 0;
    return oss_append_appender_crc64(appender_.get(), &crc) ? std::optional<uint64_t>(crc) : std::nullopt;
  }
  /** The append left unsettled, if any. */
  std::optional<oss_append_in_flight> in_flight() const noexcept {
    oss_append_in_flight f;
    return oss_append_appender_in_flight(appender_.get(), &f) ? std::optional<oss_append_in_flight>(f) : std::nullopt;
  }
  /** Settles the append left unsettled now; nothing when there is none. */
  std::optional<Settlement> settle() {
    bool settled = false;
    oss_append_settlement settlement;
    oss_append_error *error = nullptr;
    oss_append_result code = oss_append_appender_settle(appender_.get(), &settled, &settlement, &error);
    detail::check(code, error);
    return settled ? std::optional<Settlement>(Settlement::from(settlement)) : std::nullopt;
  }

 private:
  detail::Handle<oss_append_appender, oss_append_appender_free> appender_;
  std::shared_ptr<Progress> progress_;
};

/* ----------------------------------------------------------------------------------------------- */
/* Spool                                                                                           */

/** A spool event, as the listener sees it (strings copied). */
struct SpoolEvent {
  oss_append_spool_event_kind kind;
  std::string key, from, message;
  uint64_t position = 0, bytes = 0;
  uint32_t reason = 0;
  bool retryable = false;
  uint64_t retry_at_unix_ms = 0;
};

/** How a spool works; see oss_append_spool_config_*. */
class SpoolConfig {
 public:
  /** A template without {seq} names the first object as it is, the next ones key.1, key.2, ... */
  SpoolConfig(std::string_view bucket, std::string_view key_template) {
    oss_append_spool_config *raw = nullptr;
    detail::check(
        oss_append_spool_config_new(detail::c_str(bucket).c_str(), detail::c_str(key_template).c_str(), &raw));
    config_.reset(raw);
  }
  SpoolConfig &var(std::string_view name, std::string_view value) {
    detail::check(oss_append_spool_config_set_var(config_.get(), detail::c_str(name).c_str(),
                                                  detail::c_str(value).c_str()));
    return *this;
  }
  SpoolConfig &sync(oss_append_spool_sync policy, uint64_t interval_ms = 1000) {
    detail::check(oss_append_spool_config_set_sync(config_.get(), policy, interval_ms));
    return *this;
  }
  SpoolConfig &batch(uint64_t bytes, uint64_t age_ms) {
    detail::check(oss_append_spool_config_set_batch(config_.get(), bytes, age_ms));
    return *this;
  }
  /** max_bytes: at least 33,554,484 (two 16 MiB records with their headers); less fails the open. */
  SpoolConfig &limits(uint64_t max_bytes, oss_append_spool_full full, uint64_t block_timeout_ms = 10000,
                      uint64_t max_age_ms = 0) {
    detail::check(oss_append_spool_config_set_limits(config_.get(), max_bytes, full, block_timeout_ms, max_age_ms));
    return *this;
  }
  SpoolConfig &rollover(uint64_t bytes, uint64_t age_ms = 0) {
    detail::check(oss_append_spool_config_set_rollover(config_.get(), bytes, age_ms));
    return *this;
  }
  SpoolConfig &headers(const Options &options) {
    detail::check(oss_append_spool_config_set_headers(config_.get(), options.get()));
    return *this;
  }
  /** Called on the spool's threads; keep it quick. Exceptions thrown from it are swallowed. */
  SpoolConfig &listener(std::function<void(const SpoolEvent &)> callback) {
    listener_ = std::make_shared<std::function<void(const SpoolEvent &)>>(std::move(callback));
    detail::check(oss_append_spool_config_set_listener(config_.get(), &SpoolConfig::on_event, listener_.get()));
    return *this;
  }
  const oss_append_spool_config *get() const noexcept { return config_.get(); }
  std::shared_ptr<std::function<void(const SpoolEvent &)>> listener_keeper() const noexcept { return listener_; }

 private:
  static void on_event(void *user_data, const oss_append_spool_event *raw) noexcept {
    try {
      SpoolEvent event{raw->kind,
                       detail::text(raw->key),
                       detail::text(raw->from),
                       detail::text(raw->message),
                       raw->position,
                       raw->bytes,
                       raw->reason,
                       raw->retryable,
                       raw->retry_at_unix_ms};
      (*static_cast<std::function<void(const SpoolEvent &)> *>(user_data))(event);
    } catch (...) {
      // Must not unwind into the library.
    }
  }
  detail::Handle<oss_append_spool_config, oss_append_spool_config_free> config_;
  std::shared_ptr<std::function<void(const SpoolEvent &)>> listener_;
};

/** What a spool has done and is doing (plain data). */
using SpoolStatus = oss_append_spool_status;

/** A durable, offline-first appender (see oss_append_spool_open). Thread-safe. */
class Spool {
 public:
  Spool(const Client &client, std::string_view dir, const SpoolConfig &config)
      : listener_(config.listener_keeper()) {
    oss_append_spool *raw = nullptr;
    oss_append_error *error = nullptr;
    oss_append_result code = oss_append_spool_open(client.get(), detail::c_str(dir).c_str(), config.get(), &raw, &error);
    detail::check(code, error);
    spool_.reset(raw);
  }
  /** In the journal when it returns; in OSS soon, once. At most 16 MiB a write (more throws
   *  OSS_APPEND_RESULT_RECORD_TOO_LARGE, nothing written); returns nothing (the C call, only its code). */
  void write(Bytes data) {
    oss_append_error *error = nullptr;
    oss_append_result code = oss_append_spool_write(spool_.get(), data.data(), data.size(), &error);
    detail::check(code, error);
  }
  void write_with_mark(Bytes data, Bytes mark) {
    oss_append_error *error = nullptr;
    oss_append_result code =
        oss_append_spool_write_with_mark(spool_.get(), data.data(), data.size(), mark.data(), mark.size(), &error);
    detail::check(code, error);
  }
  /** The mark of the last record written (empty when none had one). */
  std::vector<uint8_t> last_mark() const {
    size_t length = 0;
    oss_append_result code = oss_append_spool_last_mark(spool_.get(), nullptr, 0, &length);
    std::vector<uint8_t> mark(length);
    if (code == OSS_APPEND_RESULT_BUFFER_TOO_SMALL) {
      detail::check(oss_append_spool_last_mark(spool_.get(), mark.data(), mark.size(), &length));
    } else {
      detail::check(code);
    }
    return mark;
  }
  void flush(uint64_t timeout_ms) {
    oss_append_error *error = nullptr;
    oss_append_result code = oss_append_spool_flush(spool_.get(), timeout_ms, &error);
    detail::check(code, error);
  }
  SpoolStatus status() const {
    oss_append_spool_status status;
    detail::check(oss_append_spool_get_status(spool_.get(), &status));
    return status;
  }
  /** Stops uploading and releases the directory (the destructor does too, without reporting). */
  void close() {
    oss_append_error *error = nullptr;
    oss_append_result code = oss_append_spool_close(spool_.get(), &error);
    detail::check(code, error);
  }

 private:
  std::shared_ptr<std::function<void(const SpoolEvent &)>> listener_;  // outlives the spool handle
  detail::Handle<oss_append_spool, oss_append_spool_free> spool_;
};

/** The library's version, e.g. "0.1.0" (OSS_APPEND_VERSION_STRING at build time). */
inline std::string version() { return oss_append_version(); }

}  // namespace oss_append

#endif /* OSS_APPEND_HPP */
