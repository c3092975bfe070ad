#include <cstdio>

#include "cli/commands.h"

namespace eql::cli {

int run_query(Args) {
  std::fputs("eql query: not implemented yet\n", stderr);
  return kExitUsage;
}

}  // namespace eql::cli
