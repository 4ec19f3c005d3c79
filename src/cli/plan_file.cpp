#include "plan_file.hpp"

namespace ferry::cli {

Diagnostic plan_mismatch(std::string message, std::string hint) {
    Diagnostic d = error(code::plan_mismatch, std::move(message));
    d.hint = hint.empty() ? "make the plan again with ferry reconcile --out" : std::move(hint);
    return d;
}

namespace {

std::expected<PlanClaims, Diagnostic> read_claims(const nlohmann::json& file) {
    try {
        if (file.at("format_version") != kPlanFormatVersion) {
            return std::unexpected(plan_mismatch("the plan has format_version " + file.at("format_version").dump() +
                                                 "; this ferry writes and applies version " +
                                                 std::to_string(kPlanFormatVersion)));
        }
        PlanClaims c;
        for (auto [at, key] : {std::pair{&c.from, "from"}, std::pair{&c.to, "to"}}) {
            const auto& w = file.at(key);
            *at = {w.at("workspace").get<std::string>(), w.at("ref").get<std::string>(),
                   w.at("commit").get<std::string>()};
        }
        c.actor = file.at("actor").get<std::string>();
        const auto& o = file.at("options");
        for (auto [list, key] : {std::pair{&c.options.select, "select"}, std::pair{&c.options.exclude, "exclude"}}) {
            for (const auto& text : o.at(key).get<std::vector<std::string>>()) {
                auto p = parse_pattern(text);
                if (!p) return std::unexpected(plan_mismatch("the plan's pattern '" + text + "' is not KIND/ID"));
                list->push_back(std::move(*p));
            }
        }
        c.options.all = o.at("all").get<bool>();
        c.options.with_schedule = o.at("with_schedule").get<bool>();
        c.options.include_dependencies = o.at("include_dependencies").get<bool>();
        for (const auto& text : o.at("link").get<std::vector<std::string>>()) {
            auto eq = text.find('=');
            auto a = parse_address(text.substr(0, eq));
            auto b = eq == std::string::npos ? std::nullopt : parse_address(text.substr(eq + 1));
            if (!a || !b || a->kind != b->kind)
                return std::unexpected(plan_mismatch("the plan's --link '" + text + "' is not A=B"));
            c.options.links.push_back({a->kind, a->id, b->id});
        }
        return c;
    } catch (const nlohmann::json::exception& e) {
        return std::unexpected(plan_mismatch(std::string("the plan file is not a ferry plan: ") + e.what()));
    }
}

// Parsing is iterative, but comparing, printing and freeing a JSON value
// recurse: a file nested far deeper than any plan (resources stop at 64
// levels) is refused before it is parsed, rather than overflow the stack.
constexpr int kMaxDepth = 256;

bool nested_too_deep(std::string_view text) {
    int depth = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxDepth) return true;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return false;
}

}  // namespace

std::expected<PlanFile, Diagnostic> read_plan_file(std::string_view text, const std::string& name) {
    if (nested_too_deep(text)) {
        return std::unexpected(
            plan_mismatch(name + " is nested deeper than " + std::to_string(kMaxDepth) + " levels: not a ferry plan"));
    }
    nlohmann::json file = nlohmann::json::parse(text, nullptr, false);
    if (file.is_discarded()) return std::unexpected(plan_mismatch(name + " is not JSON"));
    if (!file.is_object()) return std::unexpected(plan_mismatch(name + " is not a ferry plan"));
    auto claims = read_claims(file);
    if (!claims) return std::unexpected(claims.error());
    file.erase("written");
    return PlanFile{std::move(file), std::move(*claims)};
}

}  // namespace ferry::cli
