// Diagnostics are data: every stage reports a user's mistakes as values, never by throwing.
#pragma once

#include <string>
#include <vector>

#include "eql/source.h"

namespace eql {

enum class Severity { Error, Warning, Note };

const char* severity_name(Severity severity);

/// One problem in a user's input. `span` is in the coordinates of the text the stage
/// read (the query for the parser); `QueryOrigin` maps it back into the file.
struct Diagnostic {
  Severity severity = Severity::Error;
  std::string code;     ///< stable identifier, e.g. "syntax.single-equals"; documented in docs/
  std::string message;  ///< what is wrong and what to do, one sentence
  Span span;
  std::string hint;     ///< optional second line ("did you mean ...")
};

using Diagnostics = std::vector<Diagnostic>;

bool has_errors(const Diagnostics& diagnostics);

/// A diagnostic placed in a file: positions are file lines and character columns.
struct LocatedDiagnostic {
  const Diagnostic* diagnostic = nullptr;
  Position begin;
  Position end;
};

LocatedDiagnostic locate(const Diagnostic& diagnostic, const SourceText& file,
                         const QueryOrigin& origin);

struct RenderOptions {
  bool color = false;
  bool show_code = false;  ///< append the code to the first line: `message [code]`
};

/// Compiler-style rendering:
///   file:line:col: error: message [code]   (the code with show_code)
///      <the source line>
///            ^~~~
std::string render(const Diagnostic& diagnostic, const SourceText& file,
                   const QueryOrigin& origin, const RenderOptions& options = {});

}  // namespace eql
