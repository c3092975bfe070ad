#include "schema/catalog.h"

#include <zlib.h>

#include <cstddef>
#include <limits>
#include <stdexcept>

namespace eql::schema_data {
extern const unsigned char kEmbeddedSchemas[];
extern const std::size_t kEmbeddedSchemasSize;
}  // namespace eql::schema_data

namespace eql::schema_internal {

namespace {

std::string gunzip(const unsigned char* data, std::size_t size) {
  z_stream stream{};
  // 16 + MAX_WBITS: expect a gzip header
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
    throw std::runtime_error("zlib: cannot initialise inflate");
  }
  stream.next_in = const_cast<Bytef*>(data);
  stream.avail_in = static_cast<uInt>(size);
  std::string out;
  char buffer[1 << 16];
  int status = Z_OK;
  while (status != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    status = inflate(&stream, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END) {
      inflateEnd(&stream);
      throw std::runtime_error("zlib: the embedded schema data is corrupt");
    }
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  inflateEnd(&stream);
  return out;
}

}  // namespace

Catalog parse_catalog_text(std::string_view text) {
  Catalog catalog;
  std::shared_ptr<SchemaTable> current;
  std::vector<std::string>* current_values = nullptr;  // inside an `[allowed <field>]` section
  auto finish = [&] {
    current.reset();
    current_values = nullptr;
  };
  auto start = [&](std::string name) {
    current = std::make_shared<SchemaTable>();
    current->name = std::move(name);
    return current;
  };
  std::size_t position = 0;
  while (position < text.size()) {
    std::size_t end = text.find('\n', position);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(position, end - position);
    position = end + 1;
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[' && line.back() == ']') {
      finish();
      std::string_view header = line.substr(1, line.size() - 2);
      std::size_t space = header.find(' ');
      std::string_view kind = header.substr(0, space);
      std::string_view name = space == std::string_view::npos ? std::string_view{} : header.substr(space + 1);
      if (kind == "ecs") {
        catalog.ecs = start("ECS 9.5.0");
      } else if (kind == "endpoint") {
        catalog.endpoint = start("Elastic Defend (endpoint) fields");
      } else if (kind == "defend") {
        catalog.defend = start("Elastic Defend endpoint package fields");
      } else if (kind == "endgame") {
        catalog.endgame = start("endgame 8.4.0");
      } else if (kind == "non-ecs") {
        catalog.non_ecs[std::string(name)] = start("non-ECS fields of `" + std::string(name) + "`");
      } else if (kind == "beat") {
        catalog.beats[std::string(name)] = start(std::string(name) + " fields");
      } else if (kind == "integration") {
        std::string_view package = name.substr(0, name.find('/'));
        catalog.integrations[std::string(package)].push_back(start("integration " + std::string(name)));
      } else if (kind == "allowed") {
        current_values = &catalog.allowed_values[std::string(name)];
      } else if (kind == "package") {
        // `<name> <embedded version or -> <latest version>`
        std::size_t first = name.find(' ');
        std::size_t second = first == std::string_view::npos ? first : name.find(' ', first + 1);
        if (second != std::string_view::npos) {
          std::string embedded(name.substr(first + 1, second - first - 1));
          catalog.packages[std::string(name.substr(0, first))] =
              Catalog::PackageVersions{embedded == "-" ? std::string() : embedded,
                                       std::string(name.substr(second + 1))};
        }
      }
      continue;
    }
    if (current_values) {
      current_values->emplace_back(line);
      continue;
    }
    if (!current) continue;
    std::size_t tab = line.find('\t');
    if (tab == std::string_view::npos) continue;
    std::string_view field = line.substr(0, tab);
    std::string_view rest = line.substr(tab + 1);
    std::size_t tab2 = rest.find('\t');
    std::string_view type_name = rest.substr(0, tab2);
    SchemaField info;
    info.type = parse_mapping_type(type_name).value_or(MappingType::Other);
    info.array = tab2 != std::string_view::npos && rest.substr(tab2 + 1) == "array";
    current->fields.emplace(std::string(field), info);
  }
  return catalog;
}

const Catalog& embedded_catalog() {
  static const Catalog catalog = parse_catalog_text(
      gunzip(schema_data::kEmbeddedSchemas, schema_data::kEmbeddedSchemasSize));
  return catalog;
}

}  // namespace eql::schema_internal
