#include "kafka/clients.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "kafka/log.h"

namespace eql::kafka {

namespace {

// librdkafka's own log lines (syslog levels) go to the service log.
void on_log(const rd_kafka_t*, int level, const char* facility, const char* text) {
  std::string line = std::string("librdkafka ") + facility + ": " + text;
  if (level <= 3) log_error(line);
  else if (level == 4) log_warn(line);
  else if (level <= 6) log_info(line);
  else log(LogLevel::Debug, line);
}

// The common configuration: the brokers, then the user's properties in their order.
rd_kafka_conf_t* base_conf(const KafkaOptions& options,
                           const std::vector<std::pair<std::string, std::string>>& defaults, std::string& error) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char text[512];
  auto set = [&](const std::string& key, const std::string& value) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), text, sizeof text) == RD_KAFKA_CONF_OK) return true;
    error = "librdkafka property " + key + ": " + text;
    return false;
  };
  bool ok = set("bootstrap.servers", options.brokers) && set("client.id", "eql");
  for (const auto& [key, value] : defaults) ok = ok && set(key, value);
  for (const auto& [key, value] : options.properties) ok = ok && set(key, value);
  if (!ok) {
    rd_kafka_conf_destroy(conf);
    return nullptr;
  }
  rd_kafka_conf_set_log_cb(conf, on_log);
  return conf;
}

// Settings correctness depends on, set after the user's (which cannot undo them).
bool force(rd_kafka_conf_t* conf, const char* key, const char* value, std::string& error) {
  char text[512];
  if (rd_kafka_conf_set(conf, key, value, text, sizeof text) == RD_KAFKA_CONF_OK) return true;
  error = std::string("librdkafka property ") + key + ": " + text;
  return false;
}

void on_rebalance(rd_kafka_t*, rd_kafka_resp_err_t error, rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  static_cast<KafkaSource*>(opaque)->rebalance(error, partitions);
}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  static_cast<KafkaSink*>(opaque)->delivered(message);
}

// A header's value as an integer (-1 when missing or not one).
std::int64_t header_number(rd_kafka_message_t* message, const char* name) {
  rd_kafka_headers_t* headers = nullptr;
  const void* value = nullptr;
  std::size_t size = 0;
  if (rd_kafka_message_headers(message, &headers) || rd_kafka_header_get_last(headers, name, &value, &size)) return -1;
  std::string text(static_cast<const char*>(value), size);
  char* end = nullptr;
  long long number = std::strtoll(text.c_str(), &end, 10);
  return text.empty() || *end != '\0' ? -1 : number;
}

// A header's value as text (empty when missing).
std::string header_text(rd_kafka_message_t* message, const char* name) {
  rd_kafka_headers_t* headers = nullptr;
  const void* value = nullptr;
  std::size_t size = 0;
  if (rd_kafka_message_headers(message, &headers) || rd_kafka_header_get_last(headers, name, &value, &size)) return {};
  return std::string(static_cast<const char*>(value), size);
}

