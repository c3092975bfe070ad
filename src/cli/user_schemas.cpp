#include "cli/user_schemas.h"

#include <cstdio>

namespace eql::cli {

bool load_user_schemas(std::string_view command, const std::vector<std::string>& paths,
                       std::vector<std::shared_ptr<const SchemaTable>>& tables, std::FILE* err) {
  for (const std::string& path : paths) {
    Diagnostics problems;
    auto table = load_schema_file(path, problems);
    for (const Diagnostic& d : problems) {
      std::fprintf(err, "eql %.*s: schema %s: %s\n", static_cast<int>(command.size()), command.data(),
                   path.c_str(), d.message.c_str());
    }
    if (!table || has_errors(problems)) return false;
    tables.push_back(std::move(table));
  }
  return true;
}

}  // namespace eql::cli
