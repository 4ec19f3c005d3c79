#include "ferry/render/reporter.hpp"

#include <cctype>
#include <fstream>
#include <istream>
#include <ostream>

#include "escape.hpp"
#include "ferry/plan/plan.hpp"
#include "ferry/render/render.hpp"

namespace ferry {
namespace {

bool can_ask(const Terminal& t) {
    return t.in && t.out_is_terminal;
}

// The question goes where the format's reader is not parsing: standard
// output for text, standard error for json, markdown and github, so that
// their standard output stays one document.
bool ask(const Terminal& t, const std::string& question, bool on_stdout = false) {
    if (!can_ask(t)) return false;
    std::ostream& where = on_stdout ? t.out : t.err;
    where << question << " [y/N] " << std::flush;
    std::string answer;
    std::getline(*t.in, answer);
    std::string word;
    for (char c : answer) {
        if (!std::isspace(static_cast<unsigned char>(c)))
            word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return word == "y" || word == "yes";
}

std::string committed_line(const PlanWritten& w) {
    return "Committed " + w.commit.substr(0, 12) + " to " + w.workspace + " (" + w.branch + ")" +
           (w.pushed ? ", pushed" : "") + ".";
}

// A command's result as a pull-request comment: the summary in bold, then
// the diagnostics.
std::string result_markdown(const Report& report, const Diagnostics& diags) {
    std::ostringstream out;
    if (!report.summary.empty()) out << "**" << escape::markdown(report.summary) << "**\n\n";
    print_markdown(out, diags);
    if (report.summary.empty() && !report.lines.empty()) {
        // A result that has no summary (a history) is its listing: shown as
        // text, in a fence longer than any backtick run inside.
        std::string body;
        for (const std::string& line : report.lines)
            body += escape::line(line) + "\n";
        const std::string fence = escape::fence_for(body);
        out << fence << "text\n" << body << fence << "\n";
    }
    return out.str();
}

class TextReporter : public Reporter {
public:
    TextReporter(bool quiet, const Terminal& t) : quiet_(quiet), t_(t) {}

    void result(const Report& report, const Diagnostics& diags) override {
        // Each line is printed as one line, whatever it holds.
        if (!quiet_) {
            for (const std::string& line : report.lines)
                t_.out << escape::line(line) << "\n";
        }
        print_text(t_.err, diags, color(t_.err_is_terminal), quiet_);
        if (!quiet_ && !report.summary.empty()) t_.out << escape::visible(report.summary) << "\n";
    }

    void plan(const Plan& plan, const std::optional<PlanWritten>& written) override {
        print_text(t_.err, plan.diagnostics, color(t_.err_is_terminal), quiet_);
        if (quiet_) return;
        print_plan_text(t_.out, plan, color(t_.out_is_terminal));
        if (written) this->written(*written);
    }

    void written(const PlanWritten& w) override {
        if (!quiet_ && !w.commit.empty()) t_.out << escape::visible(committed_line(w)) << "\n";
    }
    bool can_confirm() const override { return can_ask(t_); }
    bool confirm(const std::string& question) override { return ask(t_, question, true); }

    void note(const std::string& text) override {
        if (!quiet_) t_.err << "note: " << escape::visible(text) << "\n";
    }

    Progress progress() override {
        if (quiet_ || !t_.err_is_terminal) return {};
        // Each line overwrites the one before: padded with spaces to its width.
        return [&err = t_.err, width = std::size_t{0}](const std::string& line, bool last) mutable {
            err << '\r' << line;
            if (line.size() < width) err << std::string(width - line.size(), ' ');
            if (last && !line.empty()) {
                err << '\n';
            } else if (last) {
                err << '\r';
            }
            width = last ? 0 : line.size();
            err.flush();
        };
    }

private:
    // SPEC 4: colour only on a terminal, and never when NO_COLOR is set.
    bool color(bool terminal) const { return terminal && !t_.no_color; }

    bool quiet_;
    Terminal t_;
};

class JsonReporter : public Reporter {
public:
    explicit JsonReporter(const Terminal& t) : t_(t) {}

    void result(const Report& report, const Diagnostics& diags) override {
        nlohmann::json out = report.json;
        add_diagnostics(out, diags);
        t_.out << json_text(out) << "\n";
    }

    void plan(const Plan& plan, const std::optional<PlanWritten>& written) override {
        nlohmann::json extra = nlohmann::json::object();
        if (written) extra["written"] = written_json(*written);
        print_plan_json(t_.out, plan, extra);
        t_.out << "\n";
    }
    void written(const PlanWritten& w) override { t_.out << json_text({{"written", written_json(w)}}) << "\n"; }
    bool can_confirm() const override { return can_ask(t_); }
    bool confirm(const std::string& question) override { return ask(t_, question); }

    Progress progress() override { return {}; }
    void note(const std::string& text) override { t_.err << "note: " << escape::visible(text) << "\n"; }

private:
    Terminal t_;
};

class MarkdownReporter : public Reporter {
public:
    explicit MarkdownReporter(const Terminal& t) : t_(t) {}

    void result(const Report& report, const Diagnostics& diags) override { t_.out << result_markdown(report, diags); }
    void plan(const Plan& plan, const std::optional<PlanWritten>&) override { t_.out << plan_markdown(plan); }
    void written(const PlanWritten& w) override {
        if (!w.commit.empty()) t_.out << "\n" << escape::markdown(committed_line(w)) << "\n";
    }
    bool can_confirm() const override { return can_ask(t_); }
    bool confirm(const std::string& question) override { return ask(t_, question); }
    Progress progress() override { return {}; }
    void note(const std::string& text) override { t_.err << "note: " << escape::visible(text) << "\n"; }

private:
    Terminal t_;
};

class GithubReporter : public Reporter {
public:
    explicit GithubReporter(const Terminal& t) : t_(t) {
        paths_.root = t.annotation_root;
        paths_.working_directory = t.working_directory;
    }

    void repositories(std::map<std::string, std::string, std::less<>> folders) override {
        paths_.repositories = std::move(folders);
    }

    void result(const Report& report, const Diagnostics& diags) override {
        print_github(t_.out, diags, paths_);
        append_to_step_summary(result_markdown(report, diags));
    }

    void plan(const Plan& plan, const std::optional<PlanWritten>& written) override {
        print_github(t_.out, plan.diagnostics, paths_);
        t_.out << plan_summary(plan) << "\n";
        // SPEC 7: the step summary has the whole plan, up to what a step's
        // summary may hold, not a comment's cut.
        append_to_step_summary(plan_markdown(plan, kStepSummaryLimit) + "\n");
        if (written) this->written(*written);
    }
    // SPEC 7: what apply wrote is in the log and in the step summary.
    void written(const PlanWritten& w) override {
        if (w.commit.empty()) return;
        t_.out << escape::visible(committed_line(w)) << "\n";
        append_to_step_summary("**" + escape::markdown(committed_line(w)) + "**\n\n");
    }
    bool can_confirm() const override { return can_ask(t_); }
    bool confirm(const std::string& question) override { return ask(t_, question); }

    Progress progress() override { return {}; }
    void note(const std::string& text) override { t_.err << "note: " << escape::visible(text) << "\n"; }

private:
    // The one place that writes the step summary.
    void append_to_step_summary(const std::string& markdown) const {
        if (t_.step_summary.empty()) return;
        std::ofstream out(t_.step_summary, std::ios::app);
        out << markdown;
    }

    Terminal t_;
    AnnotationPaths paths_;
};

}  // namespace

nlohmann::json written_json(const PlanWritten& w) {
    return {{"workspace", w.workspace}, {"branch", w.branch}, {"commit", w.commit}, {"pushed", w.pushed}};
}

const std::vector<std::string>& format_names() {
    static const std::vector<std::string> names = {"text", "json", "markdown", "github"};
    return names;
}

std::unique_ptr<Reporter> make_reporter(std::string_view format, bool quiet, const Terminal& terminal) {
    if (format == "json") return std::make_unique<JsonReporter>(terminal);
    if (format == "markdown") return std::make_unique<MarkdownReporter>(terminal);
    if (format == "github") return std::make_unique<GithubReporter>(terminal);
    return std::make_unique<TextReporter>(quiet, terminal);
}

}  // namespace ferry
