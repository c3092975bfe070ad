#include <cstdio>

#include "cli/commands.h"

namespace eql::cli {

int run_validate(Args) {
  std::fputs("eql validate: not implemented yet\n", stderr);
  return kExitUsage;
}

}  // namespace eql::cli
