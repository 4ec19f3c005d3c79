#include "ferry/cache.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>

#include "load/embedded_schemas.hpp"

namespace ferry {
namespace {

// Raise when what a load derives from a blob changes (parsing, typing,
// checks, the image layout): files written before are then foreign.
constexpr std::uint32_t kFormat = 1;
constexpr char kMagic[8] = {'F', 'E', 'R', 'R', 'Y', 'C', '\0', '\1'};

// 64-bit words mixed by multiplication: fast, and enough to tell a damaged
// file from a good one (it guards against accidents, not adversaries). Fed
// in pieces, so that a file is summed while it is written.
class Checksum {
public:
    void add(std::string_view bytes) {
        size_ += bytes.size();
        // Whole words straight from the input once no partial word waits.
        if (pending_ == 0) {
            while (bytes.size() >= 8) {
                std::uint64_t w;
                std::memcpy(&w, bytes.data(), 8);
                mix(w);
                bytes.remove_prefix(8);
            }
        }
        while (!bytes.empty()) {
            std::size_t n = std::min(bytes.size(), 8 - pending_);
            std::memcpy(word_ + pending_, bytes.data(), n);
            pending_ += n;
            bytes.remove_prefix(n);
            if (pending_ == 8) {
                std::uint64_t w;
                std::memcpy(&w, word_, 8);
                mix(w);
                pending_ = 0;
            }
        }
    }
    std::uint64_t value() const {
        Checksum last = *this;
        std::uint64_t w = 0;
        std::memcpy(&w, last.word_, last.pending_);
        last.mix(w ^ last.size_);
        return last.h_ ^ (last.h_ >> 32);
    }

private:
    void mix(std::uint64_t w) {
        h_ = (h_ ^ w) * 0x9E3779B97F4A7C15ull;
        h_ ^= h_ >> 29;
    }
    std::uint64_t h_ = 0x243F6A8885A308D3ull;
    std::uint64_t size_ = 0;
    char word_[8] = {};
    std::size_t pending_ = 0;
};

std::uint64_t checksum(std::string_view bytes) {
    Checksum c;
    c.add(bytes);
    return c.value();
}

// What a file must have been written by: this format, these schemas, this
// memory layout of a document, this workspace folder.
std::string cache_key(std::string_view root) {
    std::string schemas;
    for (const auto& s : load::embedded_schemas()) {
        schemas.append(s.name);
        schemas.append(s.text);
    }
    return "format " + std::to_string(kFormat) + "; schemas " + std::to_string(checksum(schemas)) + "; node " +
           std::to_string(sizeof(yaml::Document::NodeData)) + "; root " + std::string(root);
}

template <class T>
void put(std::string& out, const T& value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
}
void put_text(std::string& out, std::string_view text) {
    put(out, static_cast<std::uint32_t>(text.size()));
    out.append(text);
}

// Reads from a byte range, failing (and staying failed) past its end.
struct Reader {
    std::string_view in;
    bool ok = true;

