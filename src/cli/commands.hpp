// The command table: each command is a small unit that declares its
// arguments and runs against a Context.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "ferry/cli/cli.hpp"
#include "ferry/render/render.hpp"

namespace ferry::cli {

// SPEC 5: exit codes.
inline constexpr int kOk = 0;
inline constexpr int kFailed = 1;
inline constexpr int kChanges = 2;
inline constexpr int kUsage = 64;

// What every command is given: the global options, parsed.
struct Context {
    std::string config;  // --config
    std::string actor;   // --actor
    Output output;
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

// Prints a command's diagnostics and JSON result in the chosen format, with
// a one-line summary (standard output in text, the first line in markdown).
// In github format the markdown goes to $GITHUB_STEP_SUMMARY too.
int finish(const Context& ctx, nlohmann::json result, const Diagnostics& diags, int exit_code,
           const std::string& summary = {});

// A JSON result as printed: indented, and bytes that are not UTF-8 (an
// argument can hold any) replaced rather than fatal.
std::string json_text(const nlohmann::json& result);

// "2 errors, 1 warning"
std::string count_summary(const Diagnostics& diags);

// SPEC 4: colour only on a terminal, and never when NO_COLOR is set.
bool color_allowed(int fd);

// `--branch NAME` of the writing commands: a name git accepts for a new branch.
CLI::Option* add_branch_option(CLI::App& sub, std::string& branch);

// A usage error (exit 64), said on standard error.
int usage_error(const std::string& message);

}  // namespace ferry::cli
