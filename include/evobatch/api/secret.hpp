#pragma once
// The API key. It can be read only on purpose (`reveal()`, used to build the Authorization
// header); it has no stream or fmt output, so it cannot end up in a log by accident, and its
// memory is wiped when it goes away.

#include <optional>
#include <string>
#include <string_view>

namespace evobatch::api {

class Secret {
public:
    Secret() = default;
    explicit Secret(std::string value) : m_value(std::move(value)) {}
    Secret(Secret const&) = default;
    Secret& operator=(Secret const&) = default;
    Secret(Secret&&) = default;
    Secret& operator=(Secret&&) = default;
    ~Secret();

    [[nodiscard]] std::string_view reveal() const noexcept { return m_value; }
    [[nodiscard]] bool empty() const noexcept { return m_value.empty(); }

private:
    std::string m_value;
};

// What is wrong with a key as it was read, in words that fit "the API key ...", or nothing
// when it holds only printable ASCII. A key is a token: whitespace, control characters and
// anything beyond ASCII (a byte-order mark, a no-break space) come from the file or the paste
// it came from, and would make every request fail (a CR cannot go in a header). Never quotes
// the key or any part of it.
std::optional<std::string_view> key_problem(std::string_view key) noexcept;

// `text` with every occurrence of the secret replaced by "[redacted]" (a server that echoes a
// bad key back in its message must not make us print it).
std::string redact(std::string text, Secret const& secret);

} // namespace evobatch::api
