#include "ferry/load/cache.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>

#include "ferry/schema/embedded.hpp"
#include "ferry/util/checksum.hpp"

namespace ferry {
namespace {

// Raise when what a load derives from a blob changes (parsing, typing,
// checks, the image layout): files written before are then foreign.
constexpr std::uint32_t kFormat = 6;  // 6: syncs' connector_type
constexpr char kMagic[8] = {'F', 'E', 'R', 'R', 'Y', 'C', '\0', '\1'};

// What a file must have been written by: this format, these schemas (and
// the organization's connector schemas, `checks`), this workspace folder.
std::string cache_key(std::string_view root, std::string_view checks) {
    std::string schemas;
    for (const auto& s : schema::embedded_schemas()) {
        schemas.append(s.name);
        schemas.append(s.text);
    }
    return "format " + std::to_string(kFormat) + "; schemas " + std::to_string(checksum(schemas)) + "; checks " +
           std::to_string(checksum(checks)) + "; root " + std::string(root);
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
    ValueHash hash() { return {number<std::uint64_t>(), number<std::uint64_t>()}; }
};

// A resource's facts, field by field.
void put_facts(std::string& out, const ResourceFacts& f) {
    const Fingerprint& print = f.fingerprint;
    put(out, static_cast<std::uint8_t>(f.is_map | f.schedule_is_map << 1 | f.plaintext_secret << 2 | print.exact << 3));
    put(out, print.present);
    for (const std::string* text : {&f.type, &f.source, &f.model, &f.destination, &f.schedule_type, &f.connector_type})
        put_text(out, *text);
    put(out, static_cast<std::uint32_t>(f.alerts.size()));
    for (const std::string& alert : f.alerts)
        put_text(out, alert);
    put(out, print.rest);
    for (const ValueHash& h : print.owned)
        put(out, h);
}

std::optional<ResourceFacts> read_facts(std::string_view image) {
    Reader r{image};
    ResourceFacts f;
    auto flags = r.number<std::uint8_t>();
    f.is_map = flags & 1;
    f.schedule_is_map = flags & 2;
    f.plaintext_secret = flags & 4;
    f.fingerprint.exact = flags & 8;
    f.fingerprint.present = r.number<std::uint8_t>();
    for (std::string* text : {&f.type, &f.source, &f.model, &f.destination, &f.schedule_type, &f.connector_type})
        *text = r.text();
    auto alerts = r.number<std::uint32_t>();
    // Each alert takes at least its length's four bytes.
    if (!r.ok || alerts > r.in.size() / 4) return std::nullopt;
    f.alerts.reserve(alerts);
    for (std::uint32_t i = 0; i < alerts; ++i)
        f.alerts.emplace_back(r.text());
    f.fingerprint.rest = r.hash();
    for (ValueHash& h : f.fingerprint.owned)
        h = r.hash();
    if (!r.ok || !r.in.empty() || flags > 15) return std::nullopt;
    return f;
}

}  // namespace

// The file: magic, then the sizes of the index and of the images and the
// index's checksum; the index (the key, then per entry its path, blob id,
// blob size, and its image's offset, length and checksum); the images (a
// resource's facts; empty for a file kept whole). The index is checked when
// the file is opened; an image when it is asked for, by the worker that
// asks. The index and every image are padded with zeros to a multiple of 8
// bytes (the padding is summed too).
constexpr std::size_t kHeaderSize = sizeof kMagic + 3 * sizeof(std::uint64_t);
constexpr std::size_t padded(std::size_t n) {
    return (n + 7) & ~std::size_t{7};
}

bool ParseCache::disabled() {
    const char* off = std::getenv("FERRY_NO_CACHE");
    return off && std::string_view(off) == "1";
}

std::unique_ptr<ParseCache> ParseCache::open(const std::filesystem::path& git_dir, std::string_view root,
                                             std::string_view checks) {
    if (disabled()) return nullptr;
    std::string key = cache_key(root, checks);
    // One file per workspace folder, named by a hash of the folder.
    std::string name = "tree-" + std::to_string(checksum(root)) + ".bin";
    std::unique_ptr<ParseCache> cache(new ParseCache(git_dir / "ferry" / "cache" / name, std::move(key)));
    cache->read();
    return cache;
}

ParseCache::ParseCache(std::filesystem::path file, std::string key) : file_(std::move(file)), key_(std::move(key)) {}

namespace {

// A whole file in anonymous memory of its own, unmapped with the cache.
class FileBuffer {
public:
    static std::shared_ptr<const FileBuffer> read(const std::filesystem::path& file, std::size_t min_size) {
        // Not blocking: a named pipe put in the cache's place must not hang
        // the load; only a regular file is read.
        int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) return nullptr;
        std::shared_ptr<FileBuffer> buffer;
        struct stat st {};
        if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= static_cast<off_t>(min_size)) {
            buffer = std::make_shared<FileBuffer>(static_cast<std::size_t>(st.st_size));
            std::size_t done = 0;
            while (buffer->data_ && done < buffer->size_) {
                ssize_t n = ::read(fd, buffer->data_ + done, buffer->size_ - done);
                if (n <= 0) break;
                done += static_cast<std::size_t>(n);
            }
            if (!buffer->data_ || done != buffer->size_) buffer.reset();
        }
        ::close(fd);
        return buffer;
    }

    explicit FileBuffer(std::size_t size) : size_(size) {
        void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return;
        data_ = static_cast<char*>(p);
    }
    ~FileBuffer() {
        if (data_) ::munmap(data_, size_);
    }
    FileBuffer(const FileBuffer&) = delete;
    FileBuffer& operator=(const FileBuffer&) = delete;

