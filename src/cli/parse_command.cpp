#include <cstdio>

#include "cli/commands.h"

namespace eql::cli {

int run_parse(Args) {
  std::fputs("eql parse: not implemented yet\n", stderr);
  return kExitUsage;
}

}  // namespace eql::cli
