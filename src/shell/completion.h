// Tab completion in the shell: what may complete the word before the cursor, from the
// names the session knows. Session::complete gives it the session's names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shell/shell.h"

namespace eql::shell {

struct CompletionNames {
  const std::vector<std::string_view>& loaded_fields;  ///< fields of the loaded events
  const std::vector<std::string>& schema_fields;       ///< sorted
  const std::vector<std::string_view>& categories;     ///< of the loaded events
};

/// The candidates for the word that ends `text` (the input before the cursor).
Completion complete_input(std::string_view text, const CompletionNames& names);

}  // namespace eql::shell
