// RapidJSON with its SSE2 scanning, for the one hot parse: an event's text, in place
// (event.cpp). SSE2 skips whitespace and copies plain string bytes 16 at a time, but its loads
// are aligned 16-byte reads that may end up to 15 bytes past the text's closing NUL; every
// buffer parsed through this header must therefore end with kSimdJsonPadding more NUL bytes.
//
// Everything here lives in a namespace of its own: the other RapidJSON readers of the
// program (rule files, schemas, whole-document splitting, array searches) are compiled
// without SSE2 and parse buffers without padding. Had both variants shared the namespace
// `rapidjson`, their inline functions and template members would have had one name for two
// bodies, and the linker could have handed the SSE2 body to a reader of unpadded text.
#pragma once

#include <cstddef>

#ifdef RAPIDJSON_NAMESPACE
#error "simd_json.h must be the first RapidJSON include of its translation unit"
#endif
#define RAPIDJSON_SSE2
#define RAPIDJSON_NAMESPACE eql_rapidjson_sse2
#define RAPIDJSON_NAMESPACE_BEGIN namespace eql_rapidjson_sse2 {
#define RAPIDJSON_NAMESPACE_END }

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

namespace eql {

namespace simd_json = ::eql_rapidjson_sse2;

/// NUL bytes that must follow the terminating NUL of text parsed with simd_json: the widest
/// read past the end is 15 bytes, from the last aligned 16-byte block.
inline constexpr std::size_t kSimdJsonPadding = 16;

}  // namespace eql
