#include "ferry/yaml/value.hpp"

#include <algorithm>
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

namespace {

bool is_number(yaml::Type t) {
    return t == yaml::Type::integer || t == yaml::Type::number;
}

// Map entries of `b` by key text, for maps too large to search one by one.
std::vector<std::pair<std::string_view, yaml::Node>> sorted_entries(yaml::Node m) {
    std::vector<std::pair<std::string_view, yaml::Node>> out;
    out.reserve(m.size());
    for (std::size_t i = 0; i < m.size(); ++i)
        out.emplace_back(m.key(i).text(), m.value(i));
    std::ranges::sort(out, {}, &std::pair<std::string_view, yaml::Node>::first);
    return out;
}

}  // namespace

bool same_value(yaml::Node a, yaml::Node b) {
    const yaml::Type ta = a.type();
    const yaml::Type tb = b.type();
    if (is_number(ta) && is_number(tb)) return to_json(a) == to_json(b);
    if (ta != tb) return false;
    switch (ta) {
        case yaml::Type::null:
            return true;
        case yaml::Type::boolean:
            return a.as_bool() == b.as_bool();
        case yaml::Type::string:
            return a.text() == b.text();
        case yaml::Type::seq:
            if (a.size() != b.size()) return false;
            for (std::size_t i = 0; i < a.size(); ++i) {
                if (!same_value(a.item(i), b.item(i))) return false;
            }
            return true;
        case yaml::Type::map: {
            if (a.size() != b.size()) return false;
            constexpr std::size_t kSmall = 16;
            if (a.size() <= kSmall) {
                for (std::size_t i = 0; i < a.size(); ++i) {
                    yaml::Node other = b.get(a.key(i).text());
                    if (!other || !same_value(a.value(i), other)) return false;
                }
                return true;
            }
            auto ea = sorted_entries(a);
            auto eb = sorted_entries(b);
            for (std::size_t i = 0; i < ea.size(); ++i) {
                if (ea[i].first != eb[i].first || !same_value(ea[i].second, eb[i].second)) return false;
            }
            return true;
        }
        default:
            return false;
    }
}

bool same_value(yaml::Node a, const nlohmann::json& b) {
    if (b.is_string()) return a.is_string() && a.text() == b.get_ref<const std::string&>();
    if (b.is_boolean()) return a.type() == yaml::Type::boolean && a.as_bool() == b.get<bool>();
    if (b.is_null()) return a.is_null();
    return to_json(a) == b;
}

}  // namespace ferry
