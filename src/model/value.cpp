#include "ferry/value.hpp"

#include <charconv>
#include <cstdlib>
#include <string>

namespace ferry {

nlohmann::json to_json(yaml::Node n) {
    using json = nlohmann::json;
    switch (n.type()) {
        case yaml::Type::null:
            return nullptr;
        case yaml::Type::boolean:
            return n.as_bool();
        case yaml::Type::integer: {
            std::string_view t = n.text();
            if (!t.empty() && t[0] == '+') t.remove_prefix(1);
            std::int64_t v = 0;
            auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
            if (ec == std::errc() && end == t.data() + t.size()) return v;
            return std::strtod(std::string(t).c_str(), nullptr);
        }
        case yaml::Type::number:
            return std::strtod(std::string(n.text()).c_str(), nullptr);
        case yaml::Type::string:
            return std::string(n.text());
        case yaml::Type::seq: {
            json out = json::array();
            for (std::size_t i = 0; i < n.size(); ++i)
                out.push_back(to_json(n.item(i)));
            return out;
        }
        case yaml::Type::map: {
            json out = json::object();
            for (std::size_t i = 0; i < n.size(); ++i)
                out[std::string(n.key(i).text())] = to_json(n.value(i));
            return out;
        }
    }
    return nullptr;
}

}  // namespace ferry
