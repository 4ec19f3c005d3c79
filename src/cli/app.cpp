#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "ferry/git/repository.hpp"
#include "ferry/util/did_you_mean.hpp"

namespace ferry::cli {
namespace {

std::vector<Command> commands() {
    return {init_command(),      validate_command(), links_command(),   link_command(),    unlink_command(),
            reconcile_command(), apply_command(),    publish_command(), history_command(), status_command()};
}

constexpr const char* kExamples =
    "Examples:\n"
    "  ferry init dev --org acme                  scaffold a workspace in this repository\n"
    "  ferry validate                             check every workspace of ferry.yaml\n"
    "  ferry link dev:sources/wh-dev prod:sources/wh\n"
    "  ferry reconcile --from dev --to prod --dry-run\n"
    "  ferry reconcile --from dev --to prod --select 'models/*'\n"
    "  ferry publish prod:syncs/users-to-salesforce\n"
    "  ferry status staging --against prod        drift: what differs, what only staging has\n"
    "\n"
    "ferry finds ferry.yaml through --config, $FERRY_CONFIG, or the current folder and its parents.\n"
    "Run 'ferry COMMAND --help' for a command's options and examples; 'man ferry' for the whole manual.\n"
    "Exit codes: 0 success, 1 blocked or invalid, 2 changes (--detailed-exitcode), 64 usage error.";

// `ferry valdate`: the command meant, when one is close.
int unknown_command(const CLI::App& app, const std::vector<Command>& table) {
    for (const std::string& word : app.remaining()) {
        if (word.starts_with("-")) continue;
        std::vector<std::string> names;
        for (const Command& c : table)
            names.emplace_back(c.name);
        std::string close = did_you_mean(word, names);
        return usage_error("unknown command '" + word + "'" +
                           (close.empty() ? "" : "; did you mean 'ferry " + close + "'?") +
                           " Run 'ferry --help' for the list.");
    }
    return usage_error("name a command; run 'ferry --help' for the list");
}

// A folder as an absolute path without symbolic links, so that paths under
// it compare with the repositories' (empty stays empty).
std::string absolute_folder(const std::string& folder) {
    if (folder.empty()) return {};
    std::error_code ec;
    std::filesystem::path p = std::filesystem::weakly_canonical(std::filesystem::absolute(folder, ec), ec);
    return ec ? std::filesystem::absolute(folder).lexically_normal().string() : p.string();
}

}  // namespace

std::string count_summary(const Diagnostics& diags) {
    std::size_t errors = 0, warnings = 0;
    for (const auto& d : diags.items)
        (d.severity == Severity::error ? errors : warnings)++;
    return std::to_string(errors) + (errors == 1 ? " error, " : " errors, ") + std::to_string(warnings) +
           (warnings == 1 ? " warning" : " warnings");
}

CLI::Option* add_branch_option(CLI::App& sub, std::string& branch) {
    // Checked before anything is read: an empty name (an unset variable in
    // a CI script) must not fall back to writing T's own branch.
    auto check = [](std::string& name) -> std::string {
        return git::is_valid_branch_name(name) ? "" : "'" + name + "' is not a valid branch name";
    };
    return sub.add_option("--branch", branch, "write the commit on this new branch")
        ->check(CLI::Validator(check, "NAME"));
}

int usage_error(const std::string& message) {
    std::cerr << "error[usage]: " << message << "\n";
    return kUsage;
}

int finish(const Context& ctx, nlohmann::json result, const Diagnostics& diags, int exit_code, std::string summary,
           std::vector<std::string> lines) {
    ctx.reporter->result({std::move(result), std::move(lines), std::move(summary)}, diags);
    return exit_code;
}

int run(int argc, char** argv) {
    git::Library libgit2;
    CLI::App app{"ferry: promote data-activation configuration between workspaces kept in git", "ferry"};
    app.require_subcommand(1);
    app.fallthrough();
    app.footer(kExamples);
    app.set_version_flag("--version", "ferry 0.1.0");

    Context ctx;
    std::string format = "text";
    bool verbose = false, quiet = false;
    std::string formats;
    for (const auto& name : format_names())
        formats += (formats.empty() ? "" : "|") + name;
    app.add_option("--config", ctx.config, "organization file (default: $FERRY_CONFIG, else the nearest ferry.yaml)");
    app.add_option("--actor", ctx.actor, "act as this email (default: $FERRY_ACTOR, else git's user.email)");
    app.add_option("--format", format, "output format: " + formats)->check(CLI::IsMember(format_names()));
    app.add_flag("-v,--verbose", verbose, "more detail on standard error");
    app.add_flag("-q,--quiet", quiet, "print nothing but errors");
    std::string annotation_root;
    app.add_option("--annotation-root", annotation_root,
                   "--format github: annotation paths relative to DIR (default: to each workspace's repository)")
        ->type_name("DIR");

    std::function<int(const Context&)> chosen;
    const std::vector<Command> table = commands();
    for (const Command& c : table) {
        CLI::App* sub = app.add_subcommand(c.name, c.summary);
        auto runner = c.setup(*sub);
        sub->callback([&chosen, runner] { chosen = runner; });
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        bool no_command = app.get_subcommands().empty() && e.get_exit_code() != 0;
        if (no_command && (dynamic_cast<const CLI::ExtrasError*>(&e) || dynamic_cast<const CLI::RequiredError*>(&e)))
            return unknown_command(app, table);
        int rc = app.exit(e);
        return rc == 0 ? kOk : kUsage;
    }

    // The output format is decided here, once: commands only see the reporter.
    const char* no_color = std::getenv("NO_COLOR");
    const char* step_summary = std::getenv("GITHUB_STEP_SUMMARY");
    const Terminal terminal{std::cout,
                            std::cerr,
                            isatty(STDIN_FILENO) == 1 ? &std::cin : nullptr,
                            isatty(STDOUT_FILENO) == 1,
                            isatty(STDERR_FILENO) == 1,
                            no_color && *no_color,
                            step_summary ? step_summary : "",
                            absolute_folder(annotation_root),
                            absolute_folder(".")};
    ctx.reporter = make_reporter(format, quiet, terminal);
    auto logger = spdlog::stderr_logger_st("ferry");
    logger->set_pattern("ferry: %v");
    logger->set_level(verbose ? spdlog::level::debug : spdlog::level::warn);
    spdlog::set_default_logger(logger);

    if (!chosen) return kUsage;
    try {
        return chosen(ctx);
    } catch (const std::exception& e) {
        // The one catch at the edge: a bug, reported, never a crash.
        std::cerr << "error[internal]: " << e.what() << "\n";
        return kFailed;
    }
}

}  // namespace ferry::cli
