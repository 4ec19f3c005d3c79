#include <algorithm>
#include <limits>
#include <sstream>
#include <unordered_map>

#include "change_lines.hpp"
#include "escape.hpp"
#include "ferry/plan/plan.hpp"
#include "ferry/render/render.hpp"

namespace ferry {
namespace {

std::string link_address(const std::string& workspace, Kind kind, const std::string& id) {
    return address(workspace, kind, id);
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

namespace {

nlohmann::json change_json(const Plan& plan, const Change& c) {
    nlohmann::json diff = nlohmann::json::array();
    for (DiffOp& op : diff_of(c))
        diff.push_back({{"op", op_name(op.op)},
                        {"path", std::move(op.path)},
                        {"before", std::move(op.before)},
                        {"after", std::move(op.after)}});
    return {{"address", address(plan.to.workspace, c.kind, c.id)},
            {"origin", address(plan.from.workspace, c.kind, c.origin_id)},
            {"action", action_name(c.action)},
            {"mode", mode_name(c.mode)},
            {"diff", std::move(diff)},
            {"after", c.after}};
}

}  // namespace

void print_plan_json(std::ostream& out, const Plan& plan, const nlohmann::json& extra) {
    // The plan without its changes, dumped as json_text() would; then the
    // changes streamed where their empty array is, one at a time, each
    // indented as the whole dump would indent it: the same bytes, without
    // a second copy of every resource in memory.
    nlohmann::json head = plan_json(plan, false);
    for (const auto& [key, value] : extra.items())
        head[key] = value;
    const std::string text = json_text(head);
    const std::string placeholder = "\n  \"changes\": []";
    const std::size_t at = text.find(placeholder);
    if (plan.changes.empty() || at == std::string::npos) {
        out << text;
        return;
    }
    out.write(text.data(), static_cast<std::streamsize>(at));
    out << "\n  \"changes\": [";
    for (std::size_t i = 0; i < plan.changes.size(); ++i) {
        std::string one = json_text(change_json(plan, plan.changes[i]));
        // Nested two levels deep: four more spaces on every line. A dump's
        // strings hold no raw newline, so every newline starts a line.
        out << (i == 0 ? "\n    " : ",\n    ");
        std::size_t start = 0;
        for (std::size_t nl; (nl = one.find('\n', start)) != std::string::npos; start = nl + 1) {
            out.write(one.data() + start, static_cast<std::streamsize>(nl + 1 - start));
            out << "    ";
        }
        out.write(one.data() + start, static_cast<std::streamsize>(one.size() - start));
    }
    out << "\n  ]";
    const std::size_t rest = at + placeholder.size();
    out.write(text.data() + rest, static_cast<std::streamsize>(text.size() - rest));
}

nlohmann::json plan_json(const Plan& plan, bool with_changes) {
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
    if (with_changes) {
        for (const Change& c : plan.changes)
            out["changes"].push_back(change_json(plan, c));
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
        const std::string shown = escape::line(text);
        return color ? "\x1b[" + std::string(code) + "m" + shown + "\x1b[0m" : shown;
    };
    out << escape::visible("Deploying " + plan.from.workspace + "@" + plan.from.ref + " (" +
                           plan.from.commit.substr(0, 12) + ") to " + plan.to.workspace + "@" + plan.to.ref + " (" +
                           plan.to.commit.substr(0, 12) + ") as " + plan.actor)
        << "\n";
    for (const Change& c : plan.changes) {
        out << "\n" << paint(c.action == Action::create ? "32" : "33", heading(plan, c)) << "\n";
        for (const DiffLine& line : change_lines(c)) {
            // SPEC 4.1: added lines green, removed lines red.
            std::string_view code = line.sign == '+' ? "32" : line.sign == '-' ? "31" : line.sign == '@' ? "36" : "";
            std::string text = joined(line);
            out << "    " << (code.empty() ? escape::line(text) : paint(code, text)) << "\n";
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

namespace {

// Up to this many changes, their diffs show unfolded.
constexpr std::size_t kOpenChanges = 10;
// SPEC 4.1: a flowchart of at most this many nodes.
constexpr std::size_t kFlowchartNodes = 50;

// One change as a heading and a ```diff block.
std::string change_section(const Plan& plan, const Change& c) {
    std::string lines;
    for (const DiffLine& line : change_lines(c))
        lines += escape::line(joined(line)) + "\n";
    // A fence longer than any run of backticks inside: nothing in the
    // diff can close the block early.
    const std::string fence = escape::fence_for(lines);
    // The heading is ferry's words and addresses, whose workspace names and
    // ids were checked when loaded ([a-z0-9_-]): shown as they are, so that
    // they read and search as in the text plan, but for an underscore that
    // could open or close emphasis (`x-_y_-z`).
    return "#### " + escape::underscores(heading(plan, c)) + "\n\n" + fence + "diff\n" + lines + fence + "\n\n";
}

// Every change by address and action, cut only when even the list cannot
// fit in `room`, with the count of the rest.
std::string change_list(const Plan& plan, std::size_t room) {
    std::string out = "**Changes (" + std::to_string(plan.changes.size()) + ")**\n\n";
    std::size_t listed = 0;
    for (const Change& c : plan.changes) {
        std::string item = "- " + std::string(action_name(c.action)) + " " +
                           escape::code_span(address(plan.to.workspace, c.kind, c.id)) +
                           (c.mode == Mode::draft ? " as a draft" : "") + "\n";
        if (out.size() + item.size() + 60 > room) break;
        out += item;
        ++listed;
    }
    if (listed < plan.changes.size()) {
        out += "- _and " + std::to_string(plan.changes.size() - listed) + " more changes_\n";
    }
    return out + "\n";
}

// A mermaid node's label: entities for what mermaid or HTML would read.
std::string mermaid_label(std::string_view text) {
    std::string out;
    for (char c : escape::visible(text)) {
        switch (c) {
            case '"':
                out += "#quot;";
                break;
            case '<':
                out += "#lt;";
                break;
            case '>':
                out += "#gt;";
                break;
            case '&':
                out += "#amp;";
                break;
            case '#':
                out += "#35;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// SPEC 4.1: what is deployed, with the sources, models and destinations
// it depends on, data flowing from left to right; left out, with a note,
// beyond kFlowchartNodes nodes.
std::string flowchart(const Plan& plan) {
    std::vector<std::string> nodes;  // KIND/ID in T
    std::unordered_map<std::string, std::size_t> index;
    auto node = [&](Kind kind, const std::string& id) {
        std::string key = std::string(kind_name(kind)) + "/" + id;
        auto [it, added] = index.try_emplace(key, nodes.size());
        if (added) nodes.push_back(key);
        return it->second;
    };
    std::vector<std::pair<std::size_t, std::size_t>> edges;
    std::vector<std::pair<std::size_t, Action>> changed;
    for (const Change& c : plan.changes) {
        std::size_t self = node(c.kind, c.id);
        changed.emplace_back(self, c.action);
        for (const Reference& ref : references_of(c.kind)) {
            auto it = c.after.find(ref.field);
            if (it == c.after.end() || !it->is_string()) continue;
            std::size_t other = node(ref.target, it->get<std::string>());
            // Data flows from sources through models to destinations.
            if (ref.target == Kind::destinations) {
                edges.emplace_back(self, other);
            } else {
                edges.emplace_back(other, self);
            }
        }
        if (nodes.size() > kFlowchartNodes) {
            return "_No flowchart: what is deployed and what it depends on are more than " +
                   std::to_string(kFlowchartNodes) + " resources._\n\n";
        }
    }
    std::string body = "flowchart LR\n";
    for (std::size_t i = 0; i < nodes.size(); ++i)
        body += "  n" + std::to_string(i) + "[\"" + mermaid_label(nodes[i]) + "\"]\n";
    for (auto [from, to] : edges)
        body += "  n" + std::to_string(from) + " --> n" + std::to_string(to) + "\n";
    body += "  classDef create fill:#dafbe1,stroke:#1a7f37\n  classDef update fill:#fff8c5,stroke:#9a6700\n";
    for (auto [i, action] : changed)
        body += "  class n" + std::to_string(i) + " " + std::string(action_name(action)) + "\n";
    const std::string fence = escape::fence_for(body);
    return fence + "mermaid\n" + body + fence + "\n\n";
}

}  // namespace

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
    out += flowchart(plan);

    // Each change's section; then as many as fit, smallest first, so that
    // one huge query cannot push a small change out of sight.
    // Sections are made in order until they cannot all fit; then only the
    // first `candidates` are weighed (a comment holds a few hundred diffs at
    // most): a 30,000-change plan does not render 30,000 diffs to show 50.
    const std::size_t n = plan.changes.size();
    std::vector<std::string> sections(n);
    std::size_t all = 0, built = 0;
    for (; built < n && all <= limit; ++built) {
        sections[built] = change_section(plan, plan.changes[built]);
        all += sections[built].size();
    }
    const std::size_t candidates = std::max(built, std::min(n, std::max<std::size_t>(2048, limit / 32)));
    for (std::size_t i = built; i < candidates; ++i)
        sections[i] = change_section(plan, plan.changes[i]);
    const std::string close = "</details>\n";
    constexpr std::size_t kNoteRoom = 400;
    const std::string open_all = "<details" + std::string(plan.changes.size() <= kOpenChanges ? " open" : "") +
                                 "><summary>Changes (" + std::to_string(plan.changes.size()) + ")</summary>\n\n";
    if (built == n && out.size() + open_all.size() + all + close.size() <= limit) {
        out += open_all;
        for (const std::string& section : sections)
            out += section;
        return out + close;
    }

    // They do not all fit: every change is named first, in a compact list,
    // and only then are diffs cut.
    const std::size_t available = limit > out.size() + kNoteRoom ? limit - out.size() - kNoteRoom : 0;
    std::string list = change_list(plan, std::numeric_limits<std::size_t>::max());
    if (list.size() > available) {
        // A list that cannot fit is cut anyway: it leaves room for the
        // smallest diffs, so that the comment still shows some.
        constexpr std::size_t kDiffRoom = 8192;
        list = change_list(plan, available > kDiffRoom ? available - kDiffRoom : 0);
    }
    out += list;
    const std::string open = "<details><summary>Diffs that fit a comment</summary>\n\n";
    std::size_t room = limit > out.size() + open.size() + close.size() + kNoteRoom
                           ? limit - out.size() - open.size() - close.size() - kNoteRoom
                           : 0;
    std::vector<std::size_t> by_size(candidates);
    for (std::size_t i = 0; i < by_size.size(); ++i)
        by_size[i] = i;
    std::ranges::stable_sort(by_size, {}, [&](std::size_t i) { return sections[i].size(); });
    std::vector<bool> shown(sections.size(), false);
    for (std::size_t i : by_size) {
        if (sections[i].size() > room) break;
        room -= sections[i].size();
        shown[i] = true;
    }
    std::string body;
    std::vector<std::string> left_out;
    for (std::size_t i = 0; i < sections.size(); ++i) {
        if (shown[i]) {
            body += sections[i];
        } else {
            const Change& c = plan.changes[i];
            left_out.push_back(escape::code_span(address(plan.to.workspace, c.kind, c.id)));
        }
    }
    if (!body.empty()) out += open + body + close + "\n";
    // Which diffs were cut, by name when the names fit.
    std::string note = "_" + std::to_string(left_out.size()) + " of " + std::to_string(sections.size()) +
                       (left_out.size() == 1 ? " diff was" : " diffs were") + " left out to fit a comment";
    std::string names;
    for (const std::string& name : left_out)
        names += (names.empty() ? "" : ", ") + name;
    if (out.size() + note.size() + names.size() + 200 <= limit) {
        note += ": " + names;
    } else {
        note += " (those of the changes listed above that have no diff below)";
    }
    note += ". `ferry reconcile --dry-run` shows them all._\n";
    return out + note;
}

}  // namespace ferry
