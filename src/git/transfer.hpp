// Talking to a remote: credentials, progress and push results, shared by
// fetching (remote.cpp) and pushing (writer.cpp).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/util/url.hpp"
#include "handles.hpp"

namespace ferry::git {

// What one fetch or push has seen so far; the payload of its callbacks.
struct Transfer {
    std::string shown;  // the URL or remote name, as messages show it
    Progress progress;
    std::vector<std::string> offered;  // the credentials offered, in order
    std::string rejected;              // a ref the remote refused, and why
    std::chrono::steady_clock::time_point last_shown{};
    unsigned received_objects = 0;
    std::size_t received_bytes = 0;
};

// Callbacks for `transfer`: credentials from the ssh agent or key files,
// a token or GIT_ASKPASS for https; progress when transfer.progress is set.
git_remote_callbacks callbacks(Transfer& transfer);

// "12.3 KiB", "4.5 MiB"
std::string size_text(std::size_t bytes);

// libgit2's last error message, after `what`, with `url`'s credentials
// (util/url.hpp) blanked out wherever the message repeats them.
std::string last_error_for(std::string_view what, std::string_view url);

// The refs a clone of a URL mirrors: every branch and tag.
inline const std::vector<std::string> kMirrored = {"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"};

// Fetches `refspecs` from `url` into `repo`, pruning the refs they cover
// that the remote no longer has when `prune` is set. Returns the remote's
// default branch (its HEAD), empty when it names none. The caller holds the
// repository's WriteLock.
std::expected<std::string, std::string> fetch(git_repository* repo, const std::string& url, const Progress& progress,
                                              const std::vector<std::string>& refspecs, bool prune);

}  // namespace ferry::git
