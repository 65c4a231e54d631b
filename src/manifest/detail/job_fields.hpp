#pragma once
// Reading and checking the fields of one job (or of `defaults:`) against api.md's rules.

#include "evobatch/manifest/manifest.hpp"
#include "evobatch/manifest/yaml_tree.hpp"
#include "node_reader.hpp"

#include <optional>
#include <string>
#include <vector>

namespace evobatch::manifest::detail {

inline constexpr std::size_t k_max_prompt_characters = 5000;
inline constexpr std::size_t k_max_image_urls = 4;

// A field as written: `present` with no value means an explicit null (`callback_url: ~`), which
// in a job clears the default, unless `failed`: then its error is already reported.
template <class T>
struct Field {
    bool present = false;
    bool failed = false;
    std::optional<T> value;
    Mark mark;
};

struct JobFields {
    Field<std::string> id;
    Field<std::string> model;
    Field<std::string> prompt;
    Field<std::string> video_url;
    Field<std::vector<std::string>> image_urls;
    Field<bool> keep_original_sound;
    Field<std::string> callback_url;
    Mark mark; // where the job (or defaults) starts
    bool invalid = false; // some field failed; the job is not built, its errors are reported
};

// Reads a job mapping. `label` prefixes messages ("job 'a': "). `is_defaults` forbids `id`.
JobFields read_job_fields(NodeReader& reader, YamlNode const& node, std::string const& label, bool is_defaults);

// Checks a video URL alone (for `videos:` items and `video_list` lines).
std::optional<std::string> check_video_url(NodeReader& reader, std::string url, Mark at, std::string const& label);

// The job: the job's own fields over the defaults; nothing (after reporting) when the
// result lacks a prompt or a video.
std::optional<Job> merge_job(NodeReader& reader, JobFields const& defaults, JobFields&& job, std::string const& label);

// Turns a video file stem into a job id: characters outside [A-Za-z0-9._-] become '_'.
std::string id_from_stem(std::string_view stem);
bool is_valid_id(std::string_view id) noexcept;

} // namespace evobatch::manifest::detail
