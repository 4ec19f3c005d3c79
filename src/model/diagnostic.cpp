#include <algorithm>
#include <tuple>

#include "ferry/model/diagnostic.hpp"

namespace ferry {

Diagnostic error(std::string_view code, std::string message, Location location, std::string address) {
    return {Severity::error, code, std::move(message), std::move(address), std::move(location), {}};
}

Diagnostic warning(std::string_view code, std::string message, Location location, std::string address) {
    return {Severity::warning, code, std::move(message), std::move(address), std::move(location), {}};
}

void Diagnostics::append(Diagnostics&& other) {
    items.insert(items.end(), std::make_move_iterator(other.items.begin()), std::make_move_iterator(other.items.end()));
}

bool Diagnostics::has_errors() const {
    return std::ranges::any_of(items, [](const Diagnostic& d) { return d.severity == Severity::error; });
}

void Diagnostics::sort() {
    std::ranges::stable_sort(items, [](const Diagnostic& a, const Diagnostic& b) {
        return std::tie(a.location.file, a.location.line, a.location.column, a.code, a.message) <
               std::tie(b.location.file, b.location.line, b.location.column, b.code, b.message);
    });
}

}  // namespace ferry