    template <class T>
    T number() {
        T value{};
        if (!ok || in.size() < sizeof value) {
            ok = false;
            return value;
        }
        std::memcpy(&value, in.data(), sizeof value);
        in.remove_prefix(sizeof value);
        return value;
    }
    std::string_view bytes(std::size_t n) {
        if (!ok || in.size() < n) {
            ok = false;
            return {};
        }
        std::string_view out = in.substr(0, n);
        in.remove_prefix(n);
        return out;
    }
    std::string_view text() { return bytes(number<std::uint32_t>()); }
};

}  // namespace

std::unique_ptr<ParseCache> ParseCache::open(const std::filesystem::path& git_dir, std::string_view root) {
    const char* off = std::getenv("FERRY_NO_CACHE");
    if (off && std::string_view(off) == "1") return nullptr;
    std::string key = cache_key(root);
    // One file per workspace folder, named by a hash of the folder.
    std::string name = "tree-" + std::to_string(checksum(root)) + ".bin";
    std::unique_ptr<ParseCache> cache(new ParseCache(git_dir / "ferry" / "cache" / name, std::move(key)));
    cache->read();
    return cache;
}

ParseCache::ParseCache(std::filesystem::path file, std::string key) : file_(std::move(file)), key_(std::move(key)) {}

void ParseCache::read() {
    // One read of the whole file: a stream iterator's byte at a time cost a
    // fifth of a warm plan.
    std::ifstream in(file_, std::ios::binary | std::ios::ate);
    if (!in) return;
    const std::streamoff length = in.tellg();
    if (length <= 0) return;
    std::string bytes;
    bytes.resize_and_overwrite(static_cast<std::size_t>(length), [&](char* data, std::size_t n) {
        in.seekg(0);
        in.read(data, static_cast<std::streamsize>(n));
        return static_cast<std::size_t>(in.gcount());
    });
    Reader header{bytes};
    std::string_view magic = header.bytes(sizeof kMagic);
    auto size = header.number<std::uint64_t>();
    auto sum = header.number<std::uint64_t>();
    if (!header.ok || magic != std::string_view(kMagic, sizeof kMagic) || header.in.size() != size ||
        checksum(header.in) != sum)
        return;
    Reader r{header.in};
    if (r.text() != key_) return;
    auto count = r.number<std::uint32_t>();
    std::unordered_map<std::string_view, Slot> slots;
    for (std::uint32_t i = 0; r.ok && i < count; ++i) {
        std::string_view path = r.text();
        std::string_view blob_id = r.text();
        auto blob_size = r.number<std::uint64_t>();
        std::string_view image = r.text();
        if (r.ok) slots[path] = {blob_id, static_cast<std::size_t>(blob_size), image};
    }
    if (!r.ok || !r.in.empty()) return;
    // The views point into bytes_: keep both or neither.
    bytes_ = std::move(bytes);
    slots_ = std::move(slots);
}

std::optional<ParseCache::Found> ParseCache::find(std::string_view path, std::string_view blob_id) const {
    auto it = slots_.find(path);
    if (it == slots_.end() || it->second.blob_id != blob_id || blob_id.empty()) return std::nullopt;
    auto doc = yaml::Document::from_image(it->second.image, it->second.blob_size, yaml::Limits{});
    if (!doc) return std::nullopt;
    ++hits_;
    return Found{std::move(*doc), it->second.blob_size};
}

std::size_t ParseCache::hits() const {
    return hits_;
}

void ParseCache::save(const std::vector<Entry>& entries) const {
    if (entries.size() == slots_.size() && hits_ == entries.size()) return;  // nothing new to keep

    // Written aside under a name no other process uses, then renamed over
    // the old file: a reader sees the old file or the new one, whole.
    std::error_code ec;
    std::filesystem::create_directories(file_.parent_path(), ec);
    std::filesystem::path temp = file_;
    temp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    std::string header(kMagic, sizeof kMagic);
    put(header, std::uint64_t{0});  // size and checksum, filled in at the end
    put(header, std::uint64_t{0});
    out.write(header.data(), static_cast<std::streamsize>(header.size()));

    // Entry by entry, so the file never sits whole in memory.
    std::uint64_t size = 0;
    Checksum sum;
    std::string chunk;
    auto flush = [&] {
        sum.add(chunk);
        size += chunk.size();
        out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        chunk.clear();
    };
    put_text(chunk, key_);
    put(chunk, static_cast<std::uint32_t>(entries.size()));
    for (const Entry& e : entries) {
        put_text(chunk, e.path);
        put_text(chunk, e.blob_id);
        put(chunk, static_cast<std::uint64_t>(e.blob_size));
        std::size_t at = chunk.size();
        put(chunk, std::uint32_t{0});
        e.doc->append_image(chunk);
        auto length = static_cast<std::uint32_t>(chunk.size() - at - sizeof(std::uint32_t));
        std::memcpy(chunk.data() + at, &length, sizeof length);
        if (chunk.size() > (1u << 20)) flush();
    }
    flush();
    header.resize(sizeof kMagic);
    put(header, size);
    put(header, sum.value());
    out.seekp(0);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.close();
    if (!out) {
        std::filesystem::remove(temp, ec);
        return;
    }
    std::filesystem::rename(temp, file_, ec);
    if (ec) std::filesystem::remove(temp, ec);
}

}  // namespace ferry
