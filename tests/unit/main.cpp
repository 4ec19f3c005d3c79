#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "ferry/git/repository.hpp"

int main(int argc, char** argv) {
    ferry::git::Library libgit2;
    doctest::Context context(argc, argv);
    return context.run();
}
