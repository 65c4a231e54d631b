#include "account.hpp"

#include "evobatch/api/pricing.hpp"
#include "evobatch/api/secret.hpp"
#include "evobatch/net/https_client.hpp"
#include "evobatch/net/tls_context.hpp"
#include "evobatch/util/core_dumps.hpp"
#include "evobatch/version.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>

namespace evobatch::cli {

namespace asio = boost::asio;

std::optional<std::string> read_api_key(manifest::ApiSettings const& api, std::string_view instead) {
    if (!util::disable_core_dumps()) {
        fmt::print(
            stderr,
            "evobatch: warning: could not disable core dumps; a crash could write the API key to disk\n");
    }
    char const* key = std::getenv(api.key_env.c_str());
    if (key == nullptr || *key == '\0') {
        fmt::print(stderr,
                   "evobatch: error: the API key is not set: put it in the environment variable {} (named by "
                   "api.key_env), or {}\n",
                   api.key_env, instead);
        return std::nullopt;
    }
    // Refused before anything is sent: the server would refuse it at every request, or (with a
    // CR) the request could not even be written, which looks like a network failure.
    if (auto const problem = api::key_problem(key)) {
        fmt::print(stderr, "evobatch: error: the API key in {} {}; set it again without that; nothing was sent\n",
                   api.key_env, *problem);
        return std::nullopt;
    }
    return std::string(key);
}

std::string balance_line(api::Credits const& credits, plan::BatchPlan const& plan) {
    if (credits.unlimited) {
        return "balance: unlimited credits for this key";
    }
    std::size_t const sent = plan.create_requests;
    return fmt::format(
        "balance: {:.0f} credits; this run may reserve up to {} ({} job{} to submit {}, "
        "within limits.max_credits = {}{})",
        credits.remaining, plan.credits_at_most, sent, sent == 1 ? "" : "s",
        plan.probed ? fmt::format("at their probed cost ({} at up to {} each)", plan.jobs_unprobed,
                                  api::k_max_credits_per_task)
                    : fmt::format("at up to {} each", api::k_max_credits_per_task),
        plan.credits_ceiling,
        plan.credits_carried > 0 ? fmt::format(", the ledger's tasks using {} of it", plan.credits_carried)
                                  : std::string());
}

bool key_refused(api::ApiResult<api::Credits> const& result) noexcept {
    return result.api_error && (result.api_error->kind == api::ApiErrc::unauthorized ||
                                result.api_error->kind == api::ApiErrc::forbidden);
}

bool above_balance(api::Credits const& credits, plan::BatchPlan const& plan) {
    return !credits.unlimited && static_cast<double>(plan.credits_at_most) > credits.remaining;
}

api::ApiResult<api::Credits> read_credits_once(std::string const& base_url,
                                               std::optional<std::filesystem::path> const& ca_file,
                                               api::Secret key, std::chrono::milliseconds request_timeout) {
    net::TlsContext tls(ca_file);
    asio::io_context io;
    net::ClientOptions options;
    options.max_connections_per_host = 1;
    options.request_timeout = request_timeout;
    options.user_agent = fmt::format("evobatch/{}", k_version);
    net::HttpsClient http(io.get_executor(), tls, options);
    api::ApiClient client(http, base_url, std::move(key));
    api::ApiResult<api::Credits> result;
    std::exception_ptr failure;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            // A GET is safe to send again: a few tries ride out a 5xx, a 429 or a dropped line.
            constexpr int k_attempts = 3;
            for (int attempt = 1;; ++attempt) {
                result = co_await client.credits();
                // Not answered, answered unreadably, 429 or 5xx: worth another try; any other
                // answer (a refused key above all) stays what it is.
                auto const kind = result.api_error ? result.api_error->kind : api::ApiErrc::server_error;
                bool const worth_again =
                    kind == api::ApiErrc::rate_limited || kind == api::ApiErrc::server_error;
                if (result.ok() || !worth_again || attempt == k_attempts) {
                    co_return;
                }
                std::chrono::milliseconds wait = std::chrono::milliseconds(500) * attempt;
                if (result.api_error && result.api_error->retry_after) {
                    wait = std::min<std::chrono::milliseconds>(*result.api_error->retry_after,
                                                               std::chrono::seconds(5));
                }
                asio::steady_timer timer(io, wait);
                co_await timer.async_wait(asio::use_awaitable);
            }
        },
        [&](std::exception_ptr e) { failure = e; });
    io.run();
    if (failure) {
        std::rethrow_exception(failure);
    }
    return result;
}

} // namespace evobatch::cli
