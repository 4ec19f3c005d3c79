// Repositories named by URL: a bare clone in a cache folder, fetched on
// every run so that what ferry reads and writes on is the remote's tip.
#include <vector>

#include "transfer.hpp"

namespace ferry::git {

namespace fs = std::filesystem;

std::expected<std::string, std::string> fetch(git_repository* repo, const std::string& url, const Progress& progress,
                                              const std::vector<std::string>& refspecs, bool prune) {
    std::string shown = shown_url(url);
    git_remote* raw = nullptr;
    if (git_remote_create_anonymous(&raw, repo, url.c_str()) != 0) {
        return std::unexpected(last_error_for("cannot fetch " + shown, url));
    }
    RemoteHandle remote(raw);
    Transfer transfer{shown, progress};
    git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
    opts.callbacks = callbacks(transfer);
    opts.prune = prune ? GIT_FETCH_PRUNE : GIT_FETCH_NO_PRUNE;
    opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;  // the refspecs say which tags
    opts.update_fetchhead = 0;
    std::vector<std::string> owned = refspecs;
    std::vector<char*> specs;
    for (auto& s : owned)
        specs.push_back(s.data());
    git_strarray array{specs.data(), specs.size()};
    if (transfer.progress) transfer.progress("Fetching " + shown + "...", false);
    int rc = git_remote_fetch(remote.get(), &array, &opts, nullptr);
    std::string failure = rc != 0 ? last_error_for("cannot fetch " + shown, url) : "";
    if (transfer.progress) {
        bool keep = rc == 0 && transfer.received_objects > 0;
        transfer.progress(keep ? "Fetched " + shown + ": " + std::to_string(transfer.received_objects) + " objects, " +
                                     size_text(transfer.received_bytes) + "."
                               : "",
                          true);
    }
    if (rc != 0) return std::unexpected(failure);
    BufHandle head;
    if (git_remote_default_branch(&head.buf, remote.get()) != 0 || !head.buf.ptr) return std::string();
    return std::string(head.buf.ptr);
}

std::expected<Repository, std::string> Repository::open_remote(const std::string& url, const fs::path& cache,
                                                               Progress progress) {
    std::error_code ec;
    fs::create_directories(cache.parent_path(), ec);
    if (ec)
        return std::unexpected("cannot make the cache folder " + cache.parent_path().string() + ": " + ec.message());
    git_repository* raw = nullptr;
    {
        // Made on first use, by one process at a time.
        FileLock lock(cache.string() + ".lock");
        if (git_repository_open_ext(&raw, cache.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE,
                                    nullptr) != 0) {
            git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
            opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
            if (git_repository_init_ext(&raw, cache.c_str(), &opts) != 0) {
                return std::unexpected(
                    last_error("cannot make a clone of " + shown_url(url) + " in " + cache.string()));
            }
        }
    }
    auto impl = std::make_unique<Impl>();
    impl->repo.reset(raw);
    impl->url = url;
    impl->progress = std::move(progress);
    WriteLock lock(raw);
    auto head = fetch(raw, url, impl->progress, kMirrored, true);
    if (!head) return std::unexpected(head.error());
    // The remote's default branch is the clone's HEAD: a workspace without
    // `branch:` reads it.
    if (!head->empty() && git_repository_set_head(raw, head->c_str()) != 0) {
        return std::unexpected(last_error("cannot record the default branch of " + shown_url(url)));
    }
    return Repository(std::move(impl));
}

bool Repository::remote() const {
    return !impl_->url.empty();
}

}  // namespace ferry::git
