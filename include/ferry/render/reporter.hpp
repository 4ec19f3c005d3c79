// The one place that knows the output format. The command line picks a
// reporter once (--format, -q, and whether standard output and error are
// terminals); commands hand it their results, plans and diagnostics, and
// never ask which format is on.
//
// Where each format puts things (SPEC 4.1):
//   text      the result on standard output, diagnostics on standard error
//             (colour on a terminal only, never with NO_COLOR); -q: errors only
//   json      one JSON object on standard output, diagnostics inside it
//   markdown  for a pull-request comment, on standard output
//   github    workflow annotations on standard output, and the markdown
//             appended to $GITHUB_STEP_SUMMARY when that is set
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/model/diagnostic.hpp"

namespace ferry {

struct Plan;

// A command's result, in the forms the formats need.
struct Report {
    nlohmann::json json;             // the result object (the diagnostics are added to it)
    std::vector<std::string> lines;  // what a person reads on standard output, each one line
    std::string summary;             // one line: text's last, markdown's first
};

// The commit a plan was written as, when it was.
struct PlanWritten {
    std::string workspace, branch, commit;  // commit: empty when the plan changed nothing
    bool pushed = false;
};
// A plan's `written` block in JSON: {workspace, branch, commit, pushed}.
nlohmann::json written_json(const PlanWritten& written);

class Reporter {
public:
    virtual ~Reporter() = default;
    virtual void result(const Report& report, const Diagnostics& diags) = 0;
    virtual void plan(const Plan& plan, const std::optional<PlanWritten>& written = std::nullopt) = 0;
    // A note for the person at the terminal (`note: ...`), on standard error
    // in every format (never in JSON's standard output); not with -q.
    virtual void note(const std::string& text) = 0;
    // What was written, for a plan shown before (confirm()).
    virtual void written(const PlanWritten& written) = 0;
    // SPEC 4: whether standard input and output are a terminal, where a
    // question can be asked and answered.
    virtual bool can_confirm() const = 0;
    // Asks `question`; true when the answer is y or yes.
    virtual bool confirm(const std::string& question) = 0;
    // What shows the progress of a long step (each line replacing the one
    // before; `last` ends it), or an empty function when this output shows
    // none: on a terminal in text, without -q.
    using Progress = std::function<void(const std::string& line, bool last)>;
    virtual Progress progress() = 0;
    // The folder of each workspace's repository (absolute; none for a
    // repository named by URL), once ferry.yaml is read: where locations'
    // files are, for the formats that point at them from outside.
    virtual void repositories(std::map<std::string, std::string, std::less<>> folders) { (void)folders; }
};

// The formats --format takes.
const std::vector<std::string>& format_names();

struct Terminal {
    std::ostream& out;
    std::ostream& err;
    std::istream* in = nullptr;  // where answers come from, when standard input is a terminal
    bool out_is_terminal = false;
    bool err_is_terminal = false;
    bool no_color = false;     // NO_COLOR is set
    std::string step_summary;  // $GITHUB_STEP_SUMMARY, if set
    // --annotation-root (absolute), and the folder ferry runs in: where
    // `--format github` annotations' paths are relative to (SPEC 4.1).
    std::string annotation_root;
    std::string working_directory;
};

// The reporter of `format` (one of format_names()); it keeps `terminal`'s
// streams, which must outlive it.
std::unique_ptr<Reporter> make_reporter(std::string_view format, bool quiet, const Terminal& terminal);

}  // namespace ferry