    std::string_view bytes() const { return {data_, size_}; }

private:
    char* data_ = nullptr;
    std::size_t size_;
};

}  // namespace

void ParseCache::read() {
    auto buffer = FileBuffer::read(file_, kHeaderSize);
    if (!buffer) return;
    const std::string_view bytes = buffer->bytes();
    Reader header{bytes};
    std::string_view magic = header.bytes(sizeof kMagic);
    auto index_size = header.number<std::uint64_t>();
    auto images_size = header.number<std::uint64_t>();
    auto index_sum = header.number<std::uint64_t>();
    if (!header.ok || magic != std::string_view(kMagic, sizeof kMagic) || index_size % 8 != 0 ||
        index_size > header.in.size() || images_size != header.in.size() - index_size)
        return;
    std::string_view index = header.in.substr(0, index_size);
    std::string_view images = header.in.substr(index_size);
    if (checksum(index) != index_sum) return;
    Reader r{index};
    if (r.text() != key_) return;
    auto count = r.number<std::uint32_t>();
    std::unordered_map<std::string_view, Slot> slots;
    for (std::uint32_t i = 0; r.ok && i < count; ++i) {
        std::string_view path = r.text();
        std::string_view blob_id = r.text();
        auto blob_size = r.number<std::uint64_t>();
        auto offset = r.number<std::uint64_t>();
        auto size = r.number<std::uint32_t>();
        auto sum = r.number<std::uint64_t>();
        // Only files within the loader's limits were ever kept (64 MiB at
        // most): a larger size says the file is not one ferry wrote.
        if (!r.ok || offset % 8 != 0 || offset > images.size() || padded(size) > images.size() - offset ||
            blob_size > (std::uint64_t{64} << 20))
            return;
        slots[path] = {blob_id, static_cast<std::size_t>(blob_size), images.substr(offset, padded(size)), size, sum};
    }
    if (!r.ok || r.in.size() >= 8 || r.in.find_first_not_of('\0') != std::string_view::npos) return;
    // The views point into the buffer: keep both or neither.
    buffer_ = std::move(buffer);
    slots_ = std::move(slots);
}

std::optional<ParseCache::Found> ParseCache::find(std::string_view path, std::string_view blob_id) const {
    auto it = slots_.find(path);
    if (it == slots_.end() || it->second.blob_id != blob_id || blob_id.empty()) return std::nullopt;
    const Slot& slot = it->second;
    if (checksum(slot.image) != slot.checksum) return std::nullopt;
    Found found{std::nullopt, slot.blob_size};
    if (slot.length > 0) {
        found.facts = read_facts(slot.image.substr(0, slot.length));
        if (!found.facts) return std::nullopt;
    }
    ++hits_;
    return found;
}

std::size_t ParseCache::hits() const {
    return hits_;
}

void ParseCache::save(const std::vector<Entry>& entries) const {
    // Rewriting a large file costs more than parsing a few files again: the
    // file is rewritten when a tenth of what this load kept was not in it,
    // or a tenth of what it holds was not asked for (files since changed or
    // removed). Either way, what it holds stays right: it is keyed by blob.
    const std::size_t hits = hits_;
    const std::size_t missed = entries.size() - std::min(hits, entries.size());
    const std::size_t unused = slots_.size() - std::min(hits, slots_.size());
    if (!slots_.empty() && missed * 10 <= entries.size() && unused * 10 <= slots_.size()) return;

    // Written aside under a name no other process uses, then renamed over
    // the old file: a reader sees the old file or the new one, whole.
    std::error_code ec;
    std::filesystem::create_directories(file_.parent_path(), ec);
    std::filesystem::path temp = file_;
    temp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);

    // The index's size is known before the images are made: header and
    // index are written as placeholders, then again once the images are.
    std::size_t index_size = sizeof(std::uint32_t) + key_.size() + sizeof(std::uint32_t);
    for (const Entry& e : entries) {
        index_size += 2 * sizeof(std::uint32_t) + e.path.size() + e.blob_id.size() + 2 * sizeof(std::uint64_t) +
                      sizeof(std::uint32_t) + sizeof(std::uint64_t);
    }
    index_size = padded(index_size);
    const std::string placeholder(kHeaderSize + index_size, '\0');
    out.write(placeholder.data(), static_cast<std::streamsize>(placeholder.size()));

    // Entry by entry, so the file never sits whole in memory.
    std::string index;
    index.reserve(index_size);
    put_text(index, key_);
    put(index, static_cast<std::uint32_t>(entries.size()));
    std::uint64_t offset = 0;
    std::string chunk;
    std::string image;
    for (const Entry& e : entries) {
        image.clear();
        if (e.facts) put_facts(image, *e.facts);
        const auto length = static_cast<std::uint32_t>(image.size());
        image.resize(padded(image.size()), '\0');
        put_text(index, e.path);
        put_text(index, e.blob_id);
        put(index, static_cast<std::uint64_t>(e.blob_size));
        put(index, offset);
        put(index, length);
        put(index, checksum(image));
        offset += image.size();
        chunk += image;
        if (chunk.size() > (1u << 20)) {
            out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
            chunk.clear();
        }
    }
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    index.resize(padded(index.size()), '\0');
    std::string header(kMagic, sizeof kMagic);
    put(header, static_cast<std::uint64_t>(index.size()));
    put(header, offset);
    put(header, checksum(index));
    out.seekp(0);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(index.data(), static_cast<std::streamsize>(index.size()));
    out.close();
    if (!out || index.size() != index_size) {
        std::filesystem::remove(temp, ec);
        return;
    }
    std::filesystem::rename(temp, file_, ec);
    if (ec) std::filesystem::remove(temp, ec);
}

}  // namespace ferry
