#include <algorithm>
#include <string>

#include "ferry/plan/plan.hpp"

namespace ferry {
namespace {

// RFC 6901: '~' and '/' in a key are escaped.
std::string pointer_token(const std::string& key) {
    std::string out;
    for (char c : key) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

void diff_into(const nlohmann::json& before, const nlohmann::json& after, const std::string& path,
               std::vector<DiffOp>& out) {
    if (before.is_object() && after.is_object()) {
        // Both objects iterate in key order: merge them, so that every
        // operation appears where its key sorts.
        auto b = before.begin();
        auto a = after.begin();
        while (b != before.end() || a != after.end()) {
            if (a == after.end() || (b != before.end() && b.key() < a.key())) {
                out.push_back({DiffOp::Op::remove, path + "/" + pointer_token(b.key()), *b, nullptr});
                ++b;
            } else if (b == before.end() || a.key() < b.key()) {
                out.push_back({DiffOp::Op::add, path + "/" + pointer_token(a.key()), nullptr, *a});
                ++a;
            } else {
                diff_into(*b, *a, path + "/" + pointer_token(b.key()), out);
                ++b;
                ++a;
            }
        }
        return;
    }
    if (before.is_array() && after.is_array()) {
        std::size_t common = std::min(before.size(), after.size());
        for (std::size_t i = 0; i < common; ++i)
            diff_into(before[i], after[i], path + "/" + std::to_string(i), out);
        for (std::size_t i = common; i < after.size(); ++i) {
            out.push_back({DiffOp::Op::add, path + "/" + std::to_string(i), nullptr, after[i]});
        }
        // Removed from the end backwards, so that each pointer is valid when applied in order.
        for (std::size_t i = before.size(); i > common; --i) {
            out.push_back({DiffOp::Op::remove, path + "/" + std::to_string(i - 1), before[i - 1], nullptr});
        }
        return;
    }
    if (before != after) out.push_back({DiffOp::Op::replace, path, before, after});
}

}  // namespace

std::string_view op_name(DiffOp::Op op) {
    switch (op) {
        case DiffOp::Op::add:
            return "add";
        case DiffOp::Op::remove:
            return "remove";
        case DiffOp::Op::replace:
            return "replace";
    }
    return "?";
}

std::vector<DiffOp> diff_values(const nlohmann::json& before, const nlohmann::json& after) {
    std::vector<DiffOp> out;
    diff_into(before.is_null() ? nlohmann::json::object() : before, after, "", out);
    return out;
}

std::vector<DiffOp> diff_of(const Change& change) {
    if (!change.whole) return change.diff;
    nlohmann::json after = change.after;
    if (change.mode == Mode::draft) after.erase("draft");
    return diff_values(nullptr, after);
}

}  // namespace ferry
