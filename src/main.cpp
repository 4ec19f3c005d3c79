#include "ferry/cli/cli.hpp"

int main(int argc, char** argv) {
    return ferry::cli::run(argc, argv);
}