// The number of partitions of a topic, by a metadata request (0: unknown).
std::int32_t partitions_of(rd_kafka_t* handle, const std::string& name) {
  std::int32_t count = 0;
  rd_kafka_topic_t* topic = rd_kafka_topic_new(handle, name.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  if (!rd_kafka_metadata(handle, 0, topic, &metadata, 10'000)) {
    if (metadata->topic_cnt == 1 && !metadata->topics[0].err) count = metadata->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(metadata);
  }
  rd_kafka_topic_destroy(topic);
  return count;
}

}  // namespace

// ---- the source ----

std::unique_ptr<KafkaSource> KafkaSource::open(const KafkaOptions& options, Callbacks callbacks, std::string& error) {
  std::unique_ptr<KafkaSource> source(new KafkaSource());
  source->topic_ = options.topic;
  source->callbacks_ = std::move(callbacks);
  rd_kafka_conf_t* conf = base_conf(options, {{"auto.offset.reset", "earliest"}}, error);
  if (!conf) return nullptr;
  // Offsets are committed by the service, after the alerts are acknowledged.
  if (!force(conf, "group.id", options.group.c_str(), error) || !force(conf, "enable.auto.commit", "false", error) ||
      !force(conf, "enable.auto.offset.store", "false", error)) {
    rd_kafka_conf_destroy(conf);
    return nullptr;
  }
  rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
  rd_kafka_conf_set_opaque(conf, source.get());
  char text[512];
  source->handle_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, text, sizeof text);
  if (!source->handle_) {
    rd_kafka_conf_destroy(conf);
    error = std::string("cannot make a consumer: ") + text;
    return nullptr;
  }
  rd_kafka_poll_set_consumer(source->handle_);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, options.topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t result = rd_kafka_subscribe(source->handle_, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (result) {
    error = std::string("cannot subscribe to ") + options.topic + ": " + rd_kafka_err2str(result);
    return nullptr;
  }
  return source;
}

KafkaSource::~KafkaSource() {
  if (!handle_) return;
  if (current_) rd_kafka_message_destroy(current_);
  close();
  rd_kafka_destroy(handle_);
}

void KafkaSource::rebalance(int error, rd_kafka_topic_partition_list_t* partitions) {
  stalled_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - last_poll_).count();
  struct Reset {
    std::int64_t& stalled;
    ~Reset() { stalled = 0; }
  } reset{stalled_ms_};
  std::vector<std::int32_t> list;
  for (int i = 0; i < partitions->cnt; ++i) list.push_back(partitions->elems[i].partition);
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(handle_), "COOPERATIVE") == 0;
  if (error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (callbacks_.from_start) {
      for (int i = 0; i < partitions->cnt; ++i) partitions->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    if (cooperative) {
      if (rd_kafka_error_t* failed = rd_kafka_incremental_assign(handle_, partitions)) rd_kafka_error_destroy(failed);
    } else {
      rd_kafka_assign(handle_, partitions);
    }
    assigned_.insert(assigned_.end(), list.begin(), list.end());
    if (callbacks_.assigned) callbacks_.assigned(list);
    return;
  }
  if (error != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    log_error(std::string("rebalance: ") + rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(error)));
  }
  if (error == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS && !rd_kafka_assignment_lost(handle_)) {
    if (callbacks_.revoked) callbacks_.revoked(list);
  } else if (callbacks_.lost) {
    // Lost partitions (and those unassigned on a rebalance error) may be someone else's
    // already: nothing to commit, only to forget.
    callbacks_.lost(list);
  }
  if (cooperative) {
    if (rd_kafka_error_t* failed = rd_kafka_incremental_unassign(handle_, partitions)) rd_kafka_error_destroy(failed);
  } else {
    rd_kafka_assign(handle_, nullptr);
  }
  std::erase_if(assigned_, [&](std::int32_t p) { return std::find(list.begin(), list.end(), p) != list.end(); });
}

bool KafkaSource::poll(int timeout_ms, Message& message) {
  if (current_) {
    rd_kafka_message_destroy(current_);
    current_ = nullptr;
  }
  rd_kafka_message_t* got = rd_kafka_consumer_poll(handle_, timeout_ms);
  last_poll_ = std::chrono::steady_clock::now();
  if (!got) return false;
  if (got->err) {
    if (got->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      log_warn(std::string("consumer: ") + rd_kafka_message_errstr(got));
    }
    rd_kafka_message_destroy(got);
    return false;
  }
  current_ = got;
  message.partition = got->partition;
  message.offset = got->offset;
  message.has_value = got->payload != nullptr;
  message.value = message.has_value ? std::string_view(static_cast<const char*>(got->payload), got->len) : "";
  message.source_partition = static_cast<std::int32_t>(header_number(got, "eql.source.partition"));
  message.source_offset = header_number(got, "eql.source.offset");
  return true;
}

