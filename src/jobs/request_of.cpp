#include "evobatch/jobs/request_of.hpp"

#include "evobatch/api/json.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/util/sha256.hpp"

namespace evobatch::jobs {

api::CreateRequest request_of(manifest::Job const& job) {
    api::CreateRequest r;
    r.model = job.model;
    r.prompt = job.prompt;
    r.video_urls = {job.video_url};
    r.image_urls = job.image_urls;
    r.keep_original_sound = job.keep_original_sound;
    r.callback_url = job.callback_url;
    return r;
}

std::string request_digest(api::CreateRequest const& request) { return util::sha256_hex(api::to_json_text(request)); }

} // namespace evobatch::jobs
