#pragma once

#include <string_view>
#include <vector>

namespace ferry::schema {

struct EmbeddedSchema {
    std::string_view name;  // file name in schemas/
    std::string_view text;
};

const std::vector<EmbeddedSchema>& embedded_schemas();

}  // namespace ferry::schema
