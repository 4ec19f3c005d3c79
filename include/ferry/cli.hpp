// The command line: arguments in, exit code out (SPEC 5).
#pragma once

#include <string>

#include "ferry/render.hpp"

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

int run(int argc, char** argv);

}  // namespace ferry::cli
