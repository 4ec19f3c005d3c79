// The command table: each command is a small unit that declares its
// arguments and runs against a Context.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ferry/cli/cli.hpp"
#include "ferry/render/reporter.hpp"

namespace ferry::cli {

// SPEC 5: exit codes.
inline constexpr int kOk = 0;
inline constexpr int kFailed = 1;
inline constexpr int kChanges = 2;
inline constexpr int kUsage = 64;

// What every command is given: the global options, parsed, and the
// reporter of the chosen output format.
struct Context {
    std::string config;  // --config
    std::string actor;   // --actor
    std::unique_ptr<Reporter> reporter;
};

struct Command {
    const char* name;
    const char* summary;
    // Declares the command's own arguments on `sub`; returns what runs it.
    std::function<std::function<int(const Context&)>(CLI::App& sub)> setup;
};

Command init_command();
Command validate_command();
Command link_command();
Command unlink_command();
Command links_command();
Command reconcile_command();
Command apply_command();
Command publish_command();
Command history_command();
Command status_command();

// Reports a command's result and diagnostics through the reporter, and
// returns `exit_code`: `result` is the JSON object, `summary` one line,
// `lines` what a person reads on standard output before it (each printed as
// one line: the reporter escapes whatever they hold).
int finish(const Context& ctx, nlohmann::json result, const Diagnostics& diags, int exit_code, std::string summary = {},
           std::vector<std::string> lines = {});

// "2 errors, 1 warning"
std::string count_summary(const Diagnostics& diags);

// `--branch NAME` of the writing commands: a name git accepts for a new branch.
CLI::Option* add_branch_option(CLI::App& sub, std::string& branch);

// A usage error (exit 64), said on standard error.
int usage_error(const std::string& message);

}  // namespace ferry::cli
