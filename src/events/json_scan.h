// The fast reader of an event's JSON (parse_event): one pass that checks the whole text but
// decodes only what the Flattener files, skipping every container that holds no selected
// field and every scalar that is not selected. RapidJSON's reader stays behind it, for
// the texts it declines and for their error messages.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "eql/event.h"

namespace eql {

class Flattener;

/// Reads `text` (a byte order mark already skipped; the byte after it must be a NUL, as
/// after a std::string's) into `flattener`,
/// calling it as RapidJSON's reader would for every filed value. Returns false when it
/// declines the text: RapidJSON would refuse it, or it is one of the rare forms left to
/// RapidJSON (see json_scan.cpp); `flattener` is then of no further use. It accepts no
/// text that RapidJSON refuses, and files what RapidJSON's reader would have filed.
bool scan_event(std::string_view text, std::size_t max_nesting, Flattener& flattener);

/// parse_event without the scanner, through RapidJSON's reader alone: what parse_event
/// falls back to, and the oracle of its differential test (tests/json_scan_test.cpp).
std::optional<Event> parse_event_with_rapidjson(std::string_view json, std::string& error,
                                                std::size_t* error_offset, std::size_t max_nesting,
                                                std::shared_ptr<const FieldSelection> selection);

}  // namespace eql
