// libFuzzer target: the query parser and printer.
// Properties checked on every input: parsing never crashes or hangs; a query that parses
// prints as canonical EQL that parses again to the same tree; diagnostics lie inside the text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "eql/parser.h"
#include "eql/printer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  eql::ParseOptions options;
  options.extension_pipes = size > 0 && data[0] % 2 == 0;
  eql::ParseResult result = eql::parse_query(text, options);
  for (const eql::Diagnostic& d : result.diagnostics) {
    if (d.span.begin > text.size() || d.span.end > text.size() || d.span.end < d.span.begin) {
      std::fprintf(stderr, "diagnostic span [%u, %u) outside a %zu-byte query: %s\n",
                   d.span.begin, d.span.end, size, d.message.c_str());
      std::abort();
    }
  }
  if (!result.ok()) return 0;
  std::string canonical = eql::to_eql(*result.query);
  eql::ParseResult again = eql::parse_query(canonical, options);
  if (!again.ok() || eql::dump(*again.query) != eql::dump(*result.query)) {
    std::fprintf(stderr, "round trip failed\n  input:     %.*s\n  canonical: %s\n",
                 static_cast<int>(size), reinterpret_cast<const char*>(data), canonical.c_str());
    if (!again.ok()) std::fprintf(stderr, "  error: %s\n", again.diagnostics.front().message.c_str());
    std::abort();
  }
  return 0;
}
