// Validation of the constant arguments the checker can judge without events: Lucene regular
// expressions (EQL `regex`) and cidrMatch's address blocks.

#include <string>

#include "eql/checker.h"
#include "eql/value.h"
#include "eval/regex.h"

namespace eql {

std::string lucene_regex_error(std::string_view pattern, std::size_t& error_offset) {
  // The evaluator's reader decides, so that validation never passes what evaluation refuses.
  regex::Translation translation = regex::translate_lucene(pattern);
  error_offset = translation.offset;
  return translation.reason;
}

std::string cidr_error(std::string_view cidr) {
  // The evaluator's parser decides (one reading of addresses); this only says why not.
  if (parse_cidr(cidr)) return {};
  std::size_t slash = cidr.find('/');
  std::string_view address = cidr.substr(0, slash);
  if (!parse_ip(address)) return "`" + std::string(address) + "` is not an IPv4 or IPv6 address";
  std::string_view digits = slash == std::string_view::npos ? std::string_view{} : cidr.substr(slash + 1);
  if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return "the prefix length after `/` must be a number";
  }
  return address.find(':') == std::string_view::npos ? "an IPv4 prefix length is at most 32"
                                                      : "an IPv6 prefix length is at most 128";
}

}  // namespace eql
