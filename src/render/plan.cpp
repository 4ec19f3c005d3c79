#include <sstream>

#include "escape.hpp"
#include "ferry/plan/plan.hpp"
#include "ferry/render/render.hpp"

namespace ferry {
namespace {

std::string link_address(const std::string& workspace, Kind kind, const std::string& id) {
    return address(workspace, kind, id);
}

// /config/mappings/0/to -> config.mappings[0].to, as the SPEC writes paths.
std::string dotted(const std::string& pointer) {
    std::string out;
    std::size_t start = 1;
    while (start <= pointer.size()) {
        std::size_t end = pointer.find('/', start);
        if (end == std::string::npos) end = pointer.size();
        std::string token = pointer.substr(start, end - start);
        for (std::size_t at; (at = token.find("~1")) != std::string::npos;)
            token.replace(at, 2, "/");
        for (std::size_t at; (at = token.find("~0")) != std::string::npos;)
            token.replace(at, 2, "~");
        bool index = !token.empty() && token.find_first_not_of("0123456789") == std::string::npos;
        if (index) {
            out += "[" + token + "]";
        } else {
            out += (out.empty() ? "" : ".") + token;
        }
        start = end + 1;
    }
    return out;
}

std::string value_text(const nlohmann::json& v) {
    return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// One line per operation: `path: before -> after`, `+ path: after`, `- path: before`.
std::vector<std::string> field_lines(const Change& c) {
    std::vector<std::string> lines;
    for (const DiffOp& op : c.diff) {
        switch (op.op) {
            case DiffOp::Op::replace:
                lines.push_back("  " + dotted(op.path) + ": " + value_text(op.before) + " -> " + value_text(op.after));
                break;
            case DiffOp::Op::add:
                lines.push_back("+ " + dotted(op.path) + ": " + value_text(op.after));
                break;
            case DiffOp::Op::remove:
                lines.push_back("- " + dotted(op.path) + ": " + value_text(op.before));
                break;
        }
    }
    return lines;
}

std::string heading(const Plan& plan, const Change& c) {
    std::string out = (c.action == Action::create ? "+ create " : "~ update ") +
                      address(plan.to.workspace, c.kind, c.id) + " (from " +
                      address(plan.from.workspace, c.kind, c.origin_id) + ")";
    if (c.mode == Mode::draft) out += " as a draft";
    return out;
}

// SPEC 4.1: `Not selected: 3 models, 2 syncs of dev have no counterpart in
// prod; --all or --select to deploy them`, or nothing.
std::string not_selected_line(const Plan& plan) {
    if (plan.not_selected.empty()) return {};
    std::size_t models = 0, syncs = 0;
    for (const std::string& a : plan.not_selected)
        (a.find(":models/") != std::string::npos ? models : syncs)++;
    auto count = [](std::size_t n, const char* noun) { return std::to_string(n) + " " + noun + (n == 1 ? "" : "s"); };
    std::string what;
    if (models) what = count(models, "model");
    if (syncs) what += (what.empty() ? "" : ", ") + count(syncs, "sync");
    return "Not selected: " + what + " of " + plan.from.workspace + (plan.not_selected.size() == 1 ? " has" : " have") +
           " no counterpart in " + plan.to.workspace + "; --all or --select to deploy " +
           (plan.not_selected.size() == 1 ? "it" : "them");
}

std::size_t error_count(const Plan& plan) {
    return std::ranges::count_if(plan.diagnostics.items,
                                 [](const Diagnostic& d) { return d.severity == Severity::error; });
}

}  // namespace

std::string plan_summary(const Plan& plan) {
    if (plan.status == PlanStatus::blocked) {
        std::size_t n = error_count(plan);
        return "Plan blocked by " + std::to_string(n) + (n == 1 ? " error" : " errors") + ": nothing will be written.";
    }
    if (plan.status == PlanStatus::no_changes) return "No changes.";
    return "Plan: " + std::to_string(plan.count(Action::create)) + " to create, " +
           std::to_string(plan.count(Action::update)) + " to update.";
}

namespace {

nlohmann::json patterns(const std::vector<Pattern>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const Pattern& p : list)
        out.push_back(p.str());
    return out;
}

}  // namespace

nlohmann::json plan_json(const Plan& plan) {
    using json = nlohmann::json;
    auto at = [](const WorkspaceAt& w) {
        return json{{"workspace", w.workspace}, {"ref", w.ref}, {"commit", w.commit}};
    };
    json links_option = json::array();
    for (const LinkOption& l : plan.options.links) {
        links_option.push_back(link_address(plan.from.workspace, l.kind, l.source_id) + "=" +
                               link_address(plan.to.workspace, l.kind, l.target_id));
    }
    json out = {
        {"format_version", kPlanFormatVersion},
        {"from", at(plan.from)},
        {"to", at(plan.to)},
        {"actor", plan.actor},
        {"options",
         {{"select", patterns(plan.options.select)},
          {"exclude", patterns(plan.options.exclude)},
          {"all", plan.options.all},
          {"with_schedule", plan.options.with_schedule},
          {"include_dependencies", plan.options.include_dependencies},
          {"link", links_option}}},
        {"status", status_name(plan.status)},
        {"changes", json::array()},
        {"links", json::array()},
        {"drafts_replaced", plan.drafts_replaced},
        {"not_selected", plan.not_selected},
        {"digest", plan_digest(plan)},
    };
    for (const Change& c : plan.changes) {
        json diff = json::array();
        for (const DiffOp& op : c.diff) {
            diff.push_back({{"op", op_name(op.op)}, {"path", op.path}, {"before", op.before}, {"after", op.after}});
        }
        out["changes"].push_back({{"address", address(plan.to.workspace, c.kind, c.id)},
                                  {"origin", address(plan.from.workspace, c.kind, c.origin_id)},
                                  {"action", action_name(c.action)},
                                  {"mode", mode_name(c.mode)},
                                  {"diff", diff},
                                  {"after", c.after}});
    }
    for (const PlannedLink& l : plan.links) {
        out["links"].push_back({{"kind", kind_name(l.kind)},
                                {"a", address(plan.from.workspace, l.kind, l.source_id)},
                                {"b", address(plan.to.workspace, l.kind, l.target_id)}});
    }
    add_diagnostics(out, plan.diagnostics);
    return out;
}

void print_plan_text(std::ostream& out, const Plan& plan, bool color) {
    // Every line holds text from workspaces (keys, values, refs): shown as
    // text, never as terminal controls.
    auto paint = [&](std::string_view code, const std::string& text) {
        const std::string shown = escape::visible(text);
        return color ? "\x1b[" + std::string(code) + "m" + shown + "\x1b[0m" : shown;
    };
    out << escape::visible("Deploying " + plan.from.workspace + "@" + plan.from.ref + " (" +
                           plan.from.commit.substr(0, 12) + ") to " + plan.to.workspace + "@" + plan.to.ref + " (" +
                           plan.to.commit.substr(0, 12) + ") as " + plan.actor)
        << "\n";
    for (const Change& c : plan.changes) {
        out << "\n" << paint(c.action == Action::create ? "32" : "33", heading(plan, c)) << "\n";
        for (const std::string& line : field_lines(c)) {
            std::string_view code = line[0] == '+' ? "32" : line[0] == '-' ? "31" : "33";
            out << "    " << paint(code, line) << "\n";
        }
    }
    if (!plan.links.empty()) {
        out << "\nLinks recorded in " << plan.to.workspace << ":\n";
        for (const PlannedLink& l : plan.links) {
            out << "    "
                << paint("32", "+ " + address(plan.from.workspace, l.kind, l.source_id) + " <-> " +
                                   address(plan.to.workspace, l.kind, l.target_id))
                << "\n";
        }
    }
    if (!plan.drafts_replaced.empty()) {
        out << "\nDrafts replaced:\n";
        for (const std::string& d : plan.drafts_replaced)
            out << "    " << paint("31", "- " + d) << "\n";
    }
    if (auto line = not_selected_line(plan); !line.empty()) out << "\n" << escape::visible(line) << "\n";
    out << "\n" << plan_summary(plan) << "\n";
}

std::string plan_markdown(const Plan& plan, std::size_t limit) {
    std::ostringstream head;
    head << "<!-- ferry-plan-digest: " << plan_digest(plan) << " -->\n";
    // Every string from a workspace or a plan file renders as text (escape.hpp).
    head << "### ferry: " << escape::code_span(plan.from.workspace) << " → " << escape::code_span(plan.to.workspace)
         << "\n\n";
    head << "**" << plan_summary(plan) << "**\n\n";
    if (auto line = not_selected_line(plan); !line.empty()) head << escape::markdown(line) << "\n\n";
    head << "From " << escape::code_span(plan.from.workspace + "@" + plan.from.commit.substr(0, 12)) << " to "
         << escape::code_span(plan.to.workspace + "@" + plan.to.commit.substr(0, 12)) << ", as "
         << escape::markdown(plan.actor) << ".\n\n";
    // Each list is capped, so that a plan of thousands of resources still
    // fits a comment with its summary and first errors in view.
    constexpr std::size_t kListed = 50;
    auto more = [&](std::size_t total, std::string_view what) {
        if (total > kListed) head << "- _and " << total - kListed << " more " << what << "_\n";
        head << "\n";
    };
    Diagnostics errors, warnings;
    std::size_t error_total = 0, warning_total = 0;
    for (const auto& d : plan.diagnostics.items) {
        bool is_error = d.severity == Severity::error;
        std::size_t& total = is_error ? error_total : warning_total;
        if (++total <= kListed) (is_error ? errors : warnings).add(d);
    }
    if (error_total) {
        head << "**Errors**\n\n";
        print_markdown(head, errors);
        more(error_total, "errors");
    }
    if (warning_total) {
        head << "**Warnings**\n\n";
        print_markdown(head, warnings);
        more(warning_total, "warnings");
    }
    if (!plan.links.empty()) {
        head << "**Links recorded**\n\n";
        for (std::size_t i = 0; i < plan.links.size() && i < kListed; ++i) {
            const PlannedLink& l = plan.links[i];
            head << "- " << escape::code_span(address(plan.from.workspace, l.kind, l.source_id)) << " ↔ "
                 << escape::code_span(address(plan.to.workspace, l.kind, l.target_id)) << "\n";
        }
        more(plan.links.size(), "links");
    }
    std::string out = head.str();
    if (out.size() > limit) {
        // Only very long messages get here: cut at a line, with a note.
        out.resize(out.rfind('\n', limit - 200) + 1);
        out += "\n_The rest was cut to fit a comment; `ferry reconcile --dry-run` shows it all._\n";
        return out;
    }
    if (plan.changes.empty()) return out;

    const std::string open = "<details><summary>Changes (" + std::to_string(plan.changes.size()) + ")</summary>\n\n";
    const std::string close = "</details>\n";
    std::string body;
    std::size_t shown = 0;
    for (const Change& c : plan.changes) {
        std::string lines;
        for (const std::string& line : field_lines(c))
            lines += escape::visible(line) + "\n";
        // A fence longer than any run of backticks inside: nothing in the
        // diff can close the block early.
        const std::string fence = escape::fence_for(lines);
        // The heading is ferry's words and addresses, whose ids were checked
        // when loaded: it needs no escaping.
        std::string section = "#### " + heading(plan, c) + "\n\n" + fence + "diff\n" + lines + fence + "\n\n";
        // Room is kept for the closing tag and the note on what was left out.
        if (out.size() + open.size() + body.size() + section.size() + close.size() + 200 > limit) break;
        body += section;
        ++shown;
    }
    if (shown < plan.changes.size()) {
        std::size_t left = plan.changes.size() - shown;
        body += "_" + std::to_string(left) + (left == 1 ? " resource diff was" : " resource diffs were") +
                " left out to fit a comment; `ferry reconcile --dry-run` shows them all._\n\n";
    }
    return out + open + body + close;
}

}  // namespace ferry