bool KafkaSource::commit(const std::vector<Position>& positions, std::string& error) {
  if (positions.empty()) return true;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(positions.size()));
  for (const Position& position : positions) {
    rd_kafka_topic_partition_t* entry = rd_kafka_topic_partition_list_add(list, topic_.c_str(), position.partition);
    entry->offset = position.next_offset;
    if (!position.metadata.empty()) {
      // The list frees it (with free()).
      entry->metadata = std::malloc(position.metadata.size());
      std::memcpy(entry->metadata, position.metadata.data(), position.metadata.size());
      entry->metadata_size = position.metadata.size();
    }
  }
  rd_kafka_resp_err_t result = rd_kafka_commit(handle_, list, 0);
  for (int i = 0; i < list->cnt && !result; ++i) result = list->elems[i].err;
  rd_kafka_topic_partition_list_destroy(list);
  if (result) error = rd_kafka_err2str(result);
  return !result;
}

std::optional<Position> KafkaSource::committed(std::int32_t partition) {
  std::vector<Position> found = committed(std::vector<std::int32_t>{partition});
  return found.empty() ? std::nullopt : std::optional<Position>(found.front());
}

std::vector<Position> KafkaSource::committed(const std::vector<std::int32_t>& partitions) {
  std::vector<Position> out;
  if (partitions.empty()) return out;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
  for (std::int32_t partition : partitions) rd_kafka_topic_partition_list_add(list, topic_.c_str(), partition);
  if (!rd_kafka_committed(handle_, list, 2'000)) {
    for (int i = 0; i < list->cnt; ++i) {
      const rd_kafka_topic_partition_t& entry = list->elems[i];
      if (entry.err || entry.offset < 0) continue;
      committed_[entry.partition] = entry.offset;
      out.push_back({entry.partition, entry.offset,
                     entry.metadata ? std::string(static_cast<const char*>(entry.metadata), entry.metadata_size) : ""});
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  return out;
}

std::vector<KafkaSource::Lag> KafkaSource::lag() {
  std::vector<Lag> out;
  if (assigned_.empty()) return out;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(assigned_.size()));
  for (std::int32_t partition : assigned_) rd_kafka_topic_partition_list_add(list, topic_.c_str(), partition);
  rd_kafka_position(handle_, list);
  // Nothing consumed since the assignment: the group's committed offset is the position,
  // as the worker asked it when the partition was given (no request here: a stats line
  // must not wait for a coordinator that is away).
  const std::map<std::int32_t, std::int64_t>& committed_at = committed_;
  for (int i = 0; i < list->cnt; ++i) {
    Lag lag{list->elems[i].partition, -1};
    std::int64_t low = -1, high = -1;
    if (!rd_kafka_get_watermark_offsets(handle_, topic_.c_str(), lag.partition, &low, &high) && high >= 0) {
      std::int64_t position = list->elems[i].offset;
      if (position < 0) {
        auto at = committed_at.find(lag.partition);
        position = at != committed_at.end() ? at->second : low;
      }
      if (position >= 0) lag.lag = high - position;
    }
    out.push_back(lag);
  }
  rd_kafka_topic_partition_list_destroy(list);
  return out;
}

bool KafkaSource::owns(std::int32_t partition) const {
  return std::find(assigned_.begin(), assigned_.end(), partition) != assigned_.end();
}

std::int64_t KafkaSource::first_offset(std::int32_t partition) {
  std::int64_t low = -1, high = -1;
  if (rd_kafka_query_watermark_offsets(handle_, topic_.c_str(), partition, &low, &high, 5'000)) return -1;
  return low;
}

void KafkaSource::close() {
  if (closed_ || !handle_) return;
  closed_ = true;
  if (current_) {
    rd_kafka_message_destroy(current_);
    current_ = nullptr;
  }
  rd_kafka_consumer_close(handle_);
}

// ---- the sink ----

std::unique_ptr<KafkaSink> KafkaSink::open(const KafkaOptions& options, std::string& error) {
  std::unique_ptr<KafkaSink> sink(new KafkaSink());
  sink->alerts_topic_ = options.alerts_topic;
  sink->dead_letter_topic_ = options.dead_letter_topic;
  sink->repartition_topic_ = options.repartition_topic;
  // Compressed batches (a -X compression.type wins): the repartition topic must keep every
  // event for replay, and re-keyed ECS JSON shrinks several times over (docs/kafka.md).
  rd_kafka_conf_t* conf = base_conf(options, {{"compression.type", "lz4"}}, error);
  if (!conf) return nullptr;
  // Retries never duplicate or reorder a partition's alerts.
  if (!force(conf, "enable.idempotence", "true", error)) {
    rd_kafka_conf_destroy(conf);
    return nullptr;
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, sink.get());
  char text[512];
  sink->handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, text, sizeof text);
  if (!sink->handle_) {
    rd_kafka_conf_destroy(conf);
    error = std::string("cannot make a producer: ") + text;
    return nullptr;
  }
  if (!sink->alerts_topic_.empty()) {
    sink->alerts_partitions_ = partitions_of(sink->handle_, sink->alerts_topic_);
    if (sink->alerts_partitions_ == 0) log_warn("alerts topic " + sink->alerts_topic_ + ": partitions unknown, alerts partitioned by key");
  }
  return sink;
}

KafkaSink::~KafkaSink() {
  if (!handle_) return;
  if (rd_kafka_flush(handle_, 10'000)) {
    // What is still not acknowledged is dropped, and its delivery reports served: each
    // frees the origin its message carried.
    rd_kafka_purge(handle_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(handle_, 1'000);
  }
  rd_kafka_destroy(handle_);
}

std::int32_t KafkaSink::alerts_partition(std::int32_t source_partition) const {
  return alerts_partitions_ > 0 ? source_partition % alerts_partitions_ : -1;
}

void KafkaSink::produce(const std::string& topic, std::int32_t partition, std::string_view key, std::string_view value,
                        void* headers, Origin origin) {
  if (origin.partition >= 0) origin.epoch = acknowledged_.sent(origin.partition, origin.offset);
  rd_kafka_vu_t parts[7];
  parts[0].vtype = RD_KAFKA_VTYPE_TOPIC;
  parts[0].u.cstr = topic.c_str();
  parts[1].vtype = RD_KAFKA_VTYPE_PARTITION;
  parts[1].u.i32 = partition;
  parts[2].vtype = RD_KAFKA_VTYPE_KEY;
  parts[2].u.mem = {const_cast<char*>(key.data()), key.size()};
  parts[3].vtype = RD_KAFKA_VTYPE_VALUE;
  parts[3].u.mem = {const_cast<char*>(value.data()), value.size()};
  parts[4].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  parts[4].u.i = RD_KAFKA_MSG_F_COPY;
  parts[5].vtype = RD_KAFKA_VTYPE_OPAQUE;  // the origin, for delivered(), which deletes it
  auto* tracked = new Origin(origin);
  parts[5].u.ptr = tracked;
  parts[6].vtype = RD_KAFKA_VTYPE_HEADERS;  // on success librdkafka owns them
  parts[6].u.headers = static_cast<rd_kafka_headers_t*>(headers);
  while (true) {
    rd_kafka_error_t* failed = rd_kafka_produceva(handle_, parts, 7);
    if (!failed) return;
    rd_kafka_resp_err_t code = rd_kafka_error_code(failed);
    rd_kafka_error_destroy(failed);
    if (code == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(handle_, 100);  // the queue drains as deliveries are acknowledged
      continue;
    }
    rd_kafka_headers_destroy(static_cast<rd_kafka_headers_t*>(headers));
    delete tracked;  // never acknowledged: its event's offset is not committed
    ++failed_;
    last_failure_ = "cannot produce to " + topic + ": " + rd_kafka_err2str(code);
    log_error(last_failure_);
    return;
  }
}

std::int32_t KafkaSink::partition_count(const std::string& topic) { return partitions_of(handle_, topic); }

namespace {

// Headers naming the event a message was sent for (eql.source.topic when `topic` is not
// empty, eql.source.partition, eql.source.offset), with room for `capacity` in all.
rd_kafka_headers_t* source_headers(std::string_view topic, std::int32_t partition, std::int64_t offset,
                                   std::size_t capacity) {
  rd_kafka_headers_t* headers = rd_kafka_headers_new(capacity);
  const std::string partition_text = std::to_string(partition), offset_text = std::to_string(offset);
  if (!topic.empty()) rd_kafka_header_add(headers, "eql.source.topic", -1, topic.data(), static_cast<ssize_t>(topic.size()));
  rd_kafka_header_add(headers, "eql.source.partition", -1, partition_text.data(),
                      static_cast<ssize_t>(partition_text.size()));
  rd_kafka_header_add(headers, "eql.source.offset", -1, offset_text.data(), static_cast<ssize_t>(offset_text.size()));
  return headers;
}

}  // namespace

void KafkaSink::send_alert(std::string_view id, std::string_view json, std::string_view source_topic,
                           std::int32_t source_partition, std::int64_t source_offset, bool counted) {
  rd_kafka_headers_t* headers = source_headers(source_topic, source_partition, source_offset, 3);
  Origin origin;
  if (counted) origin = Origin{source_partition, source_offset, 0, true};
  produce(alerts_topic_, alerts_partition(source_partition), id, json, headers, origin);
}

void KafkaSink::send_repartitioned(std::string_view value, std::int32_t partition, std::int32_t source_partition,
                                   std::int64_t source_offset) {
  // No topic header: a repartitioned event always comes from the input topic.
  rd_kafka_headers_t* headers = source_headers({}, source_partition, source_offset, 2);
  produce(repartition_topic_, partition, {}, value, headers, Origin{source_partition, source_offset, 0, false});
}

void KafkaSink::send_dead_letter(std::string_view value, std::string_view source_topic, std::int32_t source_partition,
                                 std::int64_t source_offset, std::string_view why) {
  if (dead_letter_topic_.empty()) return;
  rd_kafka_headers_t* headers = source_headers(source_topic, source_partition, source_offset, 4);
  rd_kafka_header_add(headers, "eql.error", -1, why.data(), static_cast<ssize_t>(why.size()));
  std::string key = std::string(source_topic) + "/" + std::to_string(source_partition) + "/" +
                    std::to_string(source_offset);
  produce(dead_letter_topic_, RD_KAFKA_PARTITION_UA, key, value, headers, Origin{source_partition, source_offset, 0, false});
}

void KafkaSink::delivered(const rd_kafka_message_t* message) {
  std::unique_ptr<Origin> origin(static_cast<Origin*>(message->_private));
  // What did not land (withdrawn, failed) stays unacknowledged: its event's offset is never
  // committed by this worker (a failure stops it; a withdrawal is a handover).
  if (message->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || message->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
    ++withdrawn_;  // withdrawn on purpose (withdraw()): not a failure
  } else if (message->err) {
    ++failed_;
    last_failure_ = std::string("delivery failed: ") + rd_kafka_err2str(message->err);
    log_error(last_failure_);
  } else if (origin->partition >= 0) {
    acknowledged_.settled(origin->partition, origin->epoch, origin->offset, origin->alert ? message->offset : -1);
  }
}

void KafkaSink::serve() { rd_kafka_poll(handle_, 0); }

bool KafkaSink::flush(int timeout_ms, std::string& error) {
  switch (flush_within(timeout_ms, error)) {
    case Flushed::Done: return true;
    case Flushed::Failed: return false;
    case Flushed::Pending: break;
  }
  // rd_kafka_flush's only error is a wait that ran out.
  error = std::string("alerts not acknowledged in time: ") + rd_kafka_err2str(RD_KAFKA_RESP_ERR__TIMED_OUT);
  return false;
}

KafkaSink::Flushed KafkaSink::flush_within(int timeout_ms, std::string& error) {
  rd_kafka_resp_err_t result = rd_kafka_flush(handle_, timeout_ms);
  if (failed_ > 0) {
    error = last_failure_ + " (" + std::to_string(failed_) + " messages)";
    failed_ = 0;
    return Flushed::Failed;
  }
  return result ? Flushed::Pending : Flushed::Done;
}

std::uint64_t KafkaSink::withdraw(int in_flight_ms) {
  const std::uint64_t before = withdrawn_;
  // Queued messages never leave; those in requests already sent may be acknowledged soon
  // (the broker is up), and what is still unacknowledged after that is dropped too.
  rd_kafka_purge(handle_, RD_KAFKA_PURGE_F_QUEUE);
  if (rd_kafka_flush(handle_, in_flight_ms)) {
    rd_kafka_purge(handle_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(handle_, 1'000);  // serves the delivery reports of what was dropped
  }
  failed_ = 0;  // a withdrawn message is not a failed delivery
  return withdrawn_ - before;
}

// ---- the alerts reader ----

std::unique_ptr<AlertsReader> AlertsReader::open(const KafkaOptions& options, std::string& error) {
  std::unique_ptr<AlertsReader> reader(new AlertsReader());
  reader->topic_ = options.alerts_topic;
  reader->input_topic_ = options.topic;
  rd_kafka_conf_t* conf = base_conf(options, {}, error);
  if (!conf) return nullptr;
  // Outside the group: partitions read by offset (the simple consumer), nothing committed.
  if (!force(conf, "enable.auto.commit", "false", error) || !force(conf, "enable.partition.eof", "true", error)) {
    rd_kafka_conf_destroy(conf);
    return nullptr;
  }
  char text[512];
  reader->handle_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, text, sizeof text);
  if (!reader->handle_) {
    rd_kafka_conf_destroy(conf);
    error = std::string("cannot make the alerts reader: ") + text;
    return nullptr;
  }
  return reader;
}

AlertsReader::~AlertsReader() {
  if (handle_) rd_kafka_destroy(handle_);
}


bool AlertsReader::read(std::int32_t alerts_partition, std::int64_t from, std::string_view source_topic,
                        std::int32_t source_partition, int timeout_ms, std::vector<WrittenAlert>& out,
                        std::int64_t& end, std::string& error) {
  std::int64_t low = -1, high = -1;
  const std::string where = topic_ + "[" + std::to_string(alerts_partition) + "]";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  rd_kafka_resp_err_t result;
  // A failed request (a leader moving, a broker away) is tried again until the deadline.
  while ((result = rd_kafka_query_watermark_offsets(handle_, topic_.c_str(), alerts_partition, &low, &high, 5'000)) &&
         std::chrono::steady_clock::now() < deadline) {
    log_warn("reading the offsets of " + where + ": " + rd_kafka_err2str(result) + "; trying again");
    rd_kafka_poll(handle_, 200);
  }
  if (result) {
    error = "cannot read the offsets of " + where + ": " + rd_kafka_err2str(result);
    return false;
  }
  end = high;
  std::int64_t next = std::max(from, low);
  if (next >= high) return true;
  rd_kafka_topic_t* topic = rd_kafka_topic_new(handle_, topic_.c_str(), nullptr);
  if (rd_kafka_consume_start(topic, alerts_partition, next) == -1) {
    error = "cannot read " + where + ": " + rd_kafka_err2str(rd_kafka_last_error());
    rd_kafka_topic_destroy(topic);
    return false;
  }
  while (next < high && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consume(topic, alerts_partition, 200);
    if (!message) continue;
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      next = std::max(next, message->offset);
    } else if (message->err) {
      log_warn("reading " + where + ": " + rd_kafka_message_errstr(message));
    } else {
      next = message->offset + 1;
      std::string from_topic = header_text(message, "eql.source.topic");
      if (from_topic.empty()) from_topic = input_topic_;  // written before the header was
      if (from_topic == source_topic && header_number(message, "eql.source.partition") == source_partition &&
          message->key) {
        out.push_back({header_number(message, "eql.source.offset"), message->offset,
                       std::string(static_cast<const char*>(message->key), message->key_len)});
      }
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consume_stop(topic, alerts_partition);
  rd_kafka_topic_destroy(topic);
  if (next < high) {
    error = "cannot read " + where + " to offset " + std::to_string(high) + " in time (at " + std::to_string(next) + ")";
    return false;
  }
  return true;
}

}  // namespace eql::kafka
