#include <algorithm>
#include <filesystem>
#include <map>

#include "escape.hpp"
#include "ferry/render/render.hpp"

namespace ferry {
namespace {

// SPEC 4.1: `prod:links.yaml:12:29`, the workspace first where there is one.
std::string where(const Location& l) {
    if (l.file.empty()) return {};
    std::string out = l.workspace.empty() ? l.file : l.workspace + ":" + l.file;
    if (l.line) out += ":" + std::to_string(l.line) + ":" + std::to_string(l.column ? l.column : 1);
    return out;
}

// GitHub's workflow commands need %, CR and LF escaped in messages, and ','
// and ':' too in properties; control characters are made visible first, so
// nothing from a workspace can end the command and start another.
std::string escape_github(std::string_view text, bool property) {
    const std::string s = escape::visible(text);
    std::string out;
    for (char c : s) {
        switch (c) {
            case '%':
                out += "%25";
                break;
            case '\r':
                out += "%0D";
                break;
            case '\n':
                out += "%0A";
                break;
            case ':':
                out += property ? "%3A" : ":";
                break;
            case ',':
                out += property ? "%2C" : ",";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

// Several workspaces may have a models/x.yaml: the message says whose it is.
std::string headline(const Diagnostic& d) {
    if (d.address.empty() || d.message.find(d.address) != std::string::npos) return d.message;
    return d.address + ": " + d.message;
}

// 499,900: built from the right, a group of three digits at a time.
std::string thousands(std::size_t n) {
    std::string out;
    for (int digits = 0; n > 0 || digits == 0; ++digits, n /= 10) {
        if (digits > 0 && digits % 3 == 0) out.push_back(',');
        out.push_back(static_cast<char>('0' + n % 10));
    }
    return {out.rbegin(), out.rend()};
}

}  // namespace

Diagnostics grouped(const Diagnostics& diags, std::size_t per_code) {
    struct Seen {
        std::size_t count = 0;
        Severity severity;
        std::string_view code;
    };
    std::map<std::pair<Severity, std::string_view>, Seen> seen;
    Diagnostics out;
    for (const Diagnostic& d : diags.items) {
        Seen& s = seen[{d.severity, d.code}];
        s.severity = d.severity;
        s.code = d.code;
        if (s.count++ < per_code) out.add(d);
    }
    for (const auto& [key, s] : seen) {
        if (s.count <= per_code) continue;
        const std::string kind = s.severity == Severity::error ? " errors" : " warnings";
        const std::string code(s.code);
        Diagnostic d{s.severity, s.code,
                     thousands(s.count - per_code) + " more " + code + kind + " like these are not shown; " +
                         thousands(s.count) + " in all."};
        out.add(std::move(d));
    }
    return out;
}

void print_text(std::ostream& out, const Diagnostics& all, bool color, bool quiet) {
    const Diagnostics diags = grouped(all);
    for (const Diagnostic& d : diags.items) {
        bool is_error = d.severity == Severity::error;
        if (quiet && !is_error) continue;
        if (color) out << (is_error ? "\x1b[1;31m" : "\x1b[1;33m");
        out << (is_error ? "error" : "warning") << "[" << d.code << "]";
        if (color) out << "\x1b[0m";
        // Messages, files and hints hold text from workspaces: shown, never obeyed.
        out << ": " << escape::visible(headline(d)) << "\n";
        if (auto w = where(d.location); !w.empty()) out << "  --> " << escape::visible(w) << "\n";
        if (!d.hint.empty()) out << "  = hint: " << escape::visible(d.hint) << "\n";
    }
}

std::string annotation_file(const Location& l, const AnnotationPaths& paths) {
    namespace fs = std::filesystem;
    if (paths.root.empty() || l.file.empty()) return l.file;
    fs::path full;
    if (!l.workspace.empty()) {
        auto repo = paths.repositories.find(l.workspace);
        // A repository named by URL has no checkout: its path stays as it is.
        if (repo == paths.repositories.end()) return l.file;
        full = fs::path(repo->second) / l.file;
    } else {
        full = fs::path(paths.working_directory) / l.file;
    }
    const fs::path relative = full.lexically_normal().lexically_relative(fs::path(paths.root).lexically_normal());
    // Outside the root, no path relative to it names the file in the checkout.
    if (relative.empty() || *relative.begin() == "..") return l.file;
    return relative.generic_string();
}

void print_github(std::ostream& out, const Diagnostics& diags, const AnnotationPaths& paths) {
    // GitHub shows 10 annotations of each kind per step: errors first, and the
    // tenth says how many more there are.
    constexpr std::size_t kShown = 10;
    for (Severity severity : {Severity::error, Severity::warning}) {
        std::vector<const Diagnostic*> of_kind;
        for (const auto& d : diags.items) {
            if (d.severity == severity) of_kind.push_back(&d);
        }
        for (std::size_t i = 0; i < of_kind.size() && i < kShown; ++i) {
            const Diagnostic& d = *of_kind[i];
            out << (severity == Severity::error ? "::error" : "::warning");
            std::string props;
            if (!d.location.file.empty()) {
                props = "file=" + escape_github(annotation_file(d.location, paths), true);
                if (d.location.line) {
                    props += ",line=" + std::to_string(d.location.line);
                    if (d.location.column) props += ",col=" + std::to_string(d.location.column);
                }
            }
            props += std::string(props.empty() ? "" : ",") + "title=" + escape_github(std::string(d.code), true);
            out << " " << props;
            std::string message = "[" + std::string(d.code) + "] " + headline(d);
            if (!d.hint.empty()) message += " (hint: " + d.hint + ")";
            if (i + 1 == kShown && of_kind.size() > kShown) {
                message += " (and " + std::to_string(of_kind.size() - kShown) + " more " +
                           (severity == Severity::error ? "errors" : "warnings") + ")";
            }
            out << "::" << escape_github(message, false) << "\n";
        }
    }
}

void print_markdown(std::ostream& out, const Diagnostics& all) {
    const Diagnostics diags = grouped(all);
    for (const Diagnostic& d : diags.items) {
        out << "- " << (d.severity == Severity::error ? "**error**" : "**warning**") << " `" << d.code
            << "`: " << escape::markdown(headline(d));
        if (auto w = where(d.location); !w.empty()) out << " (" << escape::code_span(w) << ")";
        if (!d.hint.empty()) out << "  \n  hint: " << escape::markdown(d.hint);
        out << "\n";
    }
}

nlohmann::json to_json(const Diagnostic& d) {
    nlohmann::json j = {{"code", d.code}, {"message", d.message}};
    if (!d.address.empty()) j["address"] = d.address;
    if (!d.location.workspace.empty()) j["workspace"] = d.location.workspace;
    if (!d.location.file.empty()) j["file"] = d.location.file;
    if (d.location.line) {
        j["line"] = d.location.line;
        j["column"] = d.location.column ? d.location.column : 1;
    }
    if (!d.hint.empty()) j["hint"] = d.hint;
    return j;
}

std::string json_text(const nlohmann::json& result) {
    return result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

void add_diagnostics(nlohmann::json& result, const Diagnostics& diags) {
    result["errors"] = nlohmann::json::array();
    result["warnings"] = nlohmann::json::array();
    for (const auto& d : grouped(diags).items) {
        result[d.severity == Severity::error ? "errors" : "warnings"].push_back(to_json(d));
    }
}

}  // namespace ferry
