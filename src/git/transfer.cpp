// Credentials and progress for fetching and pushing. libgit2 1.5 runs no
// credential helper and no askpass program itself: what it is given comes
// from here, each kind offered once, never in a loop.
#include "transfer.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>

extern char** environ;

namespace ferry::git {
namespace {

namespace fs = std::filesystem;

const char* env(const char* name) {
    const char* value = std::getenv(name);
    return value && *value ? value : nullptr;
}

// scheme://[user[:password]@]host[:port]/path: the host, lowercased.
std::string host_of(std::string_view url) {
    auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return {};
    std::string_view rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find('/'));
    if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
    rest = rest.substr(0, rest.find(':'));
    std::string host(rest);
    std::ranges::transform(host, host.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return host;
}

// FERRY_GIT_TOKEN for any host; GITHUB_TOKEN only for GitHub (github.com,
// or the server a GitHub Actions job runs against), never sent elsewhere.
std::optional<std::pair<std::string, std::string>> token_for(std::string_view url) {
    if (const char* token = env("FERRY_GIT_TOKEN")) return std::pair{std::string("FERRY_GIT_TOKEN"), token};
    const char* token = env("GITHUB_TOKEN");
    if (!token) return std::nullopt;
    std::string host = host_of(url);
    const char* server = env("GITHUB_SERVER_URL");
    if (host == "github.com" || (server && host == host_of(server)))
        return std::pair{std::string("GITHUB_TOKEN"), token};
    return std::nullopt;
}

// Runs `program PROMPT` as git runs GIT_ASKPASS; its first output line is the answer.
std::optional<std::string> ask(const char* program, const std::string& prompt) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    std::string program_text = program;
    std::string prompt_text = prompt;
    char* argv[] = {program_text.data(), prompt_text.data(), nullptr};
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, program, &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    std::string out;
    if (rc == 0) {
        char buf[4096];
        for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
            out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    if (rc != 0) return std::nullopt;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
    out = out.substr(0, out.find('\n'));
    if (!out.empty() && out.back() == '\r') out.pop_back();
    return out;
}

// ssh's default user: the local one.
std::string local_user() {
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_name) return pw->pw_name;
    if (const char* user = env("USER")) return user;
    return "git";
}

bool offer(Transfer& t, const std::string& what) {
    if (std::ranges::find(t.offered, what) != t.offered.end()) return false;
    t.offered.push_back(what);
    return true;
}

int no_credentials(Transfer& t, unsigned int allowed) {
    std::string message;
    if (!t.offered.empty()) {
        message = "authentication failed (tried ";
        for (std::size_t i = 0; i < t.offered.size(); ++i)
            message += (i ? ", " : "") + t.offered[i];
        message += ")";
    } else if (allowed & GIT_CREDENTIAL_SSH_KEY) {
        message = "authentication required: no ssh agent (SSH_AUTH_SOCK) and no key in ~/.ssh";
    } else {
        message = "authentication required: set FERRY_GIT_TOKEN (GITHUB_TOKEN for GitHub) or GIT_ASKPASS";
    }
    git_error_set_str(GIT_ERROR_NET, message.c_str());
    return GIT_EAUTH;
}

int on_credentials(git_credential** out, const char* url, const char* username_from_url, unsigned int allowed,
                   void* payload) {
    auto& t = *static_cast<Transfer*>(payload);
    std::string user = username_from_url && *username_from_url ? username_from_url : "";
    if (allowed & GIT_CREDENTIAL_USERNAME) {
        // ssh asks for the user first when the URL names none.
        return git_credential_username_new(out, user.empty() ? local_user().c_str() : user.c_str());
    }
    if (allowed & GIT_CREDENTIAL_SSH_KEY) {
        if (user.empty()) user = local_user();
        if (env("SSH_AUTH_SOCK") && offer(t, "the ssh agent"))
            return git_credential_ssh_key_from_agent(out, user.c_str());
        if (const char* home = env("HOME")) {
            for (const char* name : {"id_ed25519", "id_ecdsa", "id_rsa"}) {
                fs::path key = fs::path(home) / ".ssh" / name;
                std::error_code ec;
                if (!fs::is_regular_file(key, ec) || !offer(t, "~/.ssh/" + std::string(name))) continue;
                fs::path pub = key;
                pub += ".pub";
                bool has_pub = fs::is_regular_file(pub, ec);
                return git_credential_ssh_key_new(out, user.c_str(), has_pub ? pub.c_str() : nullptr, key.c_str(),
                                                  nullptr);
            }
        }
    }
    if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
        if (auto token = token_for(url); token && offer(t, token->first)) {
            return git_credential_userpass_plaintext_new(out, user.empty() ? "x-access-token" : user.c_str(),
                                                         token->second.c_str());
        }
        if (const char* askpass = env("GIT_ASKPASS"); askpass && offer(t, "GIT_ASKPASS")) {
            std::string site =
                std::string(url).substr(0, std::string_view(url).find('/', std::string_view(url).find("://") + 3));
            if (user.empty()) {
                auto answer = ask(askpass, "Username for '" + shown_url(site) + "': ");
                if (!answer) return no_credentials(t, allowed);
                user = *answer;
            }
            // As git asks: the site with the user just given (the answer, not
            // a secret of the URL).
            std::string at_site = shown_url(site);
            if (auto scheme = at_site.find("://");
                scheme != std::string::npos && at_site.find('@') == std::string::npos)
                at_site.insert(scheme + 3, user + "@");
            auto password = ask(askpass, "Password for '" + at_site + "': ");
            if (!password) return no_credentials(t, allowed);
            return git_credential_userpass_plaintext_new(out, user.c_str(), password->c_str());
        }
    }
    return no_credentials(t, allowed);
}

int on_transfer_progress(const git_indexer_progress* p, void* payload) {
    auto& t = *static_cast<Transfer*>(payload);
    t.received_objects = p->received_objects;
    t.received_bytes = p->received_bytes;
    if (!t.progress || p->total_objects == 0) return 0;
    bool received = p->received_objects == p->total_objects;
    bool finished = received && p->indexed_deltas == p->total_deltas;
    auto now = std::chrono::steady_clock::now();
    if (!finished && now - t.last_shown < std::chrono::milliseconds(100)) return 0;
    t.last_shown = now;
    std::string line = "Fetching " + t.shown + ": ";
    if (!received || p->total_deltas == 0) {
        line += std::to_string(100ull * p->received_objects / p->total_objects) + "% (" +
                std::to_string(p->received_objects) + "/" + std::to_string(p->total_objects) + " objects, " +
                size_text(p->received_bytes) + ")";
    } else {
        line += "resolving deltas " + std::to_string(p->indexed_deltas) + "/" + std::to_string(p->total_deltas);
    }
    t.progress(line, false);
    return 0;
}

int on_push_update(const char* ref, const char* status, void* payload) {
    if (status) static_cast<Transfer*>(payload)->rejected = std::string(ref) + ": " + status;
    return 0;
}

}  // namespace

git_remote_callbacks callbacks(Transfer& transfer) {
    git_remote_callbacks out = GIT_REMOTE_CALLBACKS_INIT;
    out.credentials = on_credentials;
    out.transfer_progress = on_transfer_progress;
    out.push_update_reference = on_push_update;
    out.payload = &transfer;
    return out;
}

std::string size_text(std::size_t bytes) {
    char buf[32];
    if (bytes < 1024 * 1024) {
        std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024);
    } else {
        std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024 * 1024));
    }
    return buf;
}

std::string last_error_for(std::string_view what, std::string_view url) {
    return without_url_secrets(last_error(what), url);
}

}  // namespace ferry::git
