#pragma once
// Boost.JSON conversions for the API types. Parsing is defensive (api.md): unknown fields are
// ignored, numbers may come as integers or doubles, `code` as text or integer, and a missing
// optional field is simply absent. A field of the wrong type is an error, not a guess.

#include "evobatch/api/types.hpp"

#include <boost/json/fwd.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace evobatch::api {

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, CreateRequest const& r);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, Task const& t);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, Credits const& c);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, ErrorBody const& e);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, BatchReadRequest const& r);

boost::system::result<CreateRequest> tag_invoke(boost::json::try_value_to_tag<CreateRequest>,
                                                boost::json::value const& jv);
boost::system::result<Task> tag_invoke(boost::json::try_value_to_tag<Task>, boost::json::value const& jv);
boost::system::result<Credits> tag_invoke(boost::json::try_value_to_tag<Credits>, boost::json::value const& jv);
boost::system::result<ErrorBody> tag_invoke(boost::json::try_value_to_tag<ErrorBody>, boost::json::value const& jv);
boost::system::result<BatchReadRequest> tag_invoke(boost::json::try_value_to_tag<BatchReadRequest>,
                                                   boost::json::value const& jv);

// Parses a whole response body: `{...task...}`, `{"data": [tasks]}`, `{"data": credits}`,
// `{"error": {...}}`. Errors: boost::json parse errors, or json::error::not_object and friends.
boost::system::result<Task> parse_task(std::string_view body);
boost::system::result<std::vector<Task>> parse_task_list(std::string_view body);
boost::system::result<Credits> parse_credits(std::string_view body);
boost::system::result<ErrorBody> parse_error_body(std::string_view body);

// Compact JSON text of an API value, as sent on the wire.
std::string to_json_text(CreateRequest const& v);
std::string to_json_text(Task const& v);
std::string to_json_text(Credits const& v);
std::string to_json_text(ErrorBody const& v);
std::string to_json_text(BatchReadRequest const& v);

} // namespace evobatch::api
