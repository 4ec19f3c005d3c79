// The command line: arguments in, exit code out (SPEC 5).
#pragma once

namespace ferry::cli {

int run(int argc, char** argv);

}  // namespace ferry::cli
